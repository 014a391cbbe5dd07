#!/usr/bin/env python3
"""The scale-out benchmark: 1, 2 and 4 routers (and as many workers) on a 1-node and a 3-node
RabbitMQ cluster, with classic and with quorum queues, router and delivery shards on.

    make bench-scale                     # 20,000 events per configuration
    make bench-scale QUICK=1             # 3,000
    python3 deploy/bench_scale.py --quick --bin .build/release [--nodes 1 --queue-types classic --procs 1,2]

The RabbitMQ nodes are deploy/cluster.py's (herald-c1..c3@localhost on 127.0.0.1:5711–5713, data
under /var/tmp/herald-cluster): herald-c1 alone for the 1-node configurations, then herald-c2 and
herald-c3 started and joined to it. The machine's own RabbitMQ (5672) is not used. Every process has
HERALD_ROUTER_SHARDS=8 and HERALD_DELIVERY_SHARDS=8 and the URLs of the running nodes.

Each configuration gets a fresh database (the main PostgreSQL), 16 tenants with one webhook each
(order.created → the nginx sink, so one delivery per event), its routers and workers; once every
router shard has an active consumer and every delivery queue its workers, `herald-producer
generate` publishes N events as fast as confirms allow, and the run waits until every delivery is
final. Measured: routed events/s, deliveries/s, CPU seconds per 1,000 events of the routers, the
workers, the cluster's RabbitMQ nodes, PostgreSQL and the producer, and which router is the active
consumer of each of the 8 router shards (single active consumer).

Prints a table and writes bench-results/scale.json. Progress goes to stderr.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import bench     # the pipeline benchmark: the nginx sink, /proc CPU, psql, Herald's processes
import cluster   # the 3-node RabbitMQ cluster on this machine

ROOT = bench.ROOT
STATE = os.path.join(ROOT, ".state", "bench-scale")
DB = "herald_bench_scale"
SHARDS = 8
TENANTS = [f"t{i}" for i in range(16)]


def log(msg):
    print(f"[bench-scale] {msg}", file=sys.stderr, flush=True)


def psql(sql, db=DB):
    return bench.psql(sql, db=db)


def nodes_env(nodes, queue_type):
    urls = ",".join(f"amqp://guest:guest@127.0.0.1:{port}/%2F" for _, port in cluster.NODES[:nodes])
    return dict(bench.ENV, HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}", HERALD_AMQP_URL=urls,
                HERALD_TOPOLOGY_PREFIX=f"scale.n{nodes}.{queue_type}.", HERALD_QUEUE_TYPE=queue_type,
                HERALD_ROUTER_SHARDS=str(SHARDS), HERALD_DELIVERY_SHARDS=str(SHARDS), HERALD_RECONCILE="false",
                HERALD_ROUTER_REBALANCE_S="1",   # the shards spread during the warm-up, not during the run
                HERALD_ALLOW_PRIVATE_NETWORKS="true", HERALD_DEVELOPMENT="true", HERALD_LOG_LEVEL="warning",
                HERALD_METRICS_ADDR="off")   # up to 8 processes: no /metrics listeners competing for one port


# ---------------------------------------------------------------- the cluster

class Nodes:
    """The cluster's nodes started by this run and their beam.smp pids."""

    def __init__(self):
        self.alive = []
        self.beams = {}

    def start(self, names):
        for name in names:
            cluster.start_node(name, dict(cluster.NODES)[name])
        for name in names:
            if not cluster.await_node(name):
                raise RuntimeError(f"{name} did not start (log under {cluster.BASE})")
            self.alive.append(name)
            self.beams[name] = cluster.beam_pid(name)
        for name in names:
            if name != cluster.NODES[0][0]:
                code, out = cluster.join(name)
                if code != 0:
                    raise RuntimeError(f"{name} did not join the cluster: {out.strip()}")
        code, out = cluster.ctl(cluster.NODES[0][0], "cluster_status", "--formatter", "json")
        running = json.loads(out).get("running_nodes", []) if code == 0 else []
        log(f"running nodes: {', '.join(sorted(running))}")

    def pids(self):
        return [p for p in self.beams.values() if p]


