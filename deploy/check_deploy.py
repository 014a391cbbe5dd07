#!/usr/bin/env python3
"""Checks the deployment files without a cluster: the Kubernetes manifests in deploy/kubernetes
against the Kubernetes schemas, offline (kubernetes-validate, strict), and against Herald itself
(every command is one of its executables, every HERALD_* variable one it reads, probes on the
ports its settings open, KEDA scaling the worker Deployment on the delivery queue); the systemd
units in deploy/systemd with `systemd-analyze verify`.

    python3 deploy/check_deploy.py
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

from checklib import Checks
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
check = Checks("deploy")


sources = ""
for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
    for f in files:
        if f.endswith(".swift"):
            sources += open(os.path.join(base, f), encoding="utf-8").read()
known_vars = set(re.findall(r'"(HERALD_[A-Z0-9_]+)"', sources))
executables = set(re.findall(r'\.executable\(name: "([^"]+)"', open(os.path.join(ROOT, "Package.swift")).read()))

docs = []
for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "kubernetes", "*.yaml"))):
    for doc in yaml.safe_load_all(open(path)):
        if doc:
            docs.append((os.path.basename(path), doc))
check(len(docs) >= 10, f"the manifests hold the expected resources ({len(docs)})")
kinds = {d["kind"] for _, d in docs}
for kind in ["Deployment", "Job", "PodDisruptionBudget", "ScaledObject", "Secret", "ConfigMap", "Service"]:
    check(kind in kinds, f"a {kind} is defined")

# 1. The Kubernetes schemas (built-in kinds; KEDA's are custom resources, checked below).
validator = shutil.which("kubernetes-validate")
check(validator is not None, "kubernetes-validate is installed (make setup installs it)")
if validator:
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, (name, doc) in enumerate(docs):
            if doc["apiVersion"].startswith("keda.sh/"):
                continue
            f = os.path.join(tmp, f"{i:02d}-{doc['kind']}.yaml")
            yaml.safe_dump(doc, open(f, "w"))
            files.append((f, f"{name}: {doc['kind']} {doc['metadata']['name']}"))
        for f, label in files:
            out = subprocess.run([validator, "--strict", "--quiet", f], capture_output=True, text=True)
            check(out.returncode == 0, f"{label} is valid Kubernetes: {(out.stdout + out.stderr).strip()[:300]}")

# 2. Herald's own rules.
config = next(d for _, d in docs if d["kind"] == "ConfigMap")
for key in list(config["data"]) + list(next(d for _, d in docs if d["kind"] == "Secret")["stringData"]):
    if key.startswith("HERALD_"):
        check(key in known_vars, f"{key} is a setting Herald reads")
metrics_port = int(config["data"]["HERALD_METRICS_ADDR"].rsplit(":", 1)[1])
for name, doc in docs:
    if doc["kind"] not in ("Deployment", "Job"):
        continue
    pod = doc["spec"]["template"]["spec"]
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{doc['metadata']['name']} runs as non-root")
    for c in pod["containers"]:
        check(c["command"][0] in executables, f"{doc['metadata']['name']}: {c['command'][0]} is a Herald executable")
        for e in c.get("env", []):
            check(e["name"] in known_vars, f"{doc['metadata']['name']}: {e['name']} is a setting Herald reads")
        check(c.get("securityContext", {}).get("allowPrivilegeEscalation") is False, f"{c['name']}: no privilege escalation")
        check("resources" in c and "requests" in c["resources"], f"{c['name']}: resource requests")
        if doc["kind"] == "Deployment":
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe"):
                p = c.get(probe, {}).get("httpGet", {})
                check(p.get("path") in ("/healthz", "/readyz"), f"{c['name']}: {probe} on a health endpoint")
                port = ports.get(p.get("port"), p.get("port"))
                expected = 8080 if c["command"][0] == "herald-api" else metrics_port
                check(port == expected, f"{c['name']}: {probe} on port {port}, the one Herald opens ({expected})")
    if doc["kind"] == "Deployment":
        pdbs = [d for _, d in docs if d["kind"] == "PodDisruptionBudget" and d["spec"]["selector"] == doc["spec"]["selector"]]
        check(len(pdbs) == 1, f"{doc['metadata']['name']} has a PodDisruptionBudget")
scaled = next(d for _, d in docs if d["kind"] == "ScaledObject")
check(scaled["spec"]["scaleTargetRef"]["name"] == "herald-worker", "KEDA scales the worker Deployment")
trigger = scaled["spec"]["triggers"][0]
quorum = config["data"].get("HERALD_QUEUE_TYPE") == "quorum"
suffix = ".quorum" if quorum else ""
shards = int(config["data"].get("HERALD_DELIVERY_SHARDS", "0"))
delivery_queues = [f"herald.deliver.shard.{i}{suffix}" for i in range(shards)] + [f"herald.deliver{suffix}"]
meta = trigger["metadata"]
if meta.get("useRegex") == "true":
    pattern = re.compile(meta["queueName"])
    check(all(pattern.fullmatch(q) for q in delivery_queues) and not pattern.fullmatch("herald.dead" + suffix)
          and meta.get("operation") == "sum", f"KEDA sums every delivery queue of the configured type and shards ({len(delivery_queues)})")
else:
    check(trigger["type"] == "rabbitmq" and meta["queueName"] == delivery_queues[0] and shards == 0,
          "KEDA watches the delivery queue of the configured queue type")
auth = next(d for _, d in docs if d["kind"] == "TriggerAuthentication")
check(trigger["authenticationRef"]["name"] == auth["metadata"]["name"], "the trigger's authentication exists")

# 3. systemd units: systemd's own parser (missing binaries and units of this machine aside).
analyze = shutil.which("systemd-analyze")
units = sorted(glob.glob(os.path.join(ROOT, "deploy", "systemd", "*.service")))
check(len(units) == 4, f"four units ({len(units)})")
for unit in units:
    text = open(unit).read()
    check("DynamicUser=yes" in text and "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text, f"{os.path.basename(unit)} is hardened")
    for exe in re.findall(r"/usr/local/bin/([a-z-]+)", text):
        check(exe in executables, f"{os.path.basename(unit)}: {exe} is a Herald executable")
    if analyze:
        with tempfile.TemporaryDirectory() as tmp:
            name = os.path.basename(unit).replace("@.", "@1.")
            shutil.copy(unit, os.path.join(tmp, name))
            out = subprocess.run([analyze, "verify", "--man=no", os.path.join(tmp, name)], capture_output=True, text=True)
            problems = [l for l in (out.stdout + out.stderr).splitlines()
                        if l.strip() and "is not executable" not in l and "not found" not in l and "Failed to create" not in l]
            check(not problems, f"{name}: systemd-analyze verify: {problems[:3]}")

# 4. The Grafana dashboard and the Prometheus alert rules: every Herald metric they read is one
#    Herald exports, and every queue selector that reads the router or delivery queue also reads
#    their shards (HERALD_ROUTER_SHARDS, HERALD_DELIVERY_SHARDS label them herald.router.shard.N, …).
sources = "".join(open(f).read() for f in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True))


def exprs_of(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from exprs_of(value)
    elif isinstance(node, list):
        for item in node:
            yield from exprs_of(item)


observed = {
    "alert rules": list(exprs_of(yaml.safe_load(open(os.path.join(ROOT, "deploy", "prometheus-alerts.yml"))))),
    "dashboard": list(exprs_of(json.load(open(os.path.join(ROOT, "deploy", "grafana-dashboard.json"))))),
}
for where, exprs in observed.items():
    check(len(exprs) >= 5, f"{where}: {len(exprs)} expressions read")
    names = {re.sub(r"_(bucket|sum|count)$", "", n) for e in exprs for n in re.findall(r"\bherald_[a-z_]+", e)}
    unknown = sorted(n for n in names if f'"{n}"' not in sources)
    check(names and not unknown, f"{where}: the {len(names)} Herald metrics used are exported (unknown: {unknown})")
    uncovered = []
    for e in exprs:
        for op, value in re.findall(r'queue\s*(=~|=)\s*"([^"]*)"', e):
            matches = (lambda q: re.fullmatch(value, q)) if op == "=~" else (lambda q: q == value)
            for base in ("herald.router", "herald.deliver"):
                if matches(base) and not matches(base + ".shard.3"):
                    uncovered.append(f"{op}\"{value}\"")
    check(not uncovered, f"{where}: queue selectors cover the shard queues too ({uncovered})")

sys.exit(check.summary())
