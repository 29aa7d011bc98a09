-- Balance checkpoints: memos of the fold of an account's posted postings, so that a balance as
-- of any (position P, effective time E) reads a bounded number of rows, never the account's
-- whole history.
--
-- A checkpoint of an account at position C holds, for each effective day (UTC) on which the
-- account has posted postings at positions <= C, the sums of those effective before the end of
-- that day. Then the posted sums at (P, E), for the latest checkpoint C <= P, are:
--   the checkpoint's row for the last day before E's day
--   + the postings at positions <= C effective on E's day, up to E    (one day of postings)
--   + the postings at positions in (C, P] effective by E              (the tail: at most p_tail_max)
-- Reads build checkpoints when they find a longer tail, every p_tail_max postings, each from the
-- one before: derived state, append-only like the rest, emptied by `npm run rebuild`. Writes
-- never touch them. A read replica (in recovery) reads them but builds none.

create table balance_checkpoints (
  ledger_id  text not null,
  account_id text not null,
  position   bigint not null,
  day        bigint not null, -- days since 1970-01-01 (UTC) of the effective time
  debits     numeric not null,
  credits    numeric not null,
  primary key (ledger_id, account_id, position, day)
);

create trigger balance_checkpoints_no_change before update or delete on balance_checkpoints
  for each row execute function ledger_refuse_change();
create trigger balance_checkpoints_no_truncate before truncate on balance_checkpoints
  for each statement execute function ledger_refuse_change();
grant select, insert on balance_checkpoints to ledger_app;

-- The tail after a checkpoint, and the pending postings, by position.
create index postings_by_account_status on postings (ledger_id, account_id, status, position);
-- (The functions that read and build them are in sql/functions/balance_checkpoints.sql.)
