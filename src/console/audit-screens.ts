// The auditors' screens: reversals, restatements (with the entries behind each change), the
// rejection log and the hash chain. Each needs an auditor key; a reader key is never sent there.
import { $, cell, el, field, link, setStatus } from './dom.ts';
import type { Session, Transaction } from './model.ts';
import { postingsText } from './model.ts';
import { ledgerPath, recordedCoordinate } from './overview.ts';
import { timeNode } from './times.ts';
import { begin, isCurrent } from './tokens.ts';

const txLink = (id: string) => link(`transaction/${id}`, id);

export async function showReversals(session: Session): Promise<void> {
  const panel = $('reversals-panel');
  const token = begin('reversals');
  setStatus(panel, 'Loading...');
  const answer = await session.api.get<{ items: ReversalItem[]; nextCursor: string | null; asOf: { position: number } }>(ledgerPath(session, '/reversals'), { limit: 1000, ...recordedCoordinate() });
  if (!isCurrent('reversals', token)) return;
  const body = $('reversals');
  body.replaceChildren();
  if (answer.problem || !answer.body) return setStatus(panel, answer.problem ?? 'no answer', 'error');
  const accountId = session.balance?.accountId;
  for (const item of answer.body.items) {
    const touches = item.original.postings.some((p) => p.accountId === accountId);
    body.append(el('tr', touches ? 'touches' : '', [
      cell([txLink(item.original.id), el('span', 'sub', [`${postingsText(item.original)} | effective `, timeNode(item.original.effectiveAt), ', recorded ', timeNode(item.original.recordedAt)])]),
      cell(txLink(item.reversal.id), `position ${item.reversal.position}`),
      cell(item.replacement ? txLink(item.replacement.id) : 'none', item.replacement ? postingsText(item.replacement) : 'a plain reversal'),
      cell(item.reason), cell(item.actor), cell(timeNode(item.recordedAt)), cell(timeNode(item.effectiveAt)),
    ]));
  }
  const count = answer.body.items.length;
  setStatus(panel, `${count} reversal(s) known at position ${answer.body.asOf.position}${answer.body.nextCursor ? ` (the first ${count} only)` : ''}` +
    (accountId ? `; highlighted: those touching ${accountId}.` : '.'));
}

interface ReversalItem {
  readonly original: Transaction;
  readonly reversal: Transaction;
  readonly replacement: Transaction | null;
  readonly reason: string;
  readonly actor: string;
  readonly recordedAt: string;
  readonly effectiveAt: string;
}

interface Restatements {
  readonly recordedFrom: string;
  readonly recordedTo: string;
  readonly effectiveAsOf: string;
  readonly fromPosition: number;
  readonly toPosition: number;
  readonly entries: readonly Transaction[];
  readonly accounts: readonly { accountId: string; currency: string; before: string; after: string }[];
}

const linksOf = (t: Transaction) => [['reverses', t.reverses], ['reversed by', t.reversedBy], ['corrects', t.corrects], ['corrected by', t.correctedBy]]
  .filter(([, id]) => id).flatMap(([label, id], i) => [i ? '; ' : '', `${label} `, txLink(id!)]);

export async function showRestatements(session: Session): Promise<void> {
  const panel = $('restatements-panel');
  const token = begin('restatements');
  setStatus(panel, 'Loading...');
  const value = (id: string) => $<HTMLInputElement>(id).value.trim();
  const answer = await session.api.get<Restatements>(ledgerPath(session, '/restatements'), {
    recordedFrom: value('restate-from'), recordedTo: value('restate-to'), effectiveAsOf: value('restate-effective'),
  });
  if (!isCurrent('restatements', token)) return;
  $('restated-entries').replaceChildren();
  $('restated-accounts').replaceChildren();
  if (answer.problem || !answer.body) return setStatus(panel, answer.problem ?? 'no answer', 'error');
  const r = answer.body;
  $('restated-entries').replaceChildren(...r.entries.map((t) => el('tr', '', [
    cell(txLink(t.id), t.reason ?? t.description), cell(t.status), cell(linksOf(t).length ? linksOf(t) : 'none'),
    cell(t.position), cell(timeNode(t.recordedAt)), cell(timeNode(t.effectiveAt)), cell(postingsText(t)),
  ])));
  $('restated-accounts').replaceChildren(...r.accounts.map((a) => {
    const behind = r.entries.filter((t) => t.postings.some((p) => p.accountId === a.accountId));
    const changed = a.before !== a.after;
    const row = el('tr', changed ? 'changed' : '', [
      cell(a.accountId), cell(a.currency), cell(a.before, undefined, 'amount'), cell(a.after, undefined, 'amount'),
      cell(changed ? 'changed' : 'unchanged (entries net to zero)'),
      cell(behind.flatMap((t, i) => [i ? ', ' : '', txLink(t.id)])),
    ]);
    row.dataset.account = a.accountId;
    return row;
  }));
  setStatus(panel, [`${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'} recorded after `, timeNode(r.recordedFrom), ' and up to ', timeNode(r.recordedTo),
    ` (positions ${r.fromPosition} to ${r.toPosition}), effective at or before `, timeNode(r.effectiveAsOf), '.']);
}

