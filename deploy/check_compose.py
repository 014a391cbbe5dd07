#!/usr/bin/env python3
"""Checks docker-compose.yml without a Docker engine: valid YAML of the compose shape, every command
is one of Herald's executables with flags they accept, every HERALD_* variable is one Herald reads,
every service's environment (after compose's ${VAR:-default} / ${VAR:?message} interpolation) is
accepted by Herald's own configuration code (`heraldctl config-check`: keys decoded exactly as the
programs decode them), and the Dockerfile builds the executables the compose file runs.

    python3 deploy/check_compose.py [--bin .build/debug]
"""
import base64
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed, failed = 0, 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


compose = yaml.safe_load(open(os.path.join(ROOT, "docker-compose.yml")))
sources = ""
for base, _, files in os.walk(os.path.join(ROOT, "Sources")):
    for f in files:
        if f.endswith(".swift"):
            sources += open(os.path.join(base, f)).read()
package = open(os.path.join(ROOT, "Package.swift")).read()
dockerfile = open(os.path.join(ROOT, "Dockerfile")).read()
executables = set(re.findall(r'\.executable\(name: "([^"]+)"', package))

check(isinstance(compose.get("services"), dict), "services is a mapping")
for name in ["rabbitmq", "postgres", "migrate", "router", "worker", "producer"]:
    check(name in compose["services"], f"service {name} exists")
for name, service in compose["services"].items():
    for dep in (service.get("depends_on") or {}):
        check(dep in compose["services"], f"{name} depends on existing service {dep}")
    command = service.get("command")
    if command:
        check(command[0] in executables, f"{name}: {command[0]} is a Herald executable")
        for flag in [c for c in command[1:] if c.startswith("--")]:
            camel = re.sub(r"-(\w)", lambda m: m.group(1).upper(), flag[2:])
            check(f"var {camel}" in sources, f"{name}: flag {flag} exists")
    for key in (service.get("environment") or {}):
        if key.startswith("HERALD_"):
            check(f'"{key}"' in sources, f"{name}: {key} is read by Herald")
check(compose["services"]["worker"].get("deploy", {}).get("replicas", 1) >= 2, "workers are scaled")


def interpolate(value, env):
    """Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}."""
    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        if name in env and env[name] != "":
            return env[name]
        if op == ":-":
            return arg
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return ""
    return re.sub(r"\$\{([A-Z0-9_]+)(:-|:\?)?([^}]*)\}", one, str(value))


binary = sys.argv[sys.argv.index("--bin") + 1] if "--bin" in sys.argv else os.path.join(ROOT, ".build", "debug")
heraldctl = os.path.join(binary, "heraldctl")
operator_env = {"HERALD_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}   # what the header tells people to export
for name, service in compose["services"].items():
    command = service.get("command") or []
    if not command or command[0] not in executables:
        continue
    raw = service.get("environment") or {}
    if not os.path.exists(heraldctl):
        check(False, f"{heraldctl} is built (run swift build first)")
        continue
    try:
        env = {k: interpolate(v, {}) for k, v in raw.items()}   # as `docker compose up` with nothing exported
        check(False, f"{name}: starts with no HERALD_MASTER_KEY exported (a default key in the file is public)")
    except KeyError as missing:
        check("HERALD_MASTER_KEY" in str(missing), f"{name}: compose refuses to start without HERALD_MASTER_KEY ({missing})")
        env = {k: interpolate(v, operator_env) for k, v in raw.items()}
    run = subprocess.run([heraldctl, "config-check"], env={"PATH": os.environ.get("PATH", ""), **env}, capture_output=True, text=True)
    check(run.returncode == 0, f"{name}: Herald accepts its configuration: {run.stdout.strip()} {run.stderr.strip()}")
check("COPY schemas/migrations" in dockerfile, "the image carries the migrations")
check(all(e in dockerfile or "herald-*" in dockerfile for e in executables), "the image carries every executable")
print(f"compose: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
