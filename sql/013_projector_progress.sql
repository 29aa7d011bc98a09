-- The projector's progress: how far each ledger's log has been folded into the balance
-- checkpoints (sql/009). A row per step, never changed: the latest position is the projector's
-- checkpoint, which it resumes from after a restart. Derived state like the checkpoints, emptied
-- with them by `npm run rebuild`.
create table projector_progress (
  ledger_id   text not null,
  position    bigint not null,
  recorded_at timestamptz not null default clock_timestamp(),
  primary key (ledger_id, position)
);

create trigger projector_progress_no_change before update or delete on projector_progress
  for each row execute function ledger_refuse_change();
create trigger projector_progress_no_truncate before truncate on projector_progress
  for each statement execute function ledger_refuse_change();
grant select, insert on projector_progress to ledger_app;
