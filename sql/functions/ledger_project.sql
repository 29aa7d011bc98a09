-- The balance projector (src/app/projector.ts): folds each ledger's log into the balance
-- checkpoints (sql/009) off the request path, "the next N events after my checkpoint", so that
-- reads and noOverdraft checks find at most p_every postings (plus what the projector has not
-- reached yet) after an account's latest checkpoint, and build nothing themselves.

-- How far each ledger's log goes and how far it is projected: two backward probes per ledger.
create or replace function ledger_projector_lag()
returns table (ledger_id text, head bigint, projected bigint) language sql stable as $$
  select l.ledger_id,
         coalesce((select e.position from events e where e.ledger_id = l.ledger_id order by e.position desc limit 1), 0),
         coalesce((select p.position from projector_progress p where p.ledger_id = l.ledger_id order by p.position desc limit 1), 0)
    from ledgers l
$$;

-- One step for one ledger: the checkpoints that the next p_max_events events call for, for each
-- account they post to, then the new progress row; answers the position projected to. NULL when
-- another session is projecting this ledger (a transaction-scoped advisory lock: several API
-- processes never build the same thing at once) or on a replica, which reads what the primary
-- built. Builds are idempotent anyway (`on conflict do nothing`). The lock's key (7400003, the
-- ledger) is the projector's own: the migrator holds 7400001 and the Merkle tree's builder
-- (ledger_tree.sql) 7400002, which the projector must not wait behind.
--
-- Every read here goes through an index by ledger, account and position. `enable_seqscan = off`
-- keeps it so when the step's plans are made while the tables look empty (a new database, before
-- autovacuum's first analyze): plpgsql keeps such a plan, and a sequential scan of postings per
-- account made every step slower as the log grew (4,000 events took 6.5 s after 30,000).
create or replace function ledger_project(p_ledger_id text, p_max_events integer, p_every integer)
returns bigint language plpgsql volatile set enable_seqscan = off as $$
declare
  projected bigint;
  upto bigint;
begin
  if pg_is_in_recovery() or not pg_try_advisory_xact_lock(7400003, hashtext(p_ledger_id)) then
    return null;
  end if;
  select p.position into projected from projector_progress p where p.ledger_id = p_ledger_id order by p.position desc limit 1;
  projected := coalesce(projected, 0);
  -- Positions are committed in order, so every event up to the visible head is visible too.
  select e.position into upto from events e where e.ledger_id = p_ledger_id order by e.position desc limit 1;
  upto := least(coalesce(upto, 0), projected + p_max_events);
  if upto <= projected then
    return projected;
  end if;
  if p_every > 0 then
    perform ledger_project_checkpoints(p_ledger_id, projected, upto, p_every);
  end if;
  -- The reporting schema's date dimension for the same events (sql/functions/reporting.sql); its
  -- facts, accounts and ledgers are views (sql/023), which nothing needs to keep.
  perform reporting_fold(p_ledger_id, upto, projected);
  insert into projector_progress (ledger_id, position) values (p_ledger_id, upto);
  return upto;
end $$;

-- When an account's next checkpoint is due, in posted postings after its latest one, from the day
-- rows of that one (sql/024): twice them, between an eighth of p_every and p_every. A read's tail
-- is then short on an account whose checkpoints are small (most accounts: a few hundred
-- postings, or postings on few days), and a checkpoint adds at most half a row a posting where
-- p_every did not already bound its rows (an account spanning more days than p_every / 2).
create or replace function ledger_checkpoint_due(p_days bigint, p_every integer)
returns bigint language sql immutable as $$
  select least(p_every, greatest(ceil(p_every / 8.0)::bigint, 2 * p_days))
$$;

-- The checkpoints that the posted postings at positions in (p_after, p_upto] call for: through
-- each account's tally of its tail (balance_tails, sql/021), which the step adds its postings to
-- (one pass over them), so that only an account whose tally passes its due length (sql/024; not
-- known yet: the least, ledger_checkpoint_due(0)) is looked at (most accounts of a ledger never
-- are), built up to p_upto and counted again exactly. An account the tally has not met yet is
-- counted from its latest checkpoint before the step through p_upto.
create or replace function ledger_project_checkpoints(p_ledger_id text, p_after bigint, p_upto bigint, p_every integer)
returns void language plpgsql volatile as $$
declare
  touched text[];
  counts jsonb;
  tallied_accounts text[];
  due_accounts text[];
  account text;
