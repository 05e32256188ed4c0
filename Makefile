# stasisq: `make run` starts the demo, `make test` runs every check.
GO ?= go

.PHONY: run test test-asterisk bench bench-asterisk bench-cost bench-capacity vet fmt-check unit deps build vendor

build:
	$(GO) build -o bin/stasisq ./cmd/stasisq

run: build
	./bin/stasisq demo $(ARGS)

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l . | grep -v '^node_modules/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

# The tests against a real Asterisk 22 (../shared/asterisk, or $$STASISQ_ASTERISK);
# make test runs them too, with everything else.
test-asterisk:
	$(GO) test -race -count=1 -timeout 10m -run '^TestAsterisk' -v ./...

# The npm packages the console embeds (SIP.js for the browser phone), copied
# into ui/static/vendor from the versions ui/vendor/package-lock.json pins.
# The copy is committed: go build alone builds the binary.
vendor:
	bash scripts/vendor-console

# The browser tests need Chromium and playwright-core; scripts/setup-test-deps installs them.
deps:
	bash scripts/setup-test-deps

test: deps vet fmt-check unit

bench:
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v /internal/sidebyside)

# stasisq against app_queue on one real Asterisk (internal/sidebyside): a
# table and, last, the saturation summary line. For people and the README;
# CI does not run it. SBS_SCENARIOS=light,saturation,burst picks scenarios,
# SBS_SYSTEMS=stasisq one side, SBS_ROUNDS=3 runs each three times (medians
# in the summary line; about 6 minutes a round).
bench-asterisk:
	$(GO) test -run '^$$' -bench SideBySide -benchtime 1x -timeout 60m ./internal/sidebyside

# Where Asterisk's CPU goes, through app_queue and through stasisq: callers
# holding (180 waiting, 20 talking) and calls with nobody waiting. About 4 minutes.
bench-cost:
	$(GO) test -run '^$$' -bench CostBreakdown -benchtime 1x -timeout 15m ./internal/sidebyside

# The most callers one Asterisk holds waiting, through app_queue and through
# stasisq: bursts stepped up (SBS_CAPACITY_STEPS=200,400,...). About 9 minutes.
bench-capacity:
	$(GO) test -run '^$$' -bench Capacity -benchtime 1x -timeout 40m ./internal/sidebyside
