#!/usr/bin/env bash
# run.sh: the compute benchmark driver. Builds every guest in bench/programs
# as a wasm module (clang-14, no libc, no imports) and as a native executable
# (gcc -O2) into bench/out/, runs each one natively, under isola and under
# node, and prints per program the median wall time of each, the ratio to
# native and whether all three returned the same checksum; then the median
# ratio over the whole set. See bench/README.md.
#
# Environment (all optional):
#   REPS=5            runs per program and runtime (the median is reported)
#   ISOLA_REPS=$REPS  runs under isola, if you want fewer of the slow ones
#   ISOLA=build/release/isola the isola binary; its column says n/a if missing/failing
#   ISOLA_FLAGS=      extra arguments for `isola run` (before the file)
#   NODE=node         the node binary; NODE_FLAGS=--no-liftoff (see README)
#   PROGRAMS="fib sort ..."  a subset, by name (default: every programs/*.c)
#   CLOCK=wall        or cpu: user+system seconds instead of wall time, far
#                     steadier on a loaded machine (node: CPU time of the call)
#   TIMEOUT=120       seconds before one run is killed and counted as failed
#   OUT=bench/out     build and results directory
#   CC_WASM=clang-14  CC_NATIVE=gcc
#
# Options: --build-only (build and check the modules, run nothing), --help.
# Exit status: 0 when every available runtime agreed on every checksum,
# 1 on a checksum mismatch or a native/node failure, 2 on a build failure.
set -uo pipefail
export LC_ALL=C # EPOCHREALTIME and printf must use '.' as decimal point

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
SRC_DIR=$BENCH_DIR/programs
OUT=${OUT:-$BENCH_DIR/out}
REPS=${REPS:-5}
ISOLA_REPS=${ISOLA_REPS:-$REPS}
ISOLA=${ISOLA:-$REPO_DIR/build/release/isola}
ISOLA_FLAGS=${ISOLA_FLAGS:-}
NODE=${NODE:-node}
NODE_FLAGS=${NODE_FLAGS---no-liftoff}
TIMEOUT=${TIMEOUT:-120}
CLOCK=${CLOCK:-wall}
CC_WASM=${CC_WASM:-clang-14}
CC_NATIVE=${CC_NATIVE:-gcc}

# Identical float semantics on both targets: no fused multiply-add anywhere.
COMMON_CFLAGS=(-std=c17 -O2 -Wall -Wextra -Werror -ffp-contract=off)
# shellcheck disable=SC2054 # the commas belong to -Wl, options
WASM_CFLAGS=(--target=wasm32-wasi -nostdlib -Wl,--no-entry -Wl,--export=run
             -Wl,-z,stack-size=1048576)

WASM3_REFERENCE="wasm3 (reference figures from the issue, same machine type): 11x to 40x native, median ~20x"

usage() {
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
    echo "run.sh: $*" >&2
    exit 2
}

# ---- building -------------------------------------------------------------

