// Turns an exported event feed (NDJSON, as `npm run export` writes it) into an hledger journal on
// standard output, with no database; the mapping is src/app/hledger.ts's.
//   npm run --silent export:hledger -- export.ndjson [--recorded-as-of-position N] > books.journal
// The hash chain is checked from position 1 first. Exits 0 with the journal, 1 when the feed
// cannot be read or is not a valid feed, 2 on bad arguments.
import { readFileSync } from 'node:fs';
import { CHAIN_START, checkChain } from '../src/app/hash-chain.ts';
import { eventFromFeedJson } from '../src/app/feed-json.ts';
import { hledgerJournal } from '../src/app/hledger.ts';
import type { RecordedEvent } from '../src/domain/events.ts';

const USAGE = 'usage: npm run --silent export:hledger -- <export.ndjson> [--recorded-as-of-position N] > books.journal';

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function invalid(message: string): never {
  console.error(`export:hledger: ${message}`);
  process.exit(1);
}

const [file, flag, positionArg, ...rest] = process.argv.slice(2);
if (!file || file.startsWith('--') || rest.length > 0) usage('expected a feed file and an optional --recorded-as-of-position N');
if (flag !== undefined && flag !== '--recorded-as-of-position') usage(`unknown option ${flag}`);
if (flag !== undefined && !/^[1-9][0-9]{0,15}$/.test(positionArg ?? '')) usage('--recorded-as-of-position takes a position from 1');
const recordedAsOfPosition = positionArg === undefined ? undefined : Number(positionArg);

let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (error) {
  invalid(`cannot read ${file}: ${(error as Error).message}`);
}

const events: RecordedEvent[] = [];
for (const [index, line] of text.split('\n').entries()) {
  if (line.trim() === '') continue;
  try {
    events.push(eventFromFeedJson(line));
  } catch (error) {
    invalid(`${file} line ${index + 1} is not an event of the feed: ${(error as Error).message}`);
  }
}
const { firstBadPosition } = checkChain(CHAIN_START, events);
if (firstBadPosition !== null) invalid(`${file}: the hash chain breaks at position ${firstBadPosition} (npm run verify -- ${file} says more)`);
const head = events.at(-1)?.position ?? 0;
if (recordedAsOfPosition !== undefined && recordedAsOfPosition > head) usage(`${file} ends at position ${head}, before position ${recordedAsOfPosition}`);

try {
  process.stdout.write(hledgerJournal(events, { recordedAsOfPosition }));
} catch (error) {
  invalid(`${file} is not a valid feed: ${(error as Error).message}`);
}
