#!/usr/bin/env python3
"""Herald over several hosts: network namespaces on this machine as hosts, a bridge as the network,
and link cuts as the faults (run as root).

    python3 deploy/netns.py --bin .build/debug            # short form (make test)
    python3 deploy/netns.py --bin .build/release --full   # longer stream (make netns, make bench)

Hosts (namespaces hx-*, addresses in 10.231.0.0/24, veth pairs on the bridge hxbr0 = .1):
    hx-rmq1..3  .11-.13  a 3-node RabbitMQ cluster (rabbit@10.231.0.1x, long names, an epmd each,
                         quorum queues, cluster_partition_handling = pause_minority)
    hx-pg       .20      a throwaway PostgreSQL (data under /var/tmp/herald-netns/pg)
    hx-recv     .30      the sample receiver (deploy/receiver.py)
    hx-app1/2   .41/.42  one herald-router and one herald-worker each; the producer runs on hx-app2
The namespaces have no default route: every test byte stays between them (and their 127.0.0.1).

Mid-stream, the link of the RabbitMQ host leading herald.deliver.quorum goes down for 10 s (the other
two nodes see it down, it pauses itself as the minority, and rejoins when the link is back), then the
link of hx-app1 (its router and worker lose the broker and the database for 10 s). Then: every event
recorded once and delivered (0 lost), duplicates counted and bounded, the processes still running and
connected again, 3 running nodes. Prints a JSON summary and 'N passed, M failed'.
Everything (namespaces, links, bridge, processes) is removed at the start and at the end.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checklib import Checks, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "/var/tmp/herald-netns"
PREFIX = "hx-"
BRIDGE = "hxbr0"
NET = "10.231.0"
HOSTS = {"rmq1": 11, "rmq2": 12, "rmq3": 13, "pg": 20, "recv": 30, "app1": 41, "app2": 42}
RMQ = ["rmq1", "rmq2", "rmq3"]
APPS = ["app1", "app2"]
AMQP_PORT, DIST_PORT, PG_PORT, RECV_PORT = 5672, 25672, 5432, 9100
RABBIT = "/usr/lib/rabbitmq/bin"
check = Checks("netns")
T0 = time.time()


def log(msg):
    print(f"[netns {time.time() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def addr(host):
    return f"{NET}.{HOSTS[host]}"


def ns(host):
    return PREFIX + host


def veth(host):
    return "hxv-" + host   # the bridge side; the namespace side is eth0


def run(cmd, check_=False, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check_, **kw)


def in_ns(host, cmd):
    return ["ip", "netns", "exec", ns(host)] + cmd


# --- the network ------------------------------------------------------------------------------

def teardown():
    """Kills every process in our namespaces, deletes them, their links and the bridge. Idempotent."""
    existing = run(["ip", "netns", "list"]).stdout.split()
    for host in HOSTS:
        if ns(host) not in existing:
            continue
        for _ in range(3):
            pids = [int(p) for p in run(["ip", "netns", "pids", ns(host)]).stdout.split() if p.isdigit()]
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
        run(["ip", "netns", "del", ns(host)])
    for host in HOSTS:
        run(["ip", "link", "del", veth(host)])
    run(["ip", "link", "del", BRIDGE])


def setup_network():
    def ip(*args):
        run(["ip"] + list(args), check_=True)
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{NET}.1/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    for host in HOSTS:
        ip("netns", "add", ns(host))
        ip("link", "add", veth(host), "type", "veth", "peer", "name", "eth0", "netns", ns(host))
        ip("link", "set", veth(host), "master", BRIDGE)
        ip("link", "set", veth(host), "up")
        ip("-n", ns(host), "addr", "add", f"{addr(host)}/24", "dev", "eth0")
        ip("-n", ns(host), "link", "set", "eth0", "up")
        ip("-n", ns(host), "link", "set", "lo", "up")


def link(host, up):
    run(["ip", "link", "set", veth(host), "up" if up else "down"], check_=True)


def cut(host, seconds):
    """Takes the host's link down now and up again after `seconds`, whatever the caller does meanwhile."""
    link(host, False)
    restore = threading.Timer(seconds, link, (host, True))
    restore.start()
    return restore


# --- RabbitMQ ---------------------------------------------------------------------------------

def node(host):
    return f"rabbit@{addr(host)}"


