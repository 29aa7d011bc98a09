// The overview screen: the ledger and account, the chosen (R, E), the balances there, and the
// bitemporal picture whose cross-hair moves (R, E).
import { allPages, track } from './api.ts';
import { $, cell, el, field, link, setStatus } from './dom.ts';
import { bandsOf, layerAt, layersOf, type Layer, type StatementItem, type Step } from './history-model.ts';
import type { Account, Balance, Ledger, Session, Transaction } from './model.ts';
import { clearPicture, drawPicture, layerColor, MAX_DRAWN_LAYERS, type AvailablePoint, type Chosen } from './picture.ts';
import { timeNode, useTimezone } from './times.ts';
import { begin, isCurrent } from './tokens.ts';
import { showTooltip } from './tooltip.ts';

const FAR_EFFECTIVE = '9000-12-31';

interface History {
  readonly account: Account;
  readonly items: readonly StatementItem[];
  readonly complete: boolean;
  readonly layers: readonly Layer[];
  readonly transactions: ReadonlyMap<string, Transaction>;
}

let history: History | null = null;

export function forgetHistory(): void {
  history = null;
  clearPicture();
}

export const ledgerPath = (session: Session, suffix = '') => `/v1/ledgers/${encodeURIComponent(session.ledger!.id)}${suffix}`;
const accountPath = (session: Session, accountId: string, suffix: string) => ledgerPath(session, `/accounts/${encodeURIComponent(accountId)}${suffix}`);

export async function openLedger(session: Session, ledgerId: string): Promise<boolean> {
  const panel = $('pick-panel');
  setStatus(panel, `Opening ${ledgerId}...`);
  const answer = await session.api.get<Ledger>(`/v1/ledgers/${encodeURIComponent(ledgerId)}`);
  if (answer.problem || !answer.body) {
    setStatus(panel, answer.problem ?? 'no answer', 'error');
    return false;
  }
  const ledger = answer.body;
  session.ledger = ledger;
  forgetHistory();
  useTimezone(ledger.timezone);
  const slider = $<HTMLInputElement>('recorded-position');
  slider.max = String(ledger.head);
  slider.value = String(ledger.head);
  $('recorded-position-value').textContent = String(ledger.head);
  setStatus(panel, `${ledger.name} (${ledger.id}, timezone ${ledger.timezone}): head position ${ledger.head}, closed through ${ledger.closedThrough ?? 'no date'}`, 'ok');
  const accounts = await allPages<Account>(session.api, ledgerPath(session, '/accounts'), {});
  if (accounts.problem) setStatus(panel, accounts.problem, 'error');
  session.accounts = accounts.items;
  const select = $<HTMLSelectElement>('account');
  select.replaceChildren(...accounts.items.map((a) => {
    const option = el('option', '', [`${a.id} (${a.currency}, ${a.normalBalance})`]);
    option.value = a.id;
    return option;
  }));
  select.disabled = accounts.items.length === 0;
  if (accounts.items.length === 0) setStatus(panel, 'The ledger has no accounts yet.', 'error');
  return true;
}

export function recordedCoordinate(): Record<string, string> {
  const at = $<HTMLInputElement>('recorded-as-of').value.trim();
  return at ? { recordedAsOf: at } : { recordedAsOfPosition: $<HTMLInputElement>('recorded-position').value };
}

function coordinates(): Record<string, string> {
  const effective = $<HTMLInputElement>('effective-as-of').value.trim();
  return { ...recordedCoordinate(), ...(effective ? { effectiveAsOf: effective } : {}) };
}

const selectedAccount = (session: Session) => session.accounts.find((a) => a.id === $<HTMLSelectElement>('account').value);

