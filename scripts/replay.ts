// Replays a refusal from the rejection log with no database: folds an exported feed (NDJSON, as
// `npm run export` writes it; verify it first) up to the position the refusal was judged at and
// decides its commands again.
//   npm run replay -- export.ndjson rejection.json
// rejection.json is one item of GET /v1/ledgers/{ledgerId}/rejections. Prints the decision;
// exits 0 when the same code comes back, 1 when it does not, 2 on bad arguments.
import { readFileSync } from 'node:fs';
import { commandFromJson } from '../src/app/command-json.ts';
import { eventFromFeedJson } from '../src/app/feed-json.ts';
import { replayRejection } from '../src/app/replay.ts';
import { isRejection } from '../src/domain/rejection.ts';
import { parseTimestamp } from '../src/domain/time.ts';

const USAGE = 'usage: npm run replay -- <export.ndjson> <rejection.json>';
const [feedFile, rejectionFile] = process.argv.slice(2);
if (!feedFile || !rejectionFile) {
  console.error(USAGE);
  process.exit(2);
}

interface LoggedRejection {
  position: number;
  recordedAt: string;
  problem: { code: string; detail: string };
  commands: unknown[];
}

let logged: LoggedRejection;
let events;
try {
  logged = JSON.parse(readFileSync(rejectionFile, 'utf8')) as LoggedRejection;
  events = readFileSync(feedFile, 'utf8').split('\n').filter((line) => line.trim() !== '').map(eventFromFeedJson);
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const recordedAt = parseTimestamp(String(logged.recordedAt));
const head = events.at(-1)?.position ?? 0;
if (recordedAt === undefined || !Number.isSafeInteger(logged.position) || !Array.isArray(logged.commands)) {
  console.error(`${rejectionFile} is not an item of GET .../rejections\n${USAGE}`);
  process.exit(2);
}
if (head < logged.position) {
  console.error(`the export ends at position ${head}, before the position ${logged.position} the refusal was judged at`);
  process.exit(2);
}

const decision = replayRejection(events, { position: logged.position, recordedAt, commands: logged.commands.map(commandFromJson) });
if (isRejection(decision) && decision.code === logged.problem.code) {
  console.log(`REPRODUCED at position ${logged.position}: ${decision.code}: ${decision.detail}`);
  process.exit(0);
}
const got = isRejection(decision) ? `${decision.code}: ${decision.detail}` : `accepted (${decision.length} events)`;
console.log(`DIFFERENT at position ${logged.position}: logged ${logged.problem.code}, replay gives ${got}`);
process.exit(1);
