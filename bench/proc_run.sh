#!/usr/bin/env bash
# proc_run.sh: the process benchmarks of issue 3, Erlang/OTP and isola side
# by side in one run. Builds bench/erlang/*.erl into $OUT/erlang, then for
# each repetition runs every benchmark on Erlang and then at once on isola
# (so a change in machine load hits both alike), and prints per benchmark
# the median of each, the ratio and the issue's reference and goal.
#
# Both sides report `RESULT <key> <value>` lines on stdout; a benchmark row
# reads one key (see ROWS below). Every isola-specific detail (which binary,
# which arguments, how its output maps to keys) is in isola_command and
# isola_results, so wiring a new isola driver touches only those two.
#
# Environment (all optional):
#   REPS=3              repetitions; medians are reported
#   BENCHES="..."       rows to run, by name (default: all; see --list)
#   QUICK=1             a tenth of the sizes on both sides, for a smoke test
#   ERL=erl ERLC=erlc   the Erlang/OTP tools (Debian's erlang-base)
#   ERL_BIG=+P 2000000  erl flags for the runs that keep more than the
#                       default 262,144 processes alive (spawn_wait, skynet)
#   ISOLA_BENCH=...     the isola driver (default: bench_proc from the first
#                       build dir that has one: build/release, build-release,
#                       build); its column says n/a when missing or failing
#   ISOLA_GUESTS=...    the guest module it runs (default: guests.wasm beside it)
#   TIMEOUT=600         seconds before one run is killed
#   OUT=bench/out       build and results directory
#
# Options: --build-only, --list (the rows), --help.
# Exit status: 0 when every Erlang run succeeded, 1 when one failed, 2 on a
# build failure or a bad argument. An isola failure only makes its column n/a
# for that benchmark, and stops that benchmark's isola runs.
set -uo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
OUT=${OUT:-$BENCH_DIR/out}
ERL_OUT=$OUT/erlang
REPS=${REPS:-3}
QUICK=${QUICK:-0}
ERL=${ERL:-erl}
ERLC=${ERLC:-erlc}
ERL_BIG=${ERL_BIG-+P 2000000}
TIMEOUT=${TIMEOUT:-600}

# ---- what is measured ---------------------------------------------------------

# One row per benchmark: name | Erlang run | key | unit | better | issue's
# Erlang/OTP 25 figure (same unit) | issue's absolute goal for isola.
# Every goal row also carries the issue's "at least 2x Erlang" (see verdict).
ROWS=(
    "spawn_exit|spawn_exit|spawn_exit_ns_per_proc|ns/process|low|-|< 1000"
    "spawn_rate|spawn_exit|spawn_exit_procs_per_sec|processes/s|high|-|> 1000000"
    "spawn_1core|spawn_exit_1core|spawn_exit_ns_per_proc_1core|ns/process|low|-|< 1000"
    "spawn_wait|spawn_wait|spawn_wait_total_ms|ms|low|3200|-"
    "idle_bytes|spawn_mem|idle_proc_bytes_rss|bytes/process|low|2666|-"
    "pingpong|pingpong|pingpong_ns_per_roundtrip|ns/round trip|low|527|< 200"
    "ring|ring|ring_ns_per_hop|ns/hop|low|320|< 100"
    "skynet|skynet|skynet_ms|ms|low|3700|< 1500"
)
# Rows the issue wants at least twice as fast as Erlang.
TWICE_ROWS=" spawn_exit spawn_rate spawn_1core spawn_wait pingpong ring skynet "

# erlang_command RUN: the erl command line of one Erlang run (word list).
erlang_command() {
    local q=$((QUICK ? 10 : 1))
    local base="$ERL -noshell -pa $ERL_OUT"
    case $1 in
    spawn_exit) echo "$base -run spawn main exit $((1000000 / q))" ;;
    spawn_exit_1core) echo "$ERL +S 1 -noshell -pa $ERL_OUT -run spawn main exit $((1000000 / q))" ;;
    spawn_wait) echo "$ERL $ERL_BIG -noshell -pa $ERL_OUT -run spawn main wait $((1000000 / q))" ;;
    spawn_mem) echo "$base -run spawn main mem $((100000 / q))" ;;
    pingpong) echo "$base -run pingpong main $((1000000 / q))" ;;
    ring) echo "$base -run ring main $((10000 / q)) 100" ;;
    skynet) echo "$ERL $ERL_BIG -noshell -pa $ERL_OUT -run skynet main $((1000000 / q)) 10" ;;
    *) return 1 ;;
    esac
}

