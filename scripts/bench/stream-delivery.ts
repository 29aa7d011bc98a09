// How long a committed write takes to reach a client of the event stream (SSE): writes sent one
// at a time while one client follows `GET .../events/stream`; for each, the time from the write's
// answer to its event on the stream (0 when the event came first).

export interface StreamDelivery {
  /** From the write's answer to its event on the stream, one per write. */
  readonly samplesMs: readonly number[];
}

export async function streamDelivery(port: number, key: string, ledgerId: string, after: number, writes: number, body: (i: number) => Record<string, unknown>): Promise<StreamDelivery> {
  const base = `http://127.0.0.1:${port}/v1/ledgers/${ledgerId}`;
  const headers = { Authorization: `Bearer ${key}` };
  const ended = new AbortController();
  const stream = await fetch(`${base}/events/stream?after=${after}`, { headers, signal: ended.signal });
  if (!stream.ok || !stream.body) throw new Error(`the event stream answered ${stream.status}`);
  const seenAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const reading = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
        text += decoder.decode(chunk, { stream: true });
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const message = text.slice(0, end);
          text = text.slice(end + 2);
          const id = /"id":"(sse-[0-9]+)"/.exec(message)?.[1];
          if (!id) continue;
          seenAt.set(id, performance.now());
          waiting.get(id)?.();
        }
      }
    } catch (error) {
      if (!ended.signal.aborted) throw error;
    }
  })();
  const samplesMs: number[] = [];
  try {
    for (let i = 0; i < writes; i++) {
      const id = `sse-${i}`;
      const seen = new Promise<void>((resolve) => waiting.set(id, resolve));
      const answer = await fetch(`${base}/transactions`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body(i), id }) });
      const answeredAt = performance.now();
      if (answer.status !== 201) throw new Error(`a write for the stream answered ${answer.status}: ${await answer.text()}`);
      await answer.arrayBuffer();
      await Promise.race([seen, new Promise((_, reject) => setTimeout(() => reject(new Error(`${id} never came on the stream`)), 10_000))]);
      samplesMs.push(Math.max(0, seenAt.get(id)! - answeredAt));
    }
  } finally {
    ended.abort();
    await reading.catch(() => {});
  }
  return { samplesMs };
}