def host_of(node_name):
    for h in RMQ:
        if node(h) == node_name:
            return h
    return None


def node_env(host):
    d = f"{BASE}/{host}"
    return dict(HOME="/var/lib/rabbitmq", PATH=os.environ["PATH"], LANG="C.UTF-8", RABBITMQ_NODENAME=node(host),
                RABBITMQ_USE_LONGNAME="true", RABBITMQ_NODE_IP_ADDRESS=addr(host), RABBITMQ_NODE_PORT=str(AMQP_PORT),
                RABBITMQ_DIST_PORT=str(DIST_PORT), RABBITMQ_MNESIA_BASE=f"{d}/mnesia", RABBITMQ_LOG_BASE=f"{d}/log",
                RABBITMQ_CONFIG_FILE=f"{d}/rabbitmq", RABBITMQ_ENABLED_PLUGINS_FILE=f"{d}/enabled_plugins",
                RABBITMQ_PID_FILE=f"{d}/rabbitmq.pid")


def as_rabbitmq(host, cmd):
    return in_ns(host, ["runuser", "-u", "rabbitmq", "--", "env"] + [f"{k}={v}" for k, v in node_env(host).items()] + cmd)


def ctl(host, *args, target=None, timeout=60):
    """rabbitmqctl run on `host` (its namespace), against `target`'s node (default: its own)."""
    try:
        out = run(as_rabbitmq(host, [f"{RABBIT}/rabbitmqctl", "-q", "-l", "-n", node(target or host)] + list(args)), timeout=timeout)
    except subprocess.TimeoutExpired:
        return 1, ""
    return out.returncode, out.stdout


