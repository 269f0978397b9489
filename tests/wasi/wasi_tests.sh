#!/bin/bash
# wasi_tests.sh - runs the WASI guest programs under `isola run` and checks
# their output, exit status, and that nothing outside the sandbox changed.
#
# usage: wasi_tests.sh ISOLA GUEST_DIR EXPECTED_DIR CASE NATIVE_WORDFREQ SRC_DIR [walk]
# "walk" forces the user-space path walk (ISOLA_WASI_NO_OPENAT2=1) so both
# resolvers pass the same tests. Each case_* function is one CTest test.
set -u
ISOLA=$1
GUESTS=$2
EXPECTED=$3
CASE=$4
NATIVE_WORDFREQ=$5
SRC_DIR=$6
if [ "${7:-}" = walk ]; then export ISOLA_WASI_NO_OPENAT2=1; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isola-wasi.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
FAILED=0

fail() { echo "FAIL: $*"; FAILED=1; }

# A fresh sandbox and, beside it, an outside directory the guest must never reach.
make_sandbox() {
    mkdir -p "$WORK/sandbox" "$WORK/outside"
    echo SECRET > "$WORK/outside/secret.txt"
}

outside_fingerprint() {
    (cd "$WORK/outside" && find . -printf '%p %s %T@\n' | sort && cat secret.txt)
}

# run_guest NAME EXPECTED_STATUS [isola options and guest args...]: stdout to $WORK/out
run_guest() {
    local name=$1 want=$2
    shift 2
    "$ISOLA" run "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$name: exit status $got, expected $want"
        sed 's/^/  stderr: /' "$WORK/err" | head -20
    fi
}

expect_output() {
    if ! diff -u "$EXPECTED/$1.out" "$WORK/out" >"$WORK/diff"; then
        fail "$1: output differs from expected/$1.out"
        head -40 "$WORK/diff"
    fi
}

case_files() {
    make_sandbox
    run_guest files 0 --dir "$WORK/sandbox::/sandbox" "$GUESTS/files.wasm"
    expect_output files
}

case_symlinks() {
    make_sandbox
    run_guest symlinks 0 --dir "$WORK/sandbox::/sandbox" "$GUESTS/symlinks.wasm"
    expect_output symlinks
}

case_escape() {
    make_sandbox
    local S="$WORK/sandbox"
    mkdir -p "$S/sub"
    echo inside > "$S/inside.txt"
    ln -s sub "$S/ok_link"
    ln -s ../outside "$S/link_out"
    ln -s "$WORK/outside" "$S/link_abs"
    ln -s /etc "$S/link_etc"
    ln -s ../.. "$S/sub/up"
    local before
    before=$(outside_fingerprint)
    run_guest escape 0 --dir "$S::/sandbox" "$GUESTS/escape.wasm"
    expect_output escape
    [ "$(outside_fingerprint)" = "$before" ] || fail "escape: the outside directory changed"
    [ ! -e "$WORK/evil" ] && [ ! -e "$WORK/stolen" ] && [ ! -e "$WORK/planted" ] ||
        fail "escape: something was created beside the sandbox"
}

# Without any --dir the guest sees no files at all.
case_no_preopens() {
    make_sandbox
    # The program goes on after the failure and crashes on a NULL FILE*; only the refusal matters.
    "$ISOLA" run "$GUESTS/files.wasm" >"$WORK/out" 2>"$WORK/err" </dev/null
    grep -q "^create a.txt: " "$WORK/out" && ! grep -q "^create a.txt: ok" "$WORK/out" ||
        fail "no_preopens: creating a file without a preopen should fail"
}

# Same host directory under two guest names, and a bad --dir.
case_preopen_names() {
    make_sandbox
    run_guest preopen_names 0 --dir "$WORK/sandbox::/sandbox" --dir "$WORK/outside::/other" \
        "$GUESTS/files.wasm"
    expect_output files
    "$ISOLA" run --dir "$WORK/missing" "$GUESTS/files.wasm" >"$WORK/out" 2>"$WORK/err"
    [ $? = 1 ] && grep -q "cannot preopen directory" "$WORK/err" || fail "preopen_names: bad --dir accepted"
}

case_calls() {
    make_sandbox
    printf 0123456789 > "$WORK/sandbox/file.txt"
    # stdin must be a pipe for the ESPIPE check
    echo | "$ISOLA" run --dir "$WORK/sandbox::/sandbox" "$GUESTS/calls.wasm" >"$WORK/out" 2>"$WORK/err"
    [ $? = 0 ] || fail "calls: nonzero exit"
    expect_output calls
}

