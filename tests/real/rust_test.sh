#!/bin/bash
# rust_test.sh - runs rustcheck (rustcheck.rs) natively and under `isola run`
# on the same input, and requires the same stdout, stderr and exit status
# (7), except that the native run may read outside its directory and the
# WASI run must not. Also: the directory is left empty on both sides, and
# nothing outside the preopened one changes.
#
# usage: rust_test.sh ISOLA RUSTCHECK_NATIVE RUSTCHECK_WASM [walk]
# "walk" forces isola's user-space path walk (ISOLA_WASI_NO_OPENAT2=1).
set -u
ISOLA=$1
NATIVE=$2
WASM=$3
if [ "${4:-}" = walk ]; then export ISOLA_WASI_NO_OPENAT2=1; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isola-rust.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

mkdir -p "$WORK/native" "$WORK/wasi" "$WORK/outside"
echo SECRET > "$WORK/outside/secret.txt"
printf '1 2 three\n40 five\n\n-6 seven 8\n' > "$WORK/input"

RUSTCHECK=on "$NATIVE" "$WORK/native" alpha béta < "$WORK/input" \
    > "$WORK/native.out" 2> "$WORK/native.err"
echo $? > "$WORK/native.status"
"$ISOLA" run --dir "$WORK/wasi::/w" --env RUSTCHECK=on "$WASM" /w alpha béta < "$WORK/input" \
    > "$WORK/wasi.out" 2> "$WORK/wasi.err"
echo $? > "$WORK/wasi.status"

for s in native wasi; do
    [ "$(cat "$WORK/$s.status")" = 7 ] || fail "$s exited $(cat "$WORK/$s.status"), expected 7"
    [ -z "$(ls -A "$WORK/$s")" ] || fail "$s left files: $(ls -A "$WORK/$s")"
done
grep -qx 'outside the directory: refused' "$WORK/wasi.out" || fail "the WASI run read outside its directory"
sed 's/^outside the directory: read$/outside the directory: refused/' "$WORK/native.out" > "$WORK/native.norm"
diff "$WORK/native.norm" "$WORK/wasi.out" > "$WORK/diff" || { fail "stdout differs:"; cat "$WORK/diff"; }
diff "$WORK/native.err" "$WORK/wasi.err" > /dev/null || fail "stderr differs: $(cat "$WORK/wasi.err")"
grep -q '^stdin: 4 lines, total 45, 3 other$' "$WORK/wasi.out" || fail "stdin not read as expected"
[ "$(cat "$WORK/outside/secret.txt")" = SECRET ] || fail "the file outside changed"

if [ $FAILED = 0 ]; then
    echo "rustcheck: native and isola agree ($(wc -l < "$WORK/wasi.out") lines, exit 7)"
fi
exit $FAILED
