// The console's one way to the service: GET /v1 with the signed-in key. Every call counts in
// body[data-pending] until its screen is drawn, so tests and users can tell when the page settled.
import { describeProblem } from './problems.ts';

export interface Answer<T> {
  readonly status: number;
  /** The answer's JSON when it is a success, else null. */
  readonly body: T | null;
  /** What went wrong, in words for the user (naming every bad field), or null. */
  readonly problem: string | null;
}

let pending = 0;

/** Counts `promise` in body[data-pending] while it runs. */
export function track<T>(promise: Promise<T>): Promise<T> {
  pending += 1;
  document.body.dataset.pending = String(pending);
  return promise.finally(() => {
    pending -= 1;
    document.body.dataset.pending = String(pending);
  });
}

export type Params = Readonly<Record<string, string | number | null | undefined>>;

export interface Api {
  get<T>(path: string, params?: Params): Promise<Answer<T>>;
}

/** An API client with `key`; `onUnauthorized` runs when the service refuses the key (401). */
export function createApi(key: string, onUnauthorized: () => void): Api {
  return {
    async get<T>(path: string, params: Params = {}): Promise<Answer<T>> {
      const url = new URL(path, location.origin);
      for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
      let response: Response;
      try {
        response = await track(fetch(url, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' }, cache: 'no-store' }));
      } catch (error) {
        return { status: 0, body: null, problem: `The service cannot be reached: ${(error as Error).message}` };
      }
      const body: unknown = await response.json().catch(() => null);
      if (response.status === 401) onUnauthorized();
      if (!response.ok) return { status: response.status, body: null, problem: describeProblem(response.status, body) };
      return { status: response.status, body: body as T, problem: null };
    },
  };
}

/** Every page of a paged list (`items`, `nextCursor`), up to `maxPages`. */
export async function allPages<T>(api: Api, path: string, params: Params, maxPages = 20): Promise<{ items: T[]; complete: boolean; problem: string | null }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const answer: Answer<{ items: T[]; nextCursor: string | null }> = await api.get(path, { ...params, limit: 1000, cursor });
    if (answer.problem || !answer.body) return { items, complete: false, problem: answer.problem ?? 'no answer' };
    items.push(...answer.body.items);
    cursor = answer.body.nextCursor;
    if (!cursor) return { items, complete: true, problem: null };
  }
  return { items, complete: false, problem: null };
}
