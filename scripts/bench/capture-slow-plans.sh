#!/bin/bash
# Runs `npm run bench` with auto_explain loaded on the bench's own cluster as soon as it starts,
# and keeps a copy of that cluster's log (the bench removes the cluster when it is done), to
# catch the plan of a read that is slow in some runs only.
#   BENCH_ONLY=...           the bench's parts (default: all but the embedded one)
#   SLOW_MS=1000             log the plan of every statement (nested ones too) of this many ms
#   OUT=/tmp/bench-capture   where the bench's table (.txt), progress (.err) and the log (.log) go
set -u
export PATH="$(pwd)/node_modules/.bin:$PATH"
out=${OUT:-/tmp/bench-capture}
before=$(ls -d /tmp/ledger-pc-* 2>/dev/null)
BENCH_ONLY=${BENCH_ONLY:-baseline,writes,serial,batches,wallet,reads} npm run bench > "$out.txt" 2> "$out.err" &
bench=$!
dir=""
for _ in $(seq 1 600); do
  for d in $(ls -d /tmp/ledger-pc-* 2>/dev/null); do echo "$before" | grep -qx "$d" || dir=$d; done
  [ -n "$dir" ] && [ -S "$dir/.s.PGSQL.$(sed -n 4p "$dir/postmaster.pid" 2>/dev/null)" ] && break
  sleep 0.2
done
port=$(sed -n 4p "$dir/postmaster.pid")
runuser -u postgres -- /usr/lib/postgresql/15/bin/psql -X -q -h "$dir" -p "$port" -U postgres -d postgres <<SQL
load 'auto_explain';
alter system set session_preload_libraries = 'auto_explain';
alter system set auto_explain.log_min_duration = '${SLOW_MS:-1000}ms';
alter system set auto_explain.log_nested_statements = on;
select pg_reload_conf();
SQL
echo "capture-slow-plans: auto_explain on $dir (port $port), statements of ${SLOW_MS:-1000} ms and more"
tail -F -n +1 "$dir/server.log" > "$out.log" 2>/dev/null &
tailer=$!
wait $bench
kill $tailer
echo "capture-slow-plans: table $out.txt, plans $out.log"
