#!/bin/bash
# sqlite_test.sh - runs the shop workload with sqlcheck (SQLite) natively and
# under `isola run`, and requires the two to behave the same: identical
# stdout and exit status for both runs (the workload, reading the orders
# from stdin as a file, then a second process reopening the database with
# its script on stdin through a pipe), stdout equal to
# expected/*.out, byte-identical files left in db/, an empty tmp/, and
# nothing touched outside the preopened directory.
#
# usage: sqlite_test.sh ISOLA SQLCHECK_NATIVE SQLCHECK_WASM SOURCE_DIR [walk]
# "walk" forces isola's user-space path walk (ISOLA_WASI_NO_OPENAT2=1).
set -u
ISOLA=$1
NATIVE=$2
WASM=$3
SRC=$4
if [ "${5:-}" = walk ]; then export ISOLA_WASI_NO_OPENAT2=1; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isola-real.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

SCRIPTS="in/01_schema.sql in/02_load.sql - in/03_query.sql in/04_txn.sql in/05_maint.sql"

# Each side gets the same tree: db/ for the databases, in/ for the scripts
# and the generated orders, tmp/ for SQLite's temporary files.
for side in native wasi; do
    mkdir -p "$WORK/$side/db" "$WORK/$side/in" "$WORK/$side/tmp"
    cp "$SRC"/0*.sql "$WORK/$side/in/"
    awk -f "$SRC/gen_orders.awk" > "$WORK/$side/in/orders.sql"
done
mkdir -p "$WORK/outside" "$WORK/cwd"
echo SECRET > "$WORK/outside/secret.txt"

# run SIDE NAME INPUT ARGS...: stdin from the file INPUT, or through a pipe
# when NAME is "reopen" (so isola parks on it); stdout to $WORK/NAME.SIDE.out,
# the exit status to $WORK/NAME.SIDE.status.
run() {
    local side=$1 name=$2 input=$3
    shift 3
    local cmd
    if [ "$side" = native ]; then
        cmd=(env -i PAGE_SIZE=1024 SQLITE_TMPDIR=tmp "$NATIVE" "$@")
        cd "$WORK/native"
    else
        # The guest sees only $WORK/wasi, as "/", with the same relative
        # paths; isola runs from an empty directory that must stay empty.
        cmd=("$ISOLA" run --dir "$WORK/wasi::/" --env PAGE_SIZE=1024 --env SQLITE_TMPDIR=tmp
             "$WASM" -- "$@")
        cd "$WORK/cwd"
    fi
    if [ "$name" = reopen ]; then
        cat "$input" | "${cmd[@]}" >"$WORK/$name.$side.out" 2>"$WORK/$name.$side.err"
    else
        "${cmd[@]}" <"$input" >"$WORK/$name.$side.out" 2>"$WORK/$name.$side.err"
    fi
    echo $? > "$WORK/$name.$side.status"
    cd "$WORK"
}

# Everything outside the guest's directory, as it stands.
fingerprint() {
    (cd "$WORK" && find . -path ./wasi -prune -o -path ./cwd -prune -o -printf '%p %s %T@\n' |
         grep -v -e '\.wasi\.' -e '^\. ' | sort && cat outside/secret.txt && ls -A cwd)
}

# The files a side left, with sizes (directory sizes depend on the host fs).
listing() {
    (cd "$WORK/$1" && find db tmp -type f -printf '%p %s\n' | sort)
}

run native shop "$WORK/native/in/orders.sql" db/shop.db $SCRIPTS
run native reopen "$WORK/native/in/06_reopen.sql" db/shop.db
before=$(fingerprint)
run wasi shop "$WORK/wasi/in/orders.sql" db/shop.db $SCRIPTS
run wasi reopen "$WORK/wasi/in/06_reopen.sql" db/shop.db
[ "$(fingerprint)" = "$before" ] || fail "something outside the preopened directory changed"

for name in shop reopen; do
    for side in native wasi; do
        if [ -s "$WORK/$name.$side.err" ]; then
            echo "stderr of the $side $name run:"
            head -20 "$WORK/$name.$side.err" | sed 's/^/  /'
        fi
    done
    ns=$(cat "$WORK/$name.native.status") ws=$(cat "$WORK/$name.wasi.status")
    [ "$ns" = "$ws" ] || fail "$name: exit status native $ns, isola $ws"
    if ! diff -u "$WORK/$name.native.out" "$WORK/$name.wasi.out" >"$WORK/diff"; then
        fail "$name: stdout differs between native and isola"
        head -40 "$WORK/diff"
    fi
    # The expected text pins the deliberate errors too (their count is the status).
    if ! diff -u "$SRC/expected/$name.out" "$WORK/$name.native.out" >"$WORK/diff"; then
        fail "$name: native stdout differs from expected/$name.out"
        head -40 "$WORK/diff"
    fi
    want=$(grep -c '^error: ' "$SRC/expected/$name.out")
    [ "$ns" = "$want" ] || fail "$name: exit status $ns, expected $want (one per error line)"
done

if [ "$(listing native)" != "$(listing wasi)" ]; then
    fail "the two runs left different files"
    diff <(listing native) <(listing wasi) | head -20
fi
for f in $(cd "$WORK/native" && find db -type f | sort); do
    cmp -s "$WORK/native/$f" "$WORK/wasi/$f" || fail "$f differs between native and isola"
done
[ -z "$(ls -A "$WORK/wasi/tmp")" ] || fail "tmp/ is not empty after the isola run"
[ -f "$WORK/wasi/db/shop.db" ] && [ -f "$WORK/wasi/db/snapshot.db" ] ||
    fail "the isola run did not leave db/shop.db and db/snapshot.db"

if [ "$FAILED" = 0 ]; then
    echo "sqlite: native and isola agree ($(wc -l < "$WORK/shop.native.out") + $(wc -l < "$WORK/reopen.native.out") lines," \
         "status $(cat "$WORK/shop.native.status")/$(cat "$WORK/reopen.native.status"), db files identical)"
fi
exit $FAILED
