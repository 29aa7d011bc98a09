// The auditor console's page and style, as strings: the Workers entry has no filesystem to read
// them from. The script is in console-script.ts. Nothing here holds data; the script fills it in.

export const CONSOLE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ledger auditor console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body data-pending="0">
<header>
  <h1>Ledger auditor console</h1>
  <span id="session-note" class="note"></span>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>

<section id="sign-in" class="panel">
  <h2>Sign in</h2>
  <form id="sign-in-form">
    <label>API key (auditor or reader) <input id="key" type="password" autocomplete="off" spellcheck="false" required></label>
    <button type="submit">Sign in</button>
  </form>
  <p class="note">The key stays in this tab (sessionStorage) and is sent only to this service's <code>/v1</code> API as
    <code>Authorization: Bearer</code>. The console only reads. A reader key sees balances and history; reversals,
    restatements and the hash chain need an auditor key.</p>
  <p id="sign-in-status" class="status" role="alert"></p>
</section>

<main id="console" hidden>
  <section id="pick-panel" class="panel">
    <h2>Ledger and account</h2>
    <form id="ledger-form" class="row">
      <label>Ledger id <input id="ledger-id" autocomplete="off" spellcheck="false" required></label>
      <button type="submit">Open</button>
      <label>Account <select id="account" disabled></select></label>
    </form>
    <p id="ledger-status" class="status" data-status role="status"></p>
  </section>

  <section id="coordinates-panel" class="panel">
    <h2>Timelines</h2>
    <form id="coordinates-form">
      <div class="row">
        <label class="grow">Recorded as of position
          <input id="recorded-position" type="range" min="1" max="1" value="1" step="1">
        </label>
        <output id="recorded-position-value" for="recorded-position">1</output>
      </div>
      <div class="row">
        <label>or recorded as of (timestamp, overrides the slider)
          <input id="recorded-as-of" placeholder="2026-03-04T00:00:00Z" autocomplete="off" spellcheck="false"></label>
        <label>Effective as of (timestamp or date; empty: now)
          <input id="effective-as-of" placeholder="2026-03-04" autocomplete="off" spellcheck="false"></label>
        <button id="show" type="submit">Show</button>
      </div>
    </form>
  </section>

  <section id="balance-panel" class="panel">
    <h2>Balances</h2>
    <p class="status" data-status role="status"></p>
    <dl id="balance" class="fields"></dl>
  </section>

  <section id="history-panel" class="panel">
    <h2>History</h2>
    <p class="note">Ledger balance over effective time (across); one line per knowledge layer: the account's history as the
      ledger knew it after each commit that touched it. Lines that part are restatements. The dashed line is the chosen
      effective time; the thick line is the layer the chosen recorded time sees.</p>
    <p class="status" data-status role="status"></p>
    <svg id="history" viewBox="0 0 800 260" role="img" aria-label="Ledger balance over effective time, per knowledge layer"></svg>
    <ul id="history-legend" class="legend"></ul>
  </section>

  <section id="reversals-panel" class="panel auditor-only">
    <h2>Reversals</h2>
    <p class="needs-auditor" hidden>This panel needs an auditor key: a reader key may not read reversals.</p>
    <div class="panel-body">
      <p class="status" data-status role="status"></p>
      <table>
        <thead><tr><th>Original</th><th>Reversal</th><th>Replacement</th><th>Reason</th><th>Actor</th><th>Recorded at</th><th>Effective at</th></tr></thead>
        <tbody id="reversals"></tbody>
      </table>
    </div>
  </section>

  <section id="restatements-panel" class="panel auditor-only">
    <h2>Restatements</h2>
    <p class="needs-auditor" hidden>This panel needs an auditor key: a reader key may not read restatements.</p>
    <div class="panel-body">
      <form id="restatements-form" class="row">
        <label>Recorded after <input id="restate-from" placeholder="2026-03-04T00:00:00Z" autocomplete="off" spellcheck="false" required></label>
        <button id="restate-from-chosen" type="button">the chosen recorded time</button>
        <label>up to (empty: now) <input id="restate-to" autocomplete="off" spellcheck="false"></label>
        <label>effective as of (empty: now) <input id="restate-effective" autocomplete="off" spellcheck="false"></label>
        <button type="submit">Compare</button>
      </form>
      <p class="status" data-status role="status"></p>
      <h3>Entries recorded in the range</h3>
      <table>
        <thead><tr><th>Transaction</th><th>Links</th><th>Position</th><th>Recorded at</th><th>Effective at</th><th>Postings</th></tr></thead>
        <tbody id="restated-entries"></tbody>
      </table>
      <h3>Ledger balances before and after</h3>
      <table>
        <thead><tr><th>Account</th><th>Currency</th><th>Before</th><th>After</th></tr></thead>
        <tbody id="restated-accounts"></tbody>
      </table>
    </div>
  </section>

  <section id="chain-panel" class="panel auditor-only">
    <h2>Hash chain</h2>
    <p class="needs-auditor" hidden>This panel needs an auditor key: a reader key may not verify the chain or read the digest.</p>
    <div class="panel-body">
      <p class="status" data-status role="status"></p>
      <dl id="digest" class="fields"></dl>
      <button id="verify" type="button">Verify again</button>
    </div>
  </section>
