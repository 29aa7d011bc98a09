-- Spec sections 2 and 11: an account's optional type, fixed when it is opened (AccountOpened's
-- `type`; accounts opened before types existed, or without one, keep null), and lists filtered
-- by metadata (`metadata[key]=value`, exact match on top-level keys), answered with `@>` from
-- GIN indexes over each account's metadata and each transaction's. jsonb_path_ops: the indexes
-- answer containment only, which is all the filters ask, and are smaller than the default's.
alter table accounts add column type text check (type in ('asset', 'liability', 'equity', 'income', 'expense'));

create index accounts_metadata on accounts using gin (metadata jsonb_path_ops);
create index transactions_metadata on transactions using gin ((data -> 'metadata') jsonb_path_ops);
