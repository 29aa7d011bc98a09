-- Facts are never updated or deleted, not even by the tables' owner: the triggers of every ledger
-- table (sql/002 and later) call this to refuse it.
create or replace function ledger_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'ledger tables are append-only: % on % is refused', tg_op, tg_table_name
    using errcode = 'insufficient_privilege';
end $$;
