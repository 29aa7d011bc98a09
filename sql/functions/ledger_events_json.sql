-- A page of the event feed (GET .../events) as JSON text, written here rather than parsed from
-- jsonb into objects by the driver and serialised again by the service: the events at positions
-- p_first to p_last that exist, in order, each as the feed presents it (src/adapters/http/
-- routes/feed.ts, presentEvent: recordedAt in microseconds, UTC, as formatInstant writes it),
-- joined by commas; with how many and the last position.
create or replace function ledger_events_json(p_ledger_id text, p_first bigint, p_last bigint)
returns table (events text, count integer, last_position bigint)
language sql stable as $$
  select coalesce(string_agg(
           '{"ledgerId":' || to_json(e.ledger_id)::text || ',"position":' || e.position || ',"type":' || to_json(e.type)::text
           || ',"recordedAt":"' || to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
           || '","actor":' || to_json(e.actor)::text || ',"requestId":' || to_json(e.request_id)::text
           || ',"prevHash":' || to_json(e.prev_hash)::text || ',"hash":' || to_json(e.hash)::text || ',"data":' || e.data::text || '}',
           ',' order by e.position), ''),
         count(*)::integer, max(e.position)
    from events e
   where e.ledger_id = p_ledger_id and e.position >= p_first and e.position <= p_last
$$;
