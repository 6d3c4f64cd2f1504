#!/usr/bin/env bash
# Build the front-end bundles when the project has a package.json (nothing to do otherwise).
# `npm ci` runs only when package-lock.json changed since the last install; `npm run build` always runs.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -f package.json ]] || exit 0

if ! command -v npm >/dev/null; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        echo "[assets] npm is missing; installing Debian's nodejs and npm" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
        echo "[assets] package.json needs npm (Node.js); install nodejs and npm." >&2
        exit 1
    fi
fi

lock=package-lock.json
[[ -f "$lock" ]] || lock=package.json
hash="$(sha256sum "$lock" | cut -c1-16)"
stamp=node_modules/.hub-installed
if [[ ! -d node_modules || "$(cat "$stamp" 2>/dev/null || true)" != "$hash" ]]; then
    if [[ -f package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
    echo "$hash" > "$stamp"
fi
npm run --silent build
