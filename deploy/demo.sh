#!/usr/bin/env bash
# Herald's main job, end to end on this machine: a router and two workers, a sample receiver that
# verifies signatures and fails some requests at first, an ERP's sample webhooks, a few hundred
# generated ERP events, and a delivery report from the SQL views. Stops everything it started.
#
#   make demo                      (services, release build, then this script)
#   EVENTS=1000 RATE=200 deploy/demo.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CONFIG=${CONFIG:-debug}
BIN=$(swift build -c "$CONFIG" --show-bin-path)
EVENTS=${EVENTS:-300}
RATE=${RATE:-150}
PORT=${RECEIVER_PORT:-9100}
RUN=$ROOT/.state/demo
mkdir -p "$RUN"
rm -f "$RUN"/*.log

export HERALD_AMQP_URL=${HERALD_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}
export HERALD_DATABASE_URL=postgres://herald:herald@127.0.0.1:5432/herald_demo
export HERALD_TOPOLOGY_PREFIX=demo.
export HERALD_ALLOW_PRIVATE_NETWORKS=true     # the sample receiver is on 127.0.0.1
export HERALD_DEVELOPMENT=${HERALD_DEVELOPMENT:-true}   # a local trial: the public development master key, said at every start
export HERALD_LOG_LEVEL=${HERALD_LOG_LEVEL:-info}
PSQL=(psql -X -q -h 127.0.0.1 -U herald -v ON_ERROR_STOP=1)
export PGPASSWORD=herald

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
pids=()
cleanup() {
  say "stopping what the demo started"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "logs: $RUN"
}
trap cleanup EXIT

say "fresh demo database and broker names"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS herald_demo" -c "CREATE DATABASE herald_demo"
deploy/services.sh purge-prefix demo. >/dev/null
"$BIN/heraldctl" migrate

say "sample receiver on 127.0.0.1:$PORT (verifies Standard Webhooks signatures)"
python3 deploy/receiver.py --port "$PORT" --log "$RUN/received.jsonl" > "$RUN/receiver.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/_stats" >/dev/null && break; sleep 0.1; done

say "the ERP's webhooks"
create() { # file → id; registers the secret with the receiver
  local out id secret
  out=$("$BIN/heraldctl" webhook create --json --file "$1")
  id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$out")
  secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$out")
  curl -fs -X POST "http://127.0.0.1:$PORT/_secrets" -d "{\"secrets\": [\"$secret\"]}" >/dev/null
  echo "$id"
}
cat > "$RUN/order-sync.json" <<EOF
{"tenant": "acme", "name": "Order Sync to Partner", "description": "Sends order data to the partner's fulfillment system",
 "url": "http://127.0.0.1:$PORT/flaky/25/orders", "events": ["order.created", "order.updated", "order.shipped"],
 "filter": "order.total > 100 AND order.status != \"draft\"",
 "headers": {"X-Source": "herald-demo", "X-Environment": "demo"},
 "auth": {"type": "bearer", "token": "partner-token-123"},
 "payload_template": "{\"event\": \"{webhook.event}\", \"timestamp\": \"{webhook.timestamp}\", \"data\": {\"order_id\": \"{order.id}\", \"order_number\": \"{order.number}\", \"customer\": {\"id\": \"{customer.id}\", \"name\": \"{customer.name}\", \"email\": \"{customer.email}\"}, \"items\": [{\"sku\": \"{item.sku}\", \"name\": \"{item.name}\", \"quantity\": \"{item.quantity}\", \"price\": \"{item.price}\"}], \"totals\": {\"subtotal\": \"{order.subtotal}\", \"tax\": \"{order.tax}\", \"shipping\": \"{order.shipping}\", \"total\": \"{order.total}\"}}}",
 "retry": {"max_retries": 4, "backoff": "custom", "intervals_s": [2, 4, 8, 16]}}
EOF
cat > "$RUN/inventory.json" <<EOF
{"tenant": "acme", "name": "Inventory Update", "url": "http://127.0.0.1:$PORT/fail/1/inventory",
 "events": ["inventory.*"], "retry": {"max_retries": 3, "backoff": "exponential", "intervals_s": [2]}}
EOF
cat > "$RUN/crm.json" <<EOF
{"tenant": "acme", "name": "Customer CRM", "url": "http://127.0.0.1:$PORT/ok/crm", "events": ["customer.*", "contact.*"],
 "auth": {"type": "basic", "username": "herald", "password": "s3cret"}}
EOF
cat > "$RUN/ledger.json" <<EOF
{"tenant": "acme", "name": "Legacy Ledger (down)", "url": "http://127.0.0.1:$PORT/status/503/ledger", "events": ["payment.*"],
 "retry": {"max_retries": 2, "backoff": "fixed", "intervals_s": [2]}}
EOF
for f in order-sync inventory crm ledger; do echo "  $(create "$RUN/$f.json")  $f"; done
"$BIN/heraldctl" webhook list

say "router, two workers and the management API"
"$BIN/herald-router" > "$RUN/router.log" 2>&1 & pids+=($!)
"$BIN/herald-worker" > "$RUN/worker-1.log" 2>&1 & pids+=($!)
"$BIN/herald-worker" > "$RUN/worker-2.log" 2>&1 & pids+=($!)
API_PORT=${API_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
HERALD_API_ADDR=127.0.0.1:$API_PORT "$BIN/herald-api" > "$RUN/api.log" 2>&1 & pids+=($!)
TOKEN=$("$BIN/heraldctl" token create --tenant acme --role admin --name "demo" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
API=http://127.0.0.1:$API_PORT/api/v1
for i in $(seq 1 50); do curl -fs "http://127.0.0.1:$API_PORT/readyz" >/dev/null && break; sleep 0.2; done
echo "  herald-api: http://127.0.0.1:$API_PORT  (OpenAPI: http://127.0.0.1:$API_PORT/api/openapi.yaml)"
echo "  token of tenant acme: $TOKEN"
echo "  try: curl -H \"Authorization: Bearer \$TOKEN\" $API/webhooks"
echo "  web console: http://127.0.0.1:$API_PORT/console  (sign in with the token above)"
sleep 1

say "publishing $EVENTS generated ERP events at $RATE/s"
"$BIN/herald-producer" generate --count "$EVENTS" --rate "$RATE" --seed 2026 \
  --types 'order.*,inventory.*,customer.*,payment.*,invoice.*'

say "waiting for every delivery to finish (retries included)"
for i in $(seq 1 180); do
  open=$("${PSQL[@]}" -d herald_demo -At -c "SELECT count(*) FROM deliveries WHERE state IN ('pending','in_flight','retrying')")
  done_=$("${PSQL[@]}" -d herald_demo -At -c "SELECT count(*) FROM deliveries WHERE state IN ('succeeded','failed','cancelled')")
  printf '\r  finished %s, still open %s   ' "$done_" "$open"
  [ "$open" = 0 ] && [ "$done_" != 0 ] && break
  sleep 1
done
echo

say "delivery report (SQL view herald_delivery_report)"
"${PSQL[@]}" -d herald_demo -P pager=off -c "
  SELECT webhook_name AS webhook, deliveries, succeeded, failed, retried, attempts,
         success_rate AS \"success %\", avg_latency_ms AS \"avg ms\", p95_latency_ms AS \"p95 ms\"
  FROM herald_delivery_report(now() - interval '1 hour', now() + interval '1 minute') ORDER BY webhook_name"
"${PSQL[@]}" -d herald_demo -P pager=off -c "
  SELECT count(*) AS events, count(DISTINCT type) AS event_types FROM events"
say "what the receiver saw"
curl -fs "http://127.0.0.1:$PORT/_stats" > "$RUN/receiver-stats.json"
python3 - "$RUN/receiver-stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("  requests %(requests)d, succeeded %(succeeded)d (%(unique_succeeded)d unique webhook-ids, %(duplicates)d duplicates)" % s)
print("  simulated failures answered %(failures_answered)d; signatures verified %(verified)d, rejected %(unverified)d" % s)
PY
say "the same figures over the API (GET /api/v1/stats, tenant acme's token)"
curl -fs -H "Authorization: Bearer $TOKEN" "$API/stats" | python3 -c '
import json, sys
for row in json.load(sys.stdin)["data"]:
    print("  %-28s deliveries %4d  succeeded %4d  failed %3d  success %s %%" % (row["webhook_name"], row["deliveries"], row["succeeded"], row["failed"], row["success_rate"]))'
parked=$(deploy/services.sh queue-depth demo.herald.dead)
echo "  parked in demo.herald.dead: $parked"
if [ -t 0 ] && [ -z "${CI:-}" ]; then
  say "the console stays up at http://127.0.0.1:$API_PORT/console (token: $TOKEN)"
  read -r -p "  press Enter to stop everything " _ || true
fi
