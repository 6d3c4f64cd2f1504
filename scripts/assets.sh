#!/usr/bin/env bash
# Build the front-end bundles when the project has a package.json (nothing to do otherwise).
# `npm ci` runs only when package-lock.json changed since the last install; `npm run build` always runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
cd "$(dirname "$0")/.."

# The Chinese font embedded in PDF minutes (HUB_PDF_FONT overrides the path); Debian's package, when root.
if [[ -z "${HUB_PDF_FONT:-}" && ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        echo "[assets] installing Debian's fonts-wqy-microhei (PDF minutes)" >&2
        apt_get update
        apt_get install -y --no-install-recommends fonts-wqy-microhei
    else
        echo "[assets] PDF minutes need a Chinese TrueType font: install fonts-wqy-microhei or set HUB_PDF_FONT." >&2
    fi
fi

[[ -f package.json ]] || exit 0

if ! command -v npm >/dev/null; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        echo "[assets] npm is missing; installing Debian's nodejs and npm" >&2
        apt_get update
        apt_get install -y --no-install-recommends nodejs npm
    else
        echo "[assets] package.json needs npm (Node.js); install nodejs and npm." >&2
        exit 1
    fi
fi

dependencies_hash() {
    if [[ -f package-lock.json ]]; then sha256sum package-lock.json; else sha256sum package.json; fi | cut -c1-16
}
stamp=node_modules/.hub-installed
if [[ ! -d node_modules || "$(cat "$stamp" 2>/dev/null || true)" != "$(dependencies_hash)" ]]; then
    if [[ -f package-lock.json ]]; then
        npm ci --no-audit --no-fund --loglevel=error
    else
        npm install --no-audit --no-fund --loglevel=error
    fi
    mkdir -p node_modules
    dependencies_hash > "$stamp"
fi
npm run --silent build
