-- The reporting schema (sql/019, sql/020, docs/reporting.md): its facts, accounts and ledgers
-- become views over the ledger's own tables, which hold every column they showed. They were
-- copies folded by the balance projector's step, and that fold was two thirds of the
-- projector's PostgreSQL time (a wide row, its key and its WAL for every posting, then updates
-- of earlier rows for reversals, corrections and hold resolutions): a view costs nothing until
-- it is read, and it is exact at once, with no projector behind it. Its columns, their order
-- and their meaning are those of the tables (docs/reporting.md):
--   - a fact's links are the transaction that reverses it (transactions_reversed_once: at most
--     one), the one that corrects it (a correction is a reversal and a replacement in one
--     commit, so also at most one) and its hold's resolution (hold_resolutions' key), each with
--     the position and recorded time that reporting.postings_as_of filters on, as before;
--   - every join is a left join on a unique key (or to one row), so that a query that does not
--     read a joined table's columns does not read that table (PostgreSQL removes such joins).
-- The date dimension stays a table (one row per calendar date any fact falls on), folded by the
-- projector's step (reporting_fold: a probe per distinct date of a step); the schema's own
-- progress goes, as the step's is the projector's.
-- Applied again to a database that already has the views (its schema_migrations row lost, as
-- after a restore), it changes nothing.
do $$
begin
  if (select c.relkind from pg_class c where c.oid = to_regclass('reporting.postings')) = 'r' then
    drop view reporting.postings_by_account;
    drop table reporting.postings;
    drop table reporting.accounts;
    drop table reporting.ledgers;
  end if;
end $$;
drop table if exists reporting_progress;
-- Only the fold read the log's events other than transactions through it; writes kept it.
drop index if exists events_not_transactions;

create or replace view reporting.ledgers as
select l.ledger_id, l.name, l.timezone from ledgers l;

create or replace view reporting.accounts as
select a.ledger_id, a.account_id, a.name, coalesce(a.type, 'unclassified') as type, a.normal_balance, a.currency, a.no_overdraft, a.metadata,
       cardinality(string_to_array(a.account_id, ':')) as depth,
       reporting_account_level(a.account_id, 1) as level1, reporting_account_level(a.account_id, 2) as level2,
       reporting_account_level(a.account_id, 3) as level3, reporting_account_level(a.account_id, 4) as level4,
       reporting_account_level(a.account_id, 5) as level5, reporting_account_level(a.account_id, 6) as level6,
       a.position as opened_position, a.recorded_at as opened_at, c.position as closed_position, c.recorded_at as closed_at,
       a.ledger_id || '/' || a.account_id as account_key
  from accounts a
  left join account_closures c on c.ledger_id = a.ledger_id and c.account_id = a.account_id;

create or replace view reporting.postings as
select p.ledger_id, p.position, p.seq, p.transaction_id,
       case when t.position <> p.position then 'capture' when t.status = 'pending' then 'hold'
            when t.reverses is not null then 'reversal' when t.corrects is not null then 'replacement' else 'entry' end as entry_kind,
       p.account_id, p.direction, p.amount,
       case when p.direction = a.normal_balance then p.amount else -p.amount end as signed_amount,
       case when p.direction = 'debit' then p.amount else 0 end as debit,
       case when p.direction = 'credit' then p.amount else 0 end as credit,
       p.currency, p.status, coalesce(t.data ->> 'description', '') as description, coalesce(t.data -> 'metadata', '{}') as transaction_metadata,
       p.effective_at, (p.effective_at at time zone l.timezone)::date as effective_date,
       p.recorded_at, (p.recorded_at at time zone l.timezone)::date as recorded_date,
       p.expires_at, t.reverses, t.corrects,
       rv.transaction_id as reversed_by, rv.position as reversed_by_position, rv.recorded_at as reversed_by_recorded_at,
       cr.transaction_id as corrected_by, cr.position as corrected_by_position, cr.recorded_at as corrected_by_recorded_at,
       h.type as hold_resolution, h.position as hold_resolved_position, h.recorded_at as hold_resolved_recorded_at,
       h.effective_at as hold_resolved_effective_at,
       p.ledger_id || '/' || p.account_id as account_key
  from postings p
  left join ledgers l on l.ledger_id = p.ledger_id
  left join accounts a on a.ledger_id = p.ledger_id and a.account_id = p.account_id
  left join transactions t on t.ledger_id = p.ledger_id and t.transaction_id = p.transaction_id
  -- At most one row each: an aggregate without GROUP BY, which PostgreSQL knows is one row, so
  -- that a query that does not read the links does not probe for them.
  left join lateral (select max(r.transaction_id) as transaction_id, max(r.position) as position, max(r.recorded_at) as recorded_at
                       from transactions r where r.ledger_id = p.ledger_id and r.reverses = p.transaction_id) rv on true
  left join lateral (select max(c.transaction_id) as transaction_id, max(c.position) as position, max(c.recorded_at) as recorded_at
                       from transactions c where c.ledger_id = p.ledger_id and c.corrects = p.transaction_id) cr on true
  left join hold_resolutions h on h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id and p.status = 'pending';

create or replace view reporting.postings_by_account as
select p.*, a.name as account_name, a.type as account_type, a.normal_balance, a.depth,
       a.level1, a.level2, a.level3, a.level4, a.level5, a.level6,
       d.year, d.quarter, d.month, d.year_quarter, d.year_month
  from reporting.postings p
  join reporting.accounts a on a.ledger_id = p.ledger_id and a.account_id = p.account_id
  join reporting.dates d on d.date = p.effective_date;

grant select on reporting.ledgers, reporting.accounts, reporting.postings, reporting.postings_by_account to ledger_reporting;
