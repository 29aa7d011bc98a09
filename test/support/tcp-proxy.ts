import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the service and PostgreSQL that can cut a connection right after it sends
 * COMMIT: the COMMIT reaches PostgreSQL, which commits, and the answer never comes back; then
 * both sides are closed. The client's side of the wire protocol is read to find the COMMIT: a
 * simple query, a Parse of it, or (as the driver prepares statements) a Bind of a statement
 * prepared earlier on that connection as COMMIT. An append in one round trip (the autocommit
 * statement that begins with the `ledger_check` CTE, which commits on its own) counts as a
 * COMMIT; a large batch's `select ledger_append_check(...)`, in a transaction, does not.
 */
export interface CommitCutter {
  readonly port: number;
  /** Cuts the next connection that sends COMMIT; resolves once it is cut. */
  cutNextCommit(): Promise<void>;
  close(): Promise<void>;
}

/** How long after the COMMIT the connection is closed: PostgreSQL has committed well before. */
const CUT_AFTER_MS = 100;
const COMMIT = /^\s*commit\s*;?\s*$|^\s*with ledger_check as /i;

export async function commitCutter(targetPort: number): Promise<CommitCutter> {
  let armed: (() => void) | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    // After an armed COMMIT, PostgreSQL's answers are held: if one is an error (an append whose
    // check failed records nothing), they go on to the service and the cut waits for the next
    // COMMIT; else the answer to the COMMIT, and anything after, is dropped and the connection cut.
    let held: Buffer[] | null = null;
    let failed = false;
    const reader = new FrontendReader((isCommit) => {
      if (!isCommit || !armed || held) return;
      const done = armed;
      armed = null;
      held = [];
      failed = false;
      setTimeout(() => {
        if (failed) {
          for (const chunk of held!) client.write(chunk);
          held = null;
          armed = done;
          return;
        }
        client.destroy();
        upstream.destroy();
        done();
      }, CUT_AFTER_MS);
    });
    const answers = new BackendReader((type) => {
      if (held && type === 'E') failed = true;
    });
    client.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (held) held.push(chunk);
      else client.write(chunk);
      answers.push(chunk);
    });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cutNextCommit: () => new Promise<void>((resolve) => (armed = resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Reads the frontend messages of one connection and says, for each, whether it runs COMMIT. */
class FrontendReader {
  private buffer = Buffer.alloc(0);
  private startupDone = false;
  private readonly prepared = new Map<string, string>();
  private readonly onMessage: (isCommit: boolean) => void;

  constructor(onMessage: (isCommit: boolean) => void) {
    this.onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.startupDone) {
        // The startup message has no type byte: a length, then the rest.
        if (this.buffer.length < 4) return;
        const length = this.buffer.readUInt32BE(0);
        if (this.buffer.length < length) return;
        this.buffer = this.buffer.subarray(length);
        this.startupDone = true;
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const body = this.buffer.subarray(5, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      this.onMessage(this.isCommit(type, body));
    }
  }

  private isCommit(type: string, body: Buffer): boolean {
    const strings = body.toString('latin1').split('\0');
    if (type === 'Q') return COMMIT.test(strings[0]!);
    if (type === 'P') {
      this.prepared.set(strings[0]!, strings[1]!);
      return false;
    }
    // Bind: the portal's name, then the statement's. The COMMIT runs at the Execute after it,
    // which comes in the same write.
    if (type === 'B') return COMMIT.test(this.prepared.get(strings[1]!) ?? '');
    return false;
  }
}

/** Reads the backend messages of one connection and says the type of each. */
class BackendReader {
  private buffer = Buffer.alloc(0);
  private readonly onMessage: (type: string) => void;

  constructor(onMessage: (type: string) => void) {
    this.onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      this.onMessage(String.fromCharCode(this.buffer[0]!));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}
