# deps.sh - sourced by demo.sh and test.sh: makes sure the Debian 12 packages
# isola needs are installed. As root it installs what is missing (apt-get
# update, then install); otherwise it lists the missing ones and exits.
#
# Why each package (beyond a C compiler and CMake):
#   clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32   build wasm guests (tests, demo)
#   libclang-rt-14-dev        the sanitizer runtimes for the ASan+UBSan tree (clang-14)
#   wabt                      wast2json converts the spec suite; wat2wasm builds test modules
#   binaryen                  wasm-opt/wasm-dis for inspecting and shrinking guests
#   libcjson-dev              the spec runner reads wast2json's JSON with cJSON
#   libcmocka-dev             the unit-test framework
#   libjemalloc-dev           the allocator the isola command and bench_proc link
#                             (thread caches: processes free on another worker)
#   nodejs                    a reference engine to compare results and speed against
#   npm                       fetches the pinned SQLite sources for tests/real (only
#                             when no npm is on PATH; machines often ship one with node)
#   rustc libstd-rust-dev-wasm32  a Rust program run natively and under isola
#                             (tests/real: a second toolchain's wasm, not clang's)
#   libc++-14-dev-wasm32 libc++abi-14-dev-wasm32  a C++ program the same way
#   erlang-base               the process/mailbox model's reference point (benchmarks)
#   valgrind                  scripts/test.sh --valgrind
#   hyperfine                 benchmarks

ISOLA_PACKAGES="build-essential cmake clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
  libclang-rt-14-dev wabt binaryen libcjson-dev libcmocka-dev libjemalloc-dev nodejs erlang-base valgrind hyperfine
  rustc libstd-rust-dev-wasm32 libc++-14-dev-wasm32 libc++abi-14-dev-wasm32"

isola_missing_packages() {
    local pkg missing=""
    for pkg in $ISOLA_PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing="$missing $pkg"
        fi
    done
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
    echo "$missing"
}

isola_ensure_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "deps: not a Debian system; install the equivalents of: $ISOLA_PACKAGES" >&2
        return 0
    fi
    local missing
    missing=$(isola_missing_packages)
    if [ -z "$missing" ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing Debian packages:$missing" >&2
        echo "deps: install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update </dev/null
    # shellcheck disable=SC2086  # the list is meant to split into words
    apt-get install -y --no-install-recommends $missing </dev/null
}
