#!/usr/bin/env python3
"""Checks that the local servers leave the host as it was (run by make test after setup):
the database role is not a superuser, the servers' data is outside the repository (no permission
changed in or above it), and no policy-rc.d was left behind by an install."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed = failed = 0


def check(ok, what):
    global passed, failed
    passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    if not ok:
        print(f"FAIL: {what}")


env = dict(os.environ, PGPASSWORD="herald")
role = subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-U", "herald", "-d", "herald", "-c",
                       "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user"], env=env, capture_output=True, text=True)
check(role.stdout.strip() == "f|t", f"the herald role may create databases and is not a superuser ({role.stdout.strip() or role.stderr.strip()})")
status = subprocess.run([os.path.join(ROOT, "deploy", "services.sh"), "status"], capture_output=True, text=True).stdout
data = next((line.split(":", 1)[1].strip() for line in status.splitlines() if line.startswith("data:")), "")
check(data and not os.path.realpath(data).startswith(os.path.realpath(ROOT)), f"server data outside the repository ({data})")
check(not os.path.exists("/usr/sbin/policy-rc.d") or "herald" not in open("/usr/sbin/policy-rc.d").read().lower(),
      "no policy-rc.d left behind")
print(f"host: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
