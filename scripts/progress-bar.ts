// A progress bar on stderr for the command-line tools: redrawn in place on a terminal, and on
// anything else (a log file, CI) a plain line at each tenth, so a redirected stderr stays readable;
// each shows the items a second so far.

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
  const started = performance.now();
  // Items a second since the bar began, once there is something to divide.
  const rate = () => {
    const seconds = (performance.now() - started) / 1000;
    return done > 0 && seconds > 0 ? `, ${Math.round(done / seconds).toLocaleString('en-US')}/s` : '';
  };
  const draw = () => {
    const share = total === 0 ? 1 : Math.min(done / total, 1);
    if (stream.isTTY) {
      const filled = Math.round(share * WIDTH);
      stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${Math.floor(share * 100)}% ${done}/${total}${rate()}\x1b[K`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth > lastTenth) stream.write(`${label}: ${tenth * 10}% ${done}/${total}${rate()}\n`);
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