list_programs() {
    if [[ -n ${PROGRAMS:-} ]]; then
        echo "$PROGRAMS"
        return
    fi
    local f names=()
    for f in "$SRC_DIR"/*.c; do
        case $(basename "$f" .c) in
        wasm_rt | native_main) ;; # support files, not benchmarks
        *) names+=("$(basename "$f" .c)") ;;
        esac
    done
    echo "${names[*]}"
}

# A module with imports could not run under `isola run` before WASI exists,
# and would mean a libc call slipped in: refuse it.
check_no_imports() {
    local wasm=$1
    if ! command -v wasm-objdump >/dev/null; then
        echo "run.sh: warning: wasm-objdump (wabt) missing, import check skipped" >&2
        return 0
    fi
    local imports
    imports=$(wasm-objdump -x -j Import "$wasm" 2>/dev/null | grep -E '^ - ' || true)
    if [[ -n $imports ]]; then
        echo "run.sh: $wasm has imports (must have none):" >&2
        echo "$imports" >&2
        return 1
    fi
}

build_program() {
    local name=$1 src=$SRC_DIR/$1.c
    [[ -f $src ]] || die "no such program: $src"
    "$CC_WASM" "${COMMON_CFLAGS[@]}" "${WASM_CFLAGS[@]}" -o "$OUT/$name.wasm" \
        "$src" "$SRC_DIR/wasm_rt.c" || die "wasm build of $name failed"
    check_no_imports "$OUT/$name.wasm" || die "wasm build of $name is not self-contained"
    "$CC_NATIVE" "${COMMON_CFLAGS[@]}" -o "$OUT/$name.native" \
        "$src" "$SRC_DIR/native_main.c" -lm || die "native build of $name failed"
}

# ---- timing ---------------------------------------------------------------

# run_timed OUTFILE CMD...: runs CMD with stdout to OUTFILE and stderr to
# OUTFILE.err; sets ELAPSED to the seconds of the whole process, by the
# clock CLOCK selects (wall: EPOCHREALTIME, which costs no fork; cpu: user +
# system time of the process and its children, from bash's `time`), and
# returns CMD's exit status.
run_timed() {
    local out=$1 start end status cpu
    shift
    local killer=()
    if command -v timeout >/dev/null; then
        killer=(timeout "$TIMEOUT")
    fi
    local TIMEFORMAT='%3U %3S'
    start=$EPOCHREALTIME
    { time "${killer[@]}" "$@" >"$out" 2>"$out.err" </dev/null; } 2>"$out.time"
    status=$?
    end=$EPOCHREALTIME
    if [[ $CLOCK == cpu ]]; then
        cpu=$(awk 'END { printf "%.6f", $1 + $2 }' "$out.time")
        ELAPSED=$cpu
    else
        ELAPSED=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }')
    fi
    return $status
}

# failure_reason WHO STATUS ERRFILE: one line saying why a run failed.
failure_reason() {
    local who=$1 status=$2 err
    err=$(head -n 1 "$3" 2>/dev/null | head -c 200)
    if ((status == 124)); then
        echo "$who timed out after ${TIMEOUT}s (TIMEOUT=...)"
    else
        echo "$who failed with exit status $status${err:+: $err}"
    fi
}

median() {
    (($#)) || { echo n/a; return; }
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "n/a"; exit }
            if (NR % 2) printf "%.6f\n", v[(NR + 1) / 2]
            else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

ratio() {
    [[ $1 == n/a || $2 == n/a ]] && { echo n/a; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'
}

# First line of a run's stdout, if it is a plain integer.
read_checksum() {
    local line
    line=$(head -n 1 "$1" 2>/dev/null | tr -d '[:space:]')
    [[ $line =~ ^-?[0-9]+$ ]] && echo "$line"
}

# Each run_* function runs the program once under one runtime and sets
# TIME (seconds to report), SUM (the checksum it printed) and WHY (the reason
# when it returns failure). run_node also sets PROC_TIME (whole process).

run_native() {
    local name=$1
    TIME="" SUM="" WHY=""
    run_timed "$OUT/$name.native.out" "$OUT/$name.native" ||
        { WHY=$(failure_reason native $? "$OUT/$name.native.out.err"); return 1; }
    SUM=$(read_checksum "$OUT/$name.native.out") || { WHY="native printed no checksum"; return 1; }
    TIME=$ELAPSED
}

run_isola() {
    local name=$1
    TIME="" SUM="" WHY=""
    # shellcheck disable=SC2086 # ISOLA_FLAGS is a word list on purpose
    run_timed "$OUT/$name.isola.out" "$ISOLA" run $ISOLA_FLAGS "$OUT/$name.wasm" --invoke run ||
        { WHY=$(failure_reason isola $? "$OUT/$name.isola.out.err"); return 1; }
    SUM=$(read_checksum "$OUT/$name.isola.out") || { WHY="isola printed no checksum"; return 1; }
    TIME=$ELAPSED
}

# Node reports the call time itself (V8 start-up and compilation excluded);
# that is TIME, and the whole process is PROC_TIME.
run_node() {
    local name=$1
    TIME="" PROC_TIME="" SUM="" WHY=""
    # shellcheck disable=SC2086 # NODE_FLAGS is a word list on purpose
    run_timed "$OUT/$name.node.out" "$NODE" $NODE_FLAGS "$BENCH_DIR/node_run.mjs" "$OUT/$name.wasm" run ||
        { WHY=$(failure_reason node $? "$OUT/$name.node.out.err"); return 1; }
    SUM=$(read_checksum "$OUT/$name.node.out") || { WHY="node printed no checksum"; return 1; }
    local key=call_seconds
    [[ $CLOCK == cpu ]] && key=call_cpu_seconds
    TIME=$(awk -v k="$key" '$1 == k { print $2 }' "$OUT/$name.node.out")
    [[ -n $TIME ]] || { WHY="node printed no call time"; return 1; }
    PROC_TIME=$ELAPSED
}

# measure NAME: runs NAME under every runtime, interleaving the repetitions
# (native, isola, node, native, ...) so that a change in machine load hits
# all three alike. A runtime that fails once, or whose checksum changes
# between repetitions (these programs are deterministic), is dropped for this
# program. Sets the *_TIMES arrays, the *_SUM checksums ("" when dropped)
# and appends reasons to NOTES.
measure() {
    local name=$1 rep reps=$REPS rt
    local -A live=([native]=1 [isola]=0 [node]=1) first_sum=()
    NATIVE_TIMES=() ISOLA_TIMES=() NODE_TIMES=() NODE_PROC_TIMES=()
    [[ -x $ISOLA ]] && live[isola]=1
    ((ISOLA_REPS > reps)) && reps=$ISOLA_REPS
    for ((rep = 0; rep < reps; rep++)); do
        for rt in native isola node; do
            ((live[$rt])) || continue
            [[ $rt == isola ]] && ((rep >= ISOLA_REPS)) && continue
            [[ $rt != isola ]] && ((rep >= REPS)) && continue
            if ! "run_$rt" "$name"; then
                NOTES+=("$name: $WHY")
                live[$rt]=0
                continue
            fi
            if [[ -n ${first_sum[$rt]:-} && ${first_sum[$rt]} != "$SUM" ]]; then
                NOTES+=("$name: $rt checksum varies between runs (${first_sum[$rt]}, $SUM)")
                live[$rt]=0
                continue
            fi
            first_sum[$rt]=$SUM
            case $rt in
            native) NATIVE_TIMES+=("$TIME") ;;
            isola) ISOLA_TIMES+=("$TIME") ;;
            node) NODE_TIMES+=("$TIME") NODE_PROC_TIMES+=("$PROC_TIME") ;;
            esac
        done
    done
    NATIVE_SUM="" ISOLA_SUM="" NODE_SUM=""
    ((live[native])) && NATIVE_SUM=${first_sum[native]}
    ((live[isola])) && ISOLA_SUM=${first_sum[isola]}
    ((live[node])) && NODE_SUM=${first_sum[node]}
    return 0
}

# ---- main -----------------------------------------------------------------

main() {
    local build_only=0
    while (($#)); do
        case $1 in
        --build-only) build_only=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
        esac
        shift
    done
    [[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, not '$REPS'"
    [[ $CLOCK == wall || $CLOCK == cpu ]] || die "CLOCK must be wall or cpu, not '$CLOCK'"
    [[ $ISOLA_REPS =~ ^[1-9][0-9]*$ ]] || die "ISOLA_REPS must be a positive integer, not '$ISOLA_REPS'"
    command -v "$CC_WASM" >/dev/null || die "$CC_WASM not found (apt-get install clang-14 lld-14)"
    command -v "$CC_NATIVE" >/dev/null || die "$CC_NATIVE not found"
    command -v "$NODE" >/dev/null || die "$NODE not found (apt-get install nodejs, or set NODE=...)"

    local -a programs
    read -r -a programs <<<"$(list_programs)"
    mkdir -p "$OUT" || die "cannot create $OUT"
    local name
    for name in "${programs[@]}"; do
        build_program "$name"
    done
    echo "built ${#programs[@]} programs into $OUT (wasm without imports + native)"
    ((build_only)) && exit 0

    local isola_note="$ISOLA"
    [[ -x $ISOLA ]] || isola_note="$ISOLA (not found or not executable: column is n/a; set ISOLA=...)"
    local results=$OUT/results.txt csv=$OUT/results.csv
    {
        echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
        echo "reps:    $REPS (isola: $ISOLA_REPS), median $CLOCK-clock seconds per run"
        echo "native:  $CC_NATIVE -O2 ($("$CC_NATIVE" -dumpversion)), whole process"
        echo "isola:   $isola_note run ${ISOLA_FLAGS:+$ISOLA_FLAGS }X.wasm --invoke run, whole process"
        echo "node:    $NODE ${NODE_FLAGS:+$NODE_FLAGS }($("$NODE" --version 2>/dev/null || echo missing)), the call only; node_proc = whole process"
        echo
        printf '%-11s %9s %9s %8s %9s %8s %10s  %s\n' \
            program native isola x_native node x_native node_proc checksum
    } | tee "$results"
    echo "program,native_s,isola_s,isola_ratio,node_s,node_ratio,node_proc_s,checksum,status" >"$csv"

    local failed=0 isola_ratios=() node_ratios=()
    local nat_t nat_sum iso_t iso_r iso_sum node_t node_r node_p node_sum status
    NOTES=()
    for name in "${programs[@]}"; do
        measure "$name"
        nat_t=$(median "${NATIVE_TIMES[@]}") nat_sum=$NATIVE_SUM
        iso_t=$(median "${ISOLA_TIMES[@]}") iso_sum=$ISOLA_SUM
        node_t=$(median "${NODE_TIMES[@]}") node_p=$(median "${NODE_PROC_TIMES[@]}") node_sum=$NODE_SUM
        [[ -z $ISOLA_SUM ]] && iso_t=n/a
        [[ -z $NATIVE_SUM ]] && { nat_t=n/a; failed=1; }
        [[ -z $NODE_SUM ]] && { node_t=n/a node_p=n/a; failed=1; }
        iso_r=$(ratio "$iso_t" "$nat_t")
        node_r=$(ratio "$node_t" "$nat_t")

        status=ok
        local s
        for s in "$iso_sum" "$node_sum"; do
            if [[ -n $s && -n $nat_sum && $s != "$nat_sum" ]]; then
                status=MISMATCH
            fi
        done
        if [[ $status == MISMATCH ]]; then
            failed=1
            NOTES+=("$name: checksums differ: native=$nat_sum isola=${iso_sum:-n/a} node=${node_sum:-n/a}")
        fi
        [[ $iso_r != n/a && $status == ok ]] && isola_ratios+=("$iso_r")
        [[ $node_r != n/a && $status == ok ]] && node_ratios+=("$node_r")

        printf '%-11s %9s %9s %8s %9s %8s %10s  %s\n' "$name" \
            "$(fmt_s "$nat_t")" "$(fmt_s "$iso_t")" "$(fmt_x "$iso_r")" \
            "$(fmt_s "$node_t")" "$(fmt_x "$node_r")" "$(fmt_s "$node_p")" \
            "$status ${nat_sum:-?}" | tee -a "$results"
        echo "$name,$nat_t,$iso_t,$iso_r,$node_t,$node_r,$node_p,${nat_sum:-},$status" >>"$csv"
    done

    {
        echo
        echo "median ratio to native over ${#programs[@]} programs:" \
            "isola $(fmt_x "$(median_ratio "${isola_ratios[@]}")") (${#isola_ratios[@]} measured)," \
            "node $(fmt_x "$(median_ratio "${node_ratios[@]}")") (${#node_ratios[@]} measured)"
        echo "$WASM3_REFERENCE"
        local note
        for note in "${NOTES[@]}"; do
            echo "note: $note"
        done
    } | tee -a "$results"
    echo "(results also in $results and $csv)"
    return $failed
}

median_ratio() {
    (($#)) || { echo n/a; return; }
    awk -v m="$(median "$@")" 'BEGIN { printf "%.2f\n", m }'
}

fmt_s() {
    [[ $1 == n/a ]] && { echo n/a; return; }
    printf '%.3f' "$1"
}

fmt_x() {
    [[ $1 == n/a ]] && { echo n/a; return; }
    printf '%.2fx' "$1"
}

main "$@"
