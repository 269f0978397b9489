#!/bin/bash
# compare_test.sh - runs a program natively and under `isola run` with the
# same arguments and stdin, and requires the same stdout and exit status.
#
# usage: compare_test.sh ISOLA NATIVE WASM STATUS [ARG...]
#   STATUS: the exit status both must give
set -u
ISOLA=$1 NATIVE=$2 WASM=$3 WANT=$4
shift 4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/isola-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

printf '1 2 3\n\n40 x 50\n-7\n' > "$WORK/input"
"$NATIVE" "$@" < "$WORK/input" > "$WORK/native.out" 2>&1
native=$?
"$ISOLA" run "$WASM" "$@" < "$WORK/input" > "$WORK/wasi.out" 2>&1
wasi=$?
[ $native = "$WANT" ] || fail "native exited $native, expected $WANT"
[ $wasi = "$WANT" ] || fail "isola run exited $wasi, expected $WANT"
diff "$WORK/native.out" "$WORK/wasi.out" || fail "output differs (above: native, then isola)"
[ -s "$WORK/wasi.out" ] || fail "no output"
[ $FAILED = 0 ] && echo "$(basename "$WASM"): native and isola agree ($(wc -l < "$WORK/wasi.out") lines, exit $WANT)"
exit $FAILED
