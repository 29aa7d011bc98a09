import { z } from '@hono/zod-openapi';
import { createApiKey } from '../../../app/api-keys.ts';
import { route } from '../access.ts';
import { body, json, ledgerTag, NO_BODY, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { ProblemError } from '../problem.ts';
import { ApiKey, CreateKeyBody, KeyId } from '../schemas.ts';

const createKey = route({
  method: 'post', path: '/v1/keys', operationId: 'createKey', summary: 'Create an API key; the key is shown only in this answer (admin)', ...ledgerTag('keys'),
  request: body(CreateKeyBody),
  responses: { 201: json(ApiKey, 'Created'), ...PROBLEMS },
});

const revokeKey = route({
  method: 'post', path: '/v1/keys/{id}/revoke', operationId: 'revokeKey', summary: 'Revoke an API key (admin)', ...ledgerTag('keys'),
  request: { params: z.object({ id: KeyId }), ...NO_BODY },
  responses: { 200: json(ApiKey, 'Revoked'), ...PROBLEMS },
});

const currentKey = route({
  method: 'get', path: '/v1/keys/current', operationId: 'getCurrentKey',
  summary: 'The calling key: its id, name, role and ledgers (any role), so a client can tell what it may do', ...ledgerTag('keys'),
  responses: { 200: json(ApiKey, 'The calling key, without its secret'), ...PROBLEMS },
});

export const keyRoutes = routesApp()
  .openapi(currentKey, (c) => {
    const key = c.get('key')!;
    return c.json({ id: key.keyId, name: key.name, role: key.role, ledgerIds: key.ledgerIds ? [...key.ledgerIds] : null }, 200);
  })
  .openapi(createKey, async (c) => {
    const input = c.req.valid('json');
    if (input.role === 'admin' && input.ledgerIds !== undefined) {
      throw new ProblemError('VALIDATION_FAILED', 'An admin key has every ledger: omit ledgerIds.', [{ path: 'ledgerIds', message: 'not allowed for an admin key' }]);
    }
    if (input.role !== 'admin' && (input.ledgerIds ?? []).length === 0) {
      const example = JSON.stringify({ name: `${input.role} for acme`, role: input.role, ledgerIds: ['acme'] });
      const [a, A] = input.role === 'auditor' ? ['an', 'An'] : ['a', 'A'];
      throw new ProblemError('VALIDATION_FAILED', `${A} ${input.role} key may use only the ledgers it is given: send their ids in ledgerIds, such as ${example}.`, [
        { path: 'ledgerIds', message: `required for ${a} ${input.role} key: the ids of the ledgers it may use, such as ["acme"]` },
      ]);
    }
    const created = await createApiKey(c.get('deps').store, { name: input.name, role: input.role, ledgerIds: input.ledgerIds ?? null });
    return c.json({ id: created.keyId, key: created.key, name: created.name, role: created.role, ledgerIds: created.ledgerIds ? [...created.ledgerIds] : null }, 201);
  })
  .openapi(revokeKey, async (c) => {
    const { id } = c.req.valid('param');
    const { store } = c.get('deps');
    const key = await store.apiKeyById(id);
    if (!key) throw new ProblemError('NOT_FOUND', `Key ${id} does not exist.`);
    await store.revokeApiKey(id);
    c.get('keys').forget(id);
    return c.json({ id: key.keyId, name: key.name, role: key.role, ledgerIds: key.ledgerIds ? [...key.ledgerIds] : null, revoked: true }, 200);
  });
