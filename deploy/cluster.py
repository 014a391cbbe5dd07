#!/usr/bin/env python3
"""A 3-node RabbitMQ cluster on this machine (one node per port, its own name, data and logs) with
quorum queues and sharded routers, and the faults a cluster must survive.

    python3 deploy/cluster.py --bin .build/debug            # short form (make test)
    python3 deploy/cluster.py --bin .build/release --full   # longer stream (make cluster)

Starts herald-c1..c3@localhost on 127.0.0.1:5711–5713, joins them, runs 2 routers and 2 workers
(HERALD_AMQP_URL lists the three nodes, HERALD_QUEUE_TYPE=quorum, HERALD_ROUTER_SHARDS=4) against
the local PostgreSQL and the sample receiver, publishes a stream, and mid-stream kills -9 the node
that leads the delivery queue. Then: every event delivered (0 lost, duplicates counted), the
processes reconnected to the surviving nodes, a retry and a dead letter on quorum queues.
Prints 'N passed, M failed'.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys

from checklib import Checks, free_port, wait_for
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "/var/tmp/herald-cluster"
NODES = [("herald-c1@localhost", 5711), ("herald-c2@localhost", 5712), ("herald-c3@localhost", 5713)]
DB = "herald_cluster"
check = Checks("cluster")


def log(msg):
    print(f"[cluster] {msg}", file=sys.stderr, flush=True)


def node_env(name, port):
    d = os.path.join(BASE, name.split("@")[0])
    return dict(HOME="/var/lib/rabbitmq", PATH=os.environ["PATH"], RABBITMQ_NODENAME=name, RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                RABBITMQ_NODE_PORT=str(port), RABBITMQ_DIST_PORT=str(port + 20000), RABBITMQ_MNESIA_BASE=f"{d}/mnesia",
                RABBITMQ_LOG_BASE=f"{d}/log", RABBITMQ_CONFIG_FILE=f"{d}/rabbitmq", RABBITMQ_ENABLED_PLUGINS_FILE=f"{d}/enabled_plugins",
                RABBITMQ_PID_FILE=f"{d}/rabbitmq.pid")


def as_rabbitmq(cmd, env, **kw):
    return subprocess.run(["runuser", "-u", "rabbitmq", "--", "env"] + [f"{k}={v}" for k, v in env.items()] + cmd, **kw)


def ctl(name, *args, timeout=60):
    port = dict(NODES)[name]
    out = as_rabbitmq(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "-n", name] + list(args), node_env(name, port),
                      capture_output=True, text=True, timeout=timeout)
    return out.returncode, out.stdout


TLS_PORT = 5741


def make_certificates(directory):
    """A throwaway CA, a server certificate for localhost signed by it, and a second CA (the wrong one)."""
    os.makedirs(directory, exist_ok=True)
    def run(*cmd):
        subprocess.run(cmd, cwd=directory, check=True, capture_output=True)
    for ca in ("ca", "other-ca"):
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=Herald test {ca}",
            "-keyout", f"{ca}.key", "-out", f"{ca}.pem")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    open(os.path.join(directory, "san.ext"), "w").write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.ext", "-out", "server.pem")
    os.chmod(directory, 0o755)
    for f in os.listdir(directory):
        os.chmod(os.path.join(directory, f), 0o644)


def start_node(name, port):
    d = os.path.join(BASE, name.split("@")[0])
    os.makedirs(f"{d}/mnesia", exist_ok=True)
    os.makedirs(f"{d}/log", exist_ok=True)
    tls = ""
    if port == NODES[0][1]:   # the first node also speaks AMQPS
        certs = os.path.join(BASE, "certs")
        tls = (f"listeners.ssl.default = 127.0.0.1:{TLS_PORT}\nssl_options.cacertfile = {certs}/ca.pem\n"
               f"ssl_options.certfile = {certs}/server.pem\nssl_options.keyfile = {certs}/server.key\n"
               "ssl_options.verify = verify_none\nssl_options.fail_if_no_peer_cert = false\n")
    open(f"{d}/rabbitmq.conf", "w").write(f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n"
                                          "vm_memory_high_watermark.relative = 0.2\ndisk_free_limit.absolute = 100MB\n" + tls)
    open(f"{d}/enabled_plugins", "w").write("[rabbitmq_consistent_hash_exchange].\n")
    subprocess.run(["chown", "-R", "rabbitmq:rabbitmq", BASE], check=True)
    env = node_env(name, port)
    return subprocess.Popen(["runuser", "-u", "rabbitmq", "--", "env"] + [f"{k}={v}" for k, v in env.items()]
                            + ["setsid", "/usr/lib/rabbitmq/bin/rabbitmq-server"],
                            stdout=open(f"{d}/log/startup.log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def await_node(name, timeout=120):
    return wait_for(lambda: ctl(name, "await_startup", timeout=30)[0] == 0, timeout)


def join(name):
    """Joins node `name` to the first node's cluster; returns rabbitmqctl's exit code and output."""
    ctl(name, "stop_app")
    code, out = ctl(name, "join_cluster", NODES[0][0])
    ctl(name, "start_app")
    return code, out


def clear_leftovers():
    """Stops the nodes of an interrupted run and removes their data."""
    for name, _ in NODES:
        ctl(name, "stop", timeout=30)
    shutil.rmtree(BASE, ignore_errors=True)


def beam_pid(name):
    code, out = ctl(name, "eval", "list_to_integer(os:getpid()).")
    return int(out.strip()) if code == 0 and out.strip().isdigit() else None


def psql(sql, db="herald"):
    out = subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-U", "herald", "-d", db, "-c", sql],
                         env=dict(os.environ, PGPASSWORD="herald"), capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return out.stdout.strip()


def tls_checks(args, env):
    """AMQPS to the node's TLS listener, and PostgreSQL over TLS: verified against the right CA,
    refused with the wrong one."""
    certs = os.path.join(BASE, "certs")
    event = '{"type": "invoice.created", "tenant": "acme", "occurred_at": "2026-11-26T12:00:00Z", "data": {"order": {"id": "TLS"}}}'
    def publish(url):
        return subprocess.run([f"{args.bin}/herald-producer", "publish", "--amqp-url", url, event], env=env, capture_output=True, text=True, timeout=60)
    ok = publish(f"amqps://guest:guest@localhost:{TLS_PORT}/%2F?cacertfile={certs}/ca.pem")
    check(ok.returncode == 0, f"AMQPS with the right CA publishes ({ok.stderr.strip()[:200]})")
    bad = publish(f"amqps://guest:guest@localhost:{TLS_PORT}/%2F?cacertfile={certs}/other-ca.pem")
    check(bad.returncode != 0, "AMQPS with the wrong CA is refused")
    # PostgreSQL: TLS switched on for this check (a reload, no restart), then off again.
    pg_certs = "/var/tmp/herald-cluster-pg-certs"
    shutil.rmtree(pg_certs, ignore_errors=True)
    shutil.copytree(certs, pg_certs)
    subprocess.run(["chown", "-R", "postgres:postgres", pg_certs], check=True)
    os.chmod(f"{pg_certs}/server.key", 0o600)
    try:
        pg_admin(f"ALTER SYSTEM SET ssl_cert_file = '{pg_certs}/server.pem'")
        pg_admin(f"ALTER SYSTEM SET ssl_key_file = '{pg_certs}/server.key'")
        pg_admin("ALTER SYSTEM SET ssl = on")
        pg_admin("SELECT pg_reload_conf()")
        time.sleep(1)
        def migrate(root):
            url = f"postgres://herald:herald@localhost:5432/{DB}?sslmode=verify-full&sslrootcert={certs}/{root}"
            return subprocess.run([f"{args.bin}/heraldctl", "migrate", "--database-url", url], env=env, capture_output=True, text=True, timeout=60)
        good = migrate("ca.pem")
        check(good.returncode == 0, f"PostgreSQL over TLS with the right CA ({good.stderr.strip()[:200]})")
        wrong = migrate("other-ca.pem")
        check(wrong.returncode != 0 and "certificate" in (wrong.stderr + wrong.stdout).lower(), f"PostgreSQL over TLS with the wrong CA is refused ({wrong.stderr.strip()[:120]})")
    finally:
        pg_admin("ALTER SYSTEM RESET ssl")
        pg_admin("ALTER SYSTEM RESET ssl_cert_file")
        pg_admin("ALTER SYSTEM RESET ssl_key_file")
        pg_admin("SELECT pg_reload_conf()")
        shutil.rmtree(pg_certs, ignore_errors=True)


def pg_admin(sql):
    subprocess.run([os.path.join(ROOT, "deploy", "services.sh"), "pg-admin-sql", sql], check=True, capture_output=True)


def stop_all(nodes_alive):
    for name, port in NODES:
        pid = beam_pid(name) if name in nodes_alive else None
        ctl(name, "stop", timeout=60)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    shutil.rmtree(BASE, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    ap.add_argument("--full", action="store_true")
    args = ap.parse_args()
    count, rate = (20000, 1000) if args.full else (3000, 500)
    clear_leftovers()
    log("starting 3 RabbitMQ nodes")
    make_certificates(os.path.join(BASE, "certs"))
    for name, port in NODES:
        start_node(name, port)
    alive = set()
    procs = []
    try:
        for name, _ in NODES:
            ok = await_node(name)
            check(ok, f"{name} started")
            if ok:
                alive.add(name)
        for name, _ in NODES[1:]:
            code, out = join(name)
            check(code == 0, f"{name} joined the cluster {out.strip()}")
        code, out = ctl(NODES[0][0], "cluster_status", "--formatter", "json")
        running = json.loads(out).get("running_nodes", []) if code == 0 else []
        check(len(running) == 3, f"3 running nodes: {running}")

        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        psql(f"CREATE DATABASE {DB}")
        urls = ",".join(f"amqp://guest:guest@127.0.0.1:{p}/%2F" for _, p in NODES)
        env = dict(os.environ, HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}", HERALD_AMQP_URL=urls,
                   HERALD_QUEUE_TYPE="quorum", HERALD_ROUTER_SHARDS="4", HERALD_ALLOW_PRIVATE_NETWORKS="true",
                   HERALD_DEVELOPMENT="true", HERALD_LOG_LEVEL="warning", HERALD_RECONCILE_GRACE_S="10",
                   HERALD_ROUTER_REBALANCE_S="1")
        subprocess.run([f"{args.bin}/heraldctl", "migrate"], env=env, check=True, capture_output=True)
        rport = free_port()
        receiver = subprocess.Popen(["python3", os.path.join(ROOT, "deploy", "receiver.py"), "--port", str(rport)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(receiver)
        time.sleep(1)

        def webhook(name, path, events, extra=""):
            doc = f'{{"tenant": "acme", "name": "{name}", "url": "http://127.0.0.1:{rport}{path}", "events": {json.dumps(events)}{extra}}}'
            out = subprocess.run([f"{args.bin}/heraldctl", "webhook", "create", "--json", "--file", "-"], input=doc, env=env,
                                 capture_output=True, text=True, check=True)
            return json.loads(out.stdout)["id"]

        webhook("Stream", "/ok/stream", ["order.created"])
        webhook("Retry", "/fail/1/retry", ["customer.created"], ', "retry": {"max_retries": 3, "backoff": "custom", "intervals_s": [1]}')
        webhook("Dead", "/status/500/dead", ["product.created"], ', "retry": {"max_retries": 1, "backoff": "custom", "intervals_s": [1]}')
        for _ in range(2):
            procs.append(subprocess.Popen([f"{args.bin}/herald-router"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            procs.append(subprocess.Popen([f"{args.bin}/herald-worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3)
        # The retry and dead-letter paths on quorum queues.
        subprocess.run([f"{args.bin}/herald-producer", "generate", "--count", "20", "--types", "customer.created,product.created", "--seed", "7"],
                       env=env, check=True, capture_output=True)

        tls_checks(args, env)
        log(f"publishing {count} events at {rate}/s; the delivery queue's leader is killed mid-stream")
        producer = subprocess.Popen([f"{args.bin}/herald-producer", "generate", "--count", str(count), "--rate", str(rate),
                                     "--types", "order.created", "--seed", "2026"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(count / rate / 2)
        code, out = ctl(NODES[0][0], "list_queues", "name", "leader", "--formatter", "json")
        leaders = {q["name"]: q.get("leader") for q in json.loads(out)} if code == 0 else {}
        leader = leaders.get("herald.deliver.quorum")
        check(leader in dict(NODES), f"the delivery queue has a leader ({leader})")
        victim_pid = beam_pid(leader) if leader else None
        check(victim_pid is not None, "the leader's process found")
        t_kill = time.time()
        if victim_pid:
            os.kill(victim_pid, signal.SIGKILL)
            alive.discard(leader)
            log(f"killed {leader} (pid {victim_pid})")
        rc = producer.wait(timeout=600)
        check(rc == 0, f"the producer published every event through the surviving nodes (exit {rc})")

        deadline = time.time() + (300 if args.full else 180)
        while time.time() < deadline:
            done = int(psql("SELECT count(*) FROM deliveries WHERE state IN ('succeeded','failed')", db=DB) or 0)
            if done >= count + 20:
                break
            time.sleep(1)
        recovered = time.time() - t_kill
        stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{rport}/_stats", timeout=10).read())
        stream = int(psql("SELECT count(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'Stream' AND d.state = 'succeeded'", db=DB))
        events = int(psql("SELECT count(*) FROM events WHERE type = 'order.created'", db=DB))
        check(events == count, f"every event recorded once ({events} of {count})")
        check(stream == count, f"every delivery succeeded ({stream} of {count}; lost {count - stream})")
        dup = stats.get("duplicates", 0)
        check(dup <= max(50, count // 20), f"duplicates bounded ({dup})")
        retried = int(psql("SELECT count(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'Retry' AND d.state = 'succeeded' AND d.attempts >= 2", db=DB))
        dead = int(psql("SELECT count(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.name = 'Dead' AND d.state = 'failed'", db=DB))
        generated = int(psql("SELECT count(*) FROM events WHERE type IN ('customer.created','product.created')", db=DB))
        if retried + dead != generated:
            log("retry/dead states: " + psql("SELECT w.name, d.state, d.attempts, count(*) FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id "
                                             "WHERE w.name IN ('Retry','Dead') GROUP BY 1,2,3", db=DB).replace("\n", "; "))
        check(retried + dead == generated and retried > 0 and dead > 0, f"quorum retry path ({retried} retried) and dead letters ({dead} failed) of {generated}")
        check(all(p.poll() is None for p in procs[1:]), "routers and workers are still running (reconnected)")
        # The 4 quorum shard queues are shared by the 2 routers (each hands over what is beyond its
        # fair share; consumer tags are <instance>/shard.N).
        # A router that reconnected after the kill subscribed again at the back of every line, so the
        # other one had all shards for a moment: a little traffic (events no webhook wants) and the
        # hand-overs spread them again.
        live = [n for n, _ in NODES if n in alive]
        owners = {}
        deadline = time.time() + 45
        while live and time.time() < deadline:
            code, out = ctl(live[0], "list_consumers", "queue_name", "consumer_tag", "active", "--formatter", "json")
            owners = {}
            for c in (json.loads(out) if code == 0 else []):
                if ".router.shard." in c.get("queue_name", "") and c.get("active") in (True, "true"):
                    owners[c["queue_name"]] = c.get("consumer_tag", "").split("/")[0]
            if len(owners) == 4 and len(set(owners.values())) == 2:
                break
            subprocess.run([f"{args.bin}/herald-producer", "generate", "--count", "300", "--rate", "300", "--types", "order.updated",
                            "--tenants", ",".join(f"s{i}" for i in range(16)), "--seed", "9"], env=env, capture_output=True, timeout=120)
        check(len(owners) == 4 and len(set(owners.values())) == 2, f"the router shards are spread over both routers ({owners})")
        print(json.dumps({"events": count, "delivered": stream, "lost": count - stream, "duplicates": dup, "killed": leader,
                          "recovery_s": round(recovered, 1), "retried": retried, "dead": dead}))
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    finally:
        for p in procs:   # whatever happened above, nothing of this run keeps running
            if p.poll() is None:
                p.kill()
        stop_all(alive)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
