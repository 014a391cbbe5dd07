#!/usr/bin/env bash
# make bench [QUICK=1]: the benchmark of docs/PERFORMANCE.md (services and release build come from make).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 deploy/bench.py "$@"
