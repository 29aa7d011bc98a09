import { z } from '@hono/zod-openapi';
import { ACCOUNT_TYPES } from '../../domain/account-type.ts';
import { ASSET_CODE_PATTERN, MAX_ASSET_SCALE } from '../../domain/assets.ts';
import { AMOUNT_PATTERN } from '../../domain/money.ts';
import { impossibleDateReason, isValidTimeZone, parsePlainDate, parseTimestamp } from '../../domain/time.ts';

export const LEDGER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;
export const MAX_PAGE_SIZE = 1000;
export const MAX_POSTINGS = 1000;

export const LedgerId = z.string().regex(LEDGER_ID_PATTERN, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 63')
  .openapi({ example: 'acme' });
export const EntityId = z.string().regex(ENTITY_ID_PATTERN, 'letters, digits and : . _ -, starting with a letter or digit, at most 128')
  .openapi({ example: 'customer:42:wallet' });
export const AccountPrefix = z.string().regex(/^[A-Za-z0-9:._-]{0,128}$/, 'the start of an account id');
export const KeyId = z.string().regex(/^key_[A-Za-z0-9_-]{1,60}$/, 'a key id');

export const AssetCode = z.string().regex(ASSET_CODE_PATTERN, 'an ISO 4217 code or a custom asset code').openapi({ example: 'USD' });

/** What zod says of a value of the wrong type: that a missing one is required, else what the field takes (`ofNumber` to a JSON number). */
const expected = (what: string, ofNumber = what) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : typeof issue.input === 'number' ? ofNumber : what),
});

export const Amount = z.string(expected('a decimal string such as "10.50"', 'amounts are decimal strings such as "10.50", not JSON numbers, so that nothing is ever rounded'))
  .regex(AMOUNT_PATTERN, 'a decimal string such as "10.50": no sign, exponent or separators')
  .refine((s) => /[1-9]/.test(s), 'must be greater than zero')
  .openapi({ example: '10.50' });

/** A refinement's message: a day that does not exist (`2026-02-30`) named as such, else what the field takes. */
const orImpossibleDate = (what: string) => ({ error: (issue: { input?: unknown }) => (typeof issue.input === 'string' && impossibleDateReason(issue.input)) || what });

export const Timestamp = z.string()
  .refine((s) => parseTimestamp(s) !== undefined, orImpossibleDate('an RFC 3339 timestamp with an offset, at most 6 fraction digits, years 1900 to 9999'))
  .openapi({ example: '2026-03-01T10:00:00.000000Z' });

// A plain date is read in the ledger's timezone, up to 14 hours from UTC: a day of margin keeps
// every instant it becomes inside 1900 to 9999, where timestamps round-trip.
const isPlainDateInRange = (s: string) => parsePlainDate(s) !== undefined && s > '1900-01-01' && s < '9999-12-31';

export const PlainDate = z.string().refine(isPlainDateInRange, orImpossibleDate('a date YYYY-MM-DD from 1900-01-02 to 9999-12-30')).openapi({ example: '2026-03-31' });

export const TimestampOrDate = z.string()
  .refine((s) => parseTimestamp(s) !== undefined || isPlainDateInRange(s), orImpossibleDate('an RFC 3339 timestamp with an offset, or a date YYYY-MM-DD from 1900-01-02 to 9999-12-30'))
  .openapi({ example: '2026-03-31' });

export const Metadata = z.record(z.string(), z.unknown()).openapi({ example: { invoice: 'INV-7' } });

export const TimeZone = z.string().refine(isValidTimeZone, 'an IANA timezone name').openapi({ example: 'Europe/Paris' });

export const Direction = z.enum(['debit', 'credit']);

export const AccountType = z.enum(ACCOUNT_TYPES, { error: `one of ${ACCOUNT_TYPES.join(', ')}` }).openapi({
  description: 'Fixed at opening: asset and expense accounts are debit-normal, liability, equity and income accounts credit-normal',
});

/** The read coordinates of spec section 3, accepted by every read. */
export const AsOfQuery = z.strictObject({
  recordedAsOf: Timestamp.optional(),
  recordedAsOfPosition: z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'a position').optional(),
  effectiveAsOf: TimestampOrDate.optional(),
});

