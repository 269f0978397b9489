#!/usr/bin/env bash
# demo.sh - from a fresh Debian 12 checkout to a running demo: installs what
# is missing (when root), builds isola in release mode with the example
# guests (C compiled to wasm by the SDK, sdk/isola-cc), and shows:
#   1. a crowd of 1000 isolated worker processes in one VM, one of which
#      crashes and is restarted by its supervisor while the others go on,
#      and a runaway loop that is preempted and then ended by its fuel limit;
#   2. a supervision tree (restart policy: one-for-one, max restarts in a window);
#   3. ping-pong, a ring of 1000 processes (as a WASI command of `isola run`),
#      a worker pool;
#   4. single modules run by the `isola` command (a trap with its backtrace,
#      a run stopped by --fuel) and the example embedder;
# then a summary. BUILD=DIR builds elsewhere than build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
isola_ensure_deps

BUILD=${BUILD:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target isola-cli embed run_guest pingpong ring_wasi pool supervisor crowd >/dev/null
ISOLA=$BUILD/isola
RUN=$BUILD/examples/run_guest
GUESTS=$BUILD/examples

# step TITLE: a section header.
step() {
    echo
    echo "== $*"
    echo
}

# guest EXPECTED_EXIT LOG ARGS...: runs run_guest, shows the command and
# its output and keeps the output in $LOG for the summary; the demo fails
# if the exit code is not the expected one.
guest() {
    local want=$1 log=$2 code=0
    shift 2
    echo "\$ run_guest $*"
    "$RUN" "$@" 2>&1 | tee "$log" || code=${PIPESTATUS[0]}
    if [ "$code" != "$want" ]; then
        echo "demo: run_guest $* exited $code, expected $want" >&2
        exit 1
    fi
}

# show EXPECTED_EXIT ARGS...: the same for the `isola` command (2 is a
# trap, 3 out of fuel).
show() {
    local want=$1 code=0
    shift
    echo "\$ isola $*"
    "$ISOLA" "$@" 2>&1 || code=$?
    [ "$code" = 0 ] || echo "(exit code $code)"
    echo
    if [ "$code" != "$want" ]; then
        echo "demo: expected exit code $want" >&2
        exit 1
    fi
}

LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
T0=$(date +%s%N)

echo "isola $("$ISOLA" --version | cut -d' ' -f2): a multitasking WebAssembly VM."
echo "The guests below are C programs (examples/guests/) compiled to wasm with"
echo "sdk/isola-cc; run_guest (examples/run_guest.c) runs one as the first"
echo "process of a VM and prints what its processes send to the console."

step "1. A crowd: 1000 workers, one crash, one runaway, all on ONE OS thread (--workers 1)"
echo "Each worker is an isolated process with its own 64 KiB memory, counting the"
echo "primes in its own range of 1000 numbers. Worker 500 writes outside its memory."
echo "A runaway loops forever under a 50-million-unit fuel limit. main supervises;"
echo "a collector process gathers the counts and checks them."
echo
guest 0 "$LOGS/crowd" --workers 1 "$GUESTS/crowd.wasm" 1000 500 50

step "2. A supervision tree: crashed children are restarted, one-for-one"
guest 0 "$LOGS/supervisor" "$GUESTS/supervisor.wasm"

step "3. Message passing: ping-pong, a ring of 1000 processes, a worker pool"
guest 0 "$LOGS/pingpong" "$GUESTS/pingpong.wasm" 100000
echo
# The ring built with -DEXAMPLE_WASI is a WASI command: `isola run` runs
# its _start as the VM's first process, and all 1000 processes print to
# the same stdout.
echo "\$ isola run ring_wasi.wasm 1000 10"
"$ISOLA" run "$GUESTS/ring_wasi.wasm" 1000 10 | tee "$LOGS/ring"
echo
guest 0 "$LOGS/pool" "$GUESTS/pool.wasm" 4 20

step "4. One module, one run: the isola command (exports, a trap, a fuel limit)"
# A freestanding guest built by the SDK; the name section stays, so the
# trap's backtrace names the functions.
GUEST=$BUILD/demo_guest.wasm
sdk/isola-cc -o "$GUEST" examples/demo_guest.c
show 0 validate "$GUEST"
show 0 run "$GUEST" --invoke fib 40
show 0 run "$GUEST" --invoke collatz_steps 837799
show 0 run "$GUEST" --invoke count_primes 65536
show 2 run "$GUEST" --invoke percent 3 0
show 3 run "$GUEST" --fuel 1000 --invoke harmonic 1000000

step "5. The example embedder (examples/embed.c): host import, fuel slices, a trap"
"$BUILD/examples/embed"

# pick FILE REGEX: the first line of FILE matching REGEX.
pick() {
    grep -m1 -E "$2" "$1" || echo "(missing: $2)"
}

step "Summary"
pick "$LOGS/crowd" 'worker counts exact'
pick "$LOGS/crowd" '^main: [0-9]+ processes in'
pick "$LOGS/crowd" 'ended: trap'
pick "$LOGS/crowd" 'runaway .*fuel limit'
pick "$LOGS/supervisor" 'giving up'
pick "$LOGS/supervisor" 'every child is done'
pick "$LOGS/pingpong" 'ns per round trip'
pick "$LOGS/ring" 'ns per hop'
pick "$LOGS/pool" 'primes below'
echo "demo: done in $((($(date +%s%N) - T0) / 1000000)) ms (after the build)"
