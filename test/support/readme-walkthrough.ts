// The README's walkthrough as data: its tested shell blocks, the curl commands in them, and what
// the `# → STATUS {json}` comment after each one says it answers. The rule, also written in the
// README: a block is tested when its fence is ```sh walkthrough (GitHub renders it as sh); any
// other block, in any section, is left alone.

const FENCE = /^```sh walkthrough\s*$/;
const FENCE_END = /^```\s*$/;
/** A line that runs curl: at its start, after `$(`, a pipe, `;`, `&&` or `||`. Comment lines never. */
const CURL = /(^|[\s$(|;&])curl\s/;
/** `# → 201 {"id": "acme"}`: the status, then what the answer holds (JSON: a part of the body; or a "string" it contains). */
const EXPECTATION = /^\s*# → (\d{3})\b\s*(.*)$/;
/** An expectation goes on over the comment lines right after it that are indented by at least four spaces. */
const CONTINUATION = /^\s*# {4,}(.*)$/;
/** `# prints: <a line>`: a line the run writes to its output (for what is not a curl call). */
const PRINTS = /^\s*# prints: (.*)$/;

export interface Expectation {
  readonly status: number;
  /** A JSON value the answer must match (objects: these fields at least), a string the answer contains, or nothing. */
  readonly body: unknown;
  readonly readmeLine: number;
}

export interface CurlCommand {
  /** The README line the command starts on (1-based). */
  readonly readmeLine: number;
  readonly text: string;
  expectation?: Expectation;
}

export interface WalkthroughBlock {
  /** The README line of the block's first line of code (1-based). */
  readonly firstLine: number;
  readonly lines: readonly string[];
  readonly commands: readonly CurlCommand[];
  /** The lines its `# prints:` comments say the run writes. */
  readonly prints: readonly string[];
}

/** The tested blocks of a README, in order, each with its curl commands and their expectations; throws on a malformed one. */
export function walkthroughBlocks(markdown: string): WalkthroughBlock[] {
  const all = markdown.split('\n');
  const blocks: WalkthroughBlock[] = [];
  for (let i = 0; i < all.length; i += 1) {
    if (!FENCE.test(all[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < all.length && !FENCE_END.test(all[end]!)) end += 1;
    if (end === all.length) throw new Error(`README.md:${i + 1}: a walkthrough block is never closed`);
    const lines = all.slice(start, end);
    const prints = lines.map((line) => PRINTS.exec(line)?.[1]).filter((line) => line !== undefined);
    blocks.push({ firstLine: start + 1, lines, commands: commandsOf(lines, start + 1), prints });
    i = end;
  }
  return blocks;
}

function commandsOf(lines: readonly string[], firstLine: number): CurlCommand[] {
  const commands: CurlCommand[] = [];
  for (let j = 0; j < lines.length; j += 1) {
    const line = lines[j]!;
    const readmeLine = firstLine + j;
    const expected = EXPECTATION.exec(line);
    if (expected) {
      let text = expected[2]!;
      while (j + 1 < lines.length && CONTINUATION.test(lines[j + 1]!)) text += ` ${CONTINUATION.exec(lines[(j += 1)]!)![1]}`;
      const command = commands.at(-1);
      if (!command || command.expectation) throw new Error(`README.md:${readmeLine}: an expectation with no curl command before it`);
      command.expectation = { status: Number(expected[1]), body: parseExpected(text, readmeLine), readmeLine };
    } else if (!line.trimStart().startsWith('#') && CURL.test(line)) {
      commands.push({ readmeLine, text: line.trim() });
    }
  }
  const silent = commands.find((c) => !c.expectation);
  if (silent) throw new Error(`README.md:${silent.readmeLine}: the curl command does not say what it answers (# → STATUS ...): ${silent.text}`);
  return commands;
}

function parseExpected(text: string, readmeLine: number): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`README.md:${readmeLine}: the expected answer is not JSON: ${(error as Error).message}: ${text}`, { cause: error });
  }
}

/**
 * Bash that runs the blocks in order, in one shell (they share variables), stopping at the first
 * failing command. `curl` is wrapped: each call also appends `scriptLine status base64(body)` to
 * $WALK_LOG. `baseUrl` replaces the README's http://localhost:3000. Returns the script and, for
 * each of its lines (0-based), the README line it came from.
 */
export function walkthroughScript(blocks: readonly WalkthroughBlock[], baseUrl: string): { script: string; readmeLineOf: readonly (number | undefined)[] } {
  const prelude = [
    'set -euo pipefail',
    // Which command stopped the run, by its script line (the test names the README line).
    'trap \'echo "walkthrough stopped: exit $? at script line $LINENO: $BASH_COMMAND" >&2\' ERR',
    'curl() {',
    '  local line=${BASH_LINENO[0]} out rc=0',
    "  out=$(command curl -S -w '\\n%{http_code}' \"$@\") || rc=$?",
    "  printf '%s %s %s\\n' \"$line\" \"${out##*$'\\n'}\" \"$(printf '%s' \"${out%$'\\n'*}\" | base64 -w0)\" >> \"$WALK_LOG\"",
    "  printf '%s\\n' \"${out%$'\\n'*}\"",
    '  return "$rc"',
    '}',
  ];
  const lines: string[] = [...prelude];
  const readmeLineOf: (number | undefined)[] = prelude.map(() => undefined);
  for (const block of blocks) {
    block.lines.forEach((line, j) => {
      lines.push(line.replaceAll('http://localhost:3000', baseUrl));
      readmeLineOf.push(block.firstLine + j);
    });
  }
  return { script: `${lines.join('\n')}\n`, readmeLineOf };
}

export interface Call {
  /** The README line of the curl command that made it. */
  readonly readmeLine: number;
  readonly status: number;
  readonly body: string;
}

/** The calls a run logged, in order, each placed at the README line of its command. */
export function callsOf(log: string, readmeLineOf: readonly (number | undefined)[]): Call[] {
  return log.split('\n').filter((line) => line !== '').map((line) => {
    const [scriptLine, status, body] = line.split(' ');
    const readmeLine = readmeLineOf[Number(scriptLine) - 1];
    if (readmeLine === undefined) throw new Error(`a curl call from line ${scriptLine} of the script, outside the README's blocks`);
    return { readmeLine, status: Number(status), body: Buffer.from(body ?? '', 'base64').toString('utf8') };
  });
}
