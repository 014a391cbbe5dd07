#!/usr/bin/env python3
"""Checks docker-compose.yml without a Docker engine: valid YAML of the compose shape, every command
is one of Herald's executables with flags they accept, every HERALD_* variable is one Herald reads,
and the Dockerfile builds the executables the compose file runs."""
import os
import re
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
check("COPY schemas/migrations" in dockerfile, "the image carries the migrations")
check(all(e in dockerfile or "herald-*" in dockerfile for e in executables), "the image carries every executable")
print(f"compose: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