def rabbit_json(*args):
    code, out = cluster.ctl(cluster.NODES[0][0], *args, "--formatter", "json", timeout=90)
    if code != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {out.strip()[:200]}")
    return json.loads(out or "[]")


def local_port_owners():
    """{local TCP port: pid} of the sockets connected to the cluster's nodes (ss -tnp)."""
    ports = {str(p) for _, p in cluster.NODES}
    owners = {}
    out = subprocess.run(["ss", "-tnpH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split()
        if len(cols) < 6 or cols[4].rsplit(":", 1)[-1] not in ports:
            continue
        m = re.search(r"pid=(\d+)", line)
        if m:
            owners[int(cols[3].rsplit(":", 1)[-1])] = int(m.group(1))
    return owners


def consumers(prefix, queue_type):
    """Which consumer is active on each router shard (single active consumer), mapped to a process
    through its channel → connection → client port → the process owning that socket; and how many
    consumers each delivery queue has."""
    q = ".quorum" if queue_type == "quorum" else ""
    shard_queues = {f"{prefix}herald.router.shard.{i}{q}": i for i in range(SHARDS)}
    deliver_queues = {f"{prefix}herald.deliver.shard.{i}{q}" for i in range(SHARDS)} | {f"{prefix}herald.deliver{q}"}
    rows = rabbit_json("list_consumers", "queue_name", "channel_pid", "active")
    active = {}
    deliver_consumers = {name: 0 for name in deliver_queues}
    for r in rows:
        name = r.get("queue_name")
        if name in shard_queues and r.get("active") in (True, "true"):
            active[shard_queues[name]] = str(r.get("channel_pid"))
        elif name in deliver_queues:
            deliver_consumers[name] += 1
    owners = {}
    if active:
        try:
            channel_conn = {str(c["pid"]): str(c["connection"]) for c in rabbit_json("list_channels", "pid", "connection")}
            conn_port = {str(c["pid"]): c["peer_port"] for c in rabbit_json("list_connections", "pid", "peer_port")}
            port_pid = local_port_owners()
            owners = {shard: port_pid.get(conn_port.get(channel_conn.get(ch))) for shard, ch in active.items()}
        except (RuntimeError, ValueError, KeyError) as e:
            log(f"could not map consumers to processes: {e}")
    return active, owners, deliver_consumers


# ---------------------------------------------------------------- PostgreSQL's processes

def postgres_processes():
    """The main PostgreSQL's (the one on 127.0.0.1:5432) backends of this benchmark's database, and
    its shared processes (postmaster, WAL writer, checkpointer, …). The server, and so its shared
    processes, may also be working for others meanwhile; other databases' backends are left out."""
    out = subprocess.run(["ss", "-ltnpH", "sport = :5432"], capture_output=True, text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    if not m:
        return [], []
    postmaster = int(m.group(1))
    backends, shared = [], [postmaster]
    for pid in bench.pids_of("postgres"):
        try:
            ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
            cmd = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if ppid != postmaster:
            continue
        if f" {DB} " in cmd:
            backends.append(pid)
        elif "(" not in cmd and "[local]" not in cmd and "autovacuum worker" not in cmd and "parallel worker" not in cmd:
            shared.append(pid)   # not another database's backend or worker
    return backends, shared


def cpu_snapshot(pids):
    return {p: bench.cpu_seconds(p) for p in pids}


def cpu_since(before, pids):
    """CPU seconds of `pids` since `before` (a process started meanwhile counts whole)."""
    return sum(bench.cpu_seconds(p) - before.get(p, 0.0) for p in pids)


# ---------------------------------------------------------------- one configuration

def purge_leftovers(prefix):
    """An earlier failed configuration of the same pair may have left messages in its queues."""
    for q in rabbit_json("list_queues", "name", "messages"):
        if q.get("name", "").startswith(prefix) and int(q.get("messages") or 0) > 0:
            log(f"purging {q['messages']} messages left in {q['name']}")
            cluster.ctl(cluster.NODES[0][0], "purge_queue", q["name"])


def configuration(bindir, nodes, queue_type, procs, events, cluster_nodes):
    env = nodes_env(nodes, queue_type)
    prefix = env["HERALD_TOPOLOGY_PREFIX"]
    h = bench.Herald(bindir, env=env, state=STATE)
    producer = None
    try:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
        psql(f"CREATE DATABASE {DB}", db="postgres")
        h.ctl("migrate")
        purge_leftovers(prefix)
        for i, tenant in enumerate(TENANTS):
            doc = {"tenant": tenant, "name": f"scale-{i}", "url": f"http://127.0.0.1:{bench.SINK_PORT}/ok/{i}", "events": ["order.created"],
                   "retry": {"max_retries": 2, "backoff": "fixed", "intervals_s": [1]}, "response_timeout_ms": 30000}
            out = subprocess.run([os.path.join(bindir, "heraldctl"), "webhook", "create", "--json", "--file", "-"], input=json.dumps(doc),
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"webhook create: {out.stderr.strip()}")
        routers = [f"router-{i + 1}" for i in range(procs)]
        workers = [f"worker-{i + 1}" for i in range(procs)]
        for name in routers:
            h.start(name, "herald-router")
        for name in workers:
            h.start(name, "herald-worker", {"HERALD_WORKER_CONCURRENCY": "200", "HERALD_WORKER_MAX_IN_FLIGHT_PER_WEBHOOK": "200"})
        time.sleep(2)
        # Ready when every router shard has its active consumer and every delivery queue every worker.
        deadline = time.time() + 60
        while True:
            active, owners, deliver = consumers(prefix, queue_type)
            ready = len(active) == SHARDS and all(n >= procs for n in deliver.values())
            if ready or time.time() > deadline:
                break
            time.sleep(1)
        if not ready:
            log(f"not every queue has its consumers after 60 s: {len(active)} shards active, delivery queues {sorted(deliver.values())}")
        dead = [n for n in routers + workers if h.procs[n].poll() is not None]
        if dead:
            raise RuntimeError(f"exited before the run: {', '.join(dead)} (logs in {STATE})")
        # Warm-up: events no webhook wants (order.updated) until the routers have spread the shards
        # between them (a router hands over only shards it receives events from).
        warm = subprocess.Popen([os.path.join(bindir, "herald-producer"), "generate", "--count", "100000", "--rate", "1000",
                                 "--types", "order.updated", "--tenants", ",".join(TENANTS), "--seed", "2", "--quiet"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 40
        while time.time() < deadline:
            time.sleep(1)
            active, owners, deliver = consumers(prefix, queue_type)
            counts = {}
            for pid in owners.values():
                counts[pid] = counts.get(pid, 0) + 1
            if len(active) == SHARDS and len(counts) == min(procs, SHARDS) and max(counts.values()) <= -(-SHARDS // procs):
                break
        warm.terminate()
        warm.wait()
        # The last warm-up events routed (they are not recorded: no webhook wants them): the router
        # queues empty at two reads in a row (a quorum queue's counts trail by seconds).
        empty_reads, settle = 0, time.time() + 60
        while empty_reads < 2 and time.time() < settle:
            held = sum(int(q.get("messages") or 0) for q in rabbit_json("list_queues", "name", "messages")
                       if q.get("name", "").startswith(prefix + "herald.router"))
            empty_reads = empty_reads + 1 if held == 0 else 0
            time.sleep(2)
        active, owners, deliver = consumers(prefix, queue_type)
        pid_name = {h.pid(n): n for n in routers}
        shard_owner = [pid_name.get(owners.get(i), "?" if i in active else None) for i in range(SHARDS)]
        known = {o for o in shard_owner if o and o != "?"}
        routers_with_shards = len(known) if all(o != "?" for o in shard_owner if o) else None
        active_channels = len(set(active.values()))

        groups = {"routers": [h.pid(n) for n in routers], "workers": [h.pid(n) for n in workers], "rabbitmq": cluster_nodes.pids()}
        groups["postgres"], groups["postgres_shared"] = postgres_processes()
        before = {g: cpu_snapshot(p) for g, p in groups.items()}
        t0 = time.time()
        producer = subprocess.Popen([os.path.join(bindir, "herald-producer"), "generate", "--count", str(events), "--types", "order.created",
                                     "--tenants", ",".join(TENANTS), "--seed", "1", "--batch", "1000", "--quiet"], env=env,
                                    stdout=open(os.path.join(STATE, "producer.log"), "w"), stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(producer.pid, 0)
        producer.returncode = os.waitstatus_to_exitcode(status)
        pub_s = time.time() - t0
        if producer.returncode != 0:
            raise RuntimeError(f"producer exited {producer.returncode} (log in {STATE}/producer.log)")
        bench.wait_done(events, max(120, events / 50), db=DB)
        # What the queues still hold. A quorum queue's counts in rabbitmqctl trail its state by
        # seconds (statistics), so they are read until they settle; only what stays is reported.
        left, settle = {}, time.time() + 30
        while True:
            left = {q["name"][len(prefix):]: (q.get("messages"), q.get("messages_unacknowledged"))
                    for q in rabbit_json("list_queues", "name", "messages", "messages_unacknowledged")
                    if q.get("name", "").startswith(prefix) and (int(q.get("messages") or 0) > 0)}
            if not left or time.time() > settle:
                break
            time.sleep(2)
        if left:
            log(f"left in queues 30 s after the run (ready+unacked, unacked): {left}")
        wall = time.time() - t0
        groups["postgres"], groups["postgres_shared"] = postgres_processes()   # backends opened meanwhile too
        cpu = {g: cpu_since(before[g], p) for g, p in groups.items()}
        cpu["producer"] = usage.ru_utime + usage.ru_stime

        routed_span = float(psql("SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM events WHERE type = 'order.created'") or 0)
        n_events = int(psql("SELECT count(*) FROM events WHERE type = 'order.created'") or 0)
        succeeded = int(psql("SELECT count(*) FROM deliveries WHERE state = 'succeeded'") or 0)
        span = float(psql("SELECT extract(epoch FROM (SELECT max(started_at) FROM delivery_attempts) - (SELECT min(received_at) FROM events "
                          "WHERE type = 'order.created'))") or 0)
        per_1000 = {g: round(c * 1000 / events, 3) for g, c in cpu.items()}
        per_1000["total"] = round(sum(v for g, v in per_1000.items() if g != "postgres_shared"), 3)
        return {"nodes": nodes, "queue_type": queue_type, "routers": procs, "workers": procs, "events": events,
                "events_recorded": n_events, "succeeded": succeeded, "complete": succeeded == events,
                "published_per_s": round(events / max(pub_s, 0.001)), "routed_per_s": round(n_events / max(routed_span, 0.001)),
                "deliveries_per_s": round(succeeded / max(span, 0.001)), "wall_s": round(wall, 1),
                "cpu_s_per_1000_events": per_1000, "routers_with_shards": routers_with_shards,
                "active_shard_channels": active_channels, "shard_owner": shard_owner}
    finally:
        if producer and producer.returncode is None:   # interrupted while it published
            producer.kill()
            producer.wait()
        h.stop()


# ---------------------------------------------------------------- the table

def table(results, meta):
    print(f"\nHerald scale-out benchmark — {meta['date']}, commit {meta['commit']}, {meta['cores']} cores, "
          f"{meta['events']} events per configuration{' (quick)' if meta['quick'] else ''}\n")
    print(f"{'nodes':>5} {'queues':<8}{'procs':>6}{'pub/s':>8}{'routed/s':>9}{'deliv/s':>9} {'complete':<9}{'shards':>7}"
          f"   CPU s per 1000 events: {'router':>7}{'worker':>7}{'rabbit':>7}{'pg':>7}{'prod':>7}{'total':>7}{'pg-shared':>10}")
    for r in results:
        head = f"{r['nodes']:>5} {r['queue_type']:<8}{r['routers']:>6}"
        if "error" in r:
            print(f"{head}  error: {r['error']}")
            continue
        c = r["cpu_s_per_1000_events"]
        owners = r["routers_with_shards"] if r["routers_with_shards"] is not None else f"{r['active_shard_channels']}ch"
        print(f"{head}{r['published_per_s']:>8}{r['routed_per_s']:>9}{r['deliveries_per_s']:>9} {'yes' if r['complete'] else 'NO':<9}"
              f"{str(owners) + '/' + str(r['routers']):>7}   {'':>23}{c['routers']:>7}{c['workers']:>7}{c['rabbitmq']:>7}"
              f"{c['postgres']:>7}{c['producer']:>7}{c['total']:>7}{c.get('postgres_shared', ''):>10}")
    print("\nprocs: routers = workers; shards: routers that are the active consumer of at least one of the 8 router shards;"
          "\npg: this database's backends; pg-shared: the server's WAL writer, checkpointer, … (shared with anything else on it, not in total)")
    print("results: bench-results/scale.json")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3,000 events per configuration (default 20,000)")
    ap.add_argument("--bin", default=None, help="Herald's executables (default: swift build -c release --show-bin-path)")
    ap.add_argument("--nodes", default="1,3")
    ap.add_argument("--queue-types", default="classic,quorum")
    ap.add_argument("--procs", default="1,2,4")
    args = ap.parse_args()
    events = 3_000 if args.quick else 20_000
    bindir = args.bin or bench.bin_path()
    node_counts = [int(n) for n in args.nodes.split(",")]
    queue_types = args.queue_types.split(",")
    proc_counts = [int(n) for n in args.procs.split(",")]
    if any(n not in (1, 3) for n in node_counts) or any(q not in ("classic", "quorum") for q in queue_types):
        ap.error("--nodes takes 1 and/or 3, --queue-types classic and/or quorum")
    os.makedirs(STATE, exist_ok=True)
    results = []
    nodes = Nodes()
    sink = None
    try:
        cluster.clear_leftovers()
        cluster.make_certificates(os.path.join(cluster.BASE, "certs"))   # the first node's TLS listener needs them
        sink = bench.start_sink()
        for n in sorted(node_counts):
            wanted = [name for name, _ in cluster.NODES[:n] if name not in nodes.alive]
            log(f"starting {', '.join(wanted)}")
            nodes.start(wanted)
            for qt in queue_types:
                for procs in proc_counts:
                    label = f"{n} node(s), {qt}, {procs} router(s) + {procs} worker(s)"
                    log(f"{label}: {events} events…")
                    try:
                        r = configuration(bindir, n, qt, procs, events, nodes)
                    except Exception as e:   # a failed configuration is reported, the others still run
                        log(f"{label} failed: {e}")
                        r = {"nodes": n, "queue_type": qt, "routers": procs, "workers": procs, "error": str(e)}
                    results.append(r)
                    log(json.dumps(r))
    finally:
        if sink:
            sink.terminate()
            sink.wait(10)
        cluster.stop_all(set(nodes.alive))
        try:
            psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
        except RuntimeError as e:
            log(f"could not drop {DB}: {e}")
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "quick": args.quick, "events": events,
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
            "bin": bindir}
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    json.dump({"meta": meta, "results": results}, open(os.path.join(ROOT, "bench-results", "scale.json"), "w"), indent=2)
    table(results, meta)
    return 0 if results and all("error" not in r and r["complete"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
