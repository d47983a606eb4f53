# empowerbot: common tasks. `make help` lists them.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/empowerbot/empowerbot/buildinfo.version=$(VERSION)
BIN      ?= bin/empowerbot
POLICY   ?= deploy/policy.example.yaml
IMAGE    ?= empowerbot:$(VERSION)
FUZZTIME ?= 10s
BENCH    ?= .

.DEFAULT_GOAL := build
.PHONY: help build test run sandbox lint check-policy fuzz bench docker ci clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

build: ## static binary in bin/empowerbot, version from git
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/empowerbot

test: ## all tests with the race detector (starts its own redis-server)
	$(GO) test -race ./...

run: ## connect to Slack (needs SLACK_APP_TOKEN, SLACK_BOT_TOKEN, POLICY_FILE, Redis)
	$(GO) run ./cmd/empowerbot run

sandbox: ## everything local: Slack emulator web page, the bot, its own redis-server (nothing saved)
	$(GO) run ./cmd/empowerbot sandbox

lint: ## gofmt check and go vet
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt -w needed on:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...

check-policy: ## validate a policy file: make check-policy POLICY=path/to/policy.yaml
	$(GO) run ./cmd/empowerbot check-policy $(POLICY)

fuzz: ## run every Fuzz target for FUZZTIME (default 10s) each
	@set -e; found=0; \
	for f in $$(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . ); do \
		dir=$$(dirname $$f); \
		for name in $$(sed -n -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' $$f); do \
			found=1; echo "== $$dir $$name"; \
			$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$dir; \
		done; \
	done; \
	if [ $$found = 0 ]; then echo "no fuzz targets"; fi

bench: ## benchmarks (ack latency through the emulator, fan-out): make bench BENCH=Ack
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchmem ./...

docker: ## container image (IMAGE=empowerbot:VERSION)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(shell git rev-parse HEAD 2>/dev/null) -t $(IMAGE) .

ci: ## what CI runs
	bash .ci/run

clean: ## remove build output
	rm -rf bin