interface Rejection {
  readonly seq: number;
  readonly position: number;
  readonly recordedAt: string;
  readonly actor: string;
  readonly requestId: string;
  readonly problem: { code: string; detail: string; errors?: { path: string; message: string }[] };
  readonly commands: readonly Record<string, unknown>[];
}

/** A refused command in a few words: its type and the ids it names (the transaction, the original, the hold). */
function commandSummary(command: Record<string, unknown>): string {
  const ids = Object.values(command).flatMap((part) => (part && typeof part === 'object'
    ? ['id', 'originalId', 'holdId'].map((k) => (part as Record<string, unknown>)[k]).filter((v): v is string => typeof v === 'string')
    : []));
  return [String(command.type), ...ids].join(' ');
}

export async function showRejections(session: Session): Promise<void> {
  const panel = $('rejections-panel');
  const token = begin('rejections');
  setStatus(panel, 'Loading...');
  const answer = await session.api.get<{ items: Rejection[]; nextCursor: string | null }>(ledgerPath(session, '/rejections'), { limit: 1000 });
  if (!isCurrent('rejections', token)) return;
  if (answer.problem || !answer.body) return setStatus(panel, answer.problem ?? 'no answer', 'error');
  $('rejections').replaceChildren(...answer.body.items.map((r) => el('tr', '', [
    cell(r.position), cell(timeNode(r.recordedAt)), cell(r.problem.code), cell(r.problem.detail),
    cell(r.commands.map(commandSummary).join('; ')), cell(r.actor), cell(r.requestId, undefined, 'nowrap'),
  ])));
  const count = answer.body.items.length;
  setStatus(panel, `${count} refused write(s)${answer.body.nextCursor ? ` (the first ${count} only)` : ''}.`);
}

export async function verifyChain(session: Session): Promise<void> {
  const panel = $('chain-panel');
  const token = begin('chain');
  setStatus(panel, 'Verifying...');
  const [verdict, digest, ledger] = await Promise.all([
    session.api.get<{ ok: boolean; checkedThrough: number; firstBadPosition: number | null }>(ledgerPath(session, '/verify')),
    session.api.get<{ position: number; recordedAt: string; hash: string }>(ledgerPath(session, '/digest')),
    session.api.get<{ head: number }>(ledgerPath(session)),
  ]);
  if (!isCurrent('chain', token)) return;
  const list = $('digest');
  list.replaceChildren();
  if (verdict.problem || !verdict.body) return setStatus(panel, verdict.problem ?? 'no answer', 'error');
  const head = ledger.body?.head ?? null;
  const v = verdict.body;
  if (v.ok && v.checkedThrough === head) setStatus(panel, `The hash chain verifies up to the head: positions 1 to ${head}.`, 'ok');
  else if (v.ok) setStatus(panel, `The hash chain verifies through position ${v.checkedThrough}; the head is now ${head}.`, 'ok');
  else setStatus(panel, `The hash chain does NOT verify: first bad position ${v.firstBadPosition} (good through ${v.checkedThrough}).`, 'error');
  if (digest.problem || !digest.body) return field(list, 'digest', 'Digest', digest.problem);
  field(list, 'digest.position', 'Head position', digest.body.position);
  field(list, 'digest.recordedAt', 'Recorded at', timeNode(digest.body.recordedAt));
  field(list, 'digest.hash', 'Hash (keep it outside the system)', digest.body.hash, 'hash');
}
