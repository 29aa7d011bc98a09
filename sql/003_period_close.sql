-- Period closes: each PeriodClosed event, in order; the ledger is closed through the latest.
create table period_closes (
  ledger_id   text not null,
  position    bigint not null,
  through     date not null,
  recorded_at timestamptz not null,
  primary key (ledger_id, position)
);

create trigger period_closes_no_change before update or delete on period_closes
  for each row execute function ledger_refuse_change();
create trigger period_closes_no_truncate before truncate on period_closes
  for each statement execute function ledger_refuse_change();
grant select, insert on period_closes to ledger_app;
