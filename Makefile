# Pont: the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two call, plus benchmarks and fuzzing.

GO        ?= go
BIN       := bin/pont
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10m
NPM       ?= npm
# What the web build reads (web/src/gql is its own output: left out).
WEB_SRC   := $(shell find web/src web/public web/scripts -type f -not -path 'web/src/gql/*' 2>/dev/null) \
             web/index.html web/vite.config.ts web/tsconfig.json $(wildcard graph/*.graphqls)

.PHONY: run build test test-deps check-generated vet unit generate fuzz bench clean web web-test web-lockfile

## run: build Pont and serve the demo catalog on http://127.0.0.1:7007
run: build
	$(BIN) serve --config deploy/pont.demo.yaml

## build: the pont binary in bin/, with the web UI embedded
build: web
	CGO_ENABLED=0 $(GO) build -tags embedui -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pont

## web: the portal UI (web/dist): npm ci when the lockfile changed, then
## codegen from graph/*.graphqls, the typecheck and the Vite build
web: web/dist/index.html

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && $(NPM) run build

## web-test: the UI's codegen check, typecheck and Vitest tests
web-test: web-lockfile web/node_modules/.package-lock.json
	cd web && $(NPM) test

## web-lockfile: the npm lockfile pins versions and hashes, never a
## download address (web/.npmrc: omit-lockfile-registry-resolved)
web-lockfile:
	@! grep -nE '"resolved"|registry\.(npmjs|yarnpkg)|npmmirror|://[^"]*/-/' web/package-lock.json || { echo "web/package-lock.json records download addresses: regenerate it with web/.npmrc in place"; exit 1; }

## test: install and start what the tests need, then run every test (the
## browser tests of web/e2e need the UI built: web)
test: test-deps check-generated vet web-test web
	PONT_REQUIRE_DOCKER=1 PONT_REQUIRE_KUBE=1 PONT_REQUIRE_BROWSER=1 $(GO) test -race -count=1 -timeout 30m ./...

## test-deps: Docker engine, the local PostgreSQL image, Node for the client
## check and the UI, Chromium (the browser of web/e2e), Dex (the OIDC
## provider of the sign-in tests), and kube-apiserver and etcd (the real
## Kubernetes API servers of internal/testutil/kubetest), built and cached
test-deps:
	deploy/testenv/setup.sh
	deploy/testenv/dex.sh >/dev/null
	deploy/testenv/envtest.sh >/dev/null

## check-generated: generated code must match its sources
check-generated:
	$(GO) generate ./...
	@git diff --exit-code --stat -- ent graph 2>/dev/null || { echo "generated code is out of date: run go generate ./... and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- ent graph)" || { git status --porcelain -- ent graph; echo "go generate created files that are not committed"; exit 1; }

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^ent/'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '^ent/'); echo "gofmt needed"; exit 1; }

## unit: the fast tests only (no Docker, no npm; the UI is the stand-in page)
unit:
	$(GO) test -short ./...

generate:
	$(GO) generate ./...

## fuzz: fuzz the descriptor parser for FUZZTIME (default 10m)
fuzz:
	$(GO) test ./catalog -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -parallel 1

## bench: the benchmarks of docs/benchmarks.md: catalog (SQLite and PostgreSQL),
## Kubernetes, actions; BENCH_ONLY=catalog, kubernetes or actions runs one
bench: build test-deps
	deploy/bench/run.sh

clean:
	rm -rf bin .pont web/dist web/src/gql