# ---- the isola side: the only place that knows its interface ----------------

find_isola_bench() {
    local d
    for d in build/release build-release build; do
        if [[ -x $REPO_DIR/$d/tests/proc/bench_proc ]]; then
            echo "$REPO_DIR/$d/tests/proc/bench_proc"
            return
        fi
    done
    echo "$REPO_DIR/build/release/tests/proc/bench_proc"
}
ISOLA_BENCH=${ISOLA_BENCH:-$(find_isola_bench)}
ISOLA_GUESTS=${ISOLA_GUESTS:-$(dirname "$ISOLA_BENCH")/guests.wasm}

# isola_command RUN...: the command that runs the isola benchmarks of these
# Erlang runs once (the script passes one at a time), or nothing (exit 1)
# when the driver is not there yet. bench_proc's second argument divides the sizes,
# like QUICK here; its third names the benchmarks to run.
isola_command() {
    [[ -x $ISOLA_BENCH && -f $ISOLA_GUESTS ]] || return 1
    local run only=""
    for run in "$@"; do
        case $run in
            spawn_exit) run="spawn" ;;
            spawn_exit_1core) run="spawn1" ;;
            spawn_wait) run="wait" ;;
            spawn_mem) run="mem" ;;
        esac
        only+=${only:+,}$run
    done
    # Line-buffered, so the benchmarks that finished are still read when a
    # later one hangs and is killed.
    local linebuf=""
    command -v stdbuf >/dev/null && linebuf="stdbuf -oL "
    echo "$linebuf$ISOLA_BENCH $ISOLA_GUESTS $((QUICK ? 10 : 1)) $only"
}

# isola_results FILE: the driver's output as RESULT lines with the keys in
# ROWS. RESULT lines pass through unchanged (the simplest wiring is for the
# driver to print them itself); the other patterns read bench_proc's
# current human-readable lines.
isola_results() {
    awk '
        $1 == "RESULT" { print; next }
        /^spawn [0-9]+ processes:/ {
            for (i = 1; i < NF; i++) {
                if ($(i + 1) == "ns") print "RESULT spawn_exit_ns_per_proc", $i
                if ($(i + 1) == "per" && $(i + 2) == "second") print "RESULT spawn_exit_procs_per_sec", $i
            }
            next
        }
        /^ping-pong .* ns per round trip/ {
            for (i = 1; i < NF; i++) if ($(i + 1) == "ns") print "RESULT pingpong_ns_per_roundtrip", $i
            next
        }
        /^ring .* ns per hop/ {
            for (i = 1; i < NF; i++) if ($(i + 1) == "ns") print "RESULT ring_ns_per_hop", $i
            next
        }
        /^skynet [0-9]+ leaves: .*\(ok\)/ {
            s = $4; sub(/s,?$/, "", s)
            printf "RESULT skynet_ms %.0f\n", s * 1000
            next
        }
    ' "$1"
}

# ---- helpers -------------------------------------------------------------------

usage() {
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

die() {
    echo "proc_run.sh: $*" >&2
    exit 2
}

field() { # field ROW N: the N-th |-separated field of a row (1-based)
    echo "$1" | cut -d'|' -f"$2"
}

selected_rows() {
    local row name
    for row in "${ROWS[@]}"; do
        name=$(field "$row" 1)
        if [[ -z ${BENCHES:-} || " $BENCHES " == *" $name "* ]]; then
            echo "$row"
        fi
    done
}

median() {
    (($#)) || { echo n/a; return; }
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
            if (m == int(m)) printf "%.0f\n", m; else printf "%.1f\n", m
        }'
}

# ratio ERLANG ISOLA BETTER: > 1 means isola is faster (or smaller).
ratio() {
    [[ $1 == n/a || $2 == n/a ]] && { echo n/a; return; }
    awk -v e="$1" -v i="$2" -v b="$3" 'BEGIN {
        r = (b == "high") ? i / e : (i > 0 ? e / i : -1)
        if (r < 0 || e <= 0) print "n/a"; else printf "%.2fx\n", r }'
}

# verdict NAME ISOLA RATIO GOAL: whether isola meets the issue's goals.
verdict() {
    local name=$1 iso=$2 r=$3 goal=$4 ok=1
    [[ $iso == n/a ]] && { echo -; return; }
    [[ $goal == - && $TWICE_ROWS != *" $name "* ]] && { echo -; return; }
    if [[ $goal != - ]]; then
        awk -v v="$iso" -v g="$goal" 'BEGIN {
            split(g, p, " "); exit !((p[1] == "<") ? v < p[2] : v > p[2]) }' || ok=0
    fi
    if [[ $TWICE_ROWS == *" $name "* ]]; then
        [[ $r != n/a ]] && awk -v r="${r%x}" 'BEGIN { exit !(r >= 2) }' || ok=0
    fi
    ((ok)) && echo yes || echo no
}

