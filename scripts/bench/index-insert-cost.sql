-- What each index of `postings` costs an insert, in isolation (docs/benchmarks.md, session 14,
-- issue 13). Run with psql as a superuser on a migrated, durable, otherwise idle cluster:
--   psql -X -d <db> -f scripts/bench/index-insert-cost.sql
-- Four copies of `postings` (every index of today; without postings_by_account_status; the
-- primary key only; no index), each with 500,000 postings over 1,000 accounts, then three rounds
-- of 20 batches of 1,000 transactions of two postings into each in turn, committed a batch at a
-- time: a notice per copy and round with the time and the WAL a transaction. Drops its tables.
\set ON_ERROR_STOP on
drop table if exists px_full, px_nostatus, px_pkonly, px_heap;
create table px_full (like postings including defaults including constraints);
alter table px_full add primary key (ledger_id, position, seq);
create index px_full_by_account on px_full (ledger_id, account_id, effective_at, position) include (status, direction, amount);
create index px_full_by_status on px_full (ledger_id, account_id, status, position);
create index px_full_scheduled on px_full (ledger_id, account_id, effective_at) where status = 'posted' and effective_at > recorded_at;
create table px_nostatus (like px_full including all);
drop index px_nostatus_ledger_id_account_id_status_position_idx;
create table px_pkonly (like postings including defaults including constraints);
alter table px_pkonly add primary key (ledger_id, position, seq);
create table px_heap (like postings including defaults including constraints);

-- n transfers from position first + 1: two postings between accounts spread over 1,000, dated over a year.
create or replace function pg_temp.px_ins(tbl text, first_pos bigint, n_tx int) returns void language plpgsql as $$
begin
  execute format($f$insert into %I (ledger_id, position, seq, transaction_id, account_id, direction, amount, currency, status, effective_at, recorded_at)
    select 'led_bench', $1 + g, s, 'tx_' || ($1 + g), 'acct_' || (((($1 + g) * 7919 + s * 104729) %% 1000)), case s when 0 then 'debit' else 'credit' end,
      (1 + (($1 + g) %% 997))::numeric / 100, 'USD', 'posted', now() - interval '1 day' * ((($1 + g) %% 365)), now()
    from generate_series(1, $2) g, generate_series(0, 1) s$f$, tbl) using first_pos, n_tx;
end $$;

create or replace procedure pg_temp.px_bench(tbl text, first_pos bigint, batches int, n_tx int) language plpgsql as $$
declare t0 timestamptz; w0 pg_lsn;
begin
  t0 := clock_timestamp(); w0 := pg_current_wal_insert_lsn();
  for i in 1..batches loop
    perform pg_temp.px_ins(tbl, first_pos + (i - 1) * n_tx, n_tx);
    commit;
  end loop;
  raise notice '%: % µs, % bytes of WAL a transaction', rpad(tbl, 11),
    round(extract(epoch from clock_timestamp() - t0) * 1e6 / (batches * n_tx), 1), round((pg_current_wal_insert_lsn() - w0) / (batches * n_tx));
end $$;

select pg_temp.px_ins(t, 0, 250000) from unnest(array['px_full', 'px_nostatus', 'px_pkonly', 'px_heap']) t;
vacuum analyze px_full, px_nostatus, px_pkonly, px_heap;
checkpoint;
call pg_temp.px_bench('px_full', 1000000, 20, 1000);
call pg_temp.px_bench('px_nostatus', 1000000, 20, 1000);
call pg_temp.px_bench('px_pkonly', 1000000, 20, 1000);
call pg_temp.px_bench('px_heap', 1000000, 20, 1000);
call pg_temp.px_bench('px_full', 1100000, 20, 1000);
call pg_temp.px_bench('px_nostatus', 1100000, 20, 1000);
call pg_temp.px_bench('px_pkonly', 1100000, 20, 1000);
call pg_temp.px_bench('px_heap', 1100000, 20, 1000);
call pg_temp.px_bench('px_full', 1200000, 20, 1000);
call pg_temp.px_bench('px_nostatus', 1200000, 20, 1000);
call pg_temp.px_bench('px_pkonly', 1200000, 20, 1000);
call pg_temp.px_bench('px_heap', 1200000, 20, 1000);
drop table px_full, px_nostatus, px_pkonly, px_heap;
