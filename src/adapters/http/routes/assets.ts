import { z } from '@hono/zod-openapi';
import { route } from '../access.ts';
import { runWrite, written } from '../handler-kit.ts';
import { body, IDEMPOTENCY_KEY_HEADER, json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { presentDeclaredAsset } from '../presenters.ts';
import { AssetResponse, DeclareAssetBody, LedgerId } from '../schemas.ts';

const declareAsset = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/assets', operationId: 'declareAsset', summary: 'Declare a custom asset', ...ledgerTag('assets'),
  request: { params: z.object({ ledgerId: LedgerId }), ...body(DeclareAssetBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(AssetResponse, 'Declared'), 200: json(AssetResponse, 'Replayed'), ...PROBLEMS },
});

export const assetRoutes = routesApp().openapi(declareAsset, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const input = c.req.valid('json');
  const outcome = await runWrite(c, ledgerId, 'assets.declare', { type: 'DeclareAsset', ...input }, input);
  return written(c, outcome, presentDeclaredAsset(outcome.events[0]!));
});
