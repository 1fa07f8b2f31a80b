#!/usr/bin/env bash
# Runs the extension's integration tests (test/vscode) inside a real VS Code extension host, headless.
#
# VS Code cannot be downloaded here (only the npm registry and Debian's archive are reachable), so the
# real VS Code comes from code-server (npm), which embeds the VS Code server and workbench. Headless
# Debian Chromium, driven by playwright-core, opens the workbench with the smoke-test driver enabled
# and a `payload` naming our extension and test runner; the workbench reports the mocha result
# through window.codeAutomationExit(code), which becomes this script's exit code.
#
# Usage:  bash scripts/test-vscode.sh            (npm run test:vscode)
#         bash scripts/test-vscode.sh --if-ci    (npm test: only on CI or with GATEKIT_VSCODE_TESTS=1)
# Environment (all optional):
#   GATEKIT_VSCODE_CACHE   tool cache (default $HOME/.cache/gatekit-vscode-tests)
#   CODE_SERVER_VERSION    default 4.139.1 (embeds VS Code 1.139.1)
#   NODE24_VERSION         default 24.21.0 (npm package node-linux-<arch>; code-server needs Node 24)
#   TIMEOUT_S              whole test run deadline in seconds (default 300)
#   MOCHA_GREP             only run tests whose title matches
#   SCREENSHOT             after the tests, also capture the Gatekit views with live traffic to this
#                          PNG path (e.g. docs/images/gatekit-views.png; the .vsix carries that one:
#                          reduce it with `pngquant --quality=60-85` before committing, 147 -> 45 KB)
#   SKIP_BUILD=1           use the existing dist/ and out/test/vscode
#   SKIP_APT=1             never call apt-get (chromium, libkrb5-dev, g++, make, python3 must exist)
#   VERBOSE=1              print every workbench log line;  KEEP_RUN_DIR=1 keep the temporary run folder
# Exit code: 0 tests passed; 1 tests failed; 124 timeout; 3 set-up failed.
set -euo pipefail

# `npm test` calls this with --if-ci: the in-VS Code suite needs apt packages and a 800 MB tool cache,
# so it runs on CI (CI=true) and where asked for (GATEKIT_VSCODE_TESTS=1), and is skipped elsewhere.
if [ "${1:-}" = "--if-ci" ]; then
  if [ -z "${CI:-}" ] && [ -z "${GATEKIT_VSCODE_TESTS:-}" ]; then
    echo "[test-vscode] skipped: set GATEKIT_VSCODE_TESTS=1 (or run npm run test:vscode) to run the VS Code integration tests" >&2
    exit 0
  fi
  shift
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${GATEKIT_VSCODE_CACHE:-${HOME}/.cache/gatekit-vscode-tests}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
TIMEOUT_S="${TIMEOUT_S:-300}"
CHROMIUM="${CHROMIUM:-}"

log() { echo "[test-vscode] $*" >&2; }
fail() { log "$*"; exit 3; }
t_start=$(date +%s)

[ "$(uname -s)" = Linux ] || fail "this runner needs Linux (code-server + Debian chromium); on a desktop use @vscode/test-electron"

find_chromium() {
  for c in "$CHROMIUM" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}

# ------------------------------------------------------------------ 1. Debian packages
if [ "${SKIP_APT:-0}" != 1 ]; then
  need=()
  find_chromium >/dev/null || need+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev) # code-server's kerberos native module
  command -v g++ >/dev/null || need+=(g++)
  command -v make >/dev/null || need+=(make)
  command -v python3 >/dev/null || need+=(python3) # node-gyp
  if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || fail "missing ${need[*]}: install them (apt-get) or run as root"
      SUDO="sudo -n"
    fi
    log "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || fail "apt-get update failed"
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null \
      || fail "apt-get install ${need[*]} failed"
  fi
fi
CHROMIUM="$(find_chromium)" || fail "no chromium found (install Debian's chromium or set CHROMIUM)"

# ------------------------------------------------------------------ 2. Node 24 from the npm registry
# shellcheck source=node24.sh
source "$ROOT/scripts/node24.sh"

# ------------------------------------------------------------------ 3. code-server (compiles native modules once)
CS_BIN="$CACHE/code-server/node_modules/.bin/code-server"
cs_version() {
  # code-server writes ~/.config/code-server even for --version: keep that inside the cache.
  XDG_CONFIG_HOME="$CACHE/xdg" XDG_DATA_HOME="$CACHE/xdg" PATH="$NODE24_PATH" "$CS_BIN" --version 2>/dev/null
}
if [ ! -x "$CS_BIN" ] || ! cs_version | grep -q "^$CODE_SERVER_VERSION "; then
  log "npm install code-server@$CODE_SERVER_VERSION on Node $NODE24_VERSION (builds native modules, a few minutes)"
  rm -rf "$CACHE/code-server"; mkdir -p "$CACHE/code-server"
  (cd "$CACHE/code-server" && echo '{"private":true}' >package.json &&
    without_outer_npm PATH="$NODE24_PATH" npm_config_nodedir="$NODE24_ROOT" \
      npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >install.log 2>&1) \
    || { tail -40 "$CACHE/code-server/install.log" >&2; fail "installing code-server failed (log: $CACHE/code-server/install.log)"; }
fi