begin
  -- The step's accounts and their postings, first: the tallies are then found by their key with
  -- the accounts as an array (= any), a probe each, and each finds its count in an object keyed
  -- by account (a binary search). No join, whose plan depends on what the tables looked like
  -- when the session made it: joined with the step, the plan kept from a new database read every
  -- tally of the ledger for every account of the step (6 ms a step at 1,000 accounts); joined
  -- and with the array as well, the update took 200 µs an event under batches of 1,000
  -- (pg_stat_statements, steps of 2,000 events), where it takes 10 to 13 ms a step on its own.
  select coalesce(array_agg(s.account_id order by s.account_id), '{}'), coalesce(jsonb_object_agg(s.account_id, s.n), '{}')
    into touched, counts
    from (select step.account_id, count(*) as n from ledger_posted_in(p_ledger_id, p_after, p_upto) step group by step.account_id) s;
  with tallied as (
    update balance_tails t set posted = t.posted + (counts ->> t.account_id)::bigint
     where t.ledger_id = p_ledger_id and t.account_id = any (touched)
    returning t.account_id, t.posted, t.due
  )
  select coalesce(array_agg(tallied.account_id), '{}'),
         coalesce(array_agg(tallied.account_id) filter (where tallied.posted > coalesce(tallied.due, ledger_checkpoint_due(0, p_every))), '{}')
    into tallied_accounts, due_accounts from tallied;
  -- The accounts the tally has not met (a statement only when there are some: an account's first
  -- step), counted from their latest checkpoint before the step through its end.
  if cardinality(tallied_accounts) < cardinality(touched) then
    with met as (
      insert into balance_tails (ledger_id, account_id, posted)
      select p_ledger_id, a.account_id, (
               select count(*) from postings p
                where p.ledger_id = p_ledger_id and p.account_id = a.account_id and p.status = 'posted' and p.position <= p_upto
                  and p.position > coalesce((select b.position from balance_checkpoints b
                                              where b.ledger_id = p_ledger_id and b.account_id = a.account_id and b.position <= p_after
                                              order by b.position desc limit 1), 0))
        from unnest(touched) a(account_id)
       where a.account_id <> all (tallied_accounts)
      returning balance_tails.account_id, balance_tails.posted
    )
    select due_accounts || coalesce(array_agg(met.account_id) filter (where met.posted > ledger_checkpoint_due(0, p_every)), '{}') into due_accounts from met;
  end if;
  foreach account in array due_accounts loop
    perform ledger_project_account(p_ledger_id, account, p_upto, p_every);
  end loop;
end $$;

-- An account's checkpoints through p_upto, each built once the tail after the one before is
-- longer than it calls for (ledger_checkpoint_due of its day rows), then its tally set exactly:
-- the tail after the last, and when the next is due.
create or replace function ledger_project_account(p_ledger_id text, p_account_id text, p_upto bigint, p_every integer)
returns void language plpgsql volatile as $$
declare
  checkpoint bigint;
  days bigint;
  next_position bigint;
begin
  select b.position into checkpoint from balance_checkpoints b
   where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position <= p_upto
   order by b.position desc limit 1;
  checkpoint := coalesce(checkpoint, 0);
  loop
    select count(*) into days from balance_checkpoints b
     where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position = checkpoint;
    -- The position of the posting after the due length, if the tail is that long. Every posting
    -- of that position goes into the checkpoint: a transaction may post twice to one account.
    select p.position into next_position from postings p
     where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
       and p.position > checkpoint and p.position <= p_upto
     order by p.position offset ledger_checkpoint_due(days, p_every) limit 1;
    exit when next_position is null;
    perform ledger_build_checkpoint(p_ledger_id, p_account_id, checkpoint, next_position);
    checkpoint := next_position;
  end loop;
  update balance_tails t
     set posted = (select count(*) from postings p
                    where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
                      and p.position > checkpoint and p.position <= p_upto),
         due = ledger_checkpoint_due(days, p_every)
   where t.ledger_id = p_ledger_id and t.account_id = p_account_id;
end $$;

-- The accounts of the posted postings at positions in (p_after, p_upto], one row a posting, read
-- by the postings' key in its order: a plan made while the tables looked small (plpgsql keeps it)
-- could read them through postings_by_account_status instead, which is in account order but
-- holds the ledger's every posting.
create or replace function ledger_posted_in(p_ledger_id text, p_after bigint, p_upto bigint)
returns table (account_id text) language sql stable as $$
  select p.account_id from postings p
   where p.ledger_id = p_ledger_id and p.position > p_after and p.position <= p_upto and p.status = 'posted'
   order by p.position, p.seq
$$;
