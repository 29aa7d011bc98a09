-- Holds' resolutions: a post (capture) or a void, at most one per hold. A post's captured
-- postings are rows of `postings` (status 'posted', the hold's transaction id, the post's position).
create table hold_resolutions (
  ledger_id    text not null,
  hold_id      text not null,
  position     bigint not null,
  type         text not null check (type in ('posted', 'voided')),
  effective_at timestamptz not null,
  recorded_at  timestamptz not null,
  data         jsonb not null,
  primary key (ledger_id, hold_id)
);

create trigger hold_resolutions_no_change before update or delete on hold_resolutions
  for each row execute function ledger_refuse_change();
create trigger hold_resolutions_no_truncate before truncate on hold_resolutions
  for each statement execute function ledger_refuse_change();
grant select, insert on hold_resolutions to ledger_app;
