-- The ledger core: the event log and the projections written in the same commit.
-- Every table is keyed by ledger first (the shard key) and is append-only: see 002.

create table ledgers (
  ledger_id   text primary key,
  name        text not null,
  timezone    text not null,
  recorded_at timestamptz not null
);

-- The log. Positions are per ledger, gapless, in commit order; recorded_at is the commit's time.
create table events (
  ledger_id   text not null,
  position    bigint not null check (position > 0),
  type        text not null,
  recorded_at timestamptz not null,
  actor       text not null,
  request_id  text not null,
  data        jsonb not null,
  prev_hash   text not null,
  hash        text not null,
  primary key (ledger_id, position)
);
create index events_by_recorded_at on events (ledger_id, recorded_at, position);

create table assets (
  ledger_id text not null,
  code      text not null,
  scale     integer not null check (scale between 0 and 18),
  position  bigint not null,
  primary key (ledger_id, code)
);

create table accounts (
  ledger_id      text not null,
  account_id     text not null,
  name           text not null,
  normal_balance text not null check (normal_balance in ('debit', 'credit')),
  currency       text not null,
  no_overdraft   boolean not null,
  metadata       jsonb not null,
  position       bigint not null,
  recorded_at    timestamptz not null,
  primary key (ledger_id, account_id)
);

create table account_closures (
  ledger_id   text not null,
  account_id  text not null,
  position    bigint not null,
  recorded_at timestamptz not null,
  primary key (ledger_id, account_id)
);

create table transactions (
  ledger_id      text not null,
  transaction_id text not null,
  position       bigint not null,
  status         text not null check (status in ('posted', 'pending')),
  effective_at   timestamptz not null,
  recorded_at    timestamptz not null,
  reverses       text,
  corrects       text,
  data           jsonb not null,
  primary key (ledger_id, transaction_id)
);
create index transactions_by_position on transactions (ledger_id, position);
create unique index transactions_reversed_once on transactions (ledger_id, reverses) where reverses is not null;

-- One row per posting. Amounts are NUMERIC with no precision: nothing rounds.
create table postings (
  ledger_id      text not null,
  position       bigint not null,
  seq            integer not null,
  transaction_id text not null,
  account_id     text not null,
  direction      text not null check (direction in ('debit', 'credit')),
  amount         numeric not null check (amount > 0),
  currency       text not null,
  status         text not null check (status in ('posted', 'pending')),
  effective_at   timestamptz not null,
  recorded_at    timestamptz not null,
  expires_at     timestamptz,
  primary key (ledger_id, position, seq)
);
create index postings_by_account on postings (ledger_id, account_id, effective_at, position);

-- Idempotency: a write's key and the positions of the events it recorded, kept as long as they are.
create table idempotency_keys (
  ledger_id      text not null,
  scope          text not null,
  key            text not null,
  request        jsonb not null,
  first_position bigint not null,
  last_position  bigint not null,
  primary key (ledger_id, scope, key)
);

create table api_keys (
  key_id     text primary key,
  key_hash   text not null unique,
  name       text not null,
  role       text not null check (role in ('admin', 'writer', 'reader', 'auditor')),
  ledger_ids jsonb not null,
  created_at timestamptz not null default clock_timestamp()
);

create table api_key_revocations (
  key_id     text primary key references api_keys (key_id),
  revoked_at timestamptz not null default clock_timestamp()
);
