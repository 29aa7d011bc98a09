// What moved a step or fills a band: each transaction with its postings, both times, its reversal
// and correction links, reason and actor (the actor from the log, for an auditor key).
import { $, el, link, type Child } from './dom.ts';
import type { LogEvent, Session, Transaction } from './model.ts';
import { postingsText } from './model.ts';
import { timeNode } from './times.ts';

const actors = new Map<string, Promise<string>>();

export function forgetActors(): void {
  actors.clear();
}

/** The actor of the event at `position`, from the feed (auditor keys only). */
function actorOf(session: Session, position: number): Promise<string> {
  const key = `${session.ledger!.id}/${position}`;
  let actor = actors.get(key);
  if (!actor) {
    actor = session.api.get<{ events: LogEvent[] }>(`/v1/ledgers/${encodeURIComponent(session.ledger!.id)}/events`, { after: position - 1, limit: 1 })
      .then((answer) => answer.body?.events[0]?.actor ?? (answer.problem ?? 'unknown'));
    actors.set(key, actor);
  }
  return actor;
}

const line = (label: string, ...value: Child[]) => el('div', '', [el('span', 'sub-label', [`${label}: `]), ...value]);

function links(t: Transaction): Child[] {
  const found: [string, string | null][] = [['reverses', t.reverses], ['reversed by', t.reversedBy], ['corrects', t.corrects], ['corrected by', t.correctedBy]];
  return found.filter(([, id]) => id).map(([label, id]) => line(label, link(`transaction/${id}`, id!)));
}

/** One transaction's block; the actor is filled in when the feed answers. */
export function entryBlock(session: Session, t: Transaction): HTMLElement {
  const actor = el('span', '', [session.auditor ? '…' : 'needs an auditor key']);
  actor.dataset.field = 'actor';
  if (session.auditor) void actorOf(session, t.position).then((name) => (actor.textContent = name));
  const block = el('div', 'entry', [
    el('h4', '', [link(`transaction/${t.id}`, t.id), ` (${t.status}, position ${t.position})`]),
    t.description ? el('div', '', [t.description]) : null,
    line('effective', timeNode(t.effectiveAt)),
    line('recorded', timeNode(t.recordedAt)),
    line('postings', postingsText(t)),
    ...links(t),
    t.reason ? line('reason', t.reason) : null,
    line('actor', actor),
  ]);
  block.dataset.transaction = t.id;
  return block;
}

/** Shows the tooltip at page coordinates with a heading and the transactions' blocks; null hides it. */
export function showTooltip(content: { heading: Child[]; transactions: readonly Transaction[]; session: Session } | null, x = 0, y = 0): void {
  const tooltip = $('tooltip');
  if (!content) {
    tooltip.hidden = true;
    return;
  }
  tooltip.replaceChildren(el('div', 'tooltip-heading', content.heading), ...content.transactions.map((t) => entryBlock(content.session, t)));
  tooltip.hidden = false;
  const panel = tooltip.offsetParent?.getBoundingClientRect() ?? { left: 0, top: 0 };
  const left = x - (panel.left + window.scrollX) + 14;
  const maxLeft = (tooltip.offsetParent as HTMLElement | null)?.clientWidth ?? 800;
  tooltip.style.left = `${Math.max(0, Math.min(left, maxLeft - tooltip.offsetWidth - 4))}px`;
  tooltip.style.top = `${y - (panel.top + window.scrollY) + 14}px`;
}
