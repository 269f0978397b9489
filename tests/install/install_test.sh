#!/bin/bash
# install_test.sh - `cmake --install` into a fresh prefix, then use what it
# installed the way an embedder and a guest author would: examples/embed.c
# built against the installed headers and library with pkg-config, and again
# from a CMake project with find_package(isola); a guest built with the
# installed SDK (isola-cc --libc) and run by the installed `isola`.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1 SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/isola-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" || { cat "$WORK/install.log"; exit 1; }
for f in include/isola/engine.h include/isola/proc.h lib/libisola.a lib/pkgconfig/isola.pc \
         lib/cmake/isola/isolaConfig.cmake bin/isola share/isola/sdk/isola.h share/isola/sdk/isola-cc; do
    [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done

# An embedder with pkg-config. The guest of embed.c sums 1..1000 = 500500.
want="sum_to(1000) = 500500"
flags=$(PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig pkg-config --cflags --libs isola) || fail "pkg-config knows no isola"
cc -std=c17 -Wall -Werror -o "$WORK/embed_pc" "$SRC/examples/embed.c" $flags || fail "embed.c did not build with pkg-config"
"$WORK/embed_pc" | grep -qF "$want" || fail "the pkg-config build of embed.c did not run"

# An embedder with CMake.
mkdir -p "$WORK/consumer"
cp "$SRC/examples/embed.c" "$WORK/consumer/"
cat > "$WORK/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(isola 0.1 REQUIRED)
add_executable(embed embed.c)
target_link_libraries(embed PRIVATE isola::isola)
CMAKE
if cmake -S "$WORK/consumer" -B "$WORK/consumer/build" -DCMAKE_PREFIX_PATH="$PREFIX" > "$WORK/consumer.log" 2>&1 &&
   cmake --build "$WORK/consumer/build" >> "$WORK/consumer.log" 2>&1; then
    "$WORK/consumer/build/embed" | grep -qF "$want" || fail "the CMake build of embed.c did not run"
else
    cat "$WORK/consumer.log"
    fail "find_package(isola) did not build embed.c"
fi

# A guest author with the installed SDK, when a wasm32 clang is there.
if command -v "${ISOLA_WASM_CC:-clang-14}" > /dev/null && [ -e /usr/include/wasm32-wasi/stdio.h ]; then
    printf '#include <stdio.h>\nint main(int argc, char **argv) { printf("hello %%s\\n", argc > 1 ? argv[1] : "?"); return 3; }\n' \
        > "$WORK/hello.c"
    bash "$PREFIX/share/isola/sdk/isola-cc" --libc -o "$WORK/hello.wasm" "$WORK/hello.c" || fail "isola-cc failed"
    out=$("$PREFIX/bin/isola" run "$WORK/hello.wasm" installed)
    status=$?
    [ "$out" = "hello installed" ] && [ $status = 3 ] || fail "installed isola ran the guest: '$out', status $status"
fi

[ $FAILED = 0 ] && echo "install: embed.c built with pkg-config and with find_package, a guest with the SDK: all ran"
exit $FAILED