# run_once OUTFILE CMD...: runs CMD with a time limit; stdout to OUTFILE,
# stderr to OUTFILE.err. Returns CMD's status (124 on timeout).
run_once() {
    local out=$1
    shift
    local killer=()
    command -v timeout >/dev/null && killer=(timeout "$TIMEOUT")
    "${killer[@]}" "$@" >"$out" 2>"$out.err" </dev/null
}

why_failed() { # why_failed WHO STATUS OUTFILE
    local line
    line=$(grep -m1 -E '^(SKIP|ERROR)' "$3" 2>/dev/null ||
        grep -m1 -v '^\s*$' "$3.err" 2>/dev/null | head -c 200)
    if (($2 == 124)); then
        echo "$1 timed out after ${TIMEOUT}s (TIMEOUT=...)"
    else
        echo "$1 failed with exit status $2${line:+: $line}"
    fi
}

# ---- main ------------------------------------------------------------------------

build_erlang() {
    command -v "$ERLC" >/dev/null || die "$ERLC not found (apt-get install erlang-base)"
    command -v "$ERL" >/dev/null || die "$ERL not found (apt-get install erlang-base)"
    mkdir -p "$ERL_OUT" || die "cannot create $ERL_OUT"
    "$ERLC" -Wall -Werror -o "$ERL_OUT" "$BENCH_DIR"/erlang/*.erl || die "erlc failed"
}

main() {
    local build_only=0
    while (($#)); do
        case $1 in
        --build-only) build_only=1 ;;
        --list) printf '%s\n' "${ROWS[@]}" | cut -d'|' -f1,3,4; exit 0 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "proc_run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
        esac
        shift
    done
    [[ $REPS =~ ^[1-9][0-9]*$ ]] || die "REPS must be a positive integer, not '$REPS'"
    build_erlang
    echo "built bench/erlang/*.erl into $ERL_OUT"
    ((build_only)) && exit 0

    local -a rows runs=()
    mapfile -t rows < <(selected_rows)
    ((${#rows[@]})) || die "no benchmark matches BENCHES='$BENCHES' (try --list)"
    local row run
    for row in "${rows[@]}"; do
        run=$(field "$row" 2)
        [[ " ${runs[*]} " == *" $run "* ]] || runs+=("$run")
    done

    local iso_cmd iso_note
    if iso_cmd=$(isola_command "${runs[@]}"); then
        iso_note="$ISOLA_BENCH $ISOLA_GUESTS $((QUICK ? 10 : 1)) NAME, one run per benchmark, right after Erlang's"
    else
        iso_cmd="" iso_note="not found: $ISOLA_BENCH with $ISOLA_GUESTS (column is n/a; set ISOLA_BENCH=...)"
    fi

    # VALUES[key] (erlang) and IVALUES[key] (isola): space-separated values
    # over the repetitions. Each benchmark's isola run comes right after its
    # Erlang run, so the host's load, which drifts over minutes on a shared
    # machine, is as alike as it can be for the two figures of one ratio.
    local -A VALUES=() IVALUES=() erl_dead=() iso_dead=()
    local NOTES=() rep status f line key value
    for ((rep = 1; rep <= REPS; rep++)); do
        for run in "${runs[@]}"; do
            if ((!${erl_dead[$run]:-0})); then
                f=$ERL_OUT/$run.$rep.out
                echo "rep $rep/$REPS: erlang $run" >&2
                # shellcheck disable=SC2046 # the command is a word list on purpose
                run_once "$f" $(erlang_command "$run")
                status=$?
                if ((status != 0)); then
                    NOTES+=("erlang $run: $(why_failed erlang "$status" "$f")")
                    erl_dead[$run]=1
                else
                    # A run of one scheduler reports under the same keys: they
                    # get its suffix (spawn_exit_1core -> spawn_exit_ns_per_proc_1core).
                    local suffix=""
                    [[ $run == *_1core ]] && suffix=_1core
                    while read -r line key value; do
                        VALUES[$key$suffix]+="$value "
                    done < <(grep '^RESULT ' "$f")
                fi
            fi
            if [[ -n $iso_cmd ]] && ((!${iso_dead[$run]:-0})); then
                f=$OUT/proc_isola.$run.$rep.out
                echo "rep $rep/$REPS: isola $run" >&2
                # shellcheck disable=SC2046 # the command is a word list on purpose
                run_once "$f" $(isola_command "$run")
                status=$?
                # A failed run still counts for what it finished.
                while read -r line key value; do
                    IVALUES[$key]+="$value "
                done < <(isola_results "$f")
                if ((status != 0)); then
                    NOTES+=("isola $run: $(why_failed isola "$status" "$f") (rep $rep; no more isola runs of it)")
                    iso_dead[$run]=1
                fi
            fi
        done
    done

    local results=$OUT/proc_results.txt csv=$OUT/proc_results.csv
    {
        echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
        echo "erlang:  $("$ERL" -noshell -eval 'io:format("OTP ~s, erts ~s", [erlang:system_info(otp_release), erlang:system_info(version)]), halt().'), erl -noshell (ERL_BIG='$ERL_BIG' for spawn_wait, skynet)"
        echo "isola:   $iso_note"
        echo "reps:    $REPS, medians$( ((QUICK)) && echo ', QUICK=1: a tenth of the sizes')"
        echo "ratio:   Erlang / isola (isola / Erlang for rates): > 1 means isola is better"
        echo
        printf '%-11s %-14s %10s %10s %8s %11s %16s %4s\n' \
            benchmark unit erlang isola ratio "issue's OTP" goal met
    } | tee "$results"
    echo "benchmark,unit,erlang,isola,ratio,issue_erlang,goal,met" >"$csv"

    local name unit better ref goal g erl iso r v failed=0
    for row in "${rows[@]}"; do
        IFS='|' read -r name run key unit better ref goal <<<"$row"
        # shellcheck disable=SC2086 # the values are a word list
        erl=$(median ${VALUES[$key]:-})
        # shellcheck disable=SC2086
        iso=$(median ${IVALUES[$key]:-})
        [[ $erl == n/a ]] && failed=1
        r=$(ratio "$erl" "$iso" "$better")
        v=$(verdict "$name" "$iso" "$r" "$goal")
        g=$goal
        if [[ $TWICE_ROWS == *" $name "* ]]; then
            [[ $goal == - ]] && g="2x" || g="$goal, 2x"
        fi
        printf '%-11s %-14s %10s %10s %8s %11s %16s %4s\n' \
            "$name" "$unit" "$erl" "$iso" "$r" "$ref" "$g" "$v" | tee -a "$results"
        echo "$name,$unit,$erl,$iso,$r,$ref,$g,$v" >>"$csv"
    done

    {
        echo
        echo "all Erlang results (median over $REPS runs):"
        for key in $(printf '%s\n' "${!VALUES[@]}" | sort); do
            # shellcheck disable=SC2086
            printf '  %-28s %12s   (runs: %s)\n' "$key" "$(median ${VALUES[$key]})" "${VALUES[$key]% }"
        done
        if ((${#IVALUES[@]})); then
            echo "all isola results:"
            for key in $(printf '%s\n' "${!IVALUES[@]}" | sort); do
                # shellcheck disable=SC2086
                printf '  %-28s %12s   (runs: %s)\n' "$key" "$(median ${IVALUES[$key]})" "${IVALUES[$key]% }"
            done
        fi
        for line in "${NOTES[@]}"; do
            echo "note: $line"
        done
    } | tee -a "$results"
    echo "(results also in $results and $csv)"
    return $failed
}

main "$@"
