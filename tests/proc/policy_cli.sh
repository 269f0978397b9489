#!/usr/bin/env bash
# tests/proc/policy_cli.sh ISOLA DIR - `isola run` on the policy_cmd*.wasm
# commands: a deadlock is reported in one line with exit code 5 (a lone
# process in receive; two processes waiting for each other), and the first
# process's limits (more than 1024 children by default; --max-procs).
set -u
isola=$1
dir=$2
fail=0

expect() {   # expect NAME WANT_CODE GOT_CODE
    if [ "$3" != "$2" ]; then
        echo "FAIL $1: exit code $3, expected $2"
        fail=1
    fi
}

expect_line() {   # expect_line NAME PATTERN TEXT
    if ! printf '%s\n' "$3" | grep -q -- "$2"; then
        echo "FAIL $1: no line matching '$2' in:"
        printf '%s\n' "$3"
        fail=1
    fi
}

err=$(timeout 20 "$isola" run "$dir/policy_cmd0.wasm" 2>&1 >/dev/null)
expect alone 5 $?
expect_line alone "^isola: deadlock: 1 process blocked with nothing that can wake it (1 in receive" "$err"
expect_line alone "the first process is blocked in receive on its mailbox" "$err"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { echo "FAIL alone: more than one line"; fail=1; }

err=$(timeout 20 "$isola" run "$dir/policy_cmd1.wasm" 2>&1 >/dev/null)
expect pair 5 $?
expect_line pair "^isola: deadlock: 2 processes blocked with nothing that can wake them (2 in receive" "$err"

timeout 60 "$isola" run "$dir/policy_cmd2.wasm"
expect "2000 children" 0 $?
timeout 20 "$isola" run --max-procs 3 "$dir/policy_cmd2.wasm"
expect "--max-procs 3" 3 $?
timeout 20 "$isola" run "$dir/policy_cmd2.wasm" --max-handles 100
expect "--max-handles 100" 99 $?   # its module handle + 99 children
out=$("$isola" run --help)
expect_line help "--max-procs N" "$out"
expect_line help "5  deadlock" "$out"
err=$("$isola" run --max-procs x "$dir/policy_cmd2.wasm" 2>&1)
expect "bad --max-procs" 1 $?

err=$("$isola" run "$dir/policy_cmd2.wasm" --max-queue 8 --invoke _start 2>&1)
expect "--max-queue with --invoke" 1 $?
expect_line "--max-queue with --invoke" "not with --invoke" "$err"

[ $fail = 0 ] && echo "policy cli: all passed"
exit $fail
