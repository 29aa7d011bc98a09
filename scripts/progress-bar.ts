// A progress bar on stderr for the command-line tools: redrawn in place on a terminal, and on
// anything else (a log file, CI) a plain line at each tenth, so a redirected stderr stays readable.

const WIDTH = 40;

export interface ProgressBar {
  /** `done` more items out of the total. */
  advance(done: number): void;
  /** `done` items out of the total so far. */
  update(done: number): void;
  /** Ends the bar's line. */
  finish(): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  let done = 0;
  let lastTenth = -1;
  const draw = () => {
    const share = total === 0 ? 1 : Math.min(done / total, 1);
    if (stream.isTTY) {
      const filled = Math.round(share * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${Math.floor(share * 100)}% ${done}/${total}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth > lastTenth) stream.write(`${label}: ${tenth * 10}% ${done}/${total}\n`);
    lastTenth = tenth;
  };
  draw();
  return {
    advance(n) {
      done += n;
      draw();
    },
    update(n) {
      done = n;
      draw();
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
