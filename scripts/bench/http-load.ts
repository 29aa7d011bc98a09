import { connect, type Socket } from 'node:net';

// A keep-alive HTTP/1.1 load client on plain sockets: a request written whole, the answer read
// to its Content-Length, the next request on the same connection. It costs the machine far less
// than fetch or node:http per request, and the machine is shared with the server and PostgreSQL.

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One keep-alive connection, one request at a time. */
export class HttpConnection {
  private readonly socket: Socket;
  private buffer: Buffer = Buffer.alloc(0);
  /** The chunks of an answer's body not yet all here, and how many bytes the answer has in all. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private expected = 0;
  private waiting: { resolve: (answer: HttpAnswer) => void; reject: (error: Error) => void } | null = null;
  private readonly headers: string;

  private constructor(socket: Socket, headers: Record<string, string>) {
    this.socket = socket;
    this.headers = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    const fail = (error: Error) => {
      this.waiting?.reject(error);
      this.waiting = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the connection closed')));
  }

  static open(port: number, headers: Record<string, string>): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new HttpConnection(socket, headers));
      });
      socket.once('error', reject);
    });
  }

  send(request: HttpRequest): Promise<HttpAnswer> {
    if (this.waiting) throw new Error('one request at a time on a connection');
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const head = `${request.method} ${request.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${this.headers}`
      + (body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '') + '\r\n';
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(body ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    // A large answer's chunks are kept until it is whole and joined once (joining each chunk to
    // the ones before copied a 4 MB answer about 60 times: 50 ms of this process's CPU).
    if (this.expected > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.expected) return;
      chunk = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.expected = 0;
    }
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = /\r\ncontent-length: *([0-9]+)/i.exec(head);
    if (!length) {
      this.waiting?.reject(new Error(`an answer without Content-Length: ${head}`));
      this.waiting = null;
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buffer.length < total) {
      this.pending = [this.buffer];
      this.pendingBytes = this.buffer.length;
      this.expected = total;
      this.buffer = Buffer.alloc(0);
      return;
    }
    // The body is decoded when asked for: a load reads most answers' status only.
    const bytes = this.buffer.subarray(end + 4, total);
    const answer = { status: Number(head.slice(9, 12)), get body() { return bytes.toString('utf8'); } };
    this.buffer = this.buffer.subarray(total);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(answer);
  }
}

export interface LoadResult {
  /** Requests answered in the run. */
  readonly answered: number;
  readonly seconds: number;
  /** Each request's latency, in ms. */
  readonly samplesMs: number[];
}

/**
 * `connections` connections sending `next(i)` requests one after the other until `until()` says
 * stop (checked before each request) or `next` answers null. A non-2xx answer fails the run.
 */
export async function runLoad(
  port: number, headers: Record<string, string>, connections: number,
  next: (index: number) => HttpRequest | null, until: () => boolean = () => false,
): Promise<LoadResult> {
  const open = await Promise.all(Array.from({ length: connections }, () => HttpConnection.open(port, headers)));
  const samplesMs: number[] = [];
  let index = 0;
  const started = performance.now();
  try {
    await Promise.all(open.map(async (connection) => {
      for (;;) {
        if (until()) return;
        const request = next(index++);
        if (!request) return;
        const sentMs = performance.now();
        const answer = await connection.send(request);
        if (answer.status < 200 || answer.status > 299) throw new Error(`${request.method} ${request.path} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        samplesMs.push(performance.now() - sentMs);
      }
    }));
  } finally {
    for (const connection of open) connection.close();
  }
  return { answered: samplesMs.length, seconds: (performance.now() - started) / 1000, samplesMs };
}

/**
 * A JSON call through fetch, for a probe's setup (not timed): its answer, parsed; an answer that
 * is not 2xx fails, unless its status is one of `allowed`.
 */
export function jsonCaller(port: number, headers: Record<string, string>, allowed: readonly number[] = []) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok && !allowed.includes(response.status)) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  };
}
