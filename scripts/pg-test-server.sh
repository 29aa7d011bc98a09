#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the test suite, apart from any system cluster.
#
#   scripts/pg-test-server.sh [start]   start (or reuse) it, recreate the database `ledger_test`,
#                                       print its DATABASE_URL as the only line on stdout; a server
#                                       already running keeps its database (other suites may be
#                                       using it) unless PG_TEST_RESET_DB=1
#   scripts/pg-test-server.sh up        start (or reuse) it and print the URL, keeping the database:
#                                       after a crash, this is PostgreSQL's crash recovery
#   scripts/pg-test-server.sh crash     SIGKILL the postmaster and every backend (kill -9), for
#                                       fault tests
#   scripts/pg-test-server.sh standby   make it a streaming replica (hot standby) of the server in
#                                       PG_TEST_PRIMARY_DIR on PG_TEST_PRIMARY_PORT, start it and
#                                       print its URL (the primary's database, read-only)
#   scripts/pg-test-server.sh sql 'SQL' run SQL as the superuser (e.g. pg_wal_replay_pause())
#   scripts/pg-test-server.sh stop      stop it; the data directory stays for the next start
#   scripts/pg-test-server.sh reset     stop it and delete its data directory
#
# PG_TEST_DIR (default /tmp/ledger-pg) is the data directory, PG_TEST_PORT (default 55432) the
# port on 127.0.0.1. Progress goes to stderr. As root, the server runs as the `postgres` user,
# because PostgreSQL refuses to run as root. Durability is off (the data is disposable), unless
# PG_TEST_DURABLE=1 when the cluster is made: then fsync, synchronous_commit and
# full_page_writes are on, as in production, for fault tests and benchmarks.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
DATA_DIR=${PG_TEST_DIR:-/tmp/ledger-pg}
PORT=${PG_TEST_PORT:-55432}
MARKER=.ledger-pg-test # written after initdb: only a directory holding it is ever deleted
DB_URL="postgres://ledger:ledger@127.0.0.1:${PORT}/ledger_test"

# Settings from the caller's environment must not steer the admin connections below.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGOPTIONS PGDATA

log() { printf 'pg-test-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command as the server's owner, from a directory that owner can read.
as_owner() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Superuser SQL from stdin, through the unix socket in the data directory: trust auth, but only
# the owner can reach it, as the data directory is mode 0700.
admin_sql() {
  as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA_DIR" -p "$PORT" -U postgres \
    -d postgres >&2
}

# Prints the pid in the data directory's postmaster.pid when that process is this directory's
# postmaster; fails otherwise. A server killed with SIGKILL leaves its pid file behind, and with
# pids wrapping at 32768 the pid may go to another process before the next start: pg_ctl, which
# only asks whether the pid exists, then signals that process (it once ended a test's API server
# as it started).
postmaster_pid() {
  local pid args data_arg
  pid=$(head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  args=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $(head -n 1 <<<"$args") == */postgres ]] || return 1
  data_arg=$(sed -n '/^-D$/{n;p;q}' <<<"$args")
  [[ -n $data_arg && $(realpath -m -- "$data_arg") == $(realpath -m -- "$DATA_DIR") ]] || return 1
  echo "$pid"
}

# Whether this directory's server runs. A pid file that names no such server is stale: it goes, so
# that neither pg_ctl nor PostgreSQL itself takes the process now holding that pid for a server.
is_running() {
  postmaster_pid >/dev/null && return 0
  if [[ -f $DATA_DIR/postmaster.pid ]]; then
    log "removing a stale postmaster.pid in $DATA_DIR (no server of this directory holds its pid)"
    as_owner rm -f "$DATA_DIR/postmaster.pid"
  fi
  return 1
}

ensure_installed() {
  [[ -x $PG_BIN/postgres ]] && return
  [[ $EUID -eq 0 ]] || die "PostgreSQL 15 is missing; as root: apt-get install -y postgresql-15"
  log "installing postgresql-15 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql-15 >&2
}

