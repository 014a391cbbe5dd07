#!/usr/bin/env python3
"""herald-api's benchmark: the delivery log and statistics of one webhook among 100, with millions of
deliveries in the database, and HTTP event ingest with publisher confirms.

    make bench-api              # 5,000,000 deliveries (and as many attempts), about 10 minutes
    make bench-api QUICK=1      # 500,000
    python3 deploy/bench_api.py --rows 2000000 --requests 300

The rows are generated in bulk with SQL (spread over 30 days, 100 webhooks of 10 tenants); then a
release herald-api answers: the first page of the delivery log, a page further in (cursor), the
webhook's 30-day statistics, and the tenant's per-webhook report. Each is requested N times and
timed from the client (p50/p95/max). EXPLAIN shows the list queries on the index. Ingest: 4 clients
post batches of 100 events (confirmed by RabbitMQ before the 202). Writes bench-results/api.json.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import urllib.request

from checklib import free_port
import bench   # the pipeline benchmark: its psql helper and environment

ROOT = bench.ROOT
DB = "herald_bench_api"
PREFIX = "benchapi."
ENV = dict(bench.ENV,
           HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}",
           HERALD_TOPOLOGY_PREFIX=PREFIX,
           HERALD_API_RATE_PER_S="100000",
           HERALD_API_RATE_BURST="100000")


def log(msg):
    print(f"[bench-api] {msg}", file=sys.stderr, flush=True)


def psql(sql, db=DB):
    return bench.psql(sql, db=db)


def request(url, token, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, method=method, data=body,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.read()


def timed(label, url, token, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        status, _ = request(url, token)
        times.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise RuntimeError(f"{label}: HTTP {status}")
    times.sort()
    result = {"p50_ms": round(times[len(times) // 2], 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
              "max_ms": round(times[-1], 2), "requests": n}
    log(f"{label:34s} p50 {result['p50_ms']:7.2f} ms   p95 {result['p95_ms']:7.2f} ms   max {result['max_ms']:7.2f} ms")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=None)
    args = ap.parse_args()
    if args.quick:
        args.rows = 500_000
        args.requests = 100
    binp = args.bin or subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                                      text=True, check=True).stdout.strip()
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="herald")
    psql(f"CREATE DATABASE {DB}", db="herald")
    subprocess.run([f"{binp}/heraldctl", "migrate"], env=ENV, check=True, capture_output=True)

    log("100 webhooks of 10 tenants")
    psql("""
        INSERT INTO tenants (id, name) SELECT 't' || t, 'tenant ' || t FROM generate_series(0, 9) t;
        INSERT INTO webhooks (id, tenant_id, name, url, events)
        SELECT 'wh_' || lpad(w::text, 3, '0'), 't' || (w % 10), 'webhook ' || w, 'http://127.0.0.1:9/x' || w, ARRAY['order.*']
        FROM generate_series(0, 99) w;
    """)
    log(f"{args.rows:,} deliveries and as many attempts over 30 days (bulk SQL)")
    t0 = time.time()
    chunk = 1_000_000
    for start in range(0, args.rows, chunk):
        end = min(args.rows, start + chunk) - 1
        psql(f"""
            INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state, attempts, last_status, created_at, updated_at, completed_at)
            SELECT 'msg_' || lpad(i::text, 10, '0'), 't' || (i % 10), 'evt_' || i, 'order.created', 'wh_' || lpad((i % 100)::text, 3, '0'),
                   CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, 1, CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END,
                   now() - (interval '30 days' * (i::float / {args.rows})), now(), now()
            FROM generate_series({start}, {end}) i;
            INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, status_code, succeeded)
            SELECT 'msg_' || lpad(i::text, 10, '0'), 1, 'wh_' || lpad((i % 100)::text, 3, '0'),
                   now() - (interval '30 days' * (i::float / {args.rows})), 20 + (i % 97), CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, i % 50 <> 0
            FROM generate_series({start}, {end}) i;
        """)
        log(f"  {end + 1:,} rows ({time.time() - t0:.0f} s)")
    psql("VACUUM ANALYZE deliveries")
    psql("VACUUM ANALYZE delivery_attempts")
    load_s = time.time() - t0

    plans = {}
    plans["delivery log, first page"] = psql("""EXPLAIN SELECT id FROM deliveries d WHERE d.webhook_id = 'wh_042' AND d.tenant_id = 't2'
        ORDER BY d.created_at DESC, d.id DESC LIMIT 51""")
    plans["delivery log, cursor page"] = psql("""EXPLAIN SELECT id FROM deliveries d WHERE d.webhook_id = 'wh_042' AND d.tenant_id = 't2'
        AND (d.created_at, d.id) < (now() - interval '10 days', 'msg_9') ORDER BY d.created_at DESC, d.id DESC LIMIT 51""")
    plans["tenant log, first page"] = psql("""EXPLAIN SELECT id FROM deliveries d WHERE d.tenant_id = 't2'
        ORDER BY d.created_at DESC, d.id DESC LIMIT 51""")
    for name, plan in plans.items():
        log(f"plan, {name}:\n    " + plan.replace("\n", "\n    "))

    port = free_port()
    api = subprocess.Popen([f"{binp}/herald-api"], env=dict(ENV, HERALD_API_ADDR=f"127.0.0.1:{port}"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        token = json.loads(subprocess.run([f"{binp}/heraldctl", "token", "create", "--tenant", "t2", "--json"], env=ENV,
                                          capture_output=True, text=True, check=True).stdout)["secret"]
        results = {"rows": args.rows, "load_seconds": round(load_s, 1)}
        first = json.loads(request(f"{base}/api/v1/deliveries?webhook_id=wh_042&limit=50", token)[1])
        cursor = first["next_cursor"]
        for _ in range(20):   # a page further in: follow the cursor 20 pages
            cursor = json.loads(request(f"{base}/api/v1/deliveries?webhook_id=wh_042&limit=50&cursor={cursor}", token)[1])["next_cursor"]
        results["log_first_page"] = timed("delivery log, first page (50)", f"{base}/api/v1/deliveries?webhook_id=wh_042&limit=50", token, args.requests)
        results["log_cursor_page"] = timed("delivery log, page 21 (cursor)", f"{base}/api/v1/deliveries?webhook_id=wh_042&limit=50&cursor={cursor}", token, args.requests)
        results["log_failed_only"] = timed("delivery log, failed only", f"{base}/api/v1/deliveries?webhook_id=wh_042&state=failed&limit=50", token, args.requests)
        results["webhook_stats_30d"] = timed("webhook stats, 30 days", f"{base}/api/v1/webhooks/wh_042/stats", token, args.requests)
        results["webhook_stats_1d"] = timed("webhook stats, 1 day", f"{base}/api/v1/webhooks/wh_042/stats?from=" +
                                            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 86400)), token, args.requests)
        results["delivery_detail"] = timed("one delivery with attempts", f"{base}/api/v1/deliveries/msg_0000000042", token, args.requests)

        # Ingest: 4 clients, batches of 100 events, each 202 after RabbitMQ confirmed.
        batches, size = (40, 100) if args.quick else (200, 100)
        def post(i):
            body = json.dumps([{"type": "order.created", "data": {"order": {"id": f"B{i}-{j}", "total": j}}} for j in range(size)]).encode()
            status, _ = request(f"{base}/api/v1/events", token, method="POST", body=body)
            return status
        t = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(post, range(batches)))
        elapsed = time.perf_counter() - t
        assert all(s == 202 for s in statuses), statuses
        results["ingest_events_per_s"] = round(batches * size / elapsed)
        log(f"ingest: {batches * size:,} events in {elapsed:.2f} s = {results['ingest_events_per_s']:,} events/s (batches of {size}, 4 clients, confirmed)")
        results["plans"] = plans
        os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
        json.dump(results, open(os.path.join(ROOT, "bench-results", "api.json"), "w"), indent=2)
    finally:
        api.terminate()
        api.wait()
        subprocess.run(["rabbitmqctl", "-q", "delete_queue", f"{PREFIX}herald.router"], capture_output=True)
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="herald")


if __name__ == "__main__":
    main()
