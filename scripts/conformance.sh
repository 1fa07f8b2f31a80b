#!/usr/bin/env bash
# Runs the official MCP conformance suite's CLIENT scenarios (@modelcontextprotocol/conformance) with
# the gateway as the client under test (test/conformance/gateway-client.mjs starts dist/gateway.js
# with the scenario's test server as a remote upstream). The suite needs Node >= 22: the npm package
# node-linux-<arch> brings Node 24, in the same cache as scripts/test-vscode.sh.
#
# Usage:  bash scripts/conformance.sh              (npm run test:conformance)
#         bash scripts/conformance.sh --if-ci      (npm test: only on CI or with GATEKIT_CONFORMANCE_TESTS=1)
#         bash scripts/conformance.sh auth/iss-supported initialize   (only these scenarios)
#         bash scripts/conformance.sh --server [scenario ...]          (npm run test:conformance-server: the server scenarios)
# Environment (all optional):
#   GATEKIT_VSCODE_CACHE   tool cache shared with the VS Code tests (default $HOME/.cache/gatekit-vscode-tests)
#   NODE24_VERSION         default 24.21.0
#   SKIP_BUILD=1           use the existing dist/
#   RESULTS_DIR            keep the suite's per-scenario results (checks.json, stdout, stderr) here
# The expected failures are test/conformance/baseline-client.json ({"client": [scenario, ...]}, the
# suite's baseline shape): a scenario failing that is not listed fails the run, and so does one listed
# that passes (remove it from the list).
set -euo pipefail

SERVER_MODE=""
if [ "${1:-}" = "--server" ]; then SERVER_MODE=1; shift; fi
if [ "${1:-}" = "--if-ci" ]; then
  if [ -z "${CI:-}" ] && [ -z "${GATEKIT_CONFORMANCE_TESTS:-}" ]; then
    echo "[conformance] skipped: set GATEKIT_CONFORMANCE_TESTS=1 (or run npm run test:conformance) to run the conformance client scenarios" >&2
    exit 0
  fi
  shift
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${GATEKIT_VSCODE_CACHE:-${HOME}/.cache/gatekit-vscode-tests}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
log() { echo "[conformance] $*" >&2; }
fail() { log "$*"; exit 3; }

# shellcheck source=node24.sh
source "$ROOT/scripts/node24.sh"
SUITE="$ROOT/node_modules/@modelcontextprotocol/conformance/dist/index.js"
[ -f "$SUITE" ] || fail "@modelcontextprotocol/conformance is not installed (npm install)"

if [ -z "${SKIP_BUILD:-}" ]; then (cd "$ROOT" && npm run --silent build >/dev/null) || fail "build failed"; fi
[ -f "$ROOT/dist/gateway.js" ] || fail "dist/gateway.js is missing"

RESULTS="${RESULTS_DIR:-$(mktemp -d)}"
mkdir -p "$RESULTS"
# `--server`: the SERVER scenarios instead, against the gateway serving HTTP in front of the
# conformance upstream (test/conformance/gateway-server.mjs; baseline test/conformance/baseline-server.json).
if [ "${SERVER_MODE:-}" = 1 ]; then
  exec node "$ROOT/test/conformance/gateway-server.mjs" --node24 "$NODE24" --results "$RESULTS" "$@"
fi
BASELINE="$ROOT/test/conformance/baseline-client.json"
CLIENT="$NODE24 $ROOT/test/conformance/gateway-client.mjs"
cd "$ROOT"
if [ $# -gt 0 ]; then
  scenarios=("$@")
else
  # Every client scenario the suite has. One at a time: `--suite all` starts them all at once, and
  # fifty gateways with their test servers on a shared two-core machine time out.
  mapfile -t scenarios < <("$NODE24" "$SUITE" list --client | sed -n 's/^  - \([^ ]*\).*/\1/p')
fi
t_start=$(date +%s)
passed=(); expected=(); unexpected=(); stale=()
for scenario in "${scenarios[@]}"; do
  listed=no
  grep -q "\"$scenario\"" "$BASELINE" && listed=yes
  if "$NODE24" "$SUITE" client --command "$CLIENT" --scenario "$scenario" -o "$RESULTS" >"$RESULTS/run.log" 2>&1; then
    if [ $listed = yes ]; then stale+=("$scenario"); else passed+=("$scenario"); fi
  else
    if [ $listed = yes ]; then expected+=("$scenario"); else unexpected+=("$scenario"); tail -25 "$RESULTS/run.log" >&2; fi
  fi
  log "$scenario: $([ "$(grep -c 'OVERALL: PASSED' "$RESULTS/run.log")" -gt 0 ] && echo passed || echo failed)$([ $listed = yes ] && echo ' (baseline: expected to fail)')"
done
log "done in $(( $(date +%s) - t_start )) s: ${#passed[@]} passed, ${#expected[@]} failed as expected (baseline), ${#unexpected[@]} unexpected failures, ${#stale[@]} baseline entries that now pass; results in $RESULTS"
[ ${#unexpected[@]} -eq 0 ] || log "unexpected failures: ${unexpected[*]}"
[ ${#stale[@]} -eq 0 ] || log "now passing, remove from test/conformance/baseline-client.json: ${stale[*]}"
[ ${#unexpected[@]} -eq 0 ] && [ ${#stale[@]} -eq 0 ]
