#!/usr/bin/env bash
# Create the virtualenv if missing and install a requirements file into it, only when the file changed.
#
#   scripts/venv.sh PYTHON VENV REQUIREMENTS_FILE
#
# The stamp inside the venv holds a hash of the requirements file and every file it includes with -r, so editing
# requirements.txt also re-installs the dev set.
#
# Packages are installed by uv (pinned below, itself installed with the venv's pip): it fetches and unpacks in
# parallel and keeps a cache, so a fresh clone's venv takes about 15 s instead of pip's 60-100 s. Where uv cannot be
# had (an index only pip is configured for), pip installs the same pinned file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
python="$1" venv="$2" req="$3"
UV_VERSION=0.13.9

if [[ ! -x "$venv/bin/python" ]]; then
    echo "[venv] creating $venv with $("$python" --version 2>&1)" >&2
    if ! "$python" -m venv "$venv" && [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        # Debian splits venv/ensurepip out of python3.
        rm -rf "$venv"
        echo "[venv] installing Debian's python3-venv" >&2
        apt_get update
        apt_get install -y python3-venv
        "$python" -m venv "$venv" || true
    fi
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
        echo "[venv] '$python -m venv' failed; on Debian install python3-venv, or pass PYTHON=/path/to/python3.11+" >&2
        exit 1
    fi
fi

files=("$req")
while read -r included; do
    files+=("$(dirname "$req")/$included")
done < <(sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]]*\).*/\1/p' "$req")
hash="$(cat "${files[@]}" | sha256sum | cut -c1-16)"
stamp="$venv/.hub-installed-$(basename "$req")"

if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$hash" ]]; then
    echo "[venv] installing $req into $venv" >&2
    if [[ "$("$venv/bin/uv" --version 2>/dev/null)" != "uv $UV_VERSION"* ]]; then
        "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "uv==$UV_VERSION" 2>/dev/null || true
    fi
    if ! UV_LINK_MODE=copy "$venv/bin/uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" -r "$req" 2>/dev/null; then
        echo "[venv] uv could not install $req; using pip" >&2
        "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
    fi
    echo "$hash" > "$stamp"
fi
