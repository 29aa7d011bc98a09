-- The balance projector's tally of each account's tail: how many posted postings an account has
-- after its latest balance checkpoint (sql/009), as of the projector's progress (sql/013). Each
-- step adds the postings it folds, per account, and looks for checkpoints to build only where the
-- tally passes the checkpoint interval: a step's cost grows with the events it folds, not with
-- every touched account's tail. An upper bound, never less than the tail: checkpoints built
-- elsewhere (by reads, where they build) only shorten the tail, and the step then counts again
-- exactly. An account with no row is counted from its checkpoint on the first step that meets it.
-- Derived state, changed in place (one row per account), emptied by `npm run rebuild`.
create table balance_tails (
  ledger_id  text not null,
  account_id text not null,
  posted     bigint not null,
  primary key (ledger_id, account_id)
) with (fillfactor = 70);

grant select, insert, update on balance_tails to ledger_app;
