#!/usr/bin/env bash
# demo.sh - from a fresh Debian 12 checkout to a running demo: installs what
# is missing (when root), builds isola in release mode, compiles a C guest to
# wasm and runs it with `isola run`, then runs the example embedder.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
isola_ensure_deps

BUILD=build/release
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target isola-cli embed
ISOLA=$BUILD/isola

# The guest is freestanding C. Compiling and linking are two steps so that
# clang does not run binaryen's wasm-opt on the result, which would drop the
# name section the trap backtrace below uses.
GUEST=$BUILD/demo_guest.wasm
clang-14 --target=wasm32-wasi -O2 -nostdlib -c examples/demo_guest.c -o "$BUILD/demo_guest.o"
wasm-ld-14 --no-entry "$BUILD/demo_guest.o" -o "$GUEST"

show() {
    echo "\$ isola $*"
    local code=0
    "$ISOLA" "$@" || code=$?
    [ "$code" = 0 ] || echo "(exit code $code)"
    echo
}

echo "== isola $("$ISOLA" --version | cut -d' ' -f2): a C guest compiled to wasm, run by the CLI"
echo
show validate "$GUEST"
show run "$GUEST" --invoke fib 40
show run "$GUEST" --invoke collatz_steps 837799
show run "$GUEST" --invoke harmonic 1000000
show run "$GUEST" --invoke count_primes 65536
show run "$GUEST" --invoke percent 3 8
show run "$GUEST" --invoke percent 3 0
show run "$GUEST" --fuel 1000 --invoke harmonic 1000000

echo "== the example embedder (examples/embed.c): host import, fuel slices, a trap"
echo
"$BUILD/examples/embed"
