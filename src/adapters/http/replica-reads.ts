import type { MiddlewareHandler } from 'hono';
import type { ReadPin } from '../db/read-replica.ts';
import { parseTimestamp } from '../../domain/time.ts';
import type { AppEnv } from './env.ts';

const POSITION = /^(0|[1-9][0-9]{0,15})$/;

/** The recorded coordinate a read's query pins, when it pins exactly one that parses. */
function pinOf(position: string | undefined, recordedAsOf: string | undefined): ReadPin | undefined {
  if (position !== undefined && recordedAsOf !== undefined) return undefined; // refused by the route
  if (position !== undefined) return POSITION.test(position) ? { position: Number(position) } : undefined;
  const recordedAt = recordedAsOf === undefined ? undefined : parseTimestamp(recordedAsOf);
  return recordedAt === undefined ? undefined : { recordedAt };
}

/**
 * Sends a ledger read pinned to a recorded coordinate (`recordedAsOfPosition` or `recordedAsOf`)
 * to the read replica when the replica already holds the log through it. The answer as of a
 * past point never changes, so it is the primary's answer. Unpinned reads, reads the replica is
 * behind for, and reads while it does not answer stay on the primary. Keys are checked on the
 * primary before this, so a revocation holds at once.
 */
export const pinnedReadsToReplica: MiddlewareHandler<AppEnv> = async (c, next) => {
  const deps = c.get('deps');
  const replica = deps.readReplica;
  const ledgerId = c.req.param('ledgerId');
  const pin = replica && c.req.method === 'GET' && ledgerId ? pinOf(c.req.query('recordedAsOfPosition'), c.req.query('recordedAsOf')) : undefined;
  // A statement side by side reads at a second point too: the replica must hold both.
  const comparePosition = c.req.query('compareRecordedAsOfPosition');
  const compareRecordedAsOf = c.req.query('compareRecordedAsOf');
  const compare = comparePosition === undefined && compareRecordedAsOf === undefined ? null : pinOf(comparePosition, compareRecordedAsOf);
  const covered = async (p: ReadPin) => replica!.covers(ledgerId!, p).catch(() => false);
  if (replica && ledgerId && pin && compare !== undefined && (await covered(pin)) && (compare === null || (await covered(compare)))) {
    c.set('deps', { ...deps, store: replica.store });
    c.set('readFrom', 'replica');
  }
  await next();
};
