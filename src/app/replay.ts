import type { Command } from '../domain/commands.ts';
import { decide, type Decision } from '../domain/decide.ts';
import type { RecordedEvent } from '../domain/events.ts';
import { isRejection } from '../domain/rejection.ts';
import { evolve, foldLog } from '../domain/state.ts';
import type { Instant } from '../domain/time.ts';

/** What a replay needs of an entry of the rejection log. */
export interface JudgedCommands {
  readonly position: number;
  readonly recordedAt: Instant;
  readonly commands: readonly Command[];
}

/**
 * Decides a logged refusal again: folds the log up to the position it was judged at, then
 * decides its commands in order at its recorded time. The last decision is the answer; for a
 * refusal of a domain rule it is the same rejection. An IDEMPOTENCY_CONFLICT is judged against
 * the requests that earlier writes sent, which the events do not hold: it does not replay.
 */
export function replayRejection(events: readonly RecordedEvent[], judged: JudgedCommands): Decision {
  let state = foldLog(events.filter((e) => e.position <= judged.position));
  let position = judged.position;
  let decision: Decision = [];
  for (const command of judged.commands) {
    decision = decide(command, state, { recordedAt: judged.recordedAt });
    if (isRejection(decision)) return decision;
    for (const event of decision) state = evolve(state, event, { position: ++position, recordedAt: judged.recordedAt });
  }
  return decision;
}
