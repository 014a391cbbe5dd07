#!/usr/bin/env bash
# Local RabbitMQ and PostgreSQL for Herald, without Docker or systemd.
#
#   deploy/services.sh install   install what is missing (apt, as root)
#   deploy/services.sh up        install if needed, start both on 127.0.0.1, wait until they accept connections
#   deploy/services.sh down      stop both
#   deploy/services.sh status    say what runs
#   deploy/services.sh reset     down, then forget all state
#   deploy/services.sh rabbitmq-stop-app|rabbitmq-start-app|pg-stop-immediate|pg-start
#                                faults for deploy/faults.py: the broker application stops (the node
#                                stays up) or starts again; PostgreSQL stops like a crash, or starts
#
# State lives in $HERALD_STATE_DIR (default: <repo>/.state); the servers' own data (owned by the
# postgres and rabbitmq users) in $HERALD_RUNTIME_DIR (default: /var/tmp/herald-<hash of the state
# dir>), so nothing in or above the repository changes its permissions. Ports: HERALD_AMQP_PORT (5672),
# HERALD_PG_PORT (5432). Database/user/password: herald/herald/herald (a local development role
# that may create databases, not a superuser; listening on 127.0.0.1 only).
#
# Nothing else on the host changes: a temporary /usr/sbin/policy-rc.d keeps the packages' own init
# scripts from starting system-wide servers while installing, and is removed again (an existing one
# is left as it was).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$(realpath -m "${HERALD_STATE_DIR:-$ROOT/.state}")   # absolute: it names the data folder
AMQP_PORT=${HERALD_AMQP_PORT:-5672}
PG_PORT=${HERALD_PG_PORT:-5432}
RUNTIME=${HERALD_RUNTIME_DIR:-/var/tmp/herald-$(printf '%s' "$STATE" | md5sum | cut -c1-12)}
RMQ_DIR=$RUNTIME/rabbitmq
PG_DIR=$RUNTIME/postgres
PG_BIN=""
RMQ_NODE=${HERALD_RABBITMQ_NODENAME:-herald@localhost}

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(rabbitmq-server postgresql librabbitmq-dev libpq-dev libcurl4-openssl-dev libssl-dev
              pkg-config nginx-light libnginx-mod-http-echo python3 procps)

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A temporary policy-rc.d keeps the packages' own init scripts from starting system-wide
    # servers; it is removed when the install ends (an existing one is left untouched).
    local made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\n# temporary, from herald deploy/services.sh (removed after the install)\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      made_policy=1
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  fi
}

find_pg_bin() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$PG_BIN" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
}

