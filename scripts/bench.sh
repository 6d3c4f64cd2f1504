#!/usr/bin/env bash
# Run every bench/*.py with the given interpreter on a migrated, provisioned database; each prints its figures.
set -euo pipefail
python="$1"
"$python" manage.py migrate --noinput -v 0
"$python" manage.py setup_roundtable > /dev/null
status=0
shopt -s nullglob
# bench/__init__.py and bench/bench_*.py are support modules (settings, URLs) imported by the benchmarks.
benches=()
for file in bench/*.py; do
    case "$(basename "$file")" in __init__.py|bench_*.py) ;; *) benches+=("$file") ;; esac
done
if (( ${#benches[@]} == 0 )); then
    echo "no benchmarks in bench/"
fi
for bench in "${benches[@]}"; do
    echo "== $bench"
    "$python" "$bench" || { echo "!! $bench failed" >&2; status=1; }
done
exit "$status"
