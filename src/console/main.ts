// The auditor console (spec section 9): a client of the public /v1 API. This module signs in and
// out, routes between the screens (#screen/argument) and wires the forms.
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { createApi, track } from './api.ts';
import { showRejections, showRestatements, showReversals, verifyChain } from './audit-screens.ts';
import { $, setStatus } from './dom.ts';
import type { Session } from './model.ts';
import { forgetHistory, openLedger, refresh } from './overview.ts';
import { forgetAll } from './tokens.ts';
import { forgetActors, showTooltip } from './tooltip.ts';
import { search, showTransaction } from './transaction-screens.ts';

const KEY_STORAGE = 'ledger-console-key';
const SCREENS = ['overview', 'transaction', 'reversals', 'restatements', 'rejections', 'search', 'chain'] as const;
type Screen = (typeof SCREENS)[number];

let session: Session | null = null;

/** Checks the key with the service before anything else: a refused key never reaches a screen. */
async function signIn(key: string): Promise<void> {
  const status = $('sign-in-status');
  status.textContent = 'Checking the key...';
  const api = createApi(key, () => signOut('The key was refused (401 UNAUTHORIZED): sign in again with a valid key.'));
  const answer = await api.get<{ role: string; name: string }>('/v1/keys/current');
  if (answer.status === 401) return; // signOut has said so
  if (answer.problem || !answer.body) {
    status.textContent = `The key could not be checked: ${answer.problem ?? 'no answer'}`;
    return;
  }
  session = { api, auditor: answer.body.role === 'auditor' || answer.body.role === 'admin', ledger: null, accounts: [], balance: null };
  sessionStorage.setItem(KEY_STORAGE, key);
  status.textContent = '';
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  $('session-note').textContent = `Signed in as ${answer.body.name} (${answer.body.role}; key kept in this tab only)`;
  showAccess(session.auditor);
  $('ledger-id').focus();
  route();
}

/** Forgets the key and everything shown with it: the next user starts from an empty page. */
function signOut(message: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  session = null;
  forgetAll();
  forgetHistory();
  forgetActors();
  showTooltip(null);
  for (const node of document.querySelectorAll<HTMLElement>('[data-clear]')) node.replaceChildren();
  for (const node of document.querySelectorAll<HTMLElement>('[data-status]')) setStatus(node.parentElement!, '');
  for (const input of document.querySelectorAll<HTMLInputElement>('main input:not([type=range])')) input.value = '';
  $<HTMLSelectElement>('account').disabled = true;
  $('console').hidden = true;
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('session-note').textContent = '';
  $('sign-in-status').textContent = message;
}

function showAccess(auditor: boolean): void {
  for (const panel of document.querySelectorAll<HTMLElement>('.auditor-only')) {
    panel.dataset.access = auditor ? 'granted' : 'needs-auditor';
    panel.querySelector<HTMLElement>('.needs-auditor')!.hidden = auditor;
    panel.querySelector<HTMLElement>('.panel-body')!.hidden = !auditor;
  }
}

function parseHash(): { screen: Screen; argument: string } {
  const [name = '', ...rest] = location.hash.slice(1).split('/');
  const screen = (SCREENS as readonly string[]).includes(name) ? (name as Screen) : 'overview';
  return { screen, argument: decodeURIComponent(rest.join('/')) };
}

/** Shows the screen the address names, and loads what it shows. */
function route(): void {
  const { screen, argument } = parseHash();
  for (const node of document.querySelectorAll<HTMLElement>('[data-screen]')) node.hidden = node.dataset.screen !== screen;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.hash === `#${screen}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  showTooltip(null);
  notePrinting();
  if (!session?.ledger) return;
  const s = session;
  const loaders: Record<Screen, () => Promise<void> | void> = {
    overview: () => {
      const select = $<HTMLSelectElement>('account');
      if (argument && select.value !== argument && s.accounts.some((a) => a.id === argument)) select.value = argument;
      return refresh(s);
    },
    transaction: () => (argument ? showTransaction(s, argument) : undefined),
    reversals: () => (s.auditor ? showReversals(s) : undefined),
    restatements: () => undefined,
    rejections: () => (s.auditor ? showRejections(s) : undefined),
    search: () => undefined,
    chain: () => (s.auditor ? verifyChain(s) : undefined),
  };
  guarded(loaders[screen]);
}

/** The line a printout starts with: which ledger, which key, when (the ledger's timezone is in every time shown). */
function notePrinting(): void {
  const who = $('session-note').textContent ?? '';
  const ledger = session?.ledger ? `ledger ${session.ledger.id} (head position ${session.ledger.head}), ` : '';
  $('print-note').textContent = session ? `Printed from the auditor console: ${ledger}${who.replace(/ \(.*$/, '')}, at ${new Date().toISOString()}.` : '';
}

/** Runs a handler counted in body[data-pending]; a failure of the page is said where the user looks. */
function guarded(handler: () => Promise<void> | void): void {
  track(Promise.resolve().then(handler)).catch((error: unknown) => {
    $('session-note').textContent = `The console failed: ${(error as Error).message}`;
    console.error(error);
  });
}

function on(id: string, type: string, handler: (s: Session) => Promise<void> | void): void {
  $(id).addEventListener(type, (event) => {
    if (type === 'submit') event.preventDefault();
    if (type === 'submit' && id === 'sign-in-form') return;
    if (session) {
      const s = session;
      guarded(() => handler(s));
    }
  });
}

function start(): void {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('key');
    const key = input.value.trim();
    input.value = '';
    guarded(() => signIn(key));
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  on('ledger-form', 'submit', async (s) => {
    if (await openLedger(s, $<HTMLInputElement>('ledger-id').value.trim())) route();
  });
  on('account', 'change', (s) => {
    if (parseHash().screen === 'overview') return refresh(s);
    location.hash = 'overview';
  });
  on('coordinates-form', 'submit', refresh);
  $('recorded-position').addEventListener('input', () => ($('recorded-position-value').textContent = $<HTMLInputElement>('recorded-position').value));
  on('recorded-position', 'change', refresh);
  on('restatements-form', 'submit', showRestatements);
  on('restate-from-chosen', 'click', (s) => {
    if (s.balance?.asOf.recordedAt) $<HTMLInputElement>('restate-from').value = s.balance.asOf.recordedAt;
  });
  on('verify', 'click', verifyChain);
  on('transaction-form', 'submit', () => {
    const hash = `#transaction/${encodeURIComponent($<HTMLInputElement>('transaction-id').value.trim())}`;
    if (location.hash === hash) route(); // the same transaction again (with another verifier key)
    else location.hash = hash;
  });
  on('search-form', 'submit', (s) => search(s, $<HTMLInputElement>('search-text').value.trim()));
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeprint', notePrinting);
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) guarded(() => signIn(saved));
}

start();
