#!/usr/bin/env python3
"""Herald's benchmark: the whole pipeline on this machine, against a real HTTP sink (nginx).

    make bench            # every scenario, full size
    make bench QUICK=1    # the same scenarios, small (about two minutes)
    python3 deploy/bench.py --only throughput,router

Each scenario gets a fresh database and broker names, starts its own router(s) and worker(s)
(release build), drives them with `herald-producer generate`, waits until every delivery is
final, and reads the results from PostgreSQL and /proc. Durability is as shipped: persistent
messages, publisher confirms, synchronous_commit on.

Prints a table and writes bench-results/results.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.path.join(ROOT, ".state", "bench")
DB = "herald_bench"
PREFIX = "bench."
SINK_PORT = 9200
ENV = dict(os.environ,
           HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}",
           HERALD_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2F",
           HERALD_TOPOLOGY_PREFIX=PREFIX,
           HERALD_ALLOW_PRIVATE_NETWORKS="true",
           HERALD_DEVELOPMENT="true",
           HERALD_LOG_LEVEL="warning",
           PGPASSWORD="herald")


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def bin_path():
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def psql(sql, db=DB):
    out = subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-U", "herald", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                         env=ENV, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


# ---------------------------------------------------------------- processes and /proc

def cpu_seconds(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def peak_rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def pids_of(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def group_cpu(pids):
    return sum(cpu_seconds(p) for p in pids)


class Herald:
    """Herald's processes of a run. `env` (default: this benchmark's ENV) is every process's and
    heraldctl's environment; the logs go to `state` (default: STATE)."""

    def __init__(self, bindir, env=None, state=None):
        self.bin = bindir
        self.procs = {}
        self.env = env or ENV
        self.state = state or STATE

    def start(self, name, exe, extra_env=None, args=()):
        env = dict(self.env, **(extra_env or {}))
        logf = open(os.path.join(self.state, f"{name}.log"), "w")
        self.procs[name] = subprocess.Popen([os.path.join(self.bin, exe), *args], env=env, stdout=logf, stderr=logf)

    def stop(self, name=None):
        names = [name] if name else list(self.procs)
        for n in names:
            p = self.procs.pop(n, None)
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()

    def pid(self, name):
        return self.procs[name].pid

    def ctl(self, *args):
        out = subprocess.run([os.path.join(self.bin, "heraldctl"), *args], env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"heraldctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def produce(self, *args):
        start = time.time()
        out = subprocess.run([os.path.join(self.bin, "herald-producer"), "generate", "--quiet", *args], env=self.env,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"producer: {out.stderr.strip()}")
        return time.time() - start, out.stdout.strip()


# ---------------------------------------------------------------- the sink

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {state}/nginx.pid;
error_log {state}/nginx-error.log warn;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {state}/nginx-body;
  client_max_body_size 0;
  client_body_buffer_size 1m;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location /ok {{ return 200 '{{"ok":true}}'; }}
    location /slow {{ echo_sleep 1.0; echo '{{"ok":true}}'; }}
  }}
}}
"""


def start_sink():
    conf = os.path.join(STATE, "nginx.conf")
    os.makedirs(os.path.join(STATE, "nginx-body"), exist_ok=True)
    open(conf, "w").write(NGINX_CONF.format(state=STATE, port=SINK_PORT))
    p = subprocess.Popen(["nginx", "-c", conf, "-p", STATE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        if subprocess.run(["curl", "-fs", f"http://127.0.0.1:{SINK_PORT}/ok"], capture_output=True).returncode == 0:
            return p
        time.sleep(0.1)
    raise RuntimeError("nginx sink did not start (is nginx-light with libnginx-mod-http-echo installed?)")


# ---------------------------------------------------------------- scenarios

def fresh():
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    subprocess.run([os.path.join(ROOT, "deploy/services.sh"), "purge-prefix", PREFIX], check=True, capture_output=True)


def webhooks(h, count, path, events="order.*", rate_limit=None):
    for i in range(count):
        doc = {"tenant": "acme", "name": f"bench-{i}", "url": f"http://127.0.0.1:{SINK_PORT}{path}/{i}", "events": [events],
               "retry": {"max_retries": 2, "backoff": "fixed", "intervals_s": [1]}, "response_timeout_ms": 30000}
        if rate_limit:
            doc["rate_limit_per_minute"] = rate_limit
        f = os.path.join(STATE, "webhook.json")
        json.dump(doc, open(f, "w"))
        h.ctl("webhook", "create", "--json", "--file", f)


def wait_done(expected, timeout, what="deliveries", db=DB):
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = int(psql("SELECT count(*) FROM deliveries WHERE state IN ('succeeded','failed','cancelled')", db=db) or 0)
        if done >= expected:
            return True
        time.sleep(0.5)
    log(f"timed out waiting for {expected} {what}")
    return False


def measure(h, names, run):
    """Runs `run()`, returning its result plus CPU seconds per process group and the wall time."""
    groups = {n: [h.pid(n)] for n in names}
    groups["rabbitmq"] = pids_of("beam.smp")
    groups["postgres"] = pids_of("postgres")
    before = {g: group_cpu(p) for g, p in groups.items()}
    t0 = time.time()
    result = run()
    wall = time.time() - t0
    groups["postgres"] = pids_of("postgres")
    cpu = {g: round(group_cpu(p) - before[g], 2) for g, p in groups.items()}
    rss = {n: round(peak_rss_mb(h.pid(n)), 1) for n in names}
    return result, wall, cpu, rss


def latency(where=""):
    row = psql(f"""
        SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY l)::numeric, 1),
               round(percentile_cont(0.95) WITHIN GROUP (ORDER BY l)::numeric, 1),
               round(percentile_cont(0.99) WITHIN GROUP (ORDER BY l)::numeric, 1)
        FROM (SELECT extract(epoch FROM a.started_at - e.occurred_at) * 1000 + a.duration_ms AS l
              FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
              JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id {where}) x""")
    p50, p95, p99 = (float(v) if v else None for v in row.split("|"))
    return {"p50_ms": p50, "p95_ms": p95, "p99_ms": p99}


def scenario_pipeline(h, name, events, fanout, payload, rate, concurrency, workers, path="/ok", routers=1, timeout=900,
                      rate_limit=None):
    fresh()
    h.ctl("migrate")
    webhooks(h, fanout, path, rate_limit=rate_limit)
    names = []
    for i in range(routers):
        h.start(f"router-{i + 1}", "herald-router")
        names.append(f"router-{i + 1}")
    for i in range(workers):
        # One webhook per scenario: it may use every slot (the per-webhook cap protects other tenants).
        h.start(f"worker-{i + 1}", "herald-worker", {"HERALD_WORKER_CONCURRENCY": str(concurrency), "HERALD_RECONCILE": "false",
                                                     "HERALD_WORKER_MAX_IN_FLIGHT_PER_WEBHOOK": str(concurrency)})
        names.append(f"worker-{i + 1}")
    time.sleep(1.5)
    expected = events * fanout

    def run():
        args = ["--count", str(events), "--types", "order.created", "--seed", "1", "--live-timestamps", "--batch", "1000"]
        if payload:
            args += ["--payload-bytes", str(payload)]
        if rate:
            args += ["--rate", str(rate)]
        pub_time, pub_out = h.produce(*args)
        ok = wait_done(expected, timeout)
        return pub_time, ok

    (pub_time, ok), wall, cpu, rss = measure(h, names, run)
    routed = psql("SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM events") or "0"
    succeeded = int(psql("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") or 0)
    first_last = psql("SELECT extract(epoch FROM (SELECT max(started_at) FROM delivery_attempts) - (SELECT min(received_at) FROM events))") or "0"
    h.stop()
    per_1000 = {g: round(c * 1000 / max(expected, 1), 3) for g, c in cpu.items()}
    return {
        "scenario": name, "events": events, "fanout": fanout, "deliveries": expected, "succeeded": succeeded, "complete": ok,
        "payload_bytes": payload or "~1 KiB", "workers": workers, "routers": routers, "concurrency": concurrency,
        "published_per_s": round(events / max(pub_time, 0.001)), "routed_per_s": round(events / max(float(routed), 0.001)),
        "deliveries_per_s": round(succeeded / max(float(first_last), 0.001)), "wall_s": round(wall, 1),
        **latency(), "cpu_s_per_1000_deliveries": per_1000, "peak_rss_mb": rss,
    }


def scenario_router_alone(h, events):
    fresh()
    h.ctl("migrate")
    webhooks(h, 1, "/ok")
    h.start("router-1", "herald-router")
    time.sleep(1.5)

    def run():
        pub_time, _ = h.produce("--count", str(events), "--types", "order.created", "--seed", "1", "--batch", "1000")
        deadline = time.time() + 600
        while time.time() < deadline and int(psql("SELECT count(*) FROM events") or 0) < events:
            time.sleep(0.3)
        return pub_time

    pub_time, wall, cpu, rss = measure(h, ["router-1"], run)
    routed = float(psql("SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM events") or 0)
    n = int(psql("SELECT count(*) FROM events") or 0)
    h.stop()
    return {"scenario": "router alone", "events": events, "deliveries": n, "published_per_s": round(events / max(pub_time, 0.001)),
            "routed_per_s": round(n / max(routed, 0.001)), "wall_s": round(wall, 1),
            "cpu_s_per_1000_deliveries": {g: round(c * 1000 / max(n, 1), 3) for g, c in cpu.items()}, "peak_rss_mb": rss}


def scenario_broker(h, events):
    """The broker's own ceiling with Herald's durability: persistent events, publisher confirms, no consumer."""
    fresh()
    subprocess.run([os.path.join(h.bin, "heraldctl"), "migrate"], env=ENV, capture_output=True)
    h.start("router-1", "herald-router")   # declares the topology (the events reach herald.router), then leaves
    time.sleep(1.5)
    h.stop("router-1")
    groups = {"rabbitmq": pids_of("beam.smp")}
    before = group_cpu(groups["rabbitmq"])
    pub_time, _ = h.produce("--count", str(events), "--types", "order.created", "--seed", "1", "--batch", "1000")
    cpu = group_cpu(groups["rabbitmq"]) - before
    return {"scenario": "broker ceiling", "events": events, "deliveries": 0, "published_per_s": round(events / max(pub_time, 0.001)),
            "wall_s": round(pub_time, 1), "cpu_s_per_1000_deliveries": {"rabbitmq": round(cpu * 1000 / events, 3)}, "peak_rss_mb": {}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    os.makedirs(STATE, exist_ok=True)
    q = args.quick
    h = Herald(bin_path())
    sink = start_sink()
    plan = {
        "throughput": lambda: scenario_pipeline(h, "1 throughput", 10_000 if q else 100_000, 1, None, 0, 200, 2),
        # Scenario 1 through the shared rate limiter (a limit far above the pace): its cost per delivery.
        "ratelimited": lambda: scenario_pipeline(h, "1b throughput, rate-limited webhook", 10_000 if q else 100_000, 1, None, 0, 200, 2,
                                                 rate_limit=6_000_000),
        "fanout": lambda: scenario_pipeline(h, "2 fan-out x10", 1_000 if q else 10_000, 10, None, 0, 200, 2),
        "latency": lambda: scenario_pipeline(h, "3 latency 500/s", 5_000 if q else 30_000, 1, None, 500, 200, 2),
        "slow": lambda: scenario_pipeline(h, "4 slow sink 1 s", 2_000 if q else 10_000, 1, None, 0, 1000, 1, path="/slow"),
        "large": lambda: scenario_pipeline(h, "5 large 10 MB", 5 if q else 20, 1, 10_000_000, 0, 10, 1),
        "router": lambda: scenario_router_alone(h, 10_000 if q else 100_000),
        "broker": lambda: scenario_broker(h, 10_000 if q else 100_000),
    }
    only = [s for s in args.only.split(",") if s] or list(plan)
    results = []
    try:
        for key in only:
            log(f"scenario {key}…")
            try:
                results.append(plan[key]())
            except Exception as e:  # a failed scenario is reported, the others still run
                log(f"scenario {key} failed: {e}")
                results.append({"scenario": key, "error": str(e)})
            finally:
                h.stop()
            log(json.dumps(results[-1]))
    finally:
        h.stop()
        sink.terminate()
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "quick": q,
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()}
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    json.dump({"meta": meta, "results": results}, open(os.path.join(ROOT, "bench-results", "results.json"), "w"), indent=2)
    print(f"\nHerald benchmark — {meta['date']}, commit {meta['commit']}, {meta['cores']} cores{' (quick)' if q else ''}\n")
    head = f"{'scenario':<18}{'deliveries':>11}{'pub/s':>8}{'routed/s':>9}{'deliv/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  cpu s/1000 (router worker rabbit pg)   rss MB"
    print(head)
    for r in results:
        if "error" in r:
            print(f"{r['scenario']:<18} error: {r['error']}")
            continue
        cpu = r.get("cpu_s_per_1000_deliveries", {})
        def c(prefix):
            return round(sum(v for k, v in cpu.items() if k.startswith(prefix)), 3)
        rss = " ".join(f"{k}={v}" for k, v in r.get("peak_rss_mb", {}).items())
        print(f"{r['scenario']:<18}{r.get('deliveries', 0):>11}{r.get('published_per_s', ''):>8}{r.get('routed_per_s', ''):>9}"
              f"{r.get('deliveries_per_s', ''):>9}{str(r.get('p50_ms', '')):>8}{str(r.get('p95_ms', '')):>8}{str(r.get('p99_ms', '')):>8}"
              f"  {c('router')} {c('worker')} {c('rabbitmq')} {c('postgres')}   {rss}")
    print("\nresults: bench-results/results.json")


if __name__ == "__main__":
    main()
