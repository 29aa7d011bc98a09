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

/** The key presented in a request, if it is known and not revoked. */
export async function authenticate(store: LedgerStore, key: string): Promise<ApiKeyRow | null> {
  const row = await store.apiKeyByHash(hashApiKey(key));
  return row && !row.revoked ? row : null;
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
