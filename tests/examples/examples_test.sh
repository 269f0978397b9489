#!/usr/bin/env bash
# tests/examples/examples_test.sh - runs one example guest with run_guest
# and checks its output: exact lines where the output is deterministic,
# invariants (counts, per-process order, what must never appear) where
# processes interleave.
#
#   examples_test.sh RUN_GUEST WASM_DIR CASE ISOLA
set -uo pipefail

RUN=$1 DIR=$2 CASE=$3 ISOLA=$4
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
failures=0

fail() {
    echo "FAIL ($CASE): $*" >&2
    failures=$((failures + 1))
}

# run WANT_STATUS ARGS...: runs run_guest, output in $OUT.
run() {
    local want=$1 status=0
    shift
    "$RUN" "$@" >"$OUT" 2>&1 || status=$?
    [ "$status" = "$want" ] || fail "run_guest $* exited $status, expected $want"
}

# isola_run WANT_STATUS ARGS...: the same with `isola run`, stdout only.
isola_run() {
    local want=$1 status=0
    shift
    "$ISOLA" run "$@" >"$OUT" 2>/dev/null || status=$?
    [ "$status" = "$want" ] || fail "isola run $* exited $status, expected $want"
}

# has LINE: the output holds exactly this line.
has() {
    grep -qxF -- "$1" "$OUT" || fail "missing line: $1"
}

# count PATTERN N: N lines match the extended regex.
count() {
    local n
    n=$(grep -cE -- "$1" "$OUT")
    [ "$n" = "$2" ] || fail "$n lines match '$1', expected $2"
}

# before A B: the first line A comes before the first line B.
before() {
    local a b
    a=$(grep -nxF -- "$1" "$OUT" | head -1 | cut -d: -f1)
    b=$(grep -nxF -- "$2" "$OUT" | head -1 | cut -d: -f1)
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
        fail "'$1' should come before '$2'"
    fi
}

last_line_is() {
    [ "$(tail -n 1 "$OUT")" = "$1" ] || fail "last line is '$(tail -n 1 "$OUT")', expected '$1'"
}

case_pingpong() {
    run 0 "$DIR/pingpong.wasm" 20000
    has "pingpong: spawned ponger; it holds one handle: a way to reply to me"
    has "ping 100 -> pong 101"
    has "ping 200 -> pong 201"
    has "ping 300 -> pong 301"
    has "pingpong: 20000 of 20000 round trips answered correctly"
    count '^pingpong: [0-9]+ ns per round trip$' 1
}

case_kv() {
    run 0 "$DIR/kv.wasm" 5 6
    has "kv: server up, with a handle limit of 4: it can hold no handle to a client for long"
    has "rogue: 8 requests whose replies it never reads (one with an extra handle), one without a reply handle, one that is no request"
    for c in 0 1 2 3 4; do
        has "client $c: 6 puts, 6 gets, 1 miss: all answered correctly"
    done
    # 5 x 13 requests and the rogue's 8, whose queue holds 4 replies.
    local served="kv: served 73 requests, dropped 4 replies nobody read; it never made a channel"
    has "$served"
    last_line_is "kv: 5 clients, 65 of 65 requests answered correctly"
    before "$served" "kv: 5 clients, 65 of 65 requests answered correctly"
}

case_ring() {
    run 0 "$DIR/ring.wasm" 500 4
    has "ring: 500 processes, each holding a handle to its successor only"
    for lap in 1 2 3 4; do
        has "ring: lap $lap done, token has made $((lap * 500)) hops"
    done
    before "ring: lap 1 done, token has made 500 hops" "ring: lap 4 done, token has made 2000 hops"
    has "ring: all 499 nodes stopped; 2000 hops expected, 2000 made"
    count '^ring: [0-9]+ ns per hop$' 1
}

case_pool() {
    run 0 "$DIR/pool.wasm" 3 20
    has "pool: 3 workers, 20 jobs of 10000 numbers each"
    # Every job done exactly once, with the right count for a few known ranges.
    for job in $(seq 0 19); do
        count "^pool: job +$job \\($((job * 10000))\\.\\.$((job * 10000 + 9999))\\) done by worker [0-2]: [0-9]+ primes$" 1
    done
    count '^pool: job +0 \(0\.\.9999\) done by worker [0-2]: 1229 primes$' 1
    count '^pool: job +9 \(90000\.\.99999\) done by worker [0-2]: 879 primes$' 1
    local jobs
    jobs=$(awk '/^pool: worker [0-2] did [0-9]+ jobs$/ { n += $5 } END { print n + 0 }' "$OUT")
    [ "$jobs" = 20 ] || fail "workers did $jobs jobs in all, expected 20"
    last_line_is "pool: primes below 200000: 17984"
}

