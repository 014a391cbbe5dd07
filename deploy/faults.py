#!/usr/bin/env python3
"""Herald's fault-injection suite: "at least once, nothing lost" under faults (DESIGN.md, Guarantees).

    python3 deploy/faults.py --quick                  # every scenario, small (make test)
    python3 deploy/faults.py                          # every scenario, full size
    python3 deploy/faults.py --only router-kill,pg-immediate --bin .build/release

The suite starts ITS OWN RabbitMQ and PostgreSQL (deploy/services.sh with HERALD_STATE_DIR=.state/faults,
ports 5682/5442, node faults@localhost) and an nginx sink (port 9300) that logs `$http_webhook_id $status`
per request. Each scenario gets a fresh database and purged queues (prefix `faults.`), one router, two
workers and one webhook (tenant acme, order.*, short retries covering ~50 s) whose endpoint answers after
200 ms (/busy: faults meet deliveries in flight; --path /ok for an instant one), checks the pipeline end to
end with canary events (tenant `canary`, counted apart), publishes events with `herald-producer generate`,
injects one fault a few seconds in, then watches until every delivery row is final, every confirmed event is
recorded and nothing moves (or a timeout after the fault cleared). Router kills are timed on the database:
right after the router commits a batch, before its jobs are confirmed (the window DESIGN.md names). A process
of ours that exits on its own is noted and restarted, as a supervisor would. A producer run that fails (broker
faults) is reported; the rest of its events are published by a second run with another seed, and everything
PostgreSQL recorded counts as expected too (the producer's own confirmed count is a lower bound then).

Per scenario: published (confirmed events, counting the canary), delivered (distinct webhook-ids answered
2xx), lost (events x webhooks - delivered), duplicates (2xx requests beyond the first per id), duplicates
recorded (duplicated ids whose delivery_attempts rows >= the sink's requests for that id), recovery
(fault cleared -> last delivery final), rows left non-final. PASS = 0 lost, 0 non-final, recovery <= 60 s,
every duplicate recorded. Exits 1 if a scenario fails; the last line is `faults: N passed, M failed`.
Results: bench-results/faults.json. Servers are stopped at the end unless --keep.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICES = os.path.join(ROOT, "deploy", "services.sh")
DB = "herald_faults"
PREFIX = "faults."
RECOVERY_LIMIT_S = 60
FINAL = "('succeeded','failed','cancelled')"


def log(msg):
    print(f"[faults] {msg}", file=sys.stderr, flush=True)


class Interrupted(BaseException):
    """SIGTERM/SIGHUP: unwind like Ctrl-C, so every `finally` cleans up."""


# ---------------------------------------------------------------- configuration (set by main)

class Config:
    state = os.path.join(ROOT, ".state", "faults")
    amqp_port = 5682
    pg_port = 5442
    sink_port = 9300
    bindir = ""
    migrate_cwd = ROOT

    @classmethod
    def run_dir(cls):
        return os.path.join(cls.state, "run")

    @classmethod
    def services_env(cls):
        return dict(os.environ, HERALD_STATE_DIR=cls.state, HERALD_AMQP_PORT=str(cls.amqp_port),
                    HERALD_PG_PORT=str(cls.pg_port), HERALD_RABBITMQ_NODENAME="faults@localhost")

    @classmethod
    def herald_env(cls):
        env = dict(os.environ,
                   HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:{cls.pg_port}/{DB}",
                   HERALD_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{cls.amqp_port}/%2F",
                   HERALD_TOPOLOGY_PREFIX=PREFIX,
                   HERALD_ALLOW_PRIVATE_NETWORKS="true",
                   HERALD_LOG_LEVEL=os.environ.get("HERALD_FAULTS_LOG_LEVEL", "warning"),
                   PGPASSWORD="herald")
        # HERALD_RECONCILE_GRACE_S and HERALD_MASTER_KEY pass through from our environment, if set.
        for k in ("HERALD_EVENTS_EXCHANGE", "HERALD_INSTANCE", "HERALD_WORKER_DRAIN_S", "HERALD_WORKER_CONCURRENCY"):
            env.pop(k, None)
        return env


def services(*args, check=True, timeout=300):
    out = subprocess.run([SERVICES, *args], env=Config.services_env(), capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    if check and out.returncode != 0:
        raise RuntimeError(f"services.sh {' '.join(args)} failed: {out.stderr.strip()[-800:]}")
    return out.stdout.strip()


def psql(sql, db=DB, timeout=60):
    out = subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-p", str(Config.pg_port), "-U", "herald", "-d", db,
                          "-v", "ON_ERROR_STOP=1", "-c", sql],
                         env=Config.herald_env(), capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def try_psql(sql):
    try:
        return psql(sql, timeout=10)
    except Exception:
        return None


def default_bindir():
    out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def checkout_of(bindir):
    """The package checkout the binaries were built from (so migrations match the binaries)."""
    d = os.path.abspath(bindir)
    while d != "/":
        if os.path.isdir(os.path.join(d, "schemas", "migrations")):
            return d
        d = os.path.dirname(d)
    return ROOT


# ---------------------------------------------------------------- processes

class Procs:
    """Every process the suite starts. A process that exits without us asking is noted and restarted
    (like a supervisor would); `kill`/`stop` mark the exit as ours first."""

    def __init__(self, scenario_dir):
        self.dir = scenario_dir
        self.lock = threading.RLock()
        self.live = {}        # name -> (Popen, exe, env, args, supervised)
        self.everything = []  # every Popen ever started, for the final cleanup
        self.notes = []
        self.starts = {}
        self.t0 = time.time()

    def start(self, name, exe, extra_env=None, args=(), supervised=True):
        with self.lock:
            env = dict(Config.herald_env(), **(extra_env or {}))
            n = self.starts.get(name, 0) + 1
            self.starts[name] = n
            logf = open(os.path.join(self.dir, f"{name}.{n}.log"), "w")
            p = subprocess.Popen([os.path.join(Config.bindir, exe), *args], env=env, stdout=logf, stderr=logf,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
            logf.close()
            self.live[name] = (p, exe, extra_env, tuple(args), supervised)
            self.everything.append(p)
            return p

    def proc(self, name):
        with self.lock:
            return self.live[name][0]

    def pid(self, name):
        return self.proc(name).pid

    def forget(self, name):
        with self.lock:
            return self.live.pop(name, None)

    def kill(self, name, sig=signal.SIGKILL):
        with self.lock:
            entry = self.live.pop(name)
        entry[0].send_signal(sig)
        if sig == signal.SIGKILL:
            entry[0].wait()
        return entry

    def restart(self, name, entry):
        _, exe, extra_env, args, supervised = entry
        return self.start(name, exe, extra_env, args, supervised)

    def signal(self, name, sig):
        self.proc(name).send_signal(sig)

    def supervise(self):
        """Restart supervised processes that exited on their own; note it."""
        with self.lock:
            for name, (p, exe, extra_env, args, supervised) in list(self.live.items()):
                rc = p.poll()
                if rc is not None and supervised:
                    note = f"{name} exited by itself (rc {rc}) at +{time.time() - self.t0:.1f}s; restarted"
                    log(note)
                    self.notes.append(note)
                    self.live.pop(name)
                    self.start(name, exe, extra_env, args, supervised)

    def stop_all(self, grace=3.0):
        with self.lock:
            self.live.clear()
            procs = [p for p in self.everything if p.poll() is None]
        for p in procs:
            try:
                p.send_signal(signal.SIGCONT)
                p.terminate()
            except ProcessLookupError:
                pass
        deadline = time.time() + grace
        for p in procs:
            try:
                p.wait(max(0.05, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    p.kill()
                    p.wait(5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass


# ---------------------------------------------------------------- the sink

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
events {{ worker_connections 8192; }}
http {{
  log_format faults '$http_webhook_id $status $msec $uri';
  client_body_temp_path {dir}/nginx-body;
  client_max_body_size 0;
  client_body_buffer_size 1m;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    access_log {dir}/sink-access.log faults;
    location /ok {{ return 200 '{{"ok":true}}'; }}
    location /busy {{ echo_sleep 0.2; echo '{{"ok":true}}'; }}
    location /slow {{ echo_sleep 1.0; echo '{{"ok":true}}'; }}
  }}
}}
"""


