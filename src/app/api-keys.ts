import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRow, LedgerStore } from './ports.ts';

export type Role = ApiKeyRow['role'];

/** Keys are stored only as their SHA-256: they are long random secrets, so no slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly ledgerIds: readonly string[] | null;
}

/** Creates a key; the secret is in the answer and nowhere else, ever. */
export async function createApiKey(store: LedgerStore, input: NewApiKey): Promise<ApiKeyRow & { key: string }> {
  const keyId = `key_${randomBytes(9).toString('base64url')}`;
  const key = `lk_${randomBytes(24).toString('base64url')}`;
  const row = { keyId, name: input.name, role: input.role, ledgerIds: input.role === 'admin' ? null : input.ledgerIds ?? [] };
  await store.createApiKey(row, hashApiKey(key));
  return { ...row, revoked: false, key };
}

/** How long a key found in the database is trusted without asking again: the bound on a revocation made elsewhere. */
export const KEY_CACHE_MS = 1000;
const KEY_CACHE_ENTRIES = 10_000;

/**
 * The keys presented in requests, each looked up in the database at most once every
 * KEY_CACHE_MS: a key revoked by another process is refused here within that bound, one revoked
 * by this process at once (`forget`). Unknown keys are not kept, so a key made by another process
 * works at once. At most KEY_CACHE_ENTRIES keys are kept, the oldest dropped first.
 */
export class ApiKeyCache {
  private readonly found = new Map<string, { readonly row: ApiKeyRow; readonly atMs: number }>();
  private readonly lookup: (keyHash: string) => Promise<ApiKeyRow | null>;
  private readonly nowMs: () => number;

  constructor(lookup: (keyHash: string) => Promise<ApiKeyRow | null>, nowMs: () => number = Date.now) {
    this.lookup = lookup;
    this.nowMs = nowMs;
  }

  /** The key presented in a request, if it is known and not revoked. */
  async authenticate(key: string): Promise<ApiKeyRow | null> {
    const keyHash = hashApiKey(key);
    const cached = this.found.get(keyHash);
    let row = cached && this.nowMs() - cached.atMs < KEY_CACHE_MS ? cached.row : undefined;
    if (row === undefined) {
      const fetched = await this.lookup(keyHash);
      if (fetched === null) return null;
      row = fetched;
      this.found.delete(keyHash);
      this.found.set(keyHash, { row, atMs: this.nowMs() });
      if (this.found.size > KEY_CACHE_ENTRIES) this.found.delete(this.found.keys().next().value!);
    }
    return row.revoked ? null : row;
  }

  /** A key this process revoked: refused from now on, not after the bound. */
  forget(keyId: string): void {
    for (const [keyHash, { row }] of this.found) if (row.keyId === keyId) this.found.delete(keyHash);
  }
}

/**
 * At start: `LEDGER_BOOTSTRAP_ADMIN_KEY` becomes an admin key; otherwise an empty database gets
 * a new admin key, which is returned so the caller prints it once.
 */
export async function bootstrapAdminKey(store: LedgerStore, bootstrapKey: string | undefined): Promise<string | null> {
  if (bootstrapKey) {
    const keyHash = hashApiKey(bootstrapKey);
    if (!(await store.apiKeyByHash(keyHash))) {
      await store.createApiKey({ keyId: `key_boot_${keyHash.slice(0, 12)}`, name: 'bootstrap admin', role: 'admin', ledgerIds: null }, keyHash);
    }
    return null;
  }
  if ((await store.countApiKeys()) > 0) return null;
  return (await createApiKey(store, { name: 'first admin', role: 'admin', ledgerIds: null })).key;
}
