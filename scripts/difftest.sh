#!/bin/sh
# scripts/difftest.sh - differential execution: random valid modules made by
# binaryen (wasm-opt -ttf) run under isola (tests/diff/diff_run) and under
# wabt's reference interpreter (wasm-interp); results, traps, host-import
# calls and a hash of linear memory after each export call must agree.
# See tests/diff/difftest.py for what is normalised and why, and
# docs/reliability.md for the figures.
#
#   scripts/difftest.sh [--seed S] [-v] [COUNT]   COUNT modules (default 200) from seed S (default 1)
#   scripts/difftest.sh --replay                  tests/diff/regressions/*.wasm against their .expected
#   scripts/difftest.sh --check FILE.wasm         one module, both engines
#   scripts/difftest.sh --shapes [--seed S] [-v] [COUNT]   modules of the translator's fused
#                                                 shapes (tests/diff/shapes.py) instead
#
# Environment: ISOLA_DIFF_MAX_EXTRA (random bytes per module above 512, default
# 24000), ISOLA_DIFF_RUN (the diff_run binary; default: built into
# build-diff/), ISOLA_DIFF_WORK (scratch and findings; default build-diff/difftest).
# Findings are saved in WORK/findings/VERDICT-SEED/; the exit status is 1 if any.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
seed=1
count=200
mode=random
verbose=""
file=""
while [ $# -gt 0 ]; do
    case $1 in
    --seed) seed=$2; shift ;;
    --replay) mode=replay ;;
    --check) mode=check; file=$2; shift ;;
    --shapes) mode=shapes ;;
    -v) verbose=-v ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) count=$1 ;;
    esac
    shift
done

run=${ISOLA_DIFF_RUN:-}
if [ -z "$run" ]; then
    build=$root/build-diff
    cmake -S "$root" -B "$build" >/dev/null
    cmake --build "$build" -j2 --target diff_run >/dev/null
    run=$build/tests/diff/diff_run
fi
work=${ISOLA_DIFF_WORK:-$root/build-diff/difftest}
mkdir -p "$work"

case $mode in
replay) exec python3 "$root/tests/diff/difftest.py" "$run" "$work" --replay "$root/tests/diff/regressions" ;;
check) exec python3 "$root/tests/diff/difftest.py" "$run" "$work" --check "$file" ;;
shapes)
    for tool in wat2wasm wasm-interp; do
        command -v $tool >/dev/null || { echo "difftest: $tool not installed" >&2; exit 1; }
    done
    exec python3 "$root/tests/diff/shapes.py" "$run" "$work" "$seed" "$count" $verbose ;;
esac
for tool in wasm-opt wasm-interp; do
    command -v $tool >/dev/null || { echo "difftest: $tool not installed" >&2; exit 1; }
done
exec python3 "$root/tests/diff/difftest.py" "$run" "$work" "$seed" "$count" $verbose