def start_node(host, ticktime):
    d = f"{BASE}/{host}"
    os.makedirs(f"{d}/mnesia", exist_ok=True)
    os.makedirs(f"{d}/log", exist_ok=True)
    open(f"{d}/rabbitmq.conf", "w").write(
        f"listeners.tcp.1 = {addr(host)}:{AMQP_PORT}\nloopback_users = none\n"
        "vm_memory_high_watermark.relative = 0.15\ndisk_free_limit.absolute = 100MB\n"
        "cluster_partition_handling = pause_minority\n"
        f"net_ticktime = {ticktime}\n")
    open(f"{d}/enabled_plugins", "w").write("[rabbitmq_consistent_hash_exchange].\n")
    run(["chown", "-R", "rabbitmq:rabbitmq", d], check_=True)
    return subprocess.Popen(as_rabbitmq(host, ["setsid", f"{RABBIT}/rabbitmq-server"]), stdout=open(f"{d}/log/startup.log", "w"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def await_node(host, timeout=180):
    return wait_for(lambda: ctl(host, "await_startup", timeout=60)[0] == 0, timeout)


def cluster_status(host, target=None):
    code, out = ctl(host, "cluster_status", "--formatter", "json", target=target, timeout=30)
    try:
        return json.loads(out) if code == 0 else {}
    except ValueError:
        return {}


# --- PostgreSQL -------------------------------------------------------------------------------

def pg_bin():
    versions = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int)
    return f"/usr/lib/postgresql/{versions[-1]}/bin"


def as_postgres(cmd):
    return in_ns("pg", ["runuser", "-u", "postgres", "--"] + cmd)


def start_postgres():
    d = f"{BASE}/pg"
    os.makedirs(f"{d}/sock", exist_ok=True)
    run(["chown", "-R", "postgres:postgres", d], check_=True)
    run(as_postgres([f"{pg_bin()}/initdb", "-D", f"{d}/data", "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                     "-E", "UTF8", "--locale=C"]), check_=True)
    with open(f"{d}/data/postgresql.conf", "a") as f:
        f.write(f"listen_addresses = '{addr('pg')}'\nport = {PG_PORT}\nunix_socket_directories = '{d}/sock'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
                "shared_buffers = 128MB\n")
    with open(f"{d}/data/pg_hba.conf", "a") as f:
        f.write(f"host all all {NET}.0/24 scram-sha-256\n")
    run(as_postgres([f"{pg_bin()}/pg_ctl", "-D", f"{d}/data", "-l", f"{d}/postgres.log", "-w", "-t", "60", "start"]), check_=True, timeout=90)
    psql("CREATE ROLE herald LOGIN PASSWORD 'herald'", db="postgres")
    psql("CREATE DATABASE herald OWNER herald", db="postgres")


def stop_postgres():
    if os.path.exists(f"{BASE}/pg/data/postmaster.pid"):
        run(as_postgres([f"{pg_bin()}/pg_ctl", "-D", f"{BASE}/pg/data", "-m", "immediate", "-w", "stop"]), timeout=60)


def psql(sql, db="herald"):
    out = run(as_postgres(["psql", "-X", "-qAt", "-h", f"{BASE}/pg/sock", "-p", str(PG_PORT), "-U", "postgres", "-d", db, "-c", sql]))
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


# --- the run ----------------------------------------------------------------------------------

def receiver_stats():
    out = run(in_ns("recv", ["curl", "-sf", "--max-time", "10", f"http://{addr('recv')}:{RECV_PORT}/_stats"]))
    return json.loads(out.stdout) if out.returncode == 0 else {}


def amqp_clients():
    """Client connections per process (the connection name Herald gives: HERALD_INSTANCE/role), as the cluster sees them."""
    clients = {}
    for h in RMQ:
        code, out = ctl(RMQ[0], "list_connections", "client_properties", "--formatter", "json", target=h, timeout=30)
        open(f"{BASE}/logs/connections-{h}.json", "w").write(out)
        try:
            for c in json.loads(out) if code == 0 else []:
                text = json.dumps(c)
                name = next((f"{a}-{k}" for a in APPS for k in ("router", "worker", "producer") if f'"{a}-{k}/' in text), "other")
                clients[name] = clients.get(name, 0) + 1
        except ValueError:
            pass
    return clients


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    ap.add_argument("--full", action="store_true", help="30,000 events at 1,000/s (default: 4,000 at 100/s)")
    ap.add_argument("--count", type=int)
    ap.add_argument("--rate", type=int)
    ap.add_argument("--cut-s", type=float, default=10, help="how long each link stays down")
    ap.add_argument("--net-ticktime", type=int, default=5,
                    help="Erlang net_ticktime of the nodes: a node is seen down after 0.75-1.25 times this")
    args = ap.parse_args()
    count, rate = (30000, 1000) if args.full else (4000, 100)
    count, rate = args.count or count, args.rate or rate
    bindir = os.path.abspath(args.bin)
    if os.geteuid() != 0:
        print("netns.py needs root (ip netns, runuser)", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # a kill runs the teardown too
    teardown()   # leftovers of an interrupted run
    shutil.rmtree(BASE, ignore_errors=True)
    os.makedirs(f"{BASE}/logs")
    procs = {}
    summary = {"events": count, "rate": rate}
    try:
        setup_network()
        log(f"network up: {len(HOSTS)} namespaces on {BRIDGE} ({NET}.0/24)")
        for h in RMQ:
            start_node(h, args.net_ticktime)
        start_postgres()
        log("PostgreSQL up on hx-pg")
        for h in RMQ:
            ok = await_node(h)
            check(ok, f"{node(h)} started")
        for h in RMQ[1:]:
            ctl(h, "stop_app")
            code, out = ctl(h, "join_cluster", node(RMQ[0]))
            check(code == 0, f"{node(h)} joined the cluster {out.strip()}")
            ctl(h, "start_app")
        running = cluster_status(RMQ[0]).get("running_nodes", [])
        check(len(running) == 3, f"3 running nodes: {running}")
        log(f"RabbitMQ cluster up: {running}")

        urls = ",".join(f"amqp://guest:guest@{addr(h)}:{AMQP_PORT}/%2F" for h in RMQ)
        env = dict({k: v for k, v in os.environ.items() if k in ("LD_LIBRARY_PATH", "TZ")},   # nothing else: no HERALD_* of the caller
                   PATH=os.environ["PATH"], HOME="/root", LANG="C.UTF-8",
                   HERALD_DATABASE_URL=f"postgres://herald:herald@{addr('pg')}:{PG_PORT}/herald", HERALD_AMQP_URL=urls,
                   HERALD_QUEUE_TYPE="quorum", HERALD_ROUTER_SHARDS="4", HERALD_ALLOW_PRIVATE_NETWORKS="true",
                   HERALD_DEVELOPMENT="true", HERALD_LOG_LEVEL="warning", HERALD_RECONCILE_GRACE_S="10")
        run(in_ns("app1", [f"{bindir}/heraldctl", "migrate"]), check_=True, env=env)
        procs["receiver"] = subprocess.Popen(
            in_ns("recv", ["python3", os.path.join(ROOT, "deploy", "receiver.py"), "--host", addr("recv"), "--port", str(RECV_PORT)]),
            stdout=open(f"{BASE}/logs/receiver.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        doc = json.dumps({"tenant": "acme", "name": "Stream", "url": f"http://{addr('recv')}:{RECV_PORT}/ok/stream",
                          "events": ["order.created"],
                          # a worker whose own host is cut fails its in-flight attempts: they come back in seconds, not the default minute
                          "retry": {"max_retries": 10, "backoff": "custom", "intervals_s": [2, 5, 10]}})
        run(in_ns("app1", [f"{bindir}/heraldctl", "webhook", "create", "--json", "--file", "-"]), input=doc, env=env, check_=True)
        for h in APPS:
            for kind in ("router", "worker"):
                procs[f"{h}-{kind}"] = subprocess.Popen(in_ns(h, [f"{bindir}/herald-{kind}"]), env=dict(env, HERALD_INSTANCE=f"{h}-{kind}"),
                                                        stdout=open(f"{BASE}/logs/{h}-{kind}.log", "w"), stderr=subprocess.STDOUT,
                                                        stdin=subprocess.DEVNULL)
        time.sleep(3)
        check(bool(receiver_stats()), "the receiver answers on hx-recv")

        # (a) The RabbitMQ host leading the delivery queue (declared by the workers) will lose its link.
        code, out = ctl(RMQ[0], "list_queues", "name", "leader", "--formatter", "json")
        try:
            leaders = {q["name"]: q.get("leader") for q in json.loads(out)} if code == 0 else {}
        except ValueError:
            leaders = {}
        leader = leaders.get("herald.deliver.quorum")
        victim = host_of(leader)
        check(victim is not None, f"the delivery queue has a leader ({leader})")
        victim = victim or RMQ[0]
        log(f"publishing {count} events at {rate}/s from hx-app2")
        producer = subprocess.Popen(in_ns("app2", [f"{bindir}/herald-producer", "generate", "--count", str(count), "--rate", str(rate),
                                                   "--types", "order.created", "--seed", "2026"]),
                                    env=env, stdout=open(f"{BASE}/logs/producer.log", "w"), stderr=subprocess.STDOUT)
        t_start = time.time()
        time.sleep(3)
        # (a) mid-stream: the leader's link goes down.
        witness = next(h for h in RMQ if h != victim)
        summary["cut_broker"] = ns(victim)
        log(f"cutting {ns(victim)} ({leader}, leader of herald.deliver.quorum) for {args.cut_s:g} s")
        t_cut = time.time()
        restore = cut(victim, args.cut_s)
        seen, down_seen = "", None
        while restore.is_alive():   # the majority's view: the cut node leaves its Erlang distribution peers
            _, seen = ctl(witness, "eval", "nodes().", timeout=5)
            if seen.strip().startswith("[") and f"'{leader}'" not in seen:
                down_seen = round(time.time() - t_cut, 1)
                break
            time.sleep(0.5)
        summary["down_seen_s"] = down_seen
        check(down_seen is not None, f"{node(witness)} saw {leader} go during the cut (its peers: {seen.strip()}; after {down_seen} s)")
        restore.join()
        t_up = time.time()
        log(f"{ns(victim)} link up again")
        heal = {}

        def await_heal():   # meanwhile: both sides of the cut agree on 3 running nodes and no partition
            while time.time() < t_up + 150:
                a, b = cluster_status(witness), cluster_status(victim)
                if all(len(s.get("running_nodes", [])) == 3 and not s.get("partitions") for s in (a, b)):
                    heal["s"] = round(time.time() - t_up, 1)
                    log(f"cluster healed {heal['s']} s after the link came back")
                    break
                time.sleep(1)
            code, out = ctl(witness, "list_queues", "name", "leader", "--formatter", "json")
            try:
                heal["leader"] = {q["name"]: q.get("leader") for q in json.loads(out)}.get("herald.deliver.quorum") if code == 0 else None
            except ValueError:
                heal["leader"] = None
        healer = threading.Thread(target=await_heal, daemon=True)
        healer.start()

        # (b) An application host loses its link: its router and worker lose the broker and the database.
        # On a fixed schedule (5 s after the first link came back), healed cluster or not, so it stays mid-stream.
        time.sleep(max(0.0, t_up + 5 - time.time()))
        log(f"cutting hx-app1 for {args.cut_s:g} s")
        mid_stream = producer.poll() is None
        cut("app1", args.cut_s).join()
        log("hx-app1 link up again")
        healer.join(timeout=200)
        summary["heal_s"], summary["new_leader"] = heal.get("s"), heal.get("leader")
        check(heal.get("s") is not None, f"the cluster healed after the cut: 3 running nodes, no partitions ({heal.get('s')} s)")
        log(f"delivery queue leader now {heal.get('leader')}")

        rc = producer.wait(timeout=900)
        said = open(f"{BASE}/logs/producer.log").read()
        m = re.search(r"published \d+ events in ([0-9.]+) s", said)
        summary["publish_s"] = float(m.group(1)) if m else round(time.time() - t_start, 1)
        check(rc == 0, f"the producer published every event (exit {rc})")
        check(mid_stream, "the producer was still publishing when hx-app1 was cut")
        log(f"producer done ({summary['publish_s']} s of publishing)")
        t_published = time.time()
        deadline = time.time() + (300 if args.full else 150)
        while time.time() < deadline:
            done = int(psql("SELECT count(*) FROM deliveries WHERE state IN ('succeeded','failed')") or 0)
            if done >= count:
                break
            time.sleep(2)
        summary["drain_s"] = round(time.time() - t_published, 1)   # the last delivery after the last publish
        stats = receiver_stats()
        events = int(psql("SELECT count(*) FROM events WHERE type = 'order.created'"))
        distinct = int(psql("SELECT count(DISTINCT id) FROM events WHERE type = 'order.created'"))
        delivered = int(psql("SELECT count(*) FROM deliveries WHERE state = 'succeeded'"))
        check(events == count and distinct == count, f"every event recorded once ({events} rows, {distinct} distinct, of {count})")
        check(delivered == count, f"every delivery succeeded ({delivered} of {count}; lost {count - delivered})")
        dup = stats.get("duplicates", -1)
        check(0 <= dup <= max(50, count // 20), f"duplicates bounded ({dup})")
        check(stats.get("unique_succeeded") == count, f"the receiver saw every delivery ({stats.get('unique_succeeded')} unique of {count})")
        check(all(procs[f"{h}-{k}"].poll() is None for h in APPS for k in ("router", "worker")),
              "routers and workers are still running: " + ", ".join(f"{n} {'up' if p.poll() is None else 'exit ' + str(p.returncode)}"
                                                                  for n, p in procs.items()))
        clients = amqp_clients()
        summary["amqp_connections"] = clients
        check(all(clients.get(f"{h}-{k}", 0) >= 1 for h in APPS for k in ("router", "worker")),
              f"every router and worker connected to the broker again ({clients})")
        pg_peers = psql("SELECT client_addr, count(*) FROM pg_stat_activity WHERE usename = 'herald' GROUP BY 1").replace("\n", "; ")
        summary["pg_connections"] = pg_peers
        check(addr("app1") in pg_peers and addr("app2") in pg_peers, f"both app hosts connected to PostgreSQL again ({pg_peers})")
        final = cluster_status(RMQ[0]).get("running_nodes", [])
        check(len(final) == 3, f"3 running nodes at the end: {final}")
        retried = int(psql("SELECT count(*) FROM deliveries WHERE attempts >= 2"))
        summary.update({"delivered": delivered, "lost": count - delivered, "duplicates": dup, "retried": retried})
        print(json.dumps(summary), flush=True)
        for n, p in procs.items():
            p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    except Exception as e:   # a step that failed outright: a failed check, then the teardown
        said = (getattr(e, "stderr", None) or "").strip()
        check(False, f"the run stopped: {type(e).__name__}: {e} {said}"[:800])
        log(f"logs in {BASE}/logs and {BASE}/*/log")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # the teardown runs to its end
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        for h in RMQ:
            ctl(h, "stop", timeout=20)
        stop_postgres()
        teardown()
        for h in RMQ:   # the logs stay (/var/tmp/herald-netns/*/log, logs/), the data goes
            shutil.rmtree(f"{BASE}/{h}/mnesia", ignore_errors=True)
        shutil.rmtree(f"{BASE}/pg/data", ignore_errors=True)
        log("torn down")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