# ------------------------------------------------------------------ 4. project dependencies and build
cd "$ROOT"
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/esbuild ]; then
  log "npm ci (project dependencies)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci failed"
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building the gateway, the extension and the test bundle"
  npm run --silent build || fail "npm run build failed"
  node scripts/vscode/build-tests.mjs || fail "bundling test/vscode failed"
fi
[ -f dist/extension.js ] || fail "dist/extension.js missing"
t_ready=$(date +%s)

# ------------------------------------------------------------------ 5. a fresh VS Code profile and workspace
RUN="$(mktemp -d "${TMPDIR:-/tmp}/gatekit-vscode-XXXXXX")"
mkdir -p "$RUN/user-data/User" "$RUN/extensions" "$RUN/workspace"
cp -R test/vscode/fixtures/workspace/. "$RUN/workspace/"
cp scripts/vscode/user-settings.json "$RUN/user-data/User/settings.json"

CS_PID=""
stop_code_server() {
  # code-server runs in its own process group (setsid): end the whole group, or its extension host
  # and file watcher survive as orphans waiting for a reconnection.
  if [ -n "$CS_PID" ]; then
    kill -TERM -- "-$CS_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
    CS_PID=""
  fi
}
cleanup() {
  stop_code_server
  if [ "${KEEP_RUN_DIR:-0}" = 1 ]; then log "run folder kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

# $1: user-data folder; $2: test suite for test/vscode/index.ts ("" or "restricted"); the rest: code-server flags.
start_code_server() {
  local user_data="$1" suite="$2"
  shift 2
  PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  log "starting code-server $CODE_SERVER_VERSION on 127.0.0.1:$PORT${suite:+ ($suite)}"
  # GATEKIT_TEST_RUN_DIR tells the test runner where to put files shared with the driver.
  GATEKIT_TEST_SUITE="$suite" GATEKIT_TEST_RUN_DIR="$RUN" XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data" PATH="$NODE24_PATH" \
    setsid "$CS_BIN" --auth none --bind-addr "127.0.0.1:$PORT" \
    --disable-telemetry --disable-update-check --disable-getting-started-override "$@" \
    --ignore-last-opened --user-data-dir "$user_data" --extensions-dir "$RUN/extensions" \
    --vscode-option enable-smoke-test-driver \
    >"$RUN/code-server.log" 2>&1 &
  CS_PID=$!
  disown "$CS_PID" # reaped by cleanup(); keeps bash from printing job notices
  for _ in $(seq 1 240); do
    node -e 'require("http").get(process.argv[1], (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))' \
      "http://127.0.0.1:$PORT/healthz" && return 0
    kill -0 "$CS_PID" 2>/dev/null || { cat "$RUN/code-server.log" >&2; fail "code-server exited during start-up"; }
    sleep 0.5
  done
  fail "code-server did not answer /healthz within 120 s"
}
start_code_server "$RUN/user-data" "" --disable-workspace-trust

# ------------------------------------------------------------------ 6. run the suite in the extension host
export CS_URL="http://127.0.0.1:$PORT" EXT_DIR="$ROOT" WORKSPACE="$RUN/workspace" CHROMIUM RUN_DIR="$RUN"
export TIMEOUT_MS=$((TIMEOUT_S * 1000)) XDG_CONFIG_HOME="$RUN/xdg-config" # Chromium's crash dir stays in $RUN
set +e
TESTS_PATH="$ROOT/out/test/vscode/index.js" node scripts/vscode/drive.mjs
rc=$?
set -e
t_tests=$(date +%s)
log "tests exit code $rc (set-up $((t_ready - t_start)) s, tests $((t_tests - t_ready)) s)"

# ------------------------------------------------------------------ 7. optional screenshot with live traffic
if [ -n "${SCREENSHOT:-}" ] && [ "$rc" = 0 ]; then
  case "$SCREENSHOT" in /*) ;; *) SCREENSHOT="$ROOT/$SCREENSHOT" ;; esac
  mkdir -p "$(dirname "$SCREENSHOT")"
  rm -rf "$RUN/workspace/.vscode/settings.json"
  SCREENSHOT="$SCREENSHOT" TESTS_PATH="$ROOT/out/test/vscode/screenshot.js" node scripts/vscode/drive.mjs \
    || { log "screenshot run failed"; rc=1; }
fi

# ------------------------------------------------------------------ 8. Restricted Mode (*.restricted.test.ts)
# A second workbench with workspace trust on, opening an untrusted repository (never trusted before,
# no start-up prompt): the test grants trust through the Workspace Trust editor half-way.
stop_code_server
mkdir -p "$RUN/restricted-user-data/User" "$RUN/restricted-workspace"
cp -R test/vscode/fixtures/restricted-workspace/. "$RUN/restricted-workspace/"
node -e '
  const fs = require("fs");
  const settings = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  Object.assign(settings, { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never" });
  fs.writeFileSync(process.argv[2], JSON.stringify(settings, null, 2));
' scripts/vscode/user-settings.json "$RUN/restricted-user-data/User/settings.json"
start_code_server "$RUN/restricted-user-data" restricted
set +e
CS_URL="http://127.0.0.1:$PORT" WORKSPACE="$RUN/restricted-workspace" TESTS_PATH="$ROOT/out/test/vscode/index.js" node scripts/vscode/drive.mjs
restricted_rc=$?
set -e
log "Restricted Mode tests exit code $restricted_rc"
[ "$rc" = 0 ] && rc=$restricted_rc
exit "$rc"
