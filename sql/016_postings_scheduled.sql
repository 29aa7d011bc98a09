-- The postings that are ever scheduled: posted, and effective after they were recorded (dated in
-- the future). A balance's scheduled sums at (P, E) are those recorded by E, effective after E,
-- at positions <= P: a few rows of this index, where two folds through checkpoints read up to
-- two tails of postings each.
create index postings_scheduled on postings (ledger_id, account_id, effective_at)
  where status = 'posted' and effective_at > recorded_at;
