#!/bin/sh
# scripts/fuzz.sh - builds the libFuzzer targets (fuzz/) with clang-14 into
# build-fuzz/, seeds their corpora, runs each for a while and prints what it
# did and found. See docs/reliability.md.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each target SECONDS (default 60)
#   scripts/fuzz.sh --cpu SECONDS [TARGET...]  run each until it has used SECONDS
#                                           of CPU time (user+system), however
#                                           long that takes on a shared machine
#   scripts/fuzz.sh --smoke                 CI: short seeding, ~30 s per target
#   scripts/fuzz.sh --replay                run every file in fuzz/regressions/ once
#
# Targets are named without the fuzz_ prefix: decode, run, api, wasi.
# Environment: CC (default clang-14), ISOLA_FUZZ_BUILD (default build-fuzz/),
# ISOLA_SPEC_DIR (default ../shared/spec/wast), ISOLA_FUZZ_ARGS (more libFuzzer
# flags, e.g. -dict=FILE or -jobs=N), ASAN_OPTIONS, UBSAN_OPTIONS.
# Findings land in build-fuzz/findings/TARGET/ (crash-*, leak-*, timeout-*,
# oom-*); the exit status is 1 when a run produced any. A target that dies on
# a finding is restarted with the time it has left (at most 5 times), so one
# shallow bug does not hide the rest of the run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ISOLA_FUZZ_BUILD:-$root/build-fuzz}
seconds=60
nttf=250
mode=run
budget=wall
targets=""
for arg in "$@"; do
    case $arg in
    --smoke) seconds=30; nttf=60 ;;
    --cpu) budget=cpu ;;
    --replay) mode=replay ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    [0-9]*) seconds=$arg ;;
    decode|run|api|wasi) targets="$targets $arg" ;;
    *) echo "fuzz.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done
[ -n "$targets" ] || targets="decode run api wasi"

echo "== building fuzz targets into $build"
CC=${CC:-clang-14} cmake -S "$root/fuzz" -B "$build" -DCMAKE_BUILD_TYPE= >/dev/null
cmake --build "$build" -j2 >"$build/build.log" 2>&1 || {
    tail -40 "$build/build.log"
    echo "fuzz.sh: build failed (full log: $build/build.log)" >&2
    exit 2
}

# libFuzzer reports leaks through LeakSanitizer; UBSan findings must abort.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$mode" = replay ]; then
    status=0
    for t in $targets; do
        dir=$root/fuzz/regressions/$t
        # Only plain files: open findings (not fixed yet) wait in subdirectories.
        files=$(find "$dir" -maxdepth 1 -type f ! -name '*.md' -printf '%f\n' 2>/dev/null | sort || true)
        [ -n "$files" ] || { echo "== $t: no regression inputs"; continue; }
        for f in $files; do
            if "$build/fuzz_$t" -runs=1 "$dir/$f" >"$build/replay.log" 2>&1; then
                echo "== $t: $f passes"
            else
                echo "== $t: $f FAILS:"
                grep -E "ERROR|SUMMARY|runtime error|Assertion" "$build/replay.log" | head -5
                status=1
            fi
        done
    done
    exit $status
fi

echo "== seeding corpora"
"$root/fuzz/seed_corpus.sh" "$build/corpus" "$nttf"
# fuzz_api's and fuzz_wasi's inputs are programs for their replay guests:
# any bytes are one. Seed them with deterministic pseudo-random programs
# and the regressions.
for t in api wasi; do
    [ ! -d "$build/corpus/$t" ] || continue
    mkdir -p "$build/corpus/$t"
    i=1
    while [ "$i" -le 64 ]; do
        LC_ALL=C awk -v seed="$i" 'BEGIN { srand(seed); n = 16 + int(rand() * 1500);
            for (j = 0; j < n; j++) printf "%c", int(rand() * 256) }' >"$build/corpus/$t/seed-$i"
        i=$((i + 1))
    done
    if [ -d "$root/fuzz/regressions/$t" ]; then
        find "$root/fuzz/regressions/$t" -maxdepth 1 -type f ! -name '*.md' -exec cp {} "$build/corpus/$t/" \;
    fi
done

# CPU time (user+system, in seconds) a running process has used so far.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# Runs one libFuzzer session of at most SECS (wall or CPU seconds, per
# --cpu); prints "EXECS CPU_SECONDS" on stdout. The CPU figure is polled, so
# it may be short by the last poll interval of a session that ends by itself.
run_session() {
    t=$1 secs=$2 log=$3
    wall=$secs
    [ "$budget" = wall ] || wall=$((secs * 20))
    "$build/fuzz_$t" "$build/corpus/$t" \
        -max_total_time="$wall" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -artifact_prefix="$build/findings/$t/" -print_final_stats=1 ${ISOLA_FUZZ_ARGS:-} >"$log" 2>&1 &
    pid=$!
    used=0
    while kill -0 "$pid" 2>/dev/null; do
        now=$(cpu_seconds "$pid")
        [ "$now" -le "$used" ] || used=$now
        # SIGINT makes libFuzzer print its final stats and exit.
        [ "$budget" = wall ] || [ "$used" -lt "$secs" ] || kill -INT "$pid" 2>/dev/null || true
        sleep 2
    done
    wait "$pid" || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ -z "$execs" ]; then     # died on a finding: take the last progress line
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    echo "${execs:-0} $used"
}

# A seed that crashes would kill every session at start-up: move it out of the
# corpus (its copy is in findings/ under its SHA-1, as libFuzzer names it).
quarantine() {
    t=$1 log=$2
    art=$(sed -n 's/.*Test unit written to .*-\([0-9a-f]\{40\}\)$/\1/p' "$log" | tail -1)
    [ -n "$art" ] || return 0
    (cd "$build/corpus/$t" && sha1sum -- * 2>/dev/null) | while read -r sum file; do
        if [ "$sum" = "$art" ]; then
            echo "   seed $file crashes: moved out of the corpus"
            mv "$build/corpus/$t/$file" "$build/findings/$t/seed-$file"
        fi
    done
}

status=0
summary=""
for t in $targets; do
    mkdir -p "$build/findings/$t" "$build/logs"
    found=0
    start=$(date +%s)
    total=0
    cpu=0
    session=0
    left=$seconds
    while [ "$left" -gt 0 ] && [ "$session" -lt 6 ]; do
        session=$((session + 1))
        log=$build/logs/$t.$session.log
        echo "== fuzz_$t: session $session, $left s ($budget; log: $log)"
        set -- $(run_session "$t" "$left" "$log")
        total=$((total + $1))
        cpu=$((cpu + $2))
        if grep -q -E "^SUMMARY|ERROR: libFuzzer|Assertion .* failed" "$log"; then
            grep -E "^SUMMARY|ERROR: libFuzzer|Assertion .* failed|Test unit written" "$log" | head -4 | sed 's/^/   /'
            quarantine "$t" "$log"
            found=$((found + 1))
        fi
        if [ "$budget" = wall ]; then
            left=$((seconds - ($(date +%s) - start)))
        else
            left=$((seconds - cpu))
        fi
    done
    elapsed=$(($(date +%s) - start))
    corpus=$(ls "$build/corpus/$t" | wc -l)
    [ "$found" -eq 0 ] || status=1
    summary="$summary
fuzz_$t: $total executions in $elapsed s wall, $cpu s CPU ($((total / (cpu > 0 ? cpu : 1))) exec/CPU-s), corpus $corpus, findings $found"
done

echo "== summary$summary"
[ "$status" -eq 0 ] || echo "findings are in $build/findings/ (replay one: build-fuzz/fuzz_TARGET FILE)"
exit $status