</main>
</body>
</html>
`;

export const CONSOLE_STYLE = String.raw`
:root { color-scheme: light; --ink: #1d232b; --muted: #5c6670; --line: #d5dae0; --bad: #b3261e; --good: #1e6b34; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f4f6f8; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.15rem; margin: 0; flex: 1; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; padding: 1rem 1.2rem; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; min-width: 0; }
#sign-in { max-width: 640px; margin: 2rem auto; }
#history-panel, #reversals-panel, #restatements-panel { grid-column: 1 / -1; }
h2 { font-size: 1rem; margin: 0 0 .6rem; }
h3 { font-size: .9rem; margin: .8rem 0 .3rem; }
label { display: inline-flex; flex-direction: column; gap: .2rem; font-size: .8rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--ink); }
input, select { padding: .3rem .4rem; border: 1px solid var(--line); border-radius: 4px; min-width: 12rem; }
input[type=range] { min-width: 0; width: 100%; padding: 0; }
button { padding: .35rem .8rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button[type=button] { background: #fff; color: var(--accent); }
.row { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .6rem; margin-bottom: .5rem; }
.grow { flex: 1; }
output { font-variant-numeric: tabular-nums; min-width: 4rem; }
.note { color: var(--muted); font-size: .85rem; }
.status { margin: .3rem 0; min-height: 1.2em; }
.status[data-kind=error], .bad { color: var(--bad); font-weight: 600; }
.status[data-kind=ok], .good { color: var(--good); font-weight: 600; }
.needs-auditor { padding: .6rem; border: 1px dashed var(--muted); border-radius: 4px; color: var(--muted); }
.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
.fields dt { color: var(--muted); }
.fields dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.fields dd.amount { font-weight: 600; }
table { width: 100%; border-collapse: collapse; font-size: .85rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .4rem; border-bottom: 1px solid var(--line); }
td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; }
tr.touches td { background: #eef4fb; }
tr.changed td { background: #fff6e0; }
.sub { display: block; color: var(--muted); font-size: .78rem; }
svg#history { width: 100%; height: auto; background: #fbfcfd; border: 1px solid var(--line); border-radius: 4px; }
svg .axis { stroke: #9aa3ad; stroke-width: 1; }
svg .zero { stroke: #9aa3ad; stroke-width: 1; stroke-dasharray: 2 3; }
svg .marker { stroke: var(--accent); stroke-width: 1; stroke-dasharray: 5 4; }
svg text { font-size: 10px; fill: var(--muted); }
svg .layer { fill: none; stroke-width: 1.6; }
svg .layer.current { stroke-width: 3.5; }
.legend { list-style: none; padding: 0; margin: .4rem 0 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .8rem; }
.legend li::before { content: ""; display: inline-block; width: 1.4rem; height: .25rem; margin-right: .35rem; vertical-align: middle; background: currentColor; }
.legend li.current { font-weight: 700; }
.c0 { color: #1f5fa8; stroke: #1f5fa8; } .c1 { color: #c05a00; stroke: #c05a00; } .c2 { color: #2a8a3e; stroke: #2a8a3e; }
.c3 { color: #8e3fb0; stroke: #8e3fb0; } .c4 { color: #b3261e; stroke: #b3261e; } .c5 { color: #4b5563; stroke: #4b5563; }
code { font-size: .85em; }
`;
