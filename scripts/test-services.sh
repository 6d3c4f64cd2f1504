#!/usr/bin/env bash
# Run a command against THROWAWAY PostgreSQL and Redis servers, then remove them.
#
#   scripts/test-services.sh [--no-browser] COMMAND [ARGS...]
#
# A server named by DATABASE_URL / REDIS_URL is used as given and nothing is started for it (pytest-django creates
# and drops its own test_… database there). Otherwise a fresh cluster and a fresh Redis are started on free ports of
# 127.0.0.1, in one temporary directory, and torn down on exit, failure or interrupt: no existing database or Redis
# is ever touched. As root, missing Debian packages (postgresql, redis-server and, unless --no-browser, chromium and
# fonts-noto-cjk, fonts-wqy-microhei) are installed first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

want_browser=1
if [[ "${1:-}" == "--no-browser" ]]; then
    want_browser=0
    shift
fi
if [[ $# -eq 0 ]]; then
    echo "usage: $0 [--no-browser] COMMAND [ARGS...]" >&2
    exit 64
fi

PYTHON_FOR_PORTS="${PYTHON_FOR_PORTS:-python3}"
is_root=0
[[ "$(id -u)" == "0" ]] && is_root=1

say() { echo "[test-services] $*" >&2; }
die() { say "$*"; exit 1; }

# --- system packages -----------------------------------------------------------------------------------------
apt_updated=0
apt_install() {
    if (( ! is_root )); then
        die "Missing Debian package(s): $*. Install them (sudo apt-get install -y $*) or set DATABASE_URL/REDIS_URL."
    fi
    command -v apt-get >/dev/null || die "Missing $* and no apt-get on this machine; install them by hand."
    if (( ! apt_updated )); then
        say "apt-get update"
        apt_get update
        apt_updated=1
    fi
    say "apt-get install -y $*"
    apt_get install -y --no-install-recommends "$@"
}

pg_bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
        echo "$dir"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
if [[ -z "${DATABASE_URL:-}" && -z "$(pg_bindir)" ]]; then missing+=(postgresql); fi
if [[ -z "${REDIS_URL:-}" ]] && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
if (( want_browser )); then
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    if command -v dpkg-query >/dev/null && ! have_deb fonts-noto-cjk; then missing+=(fonts-noto-cjk); fi
fi
# PDF minutes embed WenQuanYi Micro Hei (reportlab embeds TrueType only; Noto CJK is OpenType/CFF).
if command -v dpkg-query >/dev/null && ! have_deb fonts-wqy-microhei; then missing+=(fonts-wqy-microhei); fi
if (( ${#missing[@]} )); then
    apt_install "${missing[@]}"
fi

# --- throwaway servers ---------------------------------------------------------------------------------------
workdir=""
pg_data=""
pg_bin=""
redis_pidfile=""

as_pg() {
    if (( is_root )); then
        # initdb and postgres refuse to run as root.
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if [[ -n "$pg_data" && -f "$pg_data/postmaster.pid" ]]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$redis_pidfile" && -f "$redis_pidfile" ]]; then
        local pid
        pid="$(cat "$redis_pidfile" 2>/dev/null || true)"
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    if [[ -n "$workdir" ]]; then
        rm -rf "$workdir"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

free_port() {
    "$PYTHON_FOR_PORTS" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

if [[ -z "${DATABASE_URL:-}" || -z "${REDIS_URL:-}" ]]; then
    workdir="$(mktemp -d "${TMPDIR:-/tmp}/hub-test-services.XXXXXX")"
    chmod 755 "$workdir"
fi

start_postgres() {
    pg_bin="$(pg_bindir)"
    [[ -n "$pg_bin" ]] || die "PostgreSQL's initdb was not found."
    pg_data="$workdir/pgdata"
    local sock="$workdir/pgsock" log="$workdir/postgres.log"
    mkdir -p "$pg_data" "$sock"
    touch "$log"
    if (( is_root )); then
        id postgres >/dev/null 2>&1 || die "The postgres system user is missing (it comes with the postgresql package)."
        chown postgres: "$pg_data" "$sock" "$log"
    fi
    as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
        || as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
    local port attempt
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        if as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$log" -w -t 60 -o "-p $port -k $sock \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_connections=200" start >/dev/null; then
            for _ in $(seq 100); do
                if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
                    as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres hub
                    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/hub"
                    say "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)"
                    return 0
                fi
                sleep 0.1
            done
        fi
        say "PostgreSQL did not start on port $port (attempt $attempt); log follows"
        tail -n 20 "$log" >&2 || true
        as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    die "could not start a throwaway PostgreSQL server"
}

start_redis() {
    local port attempt
    redis_pidfile="$workdir/redis.pid"
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
            --dir "$workdir" --pidfile "$redis_pidfile" --logfile "$workdir/redis.log" >/dev/null || true
        for _ in $(seq 100); do
            if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)" == "PONG" ]]; then
                export REDIS_URL="redis://127.0.0.1:$port/0"
                say "Redis $(redis-server --version | awk '{print $3}' | sed 's/v=//') on 127.0.0.1:$port (throwaway)"
                return 0
            fi
            sleep 0.1
        done
        say "Redis did not start on port $port (attempt $attempt)"
        [[ -f "$redis_pidfile" ]] && kill "$(cat "$redis_pidfile")" 2>/dev/null || true
    done
    die "could not start a throwaway Redis server"
}

if [[ -z "${DATABASE_URL:-}" ]]; then
    start_postgres
else
    say "using DATABASE_URL as given"
fi
if [[ -z "${REDIS_URL:-}" ]]; then
    start_redis
else
    say "using REDIS_URL as given"
fi

# Not exec: the EXIT trap must still run to tear the servers down.
"$@"