check_settings() {
  [[ $PORT =~ ^[0-9]+$ ]] || die "PG_TEST_PORT must be a number, got '$PORT'"
  [[ $DATA_DIR == /* ]] || die "PG_TEST_DIR must be an absolute path, got '$DATA_DIR'"
  # Unix socket paths are limited to 107 bytes.
  local socket="$DATA_DIR/.s.PGSQL.$PORT"
  (( ${#socket} <= 100 )) || die "PG_TEST_DIR is too long for a unix socket path: $DATA_DIR"
}

init_cluster() {
  if [[ -f $DATA_DIR/PG_VERSION ]]; then
    [[ $(<"$DATA_DIR/PG_VERSION") == 15 ]] || die "$DATA_DIR holds a non-15 cluster; run '$0 reset'"
    return
  fi
  log "initialising a cluster in $DATA_DIR"
  mkdir -p "$DATA_DIR"
  if [[ $EUID -eq 0 ]]; then
    chown postgres:postgres "$DATA_DIR"
    as_owner test -x "$(dirname "$DATA_DIR")" ||
      die "user postgres cannot enter $(dirname "$DATA_DIR"); choose another PG_TEST_DIR"
  fi
  chmod 0700 "$DATA_DIR"
  as_owner "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --no-locale --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >&2
  local socket_dir=${DATA_DIR//\'/\'\'} durability=off
  [[ ${PG_TEST_DURABLE:-0} == 1 ]] && durability=on
  as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<CONF

# pg-test-server.sh: a test server; durability $durability (PG_TEST_DURABLE)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
max_connections = 200
fsync = $durability
synchronous_commit = $durability
full_page_writes = $durability
CONF
  as_owner touch "$DATA_DIR/$MARKER"
}

# A server killed a moment ago can still look alive, and one starting up does not answer yet:
# wait until it answers (reuse it) or is gone (start it).
running_and_ready() {
  local attempt running_port
  for attempt in {1..20}; do
    is_running || return 1
    running_port=$(sed -n 4p "$DATA_DIR/postmaster.pid")
    [[ $running_port == "$PORT" ]] ||
      die "the server in $DATA_DIR runs on port $running_port; '$0 stop' it first"
    as_owner "$PG_BIN/pg_isready" -q -h "$DATA_DIR" -p "$PORT" && return 0
    (( attempt == 1 )) && log "waiting for the server in $DATA_DIR to answer or stop"
    sleep 0.5
  done
  die "the server in $DATA_DIR neither answers nor stops; try '$0 reset'"
}

start_server() {
  if running_and_ready; then
    log "server already running in $DATA_DIR, reusing it"
    ALREADY_RUNNING=1
    return
  fi
  # pg_isready: 0 accepting, 1 rejecting (starting up), 2 no answer.
  local ready=0
  as_owner "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || ready=$?
  (( ready >= 2 )) || die "another PostgreSQL answers on 127.0.0.1:$PORT; set PG_TEST_PORT"
  log "starting PostgreSQL 15 on 127.0.0.1:$PORT (log: $DATA_DIR/server.log)"
  as_owner "$PG_BIN/pg_ctl" start -D "$DATA_DIR" -o "-p $PORT" -l "$DATA_DIR/server.log" \
    -w -t 60 >&2 || { tail -n 20 "$DATA_DIR/server.log" >&2 || true; die "server did not start"; }
}

database_exists() {
  [[ $(as_owner "$PG_BIN/psql" -X -qtA -h "$DATA_DIR" -p "$PORT" -U postgres -d postgres \
        -c "select 1 from pg_database where datname = 'ledger_test'") == 1 ]]
}

create_database() {
  log "recreating role ledger and database ledger_test"
  admin_sql <<'SQL'
set client_min_messages = warning;
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'ledger') then
    create role ledger;
  end if;
end $$;
-- Not a superuser: the migrations create the NOLOGIN role ledger_app and grant it to themselves.
alter role ledger login nosuperuser createrole createdb password 'ledger';
-- The suites drop their private databases WITH (FORCE): that may end sessions of other roles.
grant pg_signal_backend to ledger;
drop database if exists ledger_test with (force);
create database ledger_test owner ledger;
SQL
}

# The pids whose parent is $1, from /proc (field 4 of stat, after the parenthesised name and the
# state), with shell builtins only: a fork per process made each call take seconds.
children_of() {
  local stat line rest
  for stat in /proc/[0-9]*/stat; do
    { read -r line <"$stat"; } 2>/dev/null || continue
    rest=${line##*) }
    rest=${rest#* }
    if [[ ${rest%% *} == "$1" ]]; then
      stat=${stat%/stat}
      echo "${stat#/proc/}"
    fi
  done
  return 0
}

# kill -9 of the whole server: the postmaster is stopped first so that it forks no new backend,
# then its children and itself are killed, and we wait until all of them are gone.
crash_server() {
  local pid
  pid=$(postmaster_pid) || { log "no server running in $DATA_DIR"; return; }
  log "killing (SIGKILL) the server in $DATA_DIR: postmaster $pid and its children"
  kill -STOP "$pid"
  local child
  for child in $(children_of "$pid"); do kill -KILL "$child" 2>/dev/null || true; done
  kill -KILL "$pid"
  local attempt
  for attempt in {1..100}; do
    if ! kill -0 "$pid" 2>/dev/null && [[ -z $(children_of "$pid") ]]; then return; fi
    sleep 0.1
  done
  die "the server in $DATA_DIR is still there after SIGKILL"
}

# A copy of a running primary that follows its WAL: pg_basebackup -R writes standby.signal and
# primary_conninfo (through the primary's socket, as the superuser).
make_standby() {
  local primary_dir=${PG_TEST_PRIMARY_DIR:?PG_TEST_PRIMARY_DIR is needed} primary_port=${PG_TEST_PRIMARY_PORT:?PG_TEST_PRIMARY_PORT is needed}
  if [[ ! -f $DATA_DIR/standby.signal ]]; then
    [[ -e $DATA_DIR ]] && die "$DATA_DIR exists and is not a standby; '$0 reset' it first"
    log "copying the server in $primary_dir to a standby in $DATA_DIR"
    mkdir -p "$DATA_DIR"
    [[ $EUID -eq 0 ]] && chown postgres:postgres "$DATA_DIR"
    chmod 0700 "$DATA_DIR"
    as_owner "$PG_BIN/pg_basebackup" -h "$primary_dir" -p "$primary_port" -U postgres -D "$DATA_DIR" -R -X stream -c fast --no-sync >&2
    local socket_dir=${DATA_DIR//\'/\'\'}
    as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<<"unix_socket_directories = '$socket_dir'"
    as_owner touch "$DATA_DIR/$MARKER"
  fi
  start_server
}

stop_server() {
  if [[ -d $DATA_DIR ]] && is_running; then
    log "stopping the server in $DATA_DIR"
    as_owner "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w >&2
  else
    log "no server running in $DATA_DIR"
  fi
}

case ${1:-start} in
  start)
    check_settings
    ensure_installed
    init_cluster
    ALREADY_RUNNING=0
    start_server
    if (( ALREADY_RUNNING )) && [[ ${PG_TEST_RESET_DB:-0} != 1 ]] && database_exists; then
      log "keeping the database ledger_test (PG_TEST_RESET_DB=1 recreates it)"
    else
      create_database
    fi
    echo "$DB_URL"
    ;;
  up)
    check_settings
    [[ -f $DATA_DIR/$MARKER ]] || die "no cluster in $DATA_DIR; '$0 start' makes one"
    start_server
    echo "$DB_URL"
    ;;
  crash)
    crash_server
    ;;
  standby)
    check_settings
    make_standby
    echo "$DB_URL"
    ;;
  sql)
    [[ -n ${2:-} ]] || die "usage: $0 sql 'SQL'"
    admin_sql <<<"$2"
    ;;
  stop)
    [[ -x $PG_BIN/pg_ctl ]] || { log "PostgreSQL 15 is not installed"; exit 0; }
    stop_server
    ;;
  reset)
    [[ -x $PG_BIN/pg_ctl ]] && stop_server
    if [[ -e $DATA_DIR ]]; then
      [[ -f $DATA_DIR/$MARKER ]] || die "$DATA_DIR was not made by this script; not deleting it"
      log "deleting $DATA_DIR"
      rm -rf -- "$DATA_DIR"
    fi
    ;;
  *)
    die "usage: $0 [start|up|crash|standby|sql SQL|stop|reset]"
    ;;
esac
