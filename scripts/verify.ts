// Verifies an exported event feed (NDJSON, one event per line as GET .../events gives them) with
// no database: the hash chain from position 1, and optionally a digest kept earlier.
//   npm run verify -- export.ndjson [--digest HASH@POSITION]
// Prints the verdict; exits 0 when it verifies, 1 when it does not, 2 on bad arguments.
import { accessSync, constants, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CHAIN_START, checkChain } from '../src/app/hash-chain.ts';
import { eventFromFeedJson } from '../src/app/feed-json.ts';
import type { RecordedEvent } from '../src/domain/events.ts';

function usage(message: string): never {
  console.error(`${message}\nusage: npm run verify -- <export.ndjson> [--digest HASH@POSITION]`);
  process.exit(2);
}

const [file, flag, digestArg] = process.argv.slice(2);
if (!file || (flag !== undefined && flag !== '--digest')) usage('expected a file and an optional --digest');
const digest = digestArg === undefined ? undefined : /^([0-9a-f]{64})@([1-9][0-9]*)$/.exec(digestArg);
if (flag === '--digest' && !digest) usage('--digest takes HASH@POSITION');
try {
  accessSync(file!, constants.R_OK);
} catch (error) {
  usage(`cannot read ${file}: ${(error as Error).message}`);
}

let cursor = CHAIN_START;
let hashAtDigest: string | undefined;
let lineNumber = 0;
for await (const line of createInterface({ input: createReadStream(file!), crlfDelay: Infinity })) {
  lineNumber += 1;
  if (line.trim() === '') continue;
  let event: RecordedEvent;
  try {
    event = eventFromFeedJson(line);
  } catch (error) {
    console.log(`BAD at position ${cursor.position + 1}: line ${lineNumber}: ${(error as Error).message}`);
    process.exit(1);
  }
  const checked = checkChain(cursor, [event]);
  if (checked.firstBadPosition !== null) {
    console.log(`BAD at position ${checked.firstBadPosition}: the chain breaks there (verified through ${cursor.position})`);
    process.exit(1);
  }
  cursor = checked.cursor;
  if (digest && cursor.position === Number(digest[2])) hashAtDigest = cursor.hash;
}
if (digest && hashAtDigest !== digest[1]) {
  const position = Number(digest[2]);
  const at = position > cursor.position ? cursor.position + 1 : position;
  console.log(`BAD at position ${at}: the export does not match the digest ${digest[1]}@${position} (verified through ${cursor.position})`);
  process.exit(1);
}
if (cursor.position === 0) {
  console.log('BAD at position 1: the export holds no event (every ledger starts with LedgerCreated)');
  process.exit(1);
}
console.log(`OK: verified positions 1 to ${cursor.position}, head hash ${cursor.hash}${digest ? `, matching the digest at ${digest[2]}` : ''}`);
