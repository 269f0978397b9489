#!/usr/bin/env bash
# demo.sh - from a fresh Debian 12 checkout to a running demo: installs what
# is missing (when root), builds isola in release mode, compiles a C guest to
# wasm and runs it with `isola run`, then runs the example embedder.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
isola_ensure_deps

BUILD=${BUILD:-build/release}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target isola-cli embed
ISOLA=$BUILD/isola

# The guest is freestanding C. Compiling and linking are two steps so that
# clang does not run binaryen's wasm-opt on the result, which would drop the
# name section the trap backtrace below uses.
GUEST=$BUILD/demo_guest.wasm
clang-14 --target=wasm32-wasi -O2 -nostdlib -c examples/demo_guest.c -o "$BUILD/demo_guest.o"
wasm-ld-14 --no-entry "$BUILD/demo_guest.o" -o "$GUEST"

# show EXPECTED_EXIT ARGS...: prints the command and its output; the demo
# fails if the exit code is not the expected one (2 is a trap, 3 out of fuel).
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

echo "== isola $("$ISOLA" --version | cut -d' ' -f2): a C guest compiled to wasm, run by the CLI"
echo
show 0 validate "$GUEST"
show 0 run "$GUEST" --invoke fib 40
show 0 run "$GUEST" --invoke collatz_steps 837799
show 0 run "$GUEST" --invoke harmonic 1000000
show 0 run "$GUEST" --invoke count_primes 65536
show 0 run "$GUEST" --invoke percent 3 8
show 2 run "$GUEST" --invoke percent 3 0
show 3 run "$GUEST" --fuel 1000 --invoke harmonic 1000000

echo "== the example embedder (examples/embed.c): host import, fuel slices, a trap"
echo
"$BUILD/examples/embed"
