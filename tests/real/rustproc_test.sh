#!/bin/bash
# rustproc_test.sh - runs rustproc (rustproc.rs: processes from Rust through
# sdk/isola.rs) with `isola run` and requires its exit status 0, stdout equal
# to expected/rustproc.out, and on stderr the one child's trap (a panic).
#
# usage: rustproc_test.sh ISOLA RUSTPROC_WASM EXPECTED_DIR
set -u
ISOLA=$1
WASM=$2
EXPECTED=$3
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

"$ISOLA" run "$WASM" > "$OUT" 2> "$ERR"
status=$?
[ $status = 0 ] || fail "exited $status, expected 0; stderr: $(head -5 "$ERR")"
diff "$EXPECTED/rustproc.out" "$OUT" || fail "stdout differs (above)"
[ "$(grep -c '^trap: unreachable$' "$ERR")" = 1 ] || fail "expected one trap on stderr: $(cat "$ERR")"
grep -q "index out of bounds: the len is 0 but the index is 3" "$ERR" || fail "the crasher's panic message is missing"
[ $FAILED = 0 ] && echo "rustproc: $(wc -l < "$OUT") lines as expected"
exit $FAILED