as_user() { # user, command...
  local user=$1; shift
  if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

rmq_env() {
  as_user rabbitmq env HOME=/var/lib/rabbitmq \
    RABBITMQ_NODENAME="$RMQ_NODE" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT=$((AMQP_PORT + 20000)) \
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log" \
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" \
    RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid" "$@"
}

rmq_ctl() { rmq_env /usr/lib/rabbitmq/bin/rabbitmqctl "$@"; }

rmq_running() { rmq_ctl -q status >/dev/null 2>&1; }

# Sharded routing (HERALD_ROUTER_SHARDS) hashes events over queues with this plugin; it ships with RabbitMQ.
RMQ_PLUGINS="rabbitmq_consistent_hash_exchange"

rmq_up() {
  if rmq_running; then
    log "RabbitMQ already running on 127.0.0.1:$AMQP_PORT"
    rmq_env /usr/lib/rabbitmq/bin/rabbitmq-plugins -q enable --online $RMQ_PLUGINS >/dev/null 2>&1 || true
    return
  fi
  port_taken "$AMQP_PORT" && die "127.0.0.1:$AMQP_PORT is already in use by another server (not $RMQ_DIR); stop it, or set HERALD_AMQP_PORT"
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  cat > "$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
loopback_users = none
vm_memory_high_watermark.relative = 0.4
disk_free_limit.absolute = 200MB
EOF
  echo "[$RMQ_PLUGINS]." > "$RMQ_DIR/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$RMQ_DIR"
  log "starting RabbitMQ on 127.0.0.1:$AMQP_PORT"
  # The broker must not inherit our caller's descriptors (a test runner waits for them to close).
  # (exec, not a redirected function call: bash would keep copies of the old descriptors.)
  (close_inherited_fds; exec > "$RMQ_DIR/log/startup.log" 2>&1 < /dev/null
   rmq_env setsid /usr/lib/rabbitmq/bin/rabbitmq-server) &
  local i
  for i in $(seq 1 120); do
    if rmq_ctl -q await_startup >/dev/null 2>&1 && rmq_running; then
      log "RabbitMQ ready"; return
    fi
    sleep 1
  done
  tail -n 30 "$RMQ_DIR/log/startup.log" >&2 || true
  die "RabbitMQ did not start within 120 s (log: $RMQ_DIR/log)"
}

rmq_down() {
  if rmq_running; then log "stopping RabbitMQ"; rmq_ctl -q stop >/dev/null 2>&1 || true; fi
}

pg_ctl() { as_user postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" "$@"; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

close_inherited_fds() {
  local fd n
  for fd in /proc/$BASHPID/fd/*; do
    n=${fd##*/}
    [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null
  done
  return 0
}

pg_running() { find_pg_bin; [ -d "$PG_DIR/data" ] && pg_ctl status >/dev/null 2>&1; }

pg_up() {
  find_pg_bin
  mkdir -p "$PG_DIR"
  chown postgres:postgres "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $PG_DIR/data"
    as_user postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 300
shared_buffers = 512MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 15min
commit_delay = 0
EOF
  fi
  if pg_running; then log "PostgreSQL already running on 127.0.0.1:$PG_PORT"; else
    port_taken "$PG_PORT" && die "127.0.0.1:$PG_PORT is already in use by another server (not $PG_DIR); stop it, or set HERALD_PG_PORT"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    (close_inherited_fds; exec >/dev/null </dev/null; pg_ctl -l "$PG_DIR/postgres.log" -w -t 60 start) || { tail -n 30 "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
  fi
  local psql=("$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$(as_user postgres "${psql[@]}" -c "select 1 from pg_roles where rolname='herald'")" != 1 ]; then
    as_user postgres "${psql[@]}" -c "create role herald login createdb password 'herald'"
  else
    as_user postgres "${psql[@]}" -c "alter role herald nosuperuser createdb" >/dev/null
  fi
  if [ "$(as_user postgres "${psql[@]}" -c "select 1 from pg_database where datname='herald'")" != 1 ]; then
    as_user postgres "${psql[@]}" -c "create database herald owner herald"
  fi
  log "PostgreSQL ready (postgres://herald:herald@127.0.0.1:$PG_PORT/herald)"
}

pg_down() {
  if pg_running; then log "stopping PostgreSQL"; pg_ctl -m fast -w stop >/dev/null || true; fi
}

cmd=${1:-up}
case "$cmd" in
  install) install_packages ;;
  up) install_packages; mkdir -p "$STATE"; mkdir -p -m 755 "$RUNTIME"; pg_up; rmq_up ;;
  down) rmq_down; pg_down ;;
  status)
    if rmq_running; then echo "rabbitmq: running (127.0.0.1:$AMQP_PORT)"; else echo "rabbitmq: stopped"; fi
    if pg_running; then echo "postgres: running (127.0.0.1:$PG_PORT)"; else echo "postgres: stopped"; fi
    echo "data: $RUNTIME" ;;
  restart-rabbitmq) rmq_down; rmq_up ;;
  reset) rmq_down; pg_down; rm -rf "$STATE" "$RUNTIME" ;;
  purge-prefix) # delete every queue whose name starts with $2 (exchanges are re-declared idempotently)
    prefix=${2:?prefix}
    rmq_ctl -q list_queues name 2>/dev/null | while read -r q; do
      [[ "$q" == "$prefix"* ]] && rmq_ctl -q delete_queue "$q" >/dev/null 2>&1 </dev/null || true
    done
    ;;
  rabbitmq-stop-app) log "stopping the RabbitMQ application (the node stays up)"; rmq_ctl -q stop_app >/dev/null ;;
  rabbitmq-start-app) log "starting the RabbitMQ application"; rmq_ctl -q start_app >/dev/null; rmq_ctl -q await_startup >/dev/null ;;
  pg-stop-immediate) # like a crash: no shutdown checkpoint, crash recovery at the next start
    find_pg_bin; log "stopping PostgreSQL (immediate)"; pg_ctl -m immediate -w stop >/dev/null ;;
  pg-start) pg_up ;;
  queue-depth) # messages in queue $2
    rmq_ctl -q list_queues name messages 2>/dev/null | awk -v q="${2:?queue}" '$1 == q {print $2; found=1} END {if (!found) print 0}' ;;
  consumers) # every consumer: queue, whether it is the active one (single active consumer), its tag
    rmq_ctl -q list_consumers queue_name active consumer_tag 2>/dev/null ;;
  pg-admin-sql) # run SQL as the PostgreSQL superuser over the local socket (tests that switch server settings)
    find_pg_bin
    as_user postgres "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c "${2:?sql}" ;;
  queue-types) # every queue with its type (classic, quorum)
    rmq_ctl -q list_queues name type 2>/dev/null ;;
  *) die "unknown command '$cmd' (install|up|down|status|restart-rabbitmq|reset|purge-prefix|queue-depth|queue-types|consumers|pg-admin-sql|rabbitmq-stop-app|rabbitmq-start-app|pg-stop-immediate|pg-start)" ;;
esac