export const PageQuery = z.strictObject({
  limit: z.string().regex(/^[1-9][0-9]{0,3}$/, 'a whole number from 1').refine((s) => Number(s) <= MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE}`).optional(),
  cursor: z.string().max(512).optional(),
});

export const AsOf = z.object({
  position: z.number().int(),
  recordedAt: z.string().nullable(),
  effectiveAt: z.string(),
}).openapi('AsOf');

export const CreateLedgerBody = z.strictObject({
  id: LedgerId,
  name: z.string().min(1).max(200),
  timezone: TimeZone.optional(),
}).openapi('CreateLedger');

export const Ledger = z.object({
  id: z.string(), name: z.string(), timezone: z.string(), head: z.number().int(), closedThrough: z.string().nullable(),
  position: z.number().int().optional(), recordedAt: z.string().optional(),
}).openapi('Ledger');

export const DeclareAssetBody = z.strictObject({
  code: AssetCode,
  scale: z.number().int().min(0).max(MAX_ASSET_SCALE),
}).openapi('DeclareAsset');

export const AssetResponse = z.object({ code: z.string(), scale: z.number().int(), position: z.number().int(), recordedAt: z.string() }).openapi('Asset');

export const OpenAccountBody = z.strictObject({
  id: EntityId,
  name: z.string().max(200).optional(),
  normalBalance: Direction,
  currency: AssetCode,
  noOverdraft: z.boolean().optional(),
  metadata: Metadata.optional(),
  type: AccountType.optional(),
}).openapi('OpenAccount');

export const Account = z.object({
  id: z.string(), name: z.string(), normalBalance: Direction, currency: z.string(), noOverdraft: z.boolean(),
  metadata: Metadata, type: AccountType.nullable().openapi({ description: 'Null for an account opened without a type' }), status: z.enum(['open', 'closed']), position: z.number().int(), recordedAt: z.string(),
  asOf: AsOf.optional(),
}).openapi('Account');

export const PostingBody = z.strictObject({
  accountId: EntityId,
  direction: Direction,
  amount: Amount,
  currency: AssetCode.optional(),
}).openapi('PostingInput');

export const TransactionBody = z.strictObject({
  id: EntityId.optional(),
  status: z.enum(['posted', 'pending']).optional(),
  effectiveAt: TimestampOrDate.optional(),
  expiresAt: Timestamp.optional(),
  description: z.string().max(1000).optional(),
  metadata: Metadata.optional(),
  postings: z.array(PostingBody).min(2).max(MAX_POSTINGS),
}).openapi('TransactionInput');

export const MAX_BATCH = 1000;

export const BatchBody = z.strictObject({
  transactions: z.array(TransactionBody).min(1).max(MAX_BATCH),
  atomic: z.boolean().optional(),
}).openapi('TransactionBatch');

export const Reason = z.string().min(1).max(1000);

export const ReverseBody = z.strictObject({
  reason: Reason,
  effectiveAt: TimestampOrDate.optional(),
  id: EntityId.optional(),
}).openapi('ReverseInput');

export const CorrectBody = z.strictObject({
  reason: Reason,
  effectiveAt: TimestampOrDate.optional(),
  replacement: TransactionBody.omit({ status: true, expiresAt: true }),
}).openapi('CorrectInput');

export const PostHoldBody = z.strictObject({
  postings: z.array(PostingBody).min(1).max(MAX_POSTINGS).optional(),
  effectiveAt: TimestampOrDate.optional(),
  id: EntityId.optional(),
}).openapi('PostHoldInput');

export const VoidHoldBody = z.strictObject({
  reason: Reason.optional(),
  effectiveAt: TimestampOrDate.optional(),
}).openapi('VoidHoldInput');

export const ClosePeriodBody = z.strictObject({ through: PlainDate }).openapi('ClosePeriod');


export const Posting = z.object({ accountId: z.string(), direction: Direction, amount: z.string(), currency: z.string() }).openapi('Posting');

export const HoldResolution = z.object({
  type: z.enum(['posted', 'voided']), position: z.number().int(), recordedAt: z.string(), effectiveAt: z.string(), postings: z.array(Posting),
  reason: z.string().nullable().openapi({ description: 'The reason given with a void; null for a post' }),
}).openapi('HoldResolution');

export const Transaction = z.object({
  id: z.string(),
  status: z.enum(['posted', 'pending', 'voided', 'expired']),
  resolution: HoldResolution.nullable(),
  effectiveAt: z.string(),
  expiresAt: z.string().nullable(),
  description: z.string(),
  metadata: Metadata,
  postings: z.array(Posting),
  reverses: z.string().nullable(),
  reversedBy: z.string().nullable(),
  corrects: z.string().nullable(),
  correctedBy: z.string().nullable(),
  reason: z.string().nullable(),
  position: z.number().int(),
  recordedAt: z.string(),
  asOf: AsOf.optional(),
}).openapi('Transaction');

export const Sides = z.object({ debits: z.string(), credits: z.string() });

export const Balance = z.object({
  accountId: z.string(), currency: z.string(), normalBalance: Direction,
  ledgerBalance: z.string(), availableBalance: z.string(),
  posted: Sides, pending: Sides, scheduled: Sides, asOf: AsOf,
}).openapi('Balance');

export const CreateKeyBody = z.strictObject({
  name: z.string(expected('a name for the key, such as "auditor for acme"')).min(1).max(200),
  role: z.enum(['admin', 'writer', 'reader', 'auditor']),
  ledgerIds: z.array(LedgerId).max(1000).optional(),
}).openapi('CreateKey');

export const ApiKey = z.object({
  id: z.string(), key: z.string().optional(), name: z.string(), role: z.string(), ledgerIds: z.array(z.string()).nullable(), revoked: z.boolean().optional(),
}).openapi('ApiKey');

export const Problem = z.object({
  type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(), code: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).openapi('Problem');

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable(), asOf: AsOf });
}