async function showBalance(session: Session, account: Account): Promise<Balance | null> {
  const panel = $('balance-panel');
  const token = begin('balance');
  setStatus(panel, 'Loading...');
  const answer = await session.api.get<Balance>(accountPath(session, account.id, '/balance'), coordinates());
  if (!isCurrent('balance', token)) return null;
  const list = $('balance');
  list.replaceChildren();
  if (answer.problem || !answer.body) {
    session.balance = null;
    setStatus(panel, answer.problem ?? 'no answer', 'error');
    return null;
  }
  const b = answer.body;
  session.balance = b;
  setStatus(panel, `${b.accountId} effective as of E, as known at position ${b.asOf.position} (R)`);
  field(list, 'ledgerBalance', 'Ledger balance', `${b.ledgerBalance} ${b.currency}`, 'amount');
  field(list, 'availableBalance', 'Available balance', `${b.availableBalance} ${b.currency}`, 'amount');
  field(list, 'posted.debits', 'Posted debits', b.posted.debits, 'amount');
  field(list, 'posted.credits', 'Posted credits', b.posted.credits, 'amount');
  field(list, 'pending.debits', 'Held debits (active holds)', b.pending.debits, 'amount');
  field(list, 'pending.credits', 'Held credits (active holds)', b.pending.credits, 'amount');
  field(list, 'scheduled.debits', 'Scheduled debits (known, effective later)', b.scheduled.debits, 'amount');
  field(list, 'scheduled.credits', 'Scheduled credits (known, effective later)', b.scheduled.credits, 'amount');
  field(list, 'normalBalance', 'Normal balance', b.normalBalance);
  field(list, 'asOf.position', 'R: as of position', b.asOf.position);
  field(list, 'asOf.recordedAt', 'R: as of recorded time', timeNode(b.asOf.recordedAt));
  field(list, 'asOf.effectiveAt', 'E: effective as of', timeNode(b.asOf.effectiveAt));
  return b;
}

async function loadHistory(session: Session, account: Account): Promise<History | string> {
  if (history?.account === account) return history;
  const [statement, transactions] = await Promise.all([
    allPages<StatementItem>(session.api, accountPath(session, account.id, '/entries'), { recordedAsOfPosition: session.ledger!.head, effectiveTo: FAR_EFFECTIVE }),
    allPages<Transaction>(session.api, ledgerPath(session, '/transactions'), { recordedAsOfPosition: session.ledger!.head, accountId: account.id }),
  ]);
  if (statement.problem || transactions.problem) return (statement.problem ?? transactions.problem)!;
  history = {
    account, items: statement.items, complete: statement.complete && transactions.complete,
    layers: layersOf(statement.items, account.normalBalance), transactions: new Map(transactions.items.map((t) => [t.id, t])),
  };
  return history;
}

/** The available balance at R at the end of each day (week, month) of the effective range. */
async function availableSeries(session: Session, account: Account, layers: readonly Layer[], balance: Balance): Promise<AvailablePoint[]> {
  const times = (layers.at(-1)?.steps ?? []).map((s) => s.effectiveAt); // the head's layer has them all, in order
  if (times.length === 0) return [];
  const from = new Date(Date.parse(times[0]!.slice(0, 19) + 'Z') - 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Date.parse(times.at(-1)!.slice(0, 19) + 'Z') + 2 * 86_400_000).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  const interval = days <= 400 ? 'day' : days <= 2800 ? 'week' : 'month';
  const answer = await session.api.get<{ items: AvailablePoint[] }>(accountPath(session, account.id, '/balance-history'), {
    recordedAsOfPosition: balance.asOf.position, effectiveFrom: from, effectiveTo: to, interval,
  });
  return answer.body?.items ?? [];
}

function showLegend(layers: readonly Layer[], shown: readonly Layer[], chosen: Layer | undefined, currency: string): void {
  const available = el('li', 'available', ['available balance at R, at the end of each day (week, month): dashed']);
  $('history-legend').replaceChildren(available, ...shown.map((layer) => {
    const item = el('li', layer === chosen ? 'current' : '', [
      `as known at position ${layer.position} (recorded `, timeNode(layer.recordedAt), `): ends at ${layer.closing} ${currency}${layer === chosen ? ' (chosen R)' : ''}`,
    ]);
    item.style.setProperty('--swatch', layerColor(layers.indexOf(layer)));
    item.dataset.position = String(layer.position);
    return item;
  }));
  const rows = shown.flatMap((layer) => layer.steps.map((step) => {
    const row = el('tr', layer === chosen ? 'touches' : '', [
      cell(`position ${layer.position}`), cell(timeNode(step.effectiveAt)),
      cell([...new Set(step.entries.map((e) => e.transactionId))].flatMap((id, i) => [i ? ', ' : '', link(`transaction/${id}`, id)])),
      cell(step.balance, undefined, 'amount'),
    ]);
    row.dataset.position = String(layer.position);
    return row;
  }));
  $('history-steps').replaceChildren(...rows);
}

