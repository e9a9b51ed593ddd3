#!/usr/bin/env bash
# Runs every test Ringdesk has, on a fresh Debian 12 machine or a developer's one:
# installs what the tests drive (SIP peers, audio tools, Chromium, PostgreSQL), then unit,
# integration and end-to-end tests under the race detector.
#
#   scripts/test.sh            everything
#   scripts/test.sh -short     skip the slow end-to-end and property runs
set -euo pipefail
cd "$(dirname "$0")/.."

short=""
[ "${1:-}" = "-short" ] && short="-short"

step() { printf '\n== %s\n' "$*"; }

step "tools"
scripts/install-test-deps.sh

step "postgres for the store contract tests"
if pg_url=$(scripts/postgres-test-server.sh start 2>/dev/null); then
	export RINGDESK_TEST_POSTGRES="$pg_url"
	trap 'scripts/postgres-test-server.sh stop >/dev/null 2>&1 || true' EXIT
else
	echo "PostgreSQL could not be started: its contract tests will be skipped" >&2
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi

step "go vet"
go vet ./...

step "go test -race"
export RINGDESK_E2E_REQUIRE=1
# -count=1: the end-to-end tests drive binaries the test cache cannot see change
go test -race -count=1 $short -timeout 25m ./...

step "fuzz (bounded)"
# each target for a few seconds: what parses network input must not panic on any of it
fuzz() { # fuzz <package> <target>
	go test -run=NONE -fuzz="^$2\$" -fuzztime="${FUZZTIME:-15s}" "$1"
}
if [ -z "$short" ]; then
	fuzz ./internal/media FuzzReceive
	fuzz ./internal/media FuzzRTCP
	fuzz ./internal/media FuzzSDP
	fuzz ./internal/webrtc FuzzConsoleMessage
	fuzz ./internal/dialplan FuzzMatch
	fuzz ./internal/sip FuzzRequestHandlers
	fuzz ./internal/sip FuzzResponses
fi
