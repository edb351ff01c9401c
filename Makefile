# The two set-up commands of the README:
#   make demo   builds pipeline and runs the webapp example through
#               internal and beta to the production gate, approves it,
#               deploys it and prints `pipeline status` (SQLite state).
#   make test   runs every test against the real Docker engine, SQLite
#               and a local PostgreSQL server it starts.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/pipeline
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)

.PHONY: build test test-short bench fleet demo image postgres vet fmt clean

build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o $(BIN) ./cmd/pipeline

# image builds the local test image pipeline-test/busybox:latest (no registry needed).
image:
	bash testdata/image/build.sh

test: image
	@set -euo pipefail; bash .ci/chromium.sh; eval "$$(bash .ci/postgres.sh)"; \
	$(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

# test-short runs the tests that need neither Docker nor PostgreSQL.
test-short:
	$(GO) test -short ./...

bench: build image
	bash scripts/bench.sh

# fleet runs the CI fleet at its default size against a private PostgreSQL
# server: 24 pipeline processes over 8 components, 3 deliveries each, two
# pg_ctl restarts and four kill -9, then checks the store's invariants and
# prints throughput and environment lock waits (internal/fleet).
fleet:
	@set -euo pipefail; eval "$$(bash .ci/postgres.sh)"; \
	$(GO) test -count=1 -timeout 60m -v -run 'TestFleet$$' ./internal/fleet \
		-fleet.procs=24 -fleet.components=8 -fleet.iterations=3 -fleet.restarts=2 -fleet.kills=4

demo: build image
	bash scripts/demo.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./cmd/pipeline fmt -recursive examples testdata/valid

clean:
	rm -rf bin .pipeline
