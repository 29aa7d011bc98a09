-- Spec section 11: the `reporting` schema, a star schema for spreadsheets and BI tools (see
-- docs/reporting.md), and `ledger_reporting`, the read-only role they connect with.
--
-- Derived state like the balance checkpoints: folded from the log by the balance projector's
-- step (ledger_project calls reporting_fold, sql/functions/reporting.sql) from its own progress
-- (`reporting_progress`), emptied and refilled from position 1 by `npm run rebuild`. Unlike the
-- ledger's tables it is not append-only: a fact learns its reversal, its correction or its hold's
-- resolution when the projector reaches them (each with the position and recorded time it was
-- learnt at, so that the functions of sql/functions/reporting.sql answer as known at any R).
create schema if not exists reporting;

-- The ledgers, with the timezone their dates are read in.
create table reporting.ledgers (
  ledger_id text primary key,
  name      text not null,
  timezone  text not null
);

-- The account dimension: the account's type (`unclassified` when it has none), its normal
-- balance, and its path split on `:` (level1 = the first segment, level2 = the first two joined
-- with `:`, ...; null below the account's depth; an account deeper than 6 is under its 6th).
create table reporting.accounts (
  ledger_id       text not null,
  account_id      text not null,
  name            text not null,
  type            text not null,
  normal_balance  text not null,
  currency        text not null,
  no_overdraft    boolean not null,
  metadata        jsonb not null,
  depth           integer not null,
  level1          text not null,
  level2          text,
  level3          text,
  level4          text,
  level5          text,
  level6          text,
  opened_position bigint not null,
  opened_at       timestamptz not null,
  closed_position bigint,
  closed_at       timestamptz,
  primary key (ledger_id, account_id)
);

-- The date dimension (calendar days, ISO weeks): every effective and recorded date of a fact, as
-- read in its ledger's timezone.
create table reporting.dates (
  date         date primary key,
  year         integer not null,
  quarter      integer not null,
  month        integer not null,
  day          integer not null,
  year_quarter text not null,
  year_month   text not null,
  month_name   text not null,
  iso_year     integer not null,
  iso_week     integer not null,
  day_of_week  integer not null,
  day_name     text not null
);

-- The fact table: one row per posting, pending ones (holds) included. `amount` is the raw
-- positive amount on `direction`; `signed_amount` is + on the account's normal side, - on the
-- other (what a balance sums); `debit` and `credit` split it for trial balances.
create table reporting.postings (
  ledger_id                  text not null,
  position                   bigint not null,
  seq                        integer not null,
  transaction_id             text not null,
  entry_kind                 text not null check (entry_kind in ('entry', 'reversal', 'replacement', 'hold', 'capture')),
  account_id                 text not null,
  direction                  text not null,
  amount                     numeric not null,
  signed_amount              numeric not null,
  debit                      numeric not null,
  credit                     numeric not null,
  currency                   text not null,
  status                     text not null,
  description                text not null,
  transaction_metadata       jsonb not null,
  effective_at               timestamptz not null,
  effective_date             date not null,
  recorded_at                timestamptz not null,
  recorded_date              date not null,
  expires_at                 timestamptz,
  reverses                   text,
  corrects                   text,
  reversed_by                text,
  reversed_by_position       bigint,
  reversed_by_recorded_at    timestamptz,
  corrected_by               text,
  corrected_by_position      bigint,
  corrected_by_recorded_at   timestamptz,
  hold_resolution            text check (hold_resolution in ('posted', 'voided')),
  hold_resolved_position     bigint,
  hold_resolved_recorded_at  timestamptz,
  hold_resolved_effective_at timestamptz,
  primary key (ledger_id, position, seq)
);

-- The events other than transactions (accounts opened and closed, holds resolved, ...), which the
-- fold looks for in each range of the log: a few entries, where a range is mostly transactions.
create index events_not_transactions on events (ledger_id, position) where type <> 'TransactionRecorded';

-- How far each ledger's log is folded into the schema: one row per ledger. Not in the schema
-- itself, where the read-only role would see it.
create table reporting_progress (
  ledger_id   text primary key,
  position    bigint not null,
  recorded_at timestamptz not null default clock_timestamp()
);

-- What the service may do here (the projector acts as ledger_app): fold, not delete.
grant usage on schema reporting to ledger_app;
grant select, insert, update on all tables in schema reporting to ledger_app;
grant select, insert, update on reporting_progress to ledger_app;

-- The read-only role for spreadsheets and BI tools: a NOLOGIN group role that login users are
-- made members of (docs/reporting.md). It reads the reporting schema and runs its functions, and
-- nothing else: no table of the ledger, no API key, no write anywhere.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'ledger_reporting') then
    create role ledger_reporting nologin;
  end if;
end $$;
-- The migrating role may SET ROLE to it (a superuser always can): how the tests check what it may do.
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant ledger_reporting to %I', current_user);
  end if;
end $$;
revoke all on schema reporting from public;
grant usage on schema reporting to ledger_reporting;
grant select on all tables in schema reporting to ledger_reporting;
grant execute on all functions in schema reporting to ledger_reporting;
alter default privileges in schema reporting grant select on tables to ledger_reporting;
alter default privileges in schema reporting grant execute on functions to ledger_reporting;

-- A database that already has ledgers: fold what the log holds now (the projector goes on from there).
select reporting_fold(l.ledger_id,
                      coalesce((select e.position from events e where e.ledger_id = l.ledger_id order by e.position desc limit 1), 0))
  from ledgers l;
