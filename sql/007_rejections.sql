-- The rejection log: every write refused for a business reason (a 409 or 422), with who asked,
-- the request id, the code, and the log position and recorded time it was judged at, so that
-- folding the log to that position and deciding the same commands gives the same refusal.
-- Like the events, it is only ever appended to. It is not derived from the log: a rebuild keeps it.
create table rejections (
  ledger_id text not null,
  seq bigint generated always as identity,
  position bigint not null,
  recorded_at timestamptz not null,
  code text not null,
  detail text not null,
  errors jsonb not null,
  actor text not null,
  request_id text not null,
  -- The commands decided from that position, in order: the last one was refused; those before it
  -- are the earlier items of an atomic batch, which were decided but not recorded.
  commands jsonb not null,
  primary key (ledger_id, seq)
);

create trigger rejections_no_change before update or delete on rejections for each row execute function ledger_refuse_change();
create trigger rejections_no_truncate before truncate on rejections for each statement execute function ledger_refuse_change();

grant select, insert on rejections to ledger_app;
