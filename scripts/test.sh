#!/usr/bin/env bash
# test.sh - the full test run, as CI does it: installs missing packages (when
# root), then builds three trees and runs the CTest tests in each:
#   build/release   gcc, -O2                       (the configuration users get)
#   build/asan      clang-14, AddressSanitizer + UndefinedBehaviorSanitizer
#   build/tsan      clang-14, ThreadSanitizer: the tests where threads meet
#                   (unit, processes, hostile guests, examples)
# Between them both compilers see the code with -Wall -Wextra -Werror.
#
#   scripts/test.sh              every tree
#   scripts/test.sh --valgrind   also run the CLI tests' programs under valgrind
#   scripts/test.sh -L LABEL     pass a ctest label filter (e.g. -L cli) to every run
#                                (and skip the fuzz smoke run)
# After the ctest runs: valgrind memcheck (the spec suite, the embedder, the
# process and hostile-guest tests; tests/memcheck), then the fuzz
# targets (scripts/fuzz.sh --replay and --smoke, about two minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh

valgrind=0
ctest_filter=()
while [ $# -gt 0 ]; do
    case $1 in
        --valgrind) valgrind=1 ;;
        -L|-R|-E) ctest_filter+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
    esac
    shift
done

isola_ensure_deps

# Sanitizers: fail on the first report, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

# Descriptors: the WASI examples keep hundreds of processes' files open at
# once; Debian's soft limit is 1024, the hard limit much higher.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# build_and_test DIR [ctest selection --] cmake args...
build_and_test() {
    local dir=$1
    shift
    local select=()
    if [ "${1:-}" = "--select" ]; then
        shift
        while [ "$1" != "--" ]; do select+=("$1"); shift; done
        shift
    fi
    echo "== $dir: configure and build"
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j2
    echo "== $dir: ctest"
    ctest --test-dir "$dir" -j2 --output-on-failure -LE memcheck ${select[@]+"${select[@]}"} \
        ${ctest_filter[@]+"${ctest_filter[@]}"}
}

status=0
CC=gcc build_and_test build/release -DCMAKE_BUILD_TYPE=Release || status=1
CC=clang-14 build_and_test build/asan -DCMAKE_BUILD_TYPE=Debug -DISOLA_SANITIZE=ON || status=1
# ThreadSanitizer: where workers, host threads and the timer thread share
# state. The spec suite, WASI and the CLI run on one thread and stay out;
# proc.scale too (a million processes take four minutes under TSan, and
# the same code runs in the other tests at a smaller size).
CC=clang-14 build_and_test build/tsan --select -R '^(unit|proc|hostile|examples|wasi\.proc)' -E '^proc\.scale$' -- \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISOLA_TSAN=ON || status=1

# Valgrind memcheck (tests/memcheck): always, it takes under a minute.
# --valgrind additionally runs the CLI tests' programs under valgrind.
echo "== build/release: valgrind memcheck"
ctest --test-dir build/release -j2 --output-on-failure -L memcheck || status=1
if [ "$valgrind" = 1 ]; then
    echo "== valgrind: CLI tests"
    ISOLA_CLI_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --soname-synonyms=somalloc=*jemalloc*" \
        ctest --test-dir build/release -j2 --output-on-failure -L cli || status=1
fi

# Fuzz smoke run: every saved finding replayed, then each target briefly.
if [ ${#ctest_filter[@]} -eq 0 ]; then
    echo "== fuzz: replay regressions and smoke run"
    scripts/fuzz.sh --replay || status=1
    scripts/fuzz.sh --smoke || status=1
fi

if [ "$status" = 0 ]; then
    echo "== all tests passed"
else
    echo "== FAILED (see above)"
fi
exit "$status"
