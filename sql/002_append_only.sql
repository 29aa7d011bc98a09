-- Facts are never updated or deleted, not even by the tables' owner: these triggers refuse it.
-- (ledger_refuse_change is in sql/functions/.)
do $$
declare
  t text;
begin
  foreach t in array array['ledgers', 'events', 'assets', 'accounts', 'account_closures', 'transactions',
                           'postings', 'idempotency_keys', 'api_keys', 'api_key_revocations'] loop
    execute format('create trigger %I before update or delete on %I for each row execute function ledger_refuse_change()', t || '_no_change', t);
    execute format('create trigger %I before truncate on %I for each statement execute function ledger_refuse_change()', t || '_no_truncate', t);
  end loop;
end $$;

-- The role the service sets at run time: it may read and insert, nothing else.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'ledger_app') then
    create role ledger_app nologin;
  end if;
end $$;
grant usage on schema public to ledger_app;
grant select, insert on ledgers, events, assets, accounts, account_closures, transactions, postings,
  idempotency_keys, api_keys, api_key_revocations to ledger_app;
-- The migrating role must be able to SET ROLE to it (a superuser always can).
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant ledger_app to %I', current_user);
  end if;
end $$;
