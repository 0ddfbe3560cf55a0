# iotpipe — the two commands: `make demo` and `make test`. Everything else is a building block.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export IOTPIPE_ROOT := $(CURDIR)
# Node.js: the LTS major the images ship, installed by `make deps` (local/install-deps.sh) into the
# cache and put first on PATH for every target, so tests run on what ships. The version lives in
# .node-version; the Dockerfiles' NODE_IMAGE names the same one (cdk8s/src/dockerfile.test.ts).
export IOTPIPE_NODE_VERSION ?= $(shell cat .node-version)
export PATH := $(or $(IOTPIPE_CACHE_DIR),$(HOME)/.cache/iotpipe)/node-v$(IOTPIPE_NODE_VERSION)/bin:$(PATH)
# The stages' CLI (what the workloads image runs) and the developers' tools beside it, never shipped.
IOTPIPE := node workloads/dist/cli.js
STACK_CLI := node local/dist/stack-cli.js

-include mk/*.mk

.PHONY: help deps build typecheck lint demo test test-unit test-integration stack-up stack-down stack-status stack-logs clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## install what is missing: Debian packages, Node.js 24, npm packages from the lock file
	@local/install-deps.sh
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || \
	  [ "$$(cat node_modules/.iotpipe-node 2>/dev/null)" != "$$(node --version)" ]; then \
	  npm ci --no-audit --no-fund && node --version > node_modules/.iotpipe-node; fi

build: deps ## compile the TypeScript (incremental)
	@npx tsc -b

typecheck: build ## tsc over every .ts file: sources, tests, benchmarks (tsconfig.typecheck.json)
	@npx tsc -p tsconfig.typecheck.json

lint: build ## eslint with type information + prettier
	@npx eslint . && npx prettier --check .

stack-up: build ## start the local stack (idempotent)
	@$(STACK_CLI) up

stack-down: ## stop everything the local stack started
	@if [ -f local/dist/stack-cli.js ]; then $(STACK_CLI) down; fi

stack-status: build ## probe every part of the local stack
	@$(STACK_CLI) status

stack-logs: build ## tail the local stack's logs
	@$(STACK_CLI) logs

demo: build ## run the main job end to end on the local stack
	@scripts/demo.sh

test: ## run every suite against freshly started real services, then stop them
	@scripts/test-all.sh

test-unit: build ## pure unit tests (no services)
	@npx vitest run --project unit

test-integration: build ## integration tests (needs `make stack-up`)
	@npx vitest run --project integration

clean: stack-down ## remove build output (the state dir and caches are kept)
	@rm -rf */dist
