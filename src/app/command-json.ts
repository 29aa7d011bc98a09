import type { Command, EffectiveInput, HoldResolutionInput, ReversalInput, TransactionInput } from '../domain/commands.ts';
import { assertNever } from '../domain/events.ts';
import { formatInstant, parseTimestamp, type Instant } from '../domain/time.ts';

/** A command as JSON (the rejection log keeps them): instants as RFC 3339 strings, to the microsecond. */
export function commandToJson(command: Command): unknown {
  return JSON.parse(JSON.stringify(command, (_key, value: unknown) => (typeof value === 'bigint' ? formatInstant(value) : value)));
}

type Wire<T> = { [K in keyof T]: T[K] extends Instant | undefined ? string | undefined : T[K] extends EffectiveInput | undefined ? string | { date: string } | undefined : T[K] };

function instant(text: string | undefined): Instant | undefined {
  if (text === undefined) return undefined;
  const parsed = parseTimestamp(text);
  if (parsed === undefined) throw new Error(`not a timestamp: ${text}`);
  return parsed;
}

const effective = (value: string | { date: string } | undefined): EffectiveInput | undefined => (typeof value === 'object' ? value : instant(value));

const transaction = (t: Wire<TransactionInput>): TransactionInput => ({ ...t, effectiveAt: effective(t.effectiveAt), expiresAt: instant(t.expiresAt) });
const reversal = (r: Wire<ReversalInput>): ReversalInput => ({ ...r, effectiveAt: effective(r.effectiveAt) });
const resolution = (r: Wire<HoldResolutionInput>): HoldResolutionInput => ({ ...r, effectiveAt: effective(r.effectiveAt) });

/** The command `commandToJson` wrote. */
export function commandFromJson(json: unknown): Command {
  const command = json as Command;
  switch (command.type) {
    case 'RecordTransaction':
      return { ...command, transaction: transaction(command.transaction as unknown as Wire<TransactionInput>) };
    case 'ReverseTransaction':
      return { ...command, reversal: reversal(command.reversal as unknown as Wire<ReversalInput>) };
    case 'CorrectTransaction':
      return { ...command, reversal: reversal(command.reversal as unknown as Wire<ReversalInput>), replacement: transaction(command.replacement as unknown as Wire<TransactionInput>) };
    case 'PostHold':
    case 'VoidHold':
      return { ...command, resolution: resolution(command.resolution as unknown as Wire<HoldResolutionInput>) };
    case 'CreateLedger':
    case 'DeclareAsset':
    case 'OpenAccount':
    case 'CloseAccount':
    case 'ClosePeriod':
      return command;
    default:
      return assertNever(command);
  }
}
