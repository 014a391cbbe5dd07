# Herald — the two commands: `make demo` (the main job) and `make test` (everything tested).
SHELL := /bin/bash
SWIFT_BUILD_FLAGS ?=
CONFIG ?= debug
BIN = $(shell swift build -c $(CONFIG) --show-bin-path 2>/dev/null)
export HERALD_DATABASE_URL ?= postgres://herald:herald@127.0.0.1:5432/herald
export HERALD_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/%2F

.PHONY: all setup services services-down build build-release migrate test test-unit test-integration demo bench bench-api bench-retention bench-scale cluster netns faults clean-state

all: build

## Install what is missing (apt, pip) and start RabbitMQ + PostgreSQL on 127.0.0.1.
setup: services
	@python3 -c 'import standardwebhooks' 2>/dev/null || pip install -q standardwebhooks 2>/dev/null || \
	  echo "[setup] standardwebhooks (PyPI) not installed: the sample receiver uses its built-in verifier"
	@python3 -c 'import aiosmtpd' 2>/dev/null || pip install -q aiosmtpd 2>/dev/null || \
	  echo "[setup] aiosmtpd (PyPI) not installed: the mail notification tests need it (pip install aiosmtpd)"
	@python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml 2>/dev/null || apt-get install -y -qq python3-yaml >/dev/null
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@python3 -c 'import selenium' 2>/dev/null || pip install -q selenium 2>/dev/null || \
	  echo "[setup] selenium (PyPI) not installed: the console's browser test needs it"
	@command -v kubernetes-validate >/dev/null || pip install -q kubernetes-validate 2>/dev/null || \
	  echo "[setup] kubernetes-validate (PyPI) not installed: the deployment check needs it"
	@python3 -c 'import openapi_spec_validator' 2>/dev/null || pip install -q openapi-spec-validator 2>/dev/null || \
	  echo "[setup] openapi-spec-validator (PyPI) not installed: the API test that validates schemas/openapi.yaml needs it"

services:
	@deploy/services.sh up

services-down:
	@deploy/services.sh down

build:
	swift build $(SWIFT_BUILD_FLAGS)

build-release:
	swift build -c release $(SWIFT_BUILD_FLAGS)

migrate: build
	$(BIN)/heraldctl migrate

## Every test: unit tests, wrapper tests against the real servers, pipeline integration tests.
## Tests that restart the broker run on their own afterwards, so they disturb no other test; then
## the web console in headless Chromium (screenshots in docs/console/), the 3-node cluster, the network-namespace
## hosts with link cuts (deploy/netns.py), the short form of the fault-injection suite (its own servers; kill -9, broker and database faults).
test: setup
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build --skip BrokerRestart
	swift test --skip-build --filter BrokerRestart
	python3 deploy/check_compose.py --bin "$$(swift build --show-bin-path)"
	python3 deploy/check_host.py
	python3 deploy/check_deploy.py
	python3 deploy/check_console.py --bin "$$(swift build --show-bin-path)"
	python3 deploy/cluster.py --bin "$$(swift build --show-bin-path)" || \
	  { echo "[test] the 3-node cluster run failed once (three brokers on two cores); running it again"; \
	    python3 deploy/cluster.py --bin "$$(swift build --show-bin-path)"; }
	python3 deploy/netns.py --bin "$$(swift build --show-bin-path)" || \
	  { echo "[test] the network-namespace run failed once (seven hosts on two cores); running it again"; \
	    python3 deploy/netns.py --bin "$$(swift build --show-bin-path)"; }
	HERALD_DEVELOPMENT=true python3 deploy/faults.py --quick --bin "$$(swift build --show-bin-path)"

## The full fault-injection suite: 20,000 events at 1,000/s per fault, release build (docs/RELIABILITY.md).
faults: setup build-release
	HERALD_DEVELOPMENT=true python3 deploy/faults.py --bin "$$(swift build -c release --show-bin-path)"

demo: setup build-release
	@CONFIG=release deploy/demo.sh

bench: setup build-release
	@CONFIG=release deploy/bench.sh $(if $(QUICK),--quick,)
	@python3 deploy/bench_api.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"
	@python3 deploy/bench_retention.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"
	@python3 deploy/bench_scale.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"
	@python3 deploy/netns.py $(if $(QUICK),,--full) --bin "$$(swift build -c release --show-bin-path)"

## Retention alone: 50 million attempts in day partitions, days dropped, queries timed before and after.
bench-retention: setup build-release
	@python3 deploy/bench_retention.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"

## Scale-out: 1, 2 and 4 routers + workers on 1 and 3 RabbitMQ nodes (deploy/cluster.py's, ports
## 5711–5713), classic and quorum queues, 8 router and 8 delivery shards (docs/PERFORMANCE.md).
bench-scale: setup build-release
	@python3 deploy/bench_scale.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"

## A 3-node RabbitMQ cluster with quorum queues, sharded routers, the leader of the delivery queue
## killed mid-stream (20,000 events at 1,000/s; the short form runs in make test).
cluster: setup build-release
	python3 deploy/cluster.py --full --bin "$$(swift build -c release --show-bin-path)"

## Seven network namespaces as hosts (3 RabbitMQ nodes, PostgreSQL, a receiver, 2 app hosts) on a bridge;
## the delivery queue leader's link and an app host's link cut for 10 s (30,000 events at 1,000/s;
## the short form runs in make test). Needs root.
netns: setup build-release
	python3 deploy/netns.py --full --bin "$$(swift build -c release --show-bin-path)"

## herald-api alone: the delivery log and stats over millions of rows, and HTTP ingest.
bench-api: setup build-release
	@python3 deploy/bench_api.py $(if $(QUICK),--quick,) --bin "$$(swift build -c release --show-bin-path)"

clean-state:
	@deploy/services.sh reset