case_args_env() {
    run_guest args 0 --env A=1 --env HOME=/home/guest --env "EMPTY=" "$GUESTS/args.wasm" x "y z" "" \
        -- --flag -x
    expect_output args
    # The host environment never leaks in.
    PATH_SEEN=$(SECRET_HOST_VAR=1 "$ISOLA" run "$GUESTS/args.wasm" 2>&1 | grep -c SECRET_HOST_VAR)
    [ "$PATH_SEEN" = 0 ] || fail "args_env: host environment leaked"
    # A name given twice keeps the last value, once (as env(1) does)
    "$ISOLA" run --env A=1 --env B=2 --env A=3 "$GUESTS/args.wasm" >"$WORK/out" 2>&1
    [ "$(grep '^env ' "$WORK/out")" = "$(printf 'env <A=3>\nenv <B=2>\nenv count 2')" ] ||
        fail "args_env: a repeated --env: $(grep '^env ' "$WORK/out" | tr '\n' ' ')"
    "$ISOLA" run --env NOEQUALS "$GUESTS/args.wasm" >/dev/null 2>"$WORK/err"
    [ $? = 1 ] && grep -q "expected NAME=VALUE" "$WORK/err" || fail "args_env: bad --env accepted"
}

case_exit_codes() {
    run_guest exit42 42 "$GUESTS/args.wasm" exit 42
    run_guest exit0 0 "$GUESTS/args.wasm" exit 0
    run_guest raw3 3 "$GUESTS/args.wasm" raw 3
    grep -q "^HOME unset" "$WORK/out" || fail "raw3: output before proc_exit lost"
    run_guest return5 5 "$GUESTS/args.wasm" return 5
    run_guest exit255 255 "$GUESTS/args.wasm" exit 255
    run_guest trap 2 "$GUESTS/args.wasm" trap
    grep -q "^trap: unreachable" "$WORK/err" || fail "trap: no trap message"
}

# Under a file size limit (ulimit -f), growing a file past it raises
# SIGXFSZ, whose default action would end isola and every process in it:
# the guest must get EFBIG instead.
case_file_size_limit() {
    make_sandbox
    (ulimit -f 1024; run_guest fsize 0 --dir "$WORK/sandbox::/d" "$GUESTS/fsize.wasm")
    grep -q "^ftruncate past the limit: File too large" "$WORK/out" &&
        grep -q "^pwrite past the limit: File too large" "$WORK/out" &&
        grep -q "^pwrite within it: ok" "$WORK/out" || fail "fsize: $(cat "$WORK/out")"
}

case_stdin() {
    seq 1 20000 | "$ISOLA" run "$GUESTS/stdin.wasm" >"$WORK/out" 2>"$WORK/err"
    [ $? = 0 ] || fail "stdin: nonzero exit"
    expect_output stdin
    "$ISOLA" run "$GUESTS/stdin.wasm" </dev/null >"$WORK/out" 2>&1
    grep -q "^lines 0 bytes 0 sum 0 eof 1" "$WORK/out" || fail "stdin: empty input"
    # stdin closed on the host: closed for the guest, which just sees no input
    "$ISOLA" run "$GUESTS/stdin.wasm" <&- >"$WORK/out" 2>&1
    grep -q "^lines 0 bytes 0 sum 0 eof" "$WORK/out" || fail "stdin: closed stdin"
    # stdout or stderr closed on the host: closed for the guest, and nothing
    # of the guest's or of isola's reaches stdin's file (opened read-write)
    printf '1\n2\n' >"$WORK/rw.txt"
    "$ISOLA" run "$GUESTS/stdin.wasm" <>"$WORK/rw.txt" >&-
    [ "$(cat "$WORK/rw.txt")" = "$(printf '1\n2')" ] || fail "stdin: closed stdout wrote into stdin's file"
    "$ISOLA" run "$GUESTS/args.wasm" trap <>"$WORK/rw.txt" >"$WORK/out" 2>&-
    [ $? = 2 ] || fail "stdin: closed stderr: a trap must still exit 2"
    [ "$(cat "$WORK/rw.txt")" = "$(printf '1\n2')" ] || fail "stdin: closed stderr wrote into stdin's file"
    # /dev/null is a character device but no terminal (libc's isatty looks
    # at the rights: seek and tell); a pseudo-terminal is one
    "$ISOLA" run "$GUESTS/args.wasm" tty </dev/null >"$WORK/out" 2>&1
    grep -q "^isatty 0 0 0, seek 0: ok" "$WORK/out" || fail "stdin: /dev/null taken for a terminal: $(head -1 "$WORK/out")"
    if command -v script >/dev/null; then
        script -qec "$ISOLA run $GUESTS/args.wasm tty" /dev/null </dev/null >"$WORK/out" 2>&1
        grep -q "^isatty 1 1 1" "$WORK/out" || fail "stdin: a terminal not seen as one: $(head -1 "$WORK/out")"
    fi
    # stdin from a regular file
    seq 1 20000 >"$WORK/in.txt"
    "$ISOLA" run "$GUESTS/stdin.wasm" <"$WORK/in.txt" >"$WORK/out" 2>&1
    expect_output stdin
}