class Sink:
    def __init__(self, scenario_dir, procs):
        self.dir = scenario_dir
        self.procs = procs
        self.conf = os.path.join(scenario_dir, "nginx.conf")
        self.log_path = os.path.join(scenario_dir, "sink-access.log")
        os.makedirs(os.path.join(scenario_dir, "nginx-body"), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(dir=scenario_dir, port=Config.sink_port))
        open(self.log_path, "a").close()
        self.p = None
        self.offset = 0
        self.per_id = {}          # webhook-id -> [2xx requests, all requests] (the canary webhook's apart)
        self.canary_ok = 0
        self.last_2xx = 0.0
        self.other_lines = 0

    def up(self):
        return subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "2", f"http://127.0.0.1:{Config.sink_port}/ok"],
                              capture_output=True).returncode == 0

    def start(self):
        if self.up():
            raise RuntimeError(f"127.0.0.1:{Config.sink_port} already answers; stop whatever listens there or pass --sink-port")
        self.p = subprocess.Popen(["nginx", "-c", self.conf, "-p", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.everything.append(self.p)
        for _ in range(100):
            if self.up():
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("nginx sink did not start (is nginx-light with libnginx-mod-http-echo installed?)")

    def stop(self, graceful=False):
        """graceful (SIGQUIT): listeners close at once, requests already taken are answered and logged, then nginx
        exits. (A fast stop can send a response it never logs, which would count as a lost delivery.)"""
        if self.p and self.p.poll() is None:
            self.p.send_signal(signal.SIGQUIT if graceful else signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None

    def read(self):
        """Reads the access log's new complete lines; returns the count of distinct ids answered 2xx."""
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n")
        if end >= 0:
            self.offset += end + 1
            for line in data[:end].decode("utf-8", "replace").splitlines():
                parts = line.split()
                if len(parts) < 2 or parts[0] == "-" or not parts[1].isdigit():
                    self.other_lines += 1
                    continue
                ok = 200 <= int(parts[1]) < 300
                if len(parts) > 3 and parts[3].startswith("/ok/canary"):
                    self.canary_ok += ok
                    continue
                c = self.per_id.setdefault(parts[0], [0, 0])
                c[1] += 1
                if ok:
                    c[0] += 1
                    try:
                        self.last_2xx = max(self.last_2xx, float(parts[2]))
                    except (IndexError, ValueError):
                        pass
        return self.delivered()

    def delivered(self):
        return sum(1 for c in self.per_id.values() if c[0] > 0)


# ---------------------------------------------------------------- a scenario's run

class Run:
    def __init__(self, key, title, size, args):
        self.key = key
        self.title = title
        self.size = size
        self.args = args
        self.dir = os.path.join(Config.run_dir(), key)
        os.makedirs(self.dir, exist_ok=True)
        for f in os.listdir(self.dir):
            p = os.path.join(self.dir, f)
            if os.path.isfile(p):
                os.remove(p)
        self.procs = Procs(self.dir)
        self.sink = Sink(self.dir, self.procs)
        self.notes = []
        self.producers = []       # dicts: name, seed, count, popen, stderr path, intentional
        self.t_fault = None
        self.t_cleared = None
        self.outbox_rows = 0
        self._poller = None

    # -- set-up

    def fresh(self):
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
        psql(f"CREATE DATABASE {DB}", db="postgres")
        services("purge-prefix", PREFIX)
        self.ctl("migrate", cwd=Config.migrate_cwd)

    def ctl(self, *args, cwd=None):
        out = subprocess.run([os.path.join(Config.bindir, "heraldctl"), *args], env=Config.herald_env(), capture_output=True,
                             text=True, cwd=cwd or ROOT, timeout=120, stdin=subprocess.DEVNULL)
        if out.returncode != 0 and args[0] == "migrate" and cwd != ROOT:
            return self.ctl(*args, cwd=ROOT)
        if out.returncode != 0:
            raise RuntimeError(f"heraldctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def webhook(self, tenant, path):
        doc = {"tenant": tenant, "name": f"faults-{tenant}", "url": f"http://127.0.0.1:{Config.sink_port}{path}",
               "events": ["order.*"],
               # 1+2+3+5*9 = 51 s of retries: no fault window (20 s at most) exhausts them.
               "retry": {"max_retries": 12, "backoff": "custom", "intervals_s": [1, 2, 3, 5]},
               "response_timeout_ms": 10000}
        f = os.path.join(self.dir, f"webhook-{tenant}.json")
        with open(f, "w") as fh:
            json.dump(doc, fh)
        self.ctl("webhook", "create", "--json", "--file", f)

    def start_pipeline(self, worker_env=None, path=None):
        self.fresh()
        self.sink.start()
        self.webhook("acme", path or self.args.path)
        self.webhook("canary", "/ok/canary")
        self.procs.start("router", "herald-router")
        wenv = {"HERALD_WORKER_CONCURRENCY": str(self.size["concurrency"]), **(worker_env or {})}
        for i in (1, 2):
            self.procs.start(f"worker-{i}", "herald-worker", dict(wenv, HERALD_INSTANCE=f"worker-{i}"))
        self.canary_check()

    def canary_check(self):
        """Events of tenant `canary` (own webhook, /ok/canary) until one is delivered: the router's queue is bound,
        the workers consume, the sink answers. (One published before the router declared its queue is dropped by
        the broker, which is why they are kept apart from the scenario's events.)"""
        deadline = time.time() + 30
        last_error = ""
        while time.time() < deadline:
            out = subprocess.run([os.path.join(Config.bindir, "herald-producer"), "publish",
                                  json.dumps({"type": "order.created", "tenant": "canary", "occurred_at": "2026-01-22T15:30:00Z",
                                              "data": {"order": {"id": "ord_canary", "total": 1}}})],
                                 env=Config.herald_env(), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            last_error = out.stderr.strip()
            until = time.time() + 1.5
            while time.time() < until:
                self.procs.supervise()
                self.sink.read()
                if self.sink.canary_ok:
                    return
                time.sleep(0.1)
        raise RuntimeError(f"no canary event was delivered within 30 s (pipeline not up) {last_error}")

    def poller(self):
        """A persistent psql session (answers in well under a millisecond), for faults timed on the database."""
        if getattr(self, "_poller", None) is None or self._poller.poll() is not None:
            self._poller = subprocess.Popen(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-p", str(Config.pg_port), "-U", "herald",
                                             "-d", DB], env=Config.herald_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True, bufsize=1, start_new_session=True)
            self.procs.everything.append(self._poller)
        return self._poller

    def quick_count(self, sql):
        p = self.poller()
        p.stdin.write(sql.rstrip(";") + ";\n")
        p.stdin.flush()
        return int(p.stdout.readline().strip() or 0)

    def wait_commit(self, timeout=3.0):
        """Returns as soon as the router commits a batch (the events table grows): the moment between its commit and
        its confirmed publish, which DESIGN.md names as the one a crash must not lose."""
        base = self.quick_count("SELECT count(*) FROM events")
        end = time.time() + timeout
        while time.time() < end:
            if self.quick_count("SELECT count(*) FROM events") > base:
                return True
        return False

    # -- producers

    def start_producer(self, seed, count, rate=None):
        n = len(self.producers) + 1
        name = f"producer-{n}"
        err = os.path.join(self.dir, f"{name}.err")
        errf = open(err, "w")
        args = ["generate", "--count", str(count), "--rate", str(rate or self.size["rate"]), "--types", "order.created",
                "--seed", str(seed), "--batch", "100"]
        p = subprocess.Popen([os.path.join(Config.bindir, "herald-producer"), *args], env=Config.herald_env(),
                             stdout=subprocess.PIPE, stderr=errf, text=True, stdin=subprocess.DEVNULL, start_new_session=True)
        errf.close()
        self.procs.everything.append(p)
        rec = {"name": name, "seed": seed, "count": count, "popen": p, "err": err, "intentional": False, "rc": None,
               "stdout": ""}
        self.producers.append(rec)
        return rec

    def wait_producer(self, rec, timeout):
        p = rec["popen"]
        try:
            out, _ = p.communicate(timeout=timeout)
            rec["stdout"] = out or ""
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            self.note(f"{rec['name']} still running {timeout:.0f}s later: killed")
        rec["rc"] = p.returncode
        return rec["rc"]

    @staticmethod
    def confirmed(rec):
        """Events this producer run reported as confirmed (exact when it exited 0; a lower bound otherwise)."""
        if rec["rc"] == 0:
            return rec["count"]
        m = re.findall(r"published (\d+)/\d+ events", open(rec["err"]).read())
        return int(m[-1]) if m else 0

    def note(self, text):
        log(f"{self.key}: {text}")
        self.notes.append(text)

    # -- time line

    def sleep(self, seconds):
        """Sleeps while supervising our processes."""
        end = time.time() + seconds
        while True:
            self.procs.supervise()
            left = end - time.time()
            if left <= 0:
                return
            time.sleep(min(0.25, left))

    def fault_started(self):
        self.t_fault = time.time()

    def fault_cleared(self):
        self.t_cleared = time.time()

    # -- the end

    def producers_done(self, timeout):
        """Waits for every producer run; a run that failed by itself is a finding, and the rest of its events are
        published by a second run with another seed (what an ERP would do), once."""
        for rec in list(self.producers):
            if rec["rc"] is None and not rec["intentional"]:
                rc = self.wait_producer(rec, timeout)
                if rc != 0:
                    c = self.confirmed(rec)
                    text = open(rec["err"]).read().replace("\r", "\n")
                    err = re.findall(r"Error: (.*)", text)
                    why = (err[-1] if err else (text.strip().splitlines() or ["no message"])[-1])[:200]
                    self.note(f"{rec['name']} exited {rc} after ~{c}/{rec['count']} confirmed ({why}); "
                              f"the rest published by a second run")
                    if rec["seed"] < 1000:   # only once
                        rest = self.start_producer(rec["seed"] + 1000, rec["count"] - c)
                        rc2 = self.wait_producer(rest, timeout)
                        if rc2 != 0:
                            self.note(f"{rest['name']} exited {rc2} too, after ~{self.confirmed(rest)} confirmed")

    def state(self):
        row = try_psql(f"""SELECT (SELECT count(*) FROM events WHERE tenant_id = 'acme'), (SELECT count(*) FROM deliveries),
                                  (SELECT count(*) FROM deliveries WHERE state NOT IN {FINAL}),
                                  (SELECT count(*) FROM outbox WHERE published_at IS NULL)""")
        if not row:
            return None
        return [int(x) for x in row.split("|")]

    def confirmed_events(self):
        """Distinct confirmed events: runs with the same seed publish the same events."""
        by_seed = {}
        for rec in self.producers:
            by_seed[rec["seed"]] = max(by_seed.get(rec["seed"], 0), self.confirmed(rec))
        return sum(by_seed.values()) + self.outbox_rows

    def watch(self):
        """Until every delivery is final, nothing moves for `settle` s and every confirmed event is recorded; or the timeout."""
        timeout = self.args.timeout
        settle = self.args.settle
        expected = self.confirmed_events()
        deadline = self.t_cleared + timeout
        last = None
        since = time.time()
        while time.time() < deadline:
            self.procs.supervise()
            st = self.state()
            delivered = self.sink.read()
            if st is not None:
                key = (st[0], st[1], st[2], st[3], delivered)
                if key != last:
                    last, since = key, time.time()
                done = st[2] == 0 and st[3] == 0 and st[0] >= expected
                if done and time.time() - since >= settle:
                    return True
            time.sleep(1.0)
        log(f"{self.key}: timed out {timeout:.0f}s after the fault cleared")
        return False

    def results(self, completed):
        self.sink.read()
        events, deliveries, nonfinal, outbox_left = self.state() or [0, 0, -1, -1]
        webhooks = int(psql("SELECT count(*) FROM webhooks WHERE tenant_id = 'acme'") or 1)
        confirmed = self.confirmed_events()
        expected = max(confirmed, events) * webhooks
        per_id = self.sink.per_id
        delivered_ids = [i for i, c in per_id.items() if c[0] > 0]
        delivered = len(delivered_ids)
        known = set(psql("SELECT id FROM deliveries WHERE tenant_id = 'acme'").split()) if deliveries else set()
        unknown = sum(1 for i in delivered_ids if i not in known)
        lost = max(0, expected - (delivered - unknown))
        dup_ids = {i: c for i, c in per_id.items() if c[0] > 1}
        duplicates = sum(c[0] - 1 for c in dup_ids.values())
        recorded = 0
        if dup_ids:
            ids = ",".join("'" + i.replace("'", "") + "'" for i in dup_ids)
            rows = psql(f"SELECT delivery_id, count(*) FROM delivery_attempts WHERE delivery_id IN ({ids}) GROUP BY 1")
            attempts = dict((r.split("|")[0], int(r.split("|")[1])) for r in rows.splitlines() if r)
            recorded = sum(1 for i, c in dup_ids.items() if attempts.get(i, 0) >= c[1])
        states = dict((r.split("|")[0], int(r.split("|")[1])) for r in
                      psql("SELECT state, count(*) FROM deliveries GROUP BY 1 ORDER BY 1").splitlines() if r)
        last_final = psql(f"SELECT extract(epoch FROM max(coalesce(completed_at, updated_at))) FROM deliveries WHERE state IN {FINAL}")
        last = max(float(last_final or 0), self.sink.last_2xx)
        recovery = None
        if completed and lost == 0 and nonfinal == 0 and outbox_left == 0 and self.t_cleared:
            recovery = round(max(0.0, last - self.t_cleared), 1)
        # Evidence for whoever reads a failure: some undelivered or unfinished deliveries, as PostgreSQL has them.
        delivered_set = set(delivered_ids)
        sample = []
        for r in psql(f"""SELECT d.id, d.state, d.attempts, coalesce(d.last_status::text, ''), coalesce(left(d.last_error, 100), ''),
                                 coalesce((SELECT string_agg(a.attempt || ':' || coalesce(a.status_code::text, '-') || ':' || a.worker
                                                             || '@' || to_char(a.started_at, 'HH24:MI:SS.MS'), ' ' ORDER BY a.attempt)
                                           FROM delivery_attempts a WHERE a.delivery_id = d.id), '')
                          FROM deliveries d WHERE d.tenant_id = 'acme' ORDER BY d.state NOT IN {FINAL} DESC, d.id""").splitlines():
            f = r.split("|")
            if f[0] not in delivered_set or f[1] not in ("succeeded", "failed", "cancelled"):
                sample.append({"id": f[0], "state": f[1], "attempts": int(f[2]), "last_status": f[3], "last_error": f[4],
                               "attempt_rows": f[5], "sink_requests": per_id.get(f[0], [0, 0])[1]})
                if len(sample) >= 10:
                    break
        ok = (lost == 0 and nonfinal == 0 and outbox_left == 0 and recovery is not None and recovery <= RECOVERY_LIMIT_S
              and recorded == len(dup_ids))
        return {
            "key": self.key, "fault": self.title, "published": confirmed, "events_recorded": events, "webhooks": webhooks,
            "expected": expected, "deliveries_rows": deliveries, "delivered": delivered, "lost": lost,
            "delivered_unknown_ids": unknown, "duplicates": duplicates, "duplicated_ids": len(dup_ids),
            "duplicates_recorded": recorded, "recovery_s": recovery, "non_final": nonfinal,
            "outbox_unpublished": outbox_left, "states": states, "completed": completed,
            "non_2xx_requests": sum(c[1] - c[0] for c in per_id.values()),
            "fault_at_s": round(self.t_fault - self.procs.t0, 1) if self.t_fault else None,
            "fault_s": round(self.t_cleared - self.t_fault, 1) if self.t_fault and self.t_cleared else None,
            "producers": [{"name": r["name"], "seed": r["seed"], "count": r["count"], "rc": r["rc"],
                           "killed_by_suite": r["intentional"], "confirmed": self.confirmed(r)} for r in self.producers],
            "notes": self.notes + self.procs.notes, "sample": sample, "pass": ok,
        }


# ---------------------------------------------------------------- scenarios

def run_generic(run, fault, worker_env=None, path=None):
    """The common time line: pipeline up, producer, fault at `fault_at`, producer(s) done, watch, results."""
    s = run.size
    run.start_pipeline(worker_env, path)
    t0 = time.time()
    run.start_producer(seed=1, count=s["events"])
    run.sleep(max(0.0, t0 + s["fault_at"] - time.time()))
    fault(run)
    if run.t_cleared is None:
        run.fault_cleared()
    log(f"{run.key}: fault from +{run.t_fault - t0:.1f}s to +{run.t_cleared - t0:.1f}s")
    run.producers_done(timeout=run.args.timeout)
    completed = run.watch()
    return run.results(completed)


def kill_and_restart(name, down_s):
    def fault(run):
        run.fault_started()
        entry = run.procs.kill(name)
        run.sleep(down_s)
        run.procs.restart(name, entry)
        run.fault_cleared()
    return fault


def router_kill(run):
    """kill -9 the moment the router has committed a batch (before its jobs are confirmed), restart 4 s later."""
    hit = run.wait_commit()
    run.fault_started()
    entry = run.procs.kill("router")
    run.note(f"router killed {'right after a commit' if hit else '(no commit seen within 3 s)'}")
    run.sleep(4)
    run.procs.restart("router", entry)
    run.fault_cleared()


def router_kill_3x(run):
    """Three kill -9 in about 3 s, each right after a commit; restarted 0.5 s after each (it restarts into a backlog)."""
    run.fault_started()
    hits = 0
    for i in range(3):
        hits += run.wait_commit(timeout=1.0)
        entry = run.procs.kill("router")
        run.sleep(0.5)
        run.procs.restart("router", entry)
    run.note(f"3 kills, {hits} right after a commit, in {time.time() - run.t_fault:.1f}s")
    run.fault_cleared()


def producer_kill(run):
    run.fault_started()
    rec = run.producers[0]
    rec["intentional"] = True
    rec["popen"].kill()
    rec["popen"].wait()
    rec["rc"] = rec["popen"].returncode
    run.note(f"producer killed after ~{run.confirmed(rec)}/{rec['count']} confirmed; republished in full (same seed)")
    run.start_producer(seed=rec["seed"], count=rec["count"])
    run.fault_cleared()


def rabbitmq_stop_app(run):
    run.fault_started()
    services("rabbitmq-stop-app")
    run.sleep(5)
    services("rabbitmq-start-app")
    run.fault_cleared()


def rabbitmq_restart(run):
    run.fault_started()
    services("restart-rabbitmq")
    run.fault_cleared()


def pg_immediate(run):
    run.fault_started()
    services("pg-stop-immediate")
    run.sleep(10)
    services("pg-start")
    run.fault_cleared()


def sink_down(run):
    run.fault_started()
    run.sink.stop(graceful=True)
    run.sleep(20)
    run.sink.start()
    run.fault_cleared()


def worker_sigstop(run):
    run.fault_started()
    run.procs.signal("worker-1", signal.SIGSTOP)
    try:
        run.sleep(20)
    finally:
        run.procs.signal("worker-1", signal.SIGCONT)
    run.fault_cleared()


def worker_sigterm(run):
    inflight = try_psql("SELECT count(*) FROM deliveries WHERE state = 'in_flight'")
    run.note(f"in flight at SIGTERM: {inflight}")
    run.fault_started()
    p = run.procs.proc("worker-1")
    entry = run.procs.kill("worker-1", signal.SIGTERM)
    try:
        rc = p.wait(30)
        if rc != 0:
            run.note(f"worker-1 exited {rc} on SIGTERM (expected 0)")
    except subprocess.TimeoutExpired:
        run.note("worker-1 did not exit within 30 s of SIGTERM (drain 0): killed")
        p.kill()
        p.wait()
    run.procs.restart("worker-1", entry)
    run.fault_cleared()


def scenario_relay(run):
    """Rows go into the outbox at the scenario's rate (one psql session), the relay publishes them; kill -9 it, restart."""
    s = run.size
    run.start_pipeline()
    run.procs.start("relay", "herald-producer", args=["relay", "--batch", "100"])
    feeder = subprocess.Popen(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-p", str(Config.pg_port), "-U", "herald", "-d", DB,
                               "-v", "ON_ERROR_STOP=1"], env=Config.herald_env(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(run.dir, "feeder.err"), "w"), text=True, start_new_session=True)
    run.procs.everything.append(feeder)
    inserted = [0]
    failed = []

    def feed():
        step = max(1, int(s["rate"] / 10))
        start = time.time()
        try:
            while inserted[0] < s["events"]:
                n = min(step, s["events"] - inserted[0])
                values = []
                for i in range(inserted[0], inserted[0] + n):
                    eid = f"evt_outbox_{i:07d}"
                    body = json.dumps({"id": eid, "type": "order.created", "tenant": "acme", "occurred_at": "2026-01-22T15:30:00Z",
                                       "data": {"order": {"id": f"ord_{i}", "total": 10 + i % 100}}})
                    values.append(f"('{eid}','acme','order.created','{body}')")
                feeder.stdin.write("INSERT INTO outbox (event_id, tenant_id, type, payload) VALUES " + ",".join(values) + ";\n")
                feeder.stdin.flush()
                inserted[0] += n
                wait = start + inserted[0] / s["rate"] - time.time()
                if wait > 0:
                    time.sleep(wait)
            feeder.stdin.close()
        except Exception as e:  # noqa: BLE001 - reported below
            failed.append(str(e))

    t0 = time.time()
    th = threading.Thread(target=feed, daemon=True)
    th.start()
    run.sleep(max(0.0, t0 + s["fault_at"] - time.time()))
    run.fault_started()
    entry = run.procs.kill("relay")
    run.sleep(2)
    run.procs.restart("relay", entry)
    run.fault_cleared()
    th.join(run.args.timeout)
    rc = feeder.wait(60)
    if rc != 0 or failed:
        run.note(f"outbox feeder failed (rc {rc}): {failed or open(os.path.join(run.dir, 'feeder.err')).read()[-300:]}")
    run.outbox_rows = int(psql("SELECT count(*) FROM outbox"))
    log(f"{run.key}: fault from +{run.t_fault - t0:.1f}s to +{run.t_cleared - t0:.1f}s; {run.outbox_rows} outbox rows")
    completed = run.watch()
    return run.results(completed)


SCENARIOS = [
    ("router-kill", "router kill -9, restart 4 s", lambda r: run_generic(r, router_kill)),
    ("router-kill-3x", "router kill -9 x3 in 3 s", lambda r: run_generic(r, router_kill_3x)),
    ("worker-kill", "worker kill -9, restart 2 s", lambda r: run_generic(r, kill_and_restart("worker-1", 2))),
    ("producer-kill", "producer kill -9, republish", lambda r: run_generic(r, producer_kill)),
    ("relay-kill", "outbox relay kill -9, restart", scenario_relay),
    ("rabbitmq-stop-app", "RabbitMQ stop_app 5 s", lambda r: run_generic(r, rabbitmq_stop_app)),
    ("rabbitmq-restart", "RabbitMQ node restart", lambda r: run_generic(r, rabbitmq_restart)),
    ("pg-immediate", "PostgreSQL immediate stop 10 s", lambda r: run_generic(r, pg_immediate)),
    ("sink-down", "sink down 20 s", lambda r: run_generic(r, sink_down)),
    ("worker-sigstop", "worker SIGSTOP 20 s", lambda r: run_generic(r, worker_sigstop)),
    ("worker-sigterm", "worker SIGTERM, drain 0, slow sink", "sigterm"),
]


def run_scenario(key, title, fn, size, args):
    run = Run(key, title, size, args)
    try:
        if fn == "sigterm":
            run.size = dict(size, concurrency=size["slow_concurrency"])
            return run_generic(run, worker_sigterm, worker_env={"HERALD_WORKER_DRAIN_S": "0"}, path="/slow")
        return fn(run)
    finally:
        run.procs.stop_all()
        run.sink.stop()


# ---------------------------------------------------------------- main

def fmt(v, width):
    return f"{'—' if v is None else v:>{width}}"


def main():
    parser = argparse.ArgumentParser(description="Herald's fault-injection suite (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="small: every scenario in a few minutes (make test)")
    parser.add_argument("--only", default="", help="comma-separated scenarios: " + ",".join(k for k, _, _ in SCENARIOS))
    parser.add_argument("--bin", default="", help="directory of the release binaries (default: swift build -c release --show-bin-path)")
    parser.add_argument("--keep", action="store_true", help="leave RabbitMQ and PostgreSQL running at the end")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait after the fault cleared (default 120; --quick 65: recovery > 60 s fails anyway)")
    parser.add_argument("--path", default="/busy",
                        help="the webhook's path on the sink: /busy answers after 200 ms, so faults meet deliveries in flight "
                             "(default); /ok at once; /slow after 1 s (the SIGTERM scenario always uses /slow)")
    parser.add_argument("--settle", type=float, default=None, help="seconds nothing may move before a scenario is done (default 5; --quick 3)")
    parser.add_argument("--events", type=int, default=None, help="events per scenario (default 20000; --quick 2000)")
    parser.add_argument("--rate", type=float, default=None, help="events per second (default 1000; --quick 400)")
    parser.add_argument("--fault-at", type=float, default=None, help="seconds into the publish (default 8; --quick 3)")
    parser.add_argument("--state", default=Config.state, help="state directory of the suite's servers")
    parser.add_argument("--amqp-port", type=int, default=Config.amqp_port)
    parser.add_argument("--pg-port", type=int, default=Config.pg_port)
    parser.add_argument("--sink-port", type=int, default=Config.sink_port)
    parser.add_argument("--results", default=os.path.join(ROOT, "bench-results", "faults.json"))
    args = parser.parse_args()
    q = args.quick
    args.timeout = args.timeout if args.timeout is not None else (65.0 if q else 120.0)
    args.settle = args.settle if args.settle is not None else (3.0 if q else 5.0)
    size = {"events": args.events or (2000 if q else 20000), "rate": args.rate or (400 if q else 1000),
            "fault_at": args.fault_at if args.fault_at is not None else (3 if q else 8),
            "concurrency": 200, "slow_concurrency": 300 if q else 600}
    Config.state, Config.amqp_port, Config.pg_port, Config.sink_port = os.path.abspath(args.state), args.amqp_port, args.pg_port, args.sink_port
    Config.bindir = os.path.abspath(args.bin) if args.bin else default_bindir()
    Config.migrate_cwd = checkout_of(Config.bindir)
    for exe in ("herald-router", "herald-worker", "herald-producer", "heraldctl"):
        if not os.access(os.path.join(Config.bindir, exe), os.X_OK):
            sys.exit(f"[faults] {exe} not found in {Config.bindir} (build with `swift build -c release`, or pass --bin)")
    table = {k: (k, t, f) for k, t, f in SCENARIOS}
    only = [s.strip() for s in args.only.split(",") if s.strip()] or [k for k, _, _ in SCENARIOS]
    unknown = [s for s in only if s not in table]
    if unknown:
        sys.exit(f"[faults] unknown scenario(s): {', '.join(unknown)} (known: {', '.join(table)})")

    def interrupted(signum, _frame):
        raise Interrupted(f"signal {signum}")
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started with SIGINT ignored (background)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    os.makedirs(Config.run_dir(), exist_ok=True)
    started = time.time()
    results = []
    log(f"binaries {Config.bindir}; migrations from {Config.migrate_cwd}; state {Config.state}; "
        f"{size['events']} events at {size['rate']:.0f}/s, fault at {size['fault_at']}s; timeout {args.timeout:.0f}s; "
        f"HERALD_RECONCILE_GRACE_S={os.environ.get('HERALD_RECONCILE_GRACE_S', '(default)')}")
    try:
        log(f"starting RabbitMQ :{Config.amqp_port} and PostgreSQL :{Config.pg_port} (deploy/services.sh up)")
        services("up")
        for key in only:
            _, title, fn = table[key]
            log(f"scenario {key}: {title}")
            t = time.time()
            try:
                r = run_scenario(key, title, fn, size, args)
            except Exception as e:  # a broken scenario is a failure, the others still run
                log(f"scenario {key} broke: {e}")
                r = {"key": key, "fault": title, "error": str(e), "pass": False}
                try:  # a broker or database fault may have been left half-way
                    services("up")
                    services("rabbitmq-start-app", check=False)
                except Exception as e2:  # noqa: BLE001
                    log(f"services.sh up after the error: {e2}")
            r["wall_s"] = round(time.time() - t, 1)
            results.append(r)
            log(f"{key}: {'PASS' if r['pass'] else 'FAIL'} "
                f"{json.dumps({k: v for k, v in r.items() if k not in ('states', 'producers', 'sample')})}")
    except (KeyboardInterrupt, Interrupted):
        log("interrupted: cleaning up")
        results.append({"key": "interrupted", "fault": "interrupted", "error": "interrupted", "pass": False})
    finally:
        if args.keep:
            log("--keep: RabbitMQ and PostgreSQL stay up (deploy/services.sh down with the same HERALD_* variables stops them)")
        else:
            try:
                services("purge-prefix", PREFIX, check=False)
                services("down", check=False)
            except Exception as e:  # noqa: BLE001
                log(f"stopping the servers: {e}")
    total = time.time() - started
    passed = sum(1 for r in results if r.get("pass"))
    failed = len(results) - passed
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "quick": q, "bin": Config.bindir, "size": size, "timeout_s": args.timeout,
            "reconcile_grace_s": os.environ.get("HERALD_RECONCILE_GRACE_S"), "total_s": round(total, 1),
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Config.migrate_cwd, capture_output=True,
                                     text=True).stdout.strip()}
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"\nHerald fault injection — {meta['date']}, {meta['commit']}, {size['events']} events at {size['rate']:.0f}/s"
          f"{' (quick)' if q else ''}, {total:.0f} s\n")
    print(f"{'fault':<36}{'published':>10}{'expected':>9}{'delivered':>10}{'lost':>6}{'dups':>6}{'dups rec.':>10}{'recovery s':>11}"
          f"{'non-final':>10}  result")
    for r in results:
        if "error" in r:
            print(f"{r['fault']:<36} error: {r['error']}  FAIL")
            continue
        rec = f"{r['duplicates_recorded']}/{r['duplicated_ids']}"
        nonfinal = r["non_final"] + max(0, r["outbox_unpublished"])
        print(f"{r['fault']:<36}{r['published']:>10}{r['expected']:>9}{r['delivered']:>10}{r['lost']:>6}{r['duplicates']:>6}{rec:>10}"
              f"{fmt(r['recovery_s'], 11)}{nonfinal:>10}  {'PASS' if r['pass'] else 'FAIL'}")
        for n in r["notes"]:
            print(f"    {n}")
    print(f"\nresults: {os.path.relpath(os.path.abspath(args.results), ROOT)}")
    print(f"faults: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
