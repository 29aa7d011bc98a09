-- When an account's next balance checkpoint is due (sql/functions/ledger_project.sql): the tail
-- length, in posted postings after its latest checkpoint, past which the projector builds the
-- next one. Twice the day rows of the latest checkpoint, between an eighth of the checkpoint
-- interval and the interval itself: a read's tail stays short on an account whose checkpoints
-- are small (most accounts: a few hundred postings, or postings on few days), while the rows a
-- checkpoint adds stay at most half a row a posting where the interval did not already bound
-- them. Null: not known yet, and the projector looks at the account once its tally passes the
-- least of those lengths. Derived state like the tally beside it, emptied by `npm run rebuild`.
alter table balance_tails add column if not exists due bigint;