case_supervisor() {
    run 0 "$DIR/supervisor.wasm"
    local oob="trap: out of bounds memory access" unr="trap: unreachable"
    # root's restarts are numbered in the order its children happen to crash.
    count "^root: flaky \(life 1\) ended: $oob; restarting it \(restart [12], at most 3 in 5000 ms\)$" 1
    count "^root: flaky \(life 2\) ended: $oob; restarting it \(restart [23], at most 3 in 5000 ms\)$" 1
    has "flaky (life 3): working fine this time"
    has "root: flaky (life 3) ended: returned 0; done"
    has "sub: doomed (life 1) ended: $unr; restarting it (restart 1, at most 2 in 5000 ms)"
    has "sub: doomed (life 2) ended: $unr; restarting it (restart 2, at most 2 in 5000 ms)"
    has "sub: doomed (life 3) ended: $unr; that is more than 2 restarts in 5000 ms: giving up (my linked children end with me)"
    count "^root: sub \(life 1\) ended: exit 99 \(gave up\); restarting it \(restart [1-3], at most 3 in 5000 ms\)$" 1
    # The link took steady down with the first sub: it never finished.
    count '^steady \(life 1, sub life 1\): finished$' 0
    has "steady (life 1, sub life 2): finished"
    has "doomed (life 1, sub life 2): fine under a fresh supervisor"
    has "sub (life 2): all my children are done"
    has "root: sub (life 2) ended: returned 0; done"
    has "root: counter (life 1) ended: returned 0; done"
    before "counter: 1" "counter: 3"
    before "flaky (life 1): reading address 0x7fff0000, far outside my memory" "flaky (life 3): working fine this time"
    count 'restarting it' 5
    last_line_is "root: every child is done after 3 restarts"
}

# The demo's program, smaller: a worker crashes and is restarted, the
# runaway is stopped by its fuel limit, every count is exact. On one worker
# thread, every worker finishing while the runaway spins shows preemption.
case_crowd() {
    run 0 --workers 1 "$DIR/crowd.wasm" 200 77 3
    has "main: starting 200 workers and a runaway, each an isolated process"
    has "worker 77: writing to address 0xfffffff0, outside my memory"
    has "main: worker 77 (life 1) ended: trap: out of bounds memory access; restarting it (restart 1, at most 5 in 5000 ms)"
    has "runaway: looping forever (fuel limit 3 million units)"
    has "main: runaway (life 1) ended: its fuel limit was used up; not restarted (temporary); 200 other children had finished by then"
    count "^collector: worker 77's count came from its life 2: [0-9]+ primes$" 1
    has "main: 200 of 200 worker counts exact (checked against a sieve)"
    has "main: primes below 200000: 17984"
    count '^main: 203 processes in [0-9]+ ms: 200 workers, 1 of them restarted after a crash, 1 runaway, 1 collector$' 1
    count 'restarting it' 1
}

# run_guest's own contract: a trapping entry exits 2, a run past its
# timeout is killed and exits 4, a missing entry exits 1.
case_run_guest() {
    run 2 --entry flaky "$DIR/supervisor.wasm"
    has "run_guest: flaky trapped: out of bounds memory access"
    run 4 --timeout 0.3 --entry runaway "$DIR/crowd.wasm"
    count '^run_guest: not finished after 0.3 s; 1 processes still alive, killing them$' 1
    run 1 --entry no_such_export "$DIR/ring.wasm"
    run 1 "$DIR/no_such_file.wasm"
    has "run_guest: cannot read $DIR/no_such_file.wasm"
}

# The WASI builds (-DEXAMPLE_WASI) as commands of `isola run`: _start is
# the first process, arguments come from the command line, every process
# prints to the shared WASI stdout.
case_isola_run() {
    isola_run 0 "$DIR/pingpong_wasi.wasm" 5000
    has "ping 300 -> pong 301"
    has "pingpong: 5000 of 5000 round trips answered correctly"
    isola_run 0 "$DIR/ring_wasi.wasm" 300 3
    has "ring: all 299 nodes stopped; 900 hops expected, 900 made"
    isola_run 0 "$DIR/pool_wasi.wasm" 3 10
    has "pool: primes below 100000: 9592"
    isola_run 0 "$DIR/supervisor_wasi.wasm"
    count 'restarting it' 5
    count '^steady \(life 1, sub life 1\): finished$' 0
    last_line_is "root: every child is done after 3 restarts"
    isola_run 0 "$DIR/crowd_wasi.wasm" 200 77 3
    has "main: worker 77 (life 1) ended: trap: out of bounds memory access; restarting it (restart 1, at most 5 in 5000 ms)"
    has "main: 200 of 200 worker counts exact (checked against a sieve)"
    has "main: primes below 200000: 17984"
    isola_run 0 "$DIR/kv_wasi.wasm" 3 4
    has "client 2: 4 puts, 4 gets, 1 miss: all answered correctly"
    has "kv: served 35 requests, dropped 4 replies nobody read; it never made a channel"
    last_line_is "kv: 3 clients, 27 of 27 requests answered correctly"
}

if ! declare -F "case_$CASE" >/dev/null; then
    echo "examples_test.sh: no case $CASE" >&2
    exit 2
fi
"case_$CASE"
if [ "$failures" != 0 ]; then
    echo "--- output of the last run:" >&2
    cat "$OUT" >&2
    exit 1
fi
echo "examples.$CASE: ok"
