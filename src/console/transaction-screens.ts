// The transaction page (the entry, its postings, its reversal and correction chain with links both
// ways, its events in the log with positions and hashes) and the search.
import { allPages } from './api.ts';
import { $, cell, el, field, link, setStatus } from './dom.ts';
import type { Account, LogEvent, Session, Transaction } from './model.ts';
import { ledgerPath } from './overview.ts';
import { timeNode } from './times.ts';
import { begin, isCurrent } from './tokens.ts';
import { showInclusion } from './tree-proofs.ts';

const MAX_CHAIN = 20;

const fetchTransaction = (session: Session, id: string) => session.api.get<Transaction>(ledgerPath(session, `/transactions/${encodeURIComponent(id)}`));

/** Every transaction linked to `start` by reverses, reversedBy, corrects or correctedBy, in log order. */
async function chainOf(session: Session, start: Transaction): Promise<Transaction[]> {
  const found = new Map<string, Transaction>([[start.id, start]]);
  const queue = [start];
  while (queue.length && found.size < MAX_CHAIN) {
    const t = queue.shift()!;
    for (const id of [t.reverses, t.reversedBy, t.corrects, t.correctedBy]) {
      if (!id || found.has(id)) continue;
      const answer = await fetchTransaction(session, id);
      if (!answer.body) continue;
      found.set(id, answer.body);
      queue.push(answer.body);
    }
  }
  return [...found.values()].sort((a, b) => a.position - b.position);
}

function roleOf(t: Transaction): string {
  if (t.reverses) return `the reversal of ${t.reverses}`;
  if (t.corrects) return `the replacement of ${t.corrects}`;
  return 'an original entry';
}

function showChain(chain: readonly Transaction[], self: Transaction): void {
  $('transaction-chain').replaceChildren(...chain.map((t) => {
    const links = [['reverses', t.reverses], ['reversed by', t.reversedBy], ['corrects', t.corrects], ['corrected by', t.correctedBy]].filter(([, id]) => id);
    const item = el('li', t.id === self.id ? 'self' : '', [
      link(`transaction/${t.id}`, t.id), ` (position ${t.position}, ${t.status}): ${roleOf(t)}`,
      ...links.flatMap(([label, id]) => ['; ', `${label} `, link(`transaction/${id}`, id!)]),
      t.reason ? `; reason: ${t.reason}` : '',
    ]);
    item.dataset.transaction = t.id;
    return item;
  }));
}

async function showEvents(session: Session, t: Transaction, token: number): Promise<void> {
  const panel = $('transaction-panel');
  panel.querySelector<HTMLElement>('.needs-auditor')!.hidden = session.auditor;
  if (!session.auditor) return;
  const positions = [t.position, ...(t.resolution ? [t.resolution.position] : [])];
  const answers = await Promise.all(positions.map((p) => session.api.get<{ events: LogEvent[] }>(ledgerPath(session, '/events'), { after: p - 1, limit: 1 })));
  const events = answers.flatMap((a) => a.body?.events ?? []);
  if (!isCurrent('transaction', token)) return;
  $('transaction-events').replaceChildren(...events.map((e) => el('tr', '', [
    cell(e.position), cell(e.type), cell(timeNode(e.recordedAt)), cell(e.actor), cell(e.requestId, undefined, 'nowrap'), cell(e.hash, undefined, 'hash'), cell(e.prevHash, undefined, 'hash'),
  ])));
  await showInclusion(session, events, () => isCurrent('transaction', token));
}

export async function showTransaction(session: Session, id: string): Promise<void> {
  const panel = $('transaction-panel');
  const token = begin('transaction');
  $<HTMLInputElement>('transaction-id').value = id;
  for (const target of ['transaction', 'transaction-postings', 'transaction-chain', 'transaction-events', 'transaction-proofs']) $(target).replaceChildren();
  setStatus(panel, `Loading ${id}...`);
  const answer = await fetchTransaction(session, id);
  if (!isCurrent('transaction', token)) return;
  if (answer.problem || !answer.body) return setStatus(panel, answer.problem ?? 'no answer', 'error');
  const t = answer.body;
  setStatus(panel, `${t.id}: ${roleOf(t)}, as the head knows it.`);
  const list = $('transaction');
  field(list, 'id', 'Transaction', t.id);
  field(list, 'status', 'Status', t.status);
  field(list, 'description', 'Description', t.description);
  field(list, 'effectiveAt', 'Effective at', timeNode(t.effectiveAt));
  field(list, 'recordedAt', 'Recorded at', timeNode(t.recordedAt));
  field(list, 'position', 'Position', t.position);
  if (t.expiresAt) field(list, 'expiresAt', 'Expires at', timeNode(t.expiresAt));
  if (t.reason) field(list, 'reason', 'Reason', t.reason);
  if (t.resolution) field(list, 'resolution', 'Resolution', [`${t.resolution.type} at position ${t.resolution.position}, effective `, timeNode(t.resolution.effectiveAt), t.resolution.reason ? `: ${t.resolution.reason}` : '']);
  $('transaction-postings').replaceChildren(...t.postings.map((p) => el('tr', '', [
    cell(link(`overview/${p.accountId}`, p.accountId)), cell(p.direction), cell(p.amount, undefined, 'amount'), cell(p.currency ?? ''),
  ])));
  const [chain] = await Promise.all([chainOf(session, t), showEvents(session, t, token)]);
  if (isCurrent('transaction', token)) showChain(chain, t);
}

export async function search(session: Session, text: string): Promise<void> {
  const panel = $('search-panel');
  const token = begin('search');
  setStatus(panel, `Searching for ${text}...`);
  const [transaction, accounts] = await Promise.all([
    /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/.test(text) ? fetchTransaction(session, text) : Promise.resolve(null),
    allPages<Account>(session.api, ledgerPath(session, '/accounts'), { prefix: text }, 1),
  ]);
  if (!isCurrent('search', token)) return;
  const results: HTMLElement[] = [];
  if (transaction?.body) results.push(el('li', '', ['Transaction ', link(`transaction/${transaction.body.id}`, transaction.body.id), ` (position ${transaction.body.position}, ${transaction.body.status})`]));
  for (const a of accounts.items) results.push(el('li', '', ['Account ', link(`overview/${a.id}`, a.id), ` (${a.currency}, ${a.normalBalance})`]));
  $('search-results').replaceChildren(...results);
  if (accounts.problem) return setStatus(panel, accounts.problem, 'error');
  setStatus(panel, `${transaction?.body ? 'A transaction' : 'No transaction'} with id ${text}; ${accounts.items.length} account(s) whose id starts with ${text}${accounts.complete ? '' : ' (the first page only)'}.`);
}