function stepTransactions(h: History, step: Step): Transaction[] {
  return [...new Set(step.entries.map((e) => e.transactionId))].map((id) => h.transactions.get(id)).filter((t): t is Transaction => t !== undefined);
}

async function showHistory(session: Session, account: Account, balance: Balance, onMove: (chosen: Chosen, done: boolean) => void): Promise<void> {
  const panel = $('history-panel');
  const token = begin('history');
  const loaded = await loadHistory(session, account);
  if (!isCurrent('history', token)) return;
  if (typeof loaded === 'string') return setStatus(panel, loaded, 'error');
  const h = loaded;
  const available = await availableSeries(session, account, h.layers, balance);
  if (!isCurrent('history', token)) return;
  const chosenLayer = layerAt(h.layers, balance.asOf.position);
  const chosen: Chosen = { position: balance.asOf.position, effectiveAt: balance.asOf.effectiveAt };
  const shown = drawPicture($('plane'), $('history'), {
    layers: h.layers, bands: bandsOf(h.items, account.normalBalance), available, head: session.ledger!.head, timezone: session.ledger!.timezone, chosen, onMove,
    onHoverStep: (hit, x, y) => showTooltip(hit ? { session, heading: [`Step at `, timeNode(hit.step.effectiveAt), ` as known at position ${hit.layer.position}: balance ${hit.step.balance} ${account.currency}`], transactions: stepTransactions(h, hit.step) } : null, x, y),
    onHoverBand: (band, x, y) => {
      const t = band && h.transactions.get(band.transactionId);
      showTooltip(t ? { session, heading: [`Counts ${band.amount} ${account.currency} from `, timeNode(band.effectiveAt), ` (E), from position ${band.position} (R)${band.reversal ? ` to ${band.reversal.position - 1}` : ''}`], transactions: [t, ...(band.reversal ? [h.transactions.get(band.reversal.transactionId)].filter((r): r is Transaction => r !== undefined) : [])] } : null, x, y);
    },
  }, chosenLayer);
  showLegend(h.layers, shown, chosenLayer, account.currency);
  $('history-scale-note').textContent = 'Vertical scale: asinh (logarithmic for large amounts of either sign, linear near zero), so that no single large step flattens the rest. ' +
    'Each line is the ledger balance as known at one position; the thick one is the chosen R. The dashed line is the available balance at R at the end of each period ' +
    '(holds and scheduled entries are the gap between them). Hover (or tap) a step to see the entries that moved it: the step of the line under the pointer, else of the thick line.' +
    (h.layers.length > MAX_DRAWN_LAYERS ? ` Only ${shown.length} of ${h.layers.length} layers are drawn (the latest, and the chosen one): move R to draw an earlier one.` : '');
  setStatus(panel, h.items.length === 0 ? 'No postings on this account.' :
    `${h.layers.length} knowledge layer(s) over ${h.items.length} posting(s) as the head knows them${h.complete ? '' : ` (the first ${h.items.length} only)`}.`);
}

/** Shows the balances at the chosen (R, E), then the picture around them. */
export async function refresh(session: Session): Promise<void> {
  const account = selectedAccount(session);
  if (!session.ledger || !account) return;
  const balance = await showBalance(session, account);
  if (balance) await showHistory(session, account, balance, (chosen, done) => moveTo(session, account, chosen, done));
}

let inFlight = false;
let queued: (() => Promise<unknown>) | null = null;

/** Runs `task` now, or after the one in flight (only the latest waits): a drag sends one read at a time. */
function follow(task: () => Promise<unknown>): void {
  if (inFlight) {
    queued = task;
    return;
  }
  inFlight = true;
  void track(task()).finally(() => {
    inFlight = false;
    const next = queued;
    queued = null;
    if (next) follow(next);
  });
}

/** The cross-hair moved: the form and the balances follow; the picture is redrawn once it rests. */
function moveTo(session: Session, account: Account, chosen: Chosen, done: boolean): void {
  $<HTMLInputElement>('recorded-position').value = String(chosen.position);
  $('recorded-position-value').textContent = String(chosen.position);
  $<HTMLInputElement>('recorded-as-of').value = '';
  $<HTMLInputElement>('effective-as-of').value = chosen.effectiveAt;
  follow(() => (done ? refresh(session) : showBalance(session, account)));
}
