#!/usr/bin/env bash
# Runs every benchmark against its anchor on this machine and rewrites the generated part of
# BENCHMARKS.md. Takes about half an hour; `scripts/bench.sh -only tickets` runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
exec go run ./bench "$@"
