# wtools — the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.install-stamp
REGISTRY_PORT ?= 5000

.PHONY: help install deps system-deps build run tour components publish test check bench fixtures registry-up registry-down clean

help:
	@echo "make run          install, build, and serve the signed starter components over HTTP (PORT=0)"
	@echo "make tour         the pull path on a throwaway local registry: push, sign, pull, verify, call"
	@echo "make components   build the starter components and sign them into dist/starter"
	@echo "make publish REGISTRY=host/ns  push the signed starter set to a registry"
	@echo "make test         install what is needed, then check and run every test"
	@echo "make check        typecheck, lint, format check and the layer rule"
	@echo "make bench        benchmarks with baselines (writes bench/results/latest.json)"
	@echo "make fixtures     build the fixture components (cached by content hash)"
	@echo "make registry-up  start docker-registry on 127.0.0.1:$(REGISTRY_PORT) (registry-down stops it)"

install: deps system-deps

# npm ci only when the lock file changed since the last install.
deps: $(NPM_STAMP)
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

# The real registry and skopeo come from Debian; installed only when missing.
system-deps:
	@bash scripts/system-deps.sh

build: deps
	npm run build

# The starter components, signed into OCI layouts under dist/starter, served over HTTP on 127.0.0.1.
PORT ?= 0
run: install build components
	node dist/bundle/bin.js serve --demo --http 127.0.0.1:$(PORT)

# The pull path on a throwaway local registry: push, sign, pull, copy, verify, call with grants.
tour: install build fixtures
	bash scripts/demo.sh

# Builds the starter components (cached by content hash) and signs them into dist/starter.
components: install build
	npx tsx scripts/build-starter.ts

# Pushes the signed starter set, signatures included, to REGISTRY (host[:port]/namespace).
publish: components
	@test -n "$(REGISTRY)" || { echo "usage: make publish REGISTRY=host[:port]/namespace"; exit 2; }
	bash scripts/publish-starter.sh "$(REGISTRY)"

check: deps
	npm run check

test: install build check fixtures components
	npx vitest run

fixtures: deps
	npx tsx scripts/build-fixtures.ts

bench: install build fixtures
	npx tsx bench/run.ts

registry-up: system-deps
	bash scripts/registry.sh up $(REGISTRY_PORT)

registry-down:
	bash scripts/registry.sh down

clean:
	rm -rf dist .cache

# The same suite on Node 22 (most users run 22 or 24), with a Node binary from the npm registry.
NODE22 := .cache/node22/node_modules/.bin/node
$(NODE22):
	mkdir -p .cache/node22 && cd .cache/node22 && echo '{"private":true}' > package.json && npm i --no-audit --no-fund node@22
test-node22: install build fixtures components $(NODE22)
	$(NODE22) node_modules/vitest/vitest.mjs run
.PHONY: test-node22
