# Sourced by scripts/test-vscode.sh and scripts/conformance.sh: installs Node 24 from the npm registry
# (the package node-<os>-<arch>; only the npm registry is reachable here) into the shared tool cache,
# for code-server and the conformance suite, which need Node >= 22. Expects CACHE, NODE24_VERSION and
# the caller's log/fail functions; sets NODE24 (the binary), NODE24_ROOT and NODE24_PATH (PATH with
# Node 24 first, so '#!/usr/bin/env node' scripts and npm run on it).
case "$(uname -m)" in
  x86_64 | amd64) NODE_ARCH=x64 ;;
  aarch64 | arm64) NODE_ARCH=arm64 ;;
  *) fail "unsupported CPU architecture $(uname -m)" ;;
esac
case "$(uname -s)" in
  Linux) NODE_OS=linux ;;
  Darwin) NODE_OS=darwin ;;
  *) fail "unsupported OS $(uname -s)" ;;
esac

# Installs run without the npm_* variables of an outer `npm test`: code-server's postinstall reads the
# Node version from npm_config_user_agent, which would still name the outer Node 20.
without_outer_npm() {
  local unset=()
  while IFS='=' read -r name _; do
    case "$name" in npm_* | NODE) unset+=(-u "$name") ;; esac
  done < <(env)
  env "${unset[@]}" "$@"
}

mkdir -p "$CACHE"
NODE24_PKG="node-${NODE_OS}-${NODE_ARCH}"
NODE24_ROOT="$CACHE/node24/node_modules/$NODE24_PKG"
if [ ! -x "$NODE24_ROOT/bin/node" ] || [ "$("$NODE24_ROOT/bin/node" -v)" != "v$NODE24_VERSION" ]; then
  log "npm install $NODE24_PKG@$NODE24_VERSION (Node 24 binary and headers)"
  rm -rf "$CACHE/node24"; mkdir -p "$CACHE/node24"
  (cd "$CACHE/node24" && echo '{"private":true}' >package.json &&
    without_outer_npm npm install --no-audit --no-fund --loglevel=error "$NODE24_PKG@$NODE24_VERSION" >/dev/null) || fail "installing Node 24 failed"
fi
NODE24="$NODE24_ROOT/bin/node"
mkdir -p "$CACHE/node24-bin"
ln -sf "$NODE24" "$CACHE/node24-bin/node"
NODE24_PATH="$CACHE/node24-bin:$PATH"
