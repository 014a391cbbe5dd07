#!/usr/bin/env python3
"""Retention's benchmark: day partitions holding tens of millions of attempts, the oldest days dropped
by `heraldctl retention run`, and the delivery log and report queries timed before and after.

    make bench-retention                 # 50,000,000 attempts (and as many deliveries) over 10 days
    make bench-retention QUICK=1         # 2,000,000
    python3 deploy/bench_retention.py --rows 5000000 --bin .build/release

The rows are generated in bulk with SQL straight into eleven day partitions (ids whose ULID time is
their day, as the router makes them); then retention keeps 7 days: three days' partitions of
attempts, deliveries and events are dropped, each day timed, while the queries are timed before and
after (p50 of 20 runs each): a webhook's delivery log (first page), its 30-day report
(herald_delivery_report), and one delivery with its attempts. Writes bench-results/retention.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import bench   # the pipeline benchmark: its psql helper and environment

ROOT = bench.ROOT
DB = "herald_bench_retention"
ENV = dict(bench.ENV, HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}")
DAYS = 10


def log(msg):
    print(f"[bench-retention] {msg}", file=sys.stderr, flush=True)


def psql(sql, db=DB):
    return bench.psql(sql, db=db)


def timed_query(sql, n=20):
    """The server's time for the query (psql's \\timing, one session), p50 of n runs after one warm-up."""
    script = "\\timing on\n" + (sql.strip() + ";\n") * (n + 1)
    out = subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-U", "herald", "-d", DB, "-v", "ON_ERROR_STOP=1"],
                         input=script, env=ENV, capture_output=True, text=True, check=True).stdout
    samples = [float(line.split()[1]) for line in out.splitlines() if line.startswith("Time: ")][1:]
    return round(statistics.median(samples), 2)


QUERIES = {
    "delivery log, first page": """SELECT id, state, created_at FROM deliveries WHERE webhook_id = 'wh_042' AND tenant_id = 't2'
                                    ORDER BY created_at DESC, id DESC LIMIT 51""",
    "30-day report": "SELECT * FROM herald_delivery_report(now() - interval '30 days', now() + interval '1 day') WHERE webhook_id = 'wh_042'",
    "one delivery with its attempts": """SELECT d.id, a.attempt, a.status_code FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id
                                         WHERE d.id = (SELECT max(id) FROM deliveries_p{day})""",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards (to look at plans)")
    args = ap.parse_args()
    if args.quick:
        args.rows = 2_000_000
    binp = args.bin or subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True,
                                      text=True, check=True).stdout.strip()
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="herald")
    psql(f"CREATE DATABASE {DB}", db="herald")
    subprocess.run([f"{binp}/heraldctl", "migrate"], env=ENV, check=True, capture_output=True)
    # A fresh installation: the (empty) tables attached by the migration go, and ten past days are made.
    psql("""
        DO $$
        DECLARE d date; t text; nm text; lo timestamptz; hi timestamptz;
        BEGIN
            FOR nm IN SELECT name FROM herald_partitions LOOP EXECUTE 'DROP TABLE ' || nm; END LOOP;
            DELETE FROM herald_partitions;
            FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - 10, (now() AT TIME ZONE 'UTC')::date + 1, interval '1 day')::date LOOP
                lo := d::timestamp AT TIME ZONE 'UTC'; hi := lo + interval '1 day';
                EXECUTE format('CREATE TABLE events_p%s PARTITION OF events FOR VALUES FROM (%L) TO (%L)', to_char(d, 'YYYYMMDD'), lo, hi);
                FOREACH t IN ARRAY ARRAY['deliveries', 'delivery_attempts'] LOOP
                    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', t || '_p' || to_char(d, 'YYYYMMDD'), t,
                                   'msg_' || herald_ulid_time(lo), 'msg_' || herald_ulid_time(hi));
                END LOOP;
                INSERT INTO herald_partitions (name, parent, from_time, to_time)
                SELECT p || '_p' || to_char(d, 'YYYYMMDD'), p, lo, hi FROM unnest(ARRAY['events', 'deliveries', 'delivery_attempts']) p;
            END LOOP;
        END $$;
        INSERT INTO tenants (id, name) SELECT 't' || t, 'tenant ' || t FROM generate_series(0, 9) t ON CONFLICT DO NOTHING;
        INSERT INTO webhooks (id, tenant_id, name, url, events)
        SELECT 'wh_' || lpad(w::text, 3, '0'), 't' || (w % 10), 'webhook ' || w, 'http://127.0.0.1:9/x' || w, ARRAY['order.*']
        FROM generate_series(0, 99) w;
    """)
    log(f"{args.rows:,} deliveries, attempts and events over {DAYS} days (bulk SQL)")
    t0 = time.time()
    chunk = 1_000_000
    for start in range(0, args.rows, chunk):
        end = min(args.rows, start + chunk) - 1
        psql(f"""
            CREATE TEMP TABLE g AS SELECT i, now() - interval '{DAYS} days' * (1 - (i::float + 0.5) / {args.rows}) AS at
                FROM generate_series({start}, {end}) i;
            INSERT INTO events (tenant_id, id, type, occurred_at, received_at, payload)
            SELECT 't' || (i % 10), 'evt_' || i, 'order.created', at, at, '{{"id":"evt_' || i || '"}}' FROM g;
            INSERT INTO deliveries (id, tenant_id, event_id, event_type, webhook_id, state, attempts, last_status, created_at, updated_at,
                                    completed_at, event_occurred_at)
            SELECT 'msg_' || herald_ulid_time(at) || lpad(i::text, 16, '0'), 't' || (i % 10), 'evt_' || i, 'order.created',
                   'wh_' || lpad((i % 100)::text, 3, '0'), CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'succeeded' END, 1,
                   CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, at, at, at, at FROM g;
            INSERT INTO delivery_attempts (delivery_id, attempt, webhook_id, started_at, duration_ms, status_code, succeeded)
            SELECT 'msg_' || herald_ulid_time(at) || lpad(i::text, 16, '0'), 1, 'wh_' || lpad((i % 100)::text, 3, '0'), at, 20 + (i % 97),
                   CASE WHEN i % 50 = 0 THEN 500 ELSE 200 END, i % 50 <> 0 FROM g;
        """)
        log(f"  {end + 1:,} rows ({time.time() - t0:.0f} s)")
    psql("ANALYZE events; ANALYZE deliveries; ANALYZE delivery_attempts")
    load_s = time.time() - t0
    default_rows = int(psql("SELECT (SELECT count(*) FROM deliveries_default) + (SELECT count(*) FROM delivery_attempts_default)"))
    today = psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')")
    queries = {name: sql.replace("{day}", today) for name, sql in QUERIES.items()}
    before = {name: timed_query(sql) for name, sql in queries.items()}
    log(f"before: {before}")

    t1 = time.perf_counter()
    out = subprocess.run([f"{binp}/heraldctl", "retention", "run", "--days", "7", "--json"], env=ENV, capture_output=True, text=True)
    first_pass_s = time.perf_counter() - t1
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    report = json.loads(out.stdout)
    after = {name: timed_query(sql) for name, sql in queries.items()}
    log(f"after: {after}")
    # One more day, timed on its own: what a daily housekeeping pass does.
    t2 = time.perf_counter()
    out = subprocess.run([f"{binp}/heraldctl", "retention", "run", "--days", "6", "--json"], env=ENV, capture_output=True, text=True)
    one_day_s = time.perf_counter() - t2
    one_day = json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr}
    # A tenant with a shorter window (3 days): its older rows are swept in bounded batches; once swept,
    # a pass finds nothing more to do and must stay cheap (the hourly housekeeping).
    sweeps = []
    for setup in ("UPDATE tenants SET retention_days = 3 WHERE id = 't3'",       # a full batch to sweep
                  "UPDATE tenants SET retention_days = NULL WHERE id = 't3'; "   # swept already: only the looking
                  "INSERT INTO tenants (id, name, retention_days) VALUES ('quiet', 'swept tenant', 3)"):
        psql(setup)
        t3 = time.perf_counter()
        out = subprocess.run([f"{binp}/heraldctl", "retention", "run", "--days", "6", "--json"], env=ENV, capture_output=True, text=True)
        sweeps.append({"seconds": round(time.perf_counter() - t3, 3), "swept": json.loads(out.stdout).get("swept") if out.returncode == 0 else out.stderr})
    result = {
        "rows": args.rows, "days": DAYS, "load_s": round(load_s, 1), "rows_in_default_partitions": default_rows,
        "first_pass": {"seconds": round(first_pass_s, 3), "dropped": report.get("dropped", []), "kept": report.get("kept", [])},
        "one_day_pass_s": round(one_day_s, 3), "one_day_dropped": one_day.get("dropped", []),
        "tenant_window_passes": sweeps,
        "query_p50_ms_before": before, "query_p50_ms_after": after,
        "attempt_rows_left": int(psql("SELECT count(*) FROM delivery_attempts")),
    }
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-results", "retention.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    if not args.keep:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="herald")


if __name__ == "__main__":
    main()