# The command runs as the first process of a VM and spawns copies of
# itself, handing each only some of its directories (see guest_spawn.c).
case_spawn() {
    make_sandbox
    local S="$WORK/sandbox"
    mkdir -p "$S/a" "$S/b" "$S/c"
    echo "read-only data" > "$S/b/data.txt"
    echo SECRET > "$S/c/secret.txt"
    local before
    before=$(cd "$S/b" && ls -l --time-style=+%s; cat data.txt)
    run_guest spawn 0 --dir "$S/a::/a" --dir "$S/b::/b" --dir "$S/c::/c" "$GUESTS/spawn.wasm"
    expect_output spawn
    [ "$(cd "$S/b" && ls -l --time-style=+%s; cat data.txt)" = "$before" ] ||
        fail "spawn: the read-only directory changed"
    [ "$(cat "$S/a/from_child.txt")" = "written by the child" ] || fail "spawn: child's file missing in /a"
    # Under --fuel, children spawned with default limits get half of what
    # their parent has left, so the parent does not run dry.
    rm -f "$S/a/from_child.txt"
    run_guest spawn_fuel 0 --fuel 100000000 --dir "$S/a::/a" --dir "$S/b::/b" --dir "$S/c::/c" \
        "$GUESTS/spawn.wasm"
    expect_output spawn
    # A child's trap is reported with its process number; the parent went on.
    grep -q "^isola: process [0-9]* ended by a trap" "$WORK/err" && grep -q "^trap: unreachable" "$WORK/err" ||
        fail "spawn: the child's trap was not reported"
}

# Host descriptors (guest_fdquota.c): each process's count against its
# handle limit, given back whole when it ends; and all guests together stay
# out of the host's reserve (soft limit 256: 256 - 64 for guests, less what
# `isola run` itself has open, a dozen or so: printed as N).
case_fdquota() {
    make_sandbox
    local S="$WORK/sandbox"
    echo data > "$S/f"
    run_guest fdquota 0 --dir "$S::/d" "$GUESTS/fdquota.wasm"
    expect_output fdquota
    [ ! -e "$S/new" ] || fail "fdquota: a refused O_CREAT created /d/new"
    local status=0
    (ulimit -Sn 256 && exec "$ISOLA" run --dir "$S::/d" "$GUESTS/fdquota.wasm" capped) \
        >"$WORK/out" 2>"$WORK/err" </dev/null || status=$?
    [ "$status" = 0 ] || fail "fdquota capped: exit status $status"
    local n
    n=$(sed -n 's/^capped: opened \([0-9]*\) files, then ENFILE$/\1/p' "$WORK/out")
    [ -n "$n" ] && [ "$n" -le 192 ] && [ "$n" -ge 160 ] || fail "fdquota capped: opened '$n' files, expected 160-192"
    sed -i 's/^capped: opened [0-9]* files/capped: opened N files/' "$WORK/out"
    expect_output fdquota_capped
}

# isola run's exit status is its first process's; children still running
# when it ends are killed, so the command returns at once.
case_spawn_exit_codes() {
    local start end
    start=$(date +%s%N)
    run_guest orphan 3 "$GUESTS/spawn.wasm" orphan
    end=$(date +%s%N)
    [ $(( (end - start) / 1000000 )) -lt 3000 ] || fail "orphan: isola run waited for a sleeping child"
    grep -q "^orphan: spawned ok; exiting" "$WORK/out" || fail "orphan: no output"
    run_guest killed 4 "$GUESTS/spawn.wasm" killed
    grep -q "^isola: run: the process was killed (reason 5)" "$WORK/err" || fail "killed: no message"
    # A deadlock right after a call that ran on a blocking thread (fsync):
    # the VM is quiet only when that thread is done, and must still say so.
    timeout 20 "$ISOLA" run --dir "$WORK::/a" "$GUESTS/spawn.wasm" syncwait >"$WORK/out" 2>"$WORK/err" </dev/null
    local got=$?
    [ "$got" = 5 ] || fail "syncwait: exit status $got, expected 5 (deadlock)"
    grep -q "^syncwait: synced" "$WORK/out" || fail "syncwait: no output"
    grep -q "^isola: deadlock: 1 process blocked" "$WORK/err" || fail "syncwait: no deadlock line"
    run_guest fuel 3 --fuel 100000 "$GUESTS/park.wasm" count 100000000
    grep -q "^isola: run: out of fuel (--fuel 100000)" "$WORK/err" || fail "fuel: no message"
    run_guest no_fuel_limit 0 "$GUESTS/park.wasm" count 100000
}

# While the guest opens sub/secret.txt in a loop, a host process keeps
# renaming "sub" between a real directory and a symlink to ../outside.
# Resolution holds descriptors (or lets the kernel check), so no timing of
# the swap can make an open land outside.
case_race() {
    make_sandbox
    local S="$WORK/sandbox"
    mkdir "$S/realdir"
    echo inside > "$S/realdir/secret.txt"
    ln -s ../outside "$S/evil"
    python3 - "$S" <<'PY' &
import os, sys, time
s = sys.argv[1]
os.rename(os.path.join(s, "realdir"), os.path.join(s, "sub"))
open(os.path.join(s, "ready"), "w").close()
end = time.time() + 30
while time.time() < end and not os.path.exists(os.path.join(s, "stop")):
    os.rename(os.path.join(s, "sub"), os.path.join(s, "realdir"))
    os.rename(os.path.join(s, "evil"), os.path.join(s, "sub"))
    os.rename(os.path.join(s, "sub"), os.path.join(s, "evil"))
    os.rename(os.path.join(s, "realdir"), os.path.join(s, "sub"))
    time.sleep(0.0002)   # let some opens find the real directory
PY
    local racer=$!
    for _ in $(seq 100); do [ -e "$S/ready" ] && break; sleep 0.1; done
    run_guest race 0 --dir "$S::/sandbox" "$GUESTS/race.wasm" 20000
    touch "$S/stop"
    wait $racer
    cat "$WORK/out"
    grep -q "escaped 0$" "$WORK/out" || fail "race: an open escaped the sandbox"
    grep -q "^inside 0 " "$WORK/out" && fail "race: no open ever succeeded (the test did not race)"
}

# A real program, built natively and for WASI from one source, must behave
# the same: same stdout, same report file, same exit status. Its input is
# this repository's own C sources, a preopen named "." and relative paths.
case_native_compare() {
    make_sandbox
    mkdir -p "$WORK/native"
    local files=()
    local i=0
    for f in "$SRC_DIR"/*/*.c; do
        i=$((i + 1))
        cp "$f" "$WORK/sandbox/in$i.c"
        cp "$f" "$WORK/native/in$i.c"
        files+=("in$i.c")
    done
    (cd "$WORK/native" && TOPN=25 "$NATIVE_WORDFREQ" "${files[@]}" >"$WORK/native.out")
    local native_status=$?
    run_guest native_compare "$native_status" --dir "$WORK/sandbox::." --env TOPN=25 \
        "$GUESTS/wordfreq.wasm" "${files[@]}"
    diff -u "$WORK/native.out" "$WORK/out" || fail "native_compare: stdout differs from native"
    cmp -s "$WORK/native/report.txt" "$WORK/sandbox/report.txt" ||
        fail "native_compare: report.txt differs from native"
    grep -q "distinct" "$WORK/out" || fail "native_compare: no report"
    # A missing input fails the same way too.
    run_guest native_missing 1 --dir "$WORK/sandbox::." "$GUESTS/wordfreq.wasm" nope.txt
    grep -q "^nope.txt: No such file or directory" "$WORK/err" || fail "native_missing: wrong message"
}

"case_$CASE"
exit $FAILED
