#!/usr/bin/env bash
# cli_tests.sh - end-to-end tests of the `isola` command: exit codes, stdout
# and stderr compared exactly.
#
#   cli_tests.sh ISOLA_BINARY MODULE_DIR CASE    run one case (CTest runs each as its own test)
#   cli_tests.sh ISOLA_BINARY MODULE_DIR         run every case
#
# MODULE_DIR holds the .wasm files the build assembled from tests/cli/*.wat.
# Each case is a function named case_*; tests/cli/CMakeLists.txt registers
# one CTest test per function it finds here.
set -u

ISOLA=$1
MODS=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ISOLA_CLI_WRAPPER (e.g. a valgrind command line) runs every isola under it.
if [ -n "${ISOLA_CLI_WRAPPER:-}" ]; then
    printf '#!/bin/sh\nexec %s %q "$@"\n' "$ISOLA_CLI_WRAPPER" "$ISOLA" > "$WORK/isola-wrapped"
    chmod +x "$WORK/isola-wrapped"
    ISOLA=$WORK/isola-wrapped
fi

# expect CODE STDOUT STDERR -- COMMAND...: runs COMMAND, compares all three.
expect() {
    local want_code=$1 want_out=$2 want_err=$3
    shift 4
    local code=0
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || code=$?
    local got_out got_err
    got_out=$(cat "$WORK/out"; echo x); got_out=${got_out%x}
    got_err=$(cat "$WORK/err"; echo x); got_err=${got_err%x}
    [ -n "$want_out" ] && want_out+=$'\n'
    [ -n "$want_err" ] && want_err+=$'\n'
    if [ "$code" != "$want_code" ] || [ "$got_out" != "$want_out" ] || [ "$got_err" != "$want_err" ]; then
        echo "FAIL: $*"
        echo "  exit:   want $want_code, got $code"
        diff <(printf '%s' "$want_out") <(printf '%s' "$got_out") | sed 's/^/  stdout: /'
        diff <(printf '%s' "$want_err") <(printf '%s' "$got_err") | sed 's/^/  stderr: /'
        FAILED=1
    fi
}

# expect_err_prefix CODE PREFIX -- COMMAND...: for messages whose tail comes
# from the engine or libc; checks the exit code, empty stdout and that stderr
# is one line starting with PREFIX.
expect_err_prefix() {
    local want_code=$1 prefix=$2
    shift 3
    local code=0
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || code=$?
    local lines
    lines=$(wc -l <"$WORK/err")
    if [ "$code" != "$want_code" ] || [ -s "$WORK/out" ] || [ "$lines" != 1 ] ||
       [[ "$(cat "$WORK/err")" != "$prefix"* ]]; then
        echo "FAIL: $*"
        echo "  exit: want $want_code, got $code; stderr should be one line starting '$prefix'"
        sed 's/^/  stdout: /' "$WORK/out"
        sed 's/^/  stderr: /' "$WORK/err"
        FAILED=1
    fi
}

V=$MODS/values.wasm
T=$MODS/trap.wasm

# ---------------------------------------------------------------- validate

case_validate_ok() {
    expect 0 "$V: valid" "" -- "$ISOLA" validate "$V"
}

case_validate_malformed() {
    printf '\0asm\2\0\0\0' >"$WORK/version.wasm"
    expect_err_prefix 1 "$WORK/version.wasm: error at offset 0x4: " -- "$ISOLA" validate "$WORK/version.wasm"
    printf '\0asm\1\0\0\0\1\5\1\x60' >"$WORK/truncated.wasm"
    expect_err_prefix 1 "$WORK/truncated.wasm: error at offset 0x" -- "$ISOLA" validate "$WORK/truncated.wasm"
    : >"$WORK/empty.wasm"
    expect_err_prefix 1 "$WORK/empty.wasm: error at offset 0x0: " -- "$ISOLA" validate "$WORK/empty.wasm"
}

case_validate_invalid() {
    expect_err_prefix 1 "$MODS/invalid.wasm: error at offset 0x" -- "$ISOLA" validate "$MODS/invalid.wasm"
}

case_validate_usage() {
    expect 1 "" "isola: validate: missing FILE (usage: isola validate FILE.wasm)" -- "$ISOLA" validate
    expect 1 "" "isola: validate: expected one FILE, got another argument 'b'" -- "$ISOLA" validate a b
    expect 1 "" "isola: validate: unknown option '--frobnicate' (see isola --help)" -- \
        "$ISOLA" validate --frobnicate "$V"
    expect 1 "" "isola: $WORK/missing.wasm: No such file or directory" -- "$ISOLA" validate "$WORK/missing.wasm"
    expect 1 "" "isola: $WORK: Is a directory" -- "$ISOLA" validate "$WORK"
}

# ---------------------------------------------------------------- run: integers

case_run_i32() {
    expect 0 "5" "" -- "$ISOLA" run "$V" --invoke add_i32 2 3
    expect 0 "-1" "" -- "$ISOLA" run "$V" --invoke add_i32 4294967295 0
    expect 0 "-2147483648" "" -- "$ISOLA" run "$V" --invoke add_i32 2147483647 1
    expect 0 "-2147483648" "" -- "$ISOLA" run "$V" --invoke id_i32 -2147483648
    expect 0 "255" "" -- "$ISOLA" run "$V" --invoke id_i32 0xff
    expect 0 "-1" "" -- "$ISOLA" run "$V" --invoke id_i32 0xFFFFFFFF
    expect 0 "-16" "" -- "$ISOLA" run "$V" --invoke id_i32 -0x10
}

case_run_i64() {
    expect 0 "-1" "" -- "$ISOLA" run "$V" --invoke id_i64 18446744073709551615
    expect 0 "-9223372036854775808" "" -- "$ISOLA" run "$V" --invoke id_i64 -9223372036854775808
    expect 0 "9223372036854775807" "" -- "$ISOLA" run "$V" --invoke add_i64 9223372036854775806 1
    expect 0 "81985529216486895" "" -- "$ISOLA" run "$V" --invoke id_i64 0x0123456789abcdef
}

# ---------------------------------------------------------------- run: floats

case_run_f32() {
    expect 0 "0.1" "" -- "$ISOLA" run "$V" --invoke tenth_f32
    expect 0 "1.5" "" -- "$ISOLA" run "$V" --invoke id_f32 1.5
    expect 0 "3" "" -- "$ISOLA" run "$V" --invoke add_f32 1 2
    expect 0 "12" "" -- "$ISOLA" run "$V" --invoke id_f32 0x1.8p3
    expect 0 "16777216" "" -- "$ISOLA" run "$V" --invoke id_f32 16777217
    expect 0 "3.4028235e+38" "" -- "$ISOLA" run "$V" --invoke id_f32 3.4028235e38
    expect 0 "1e-45" "" -- "$ISOLA" run "$V" --invoke id_f32 1.4e-45
    expect 0 "-0" "" -- "$ISOLA" run "$V" --invoke id_f32 -0
    expect 0 "-inf" "" -- "$ISOLA" run "$V" --invoke id_f32 -inf
    expect 0 "nan" "" -- "$ISOLA" run "$V" --invoke id_f32 nan
    expect 0 "-nan" "" -- "$ISOLA" run "$V" --invoke id_f32 -nan
    expect 0 "nan:0x1" "" -- "$ISOLA" run "$V" --invoke id_f32 nan:0x1
    expect 0 "-nan:0x1234" "" -- "$ISOLA" run "$V" --invoke payload_nan
}

case_run_f64() {
    expect 0 "0.1" "" -- "$ISOLA" run "$V" --invoke tenth_f64
    expect 0 "0.30000000000000004" "" -- "$ISOLA" run "$V" --invoke add_f64 0.1 0.2
    expect 0 "0.3333333333333333" "" -- "$ISOLA" run "$V" --invoke third_f64
    expect 0 "-0" "" -- "$ISOLA" run "$V" --invoke neg_zero
    expect 0 "inf" "" -- "$ISOLA" run "$V" --invoke div_f64 1 0
    expect 0 "-inf" "" -- "$ISOLA" run "$V" --invoke div_f64 -1 0
    expect 0 "1e+300" "" -- "$ISOLA" run "$V" --invoke id_f64 1e300
    expect 0 "5e-324" "" -- "$ISOLA" run "$V" --invoke id_f64 0x0.0000000000001p-1022
    expect 0 "1.7976931348623157e+308" "" -- "$ISOLA" run "$V" --invoke id_f64 1.7976931348623157e308
    expect 0 "nan:0x4000000000000" "" -- "$ISOLA" run "$V" --invoke id_f64 nan:0x4000000000000
    expect 0 "inf" "" -- "$ISOLA" run "$V" --invoke id_f64 inf
}

case_run_multi_results() {
    expect 0 $'2.5\n7' "" -- "$ISOLA" run "$V" --invoke pair 7 2.5
    expect 0 "" "" -- "$ISOLA" run "$V" --invoke nothing
}

case_run_options() {
    expect 0 "5" "" -- "$ISOLA" run "$V" --fuel 1000 --invoke add_i32 2 3
    expect 0 "5" "" -- "$ISOLA" run "$V" --invoke add_i32 2 3 --max-memory 64MiB
    expect 0 "5" "" -- "$ISOLA" run --max-memory 16 "$V" --invoke add_i32 -- 2 3
    expect 0 "-5" "" -- "$ISOLA" run "$V" --invoke add_i32 -- -2 -3
}

case_run_max_memory() {
    local M=$MODS/memory.wasm
    expect 0 "4" "" -- "$ISOLA" run "$M" --invoke grow 2
    expect 0 "4" "" -- "$ISOLA" run "$M" --max-memory 6 --invoke grow 2
    expect 0 "-1" "" -- "$ISOLA" run "$M" --max-memory 384KiB --invoke grow 3
    expect 0 "4" "" -- "$ISOLA" run "$M" --max-memory 256KiB --invoke size
    expect_err_prefix 1 "$M: cannot instantiate: " -- "$ISOLA" run "$M" --max-memory 3 --invoke size
}

# ---------------------------------------------------------------- run: traps and fuel

case_run_trap() {
    expect 2 "" $'trap: integer divide by zero\n  #0 divide (func 0)' -- "$ISOLA" run "$T" --invoke divide 1 0
    expect 2 "" $'trap: integer divide by zero\n  #0 divide (func 0)\n  #1 middle (func 1)\n  #2 outer (func 2)' -- \
        "$ISOLA" run "$T" --invoke outer 1
    expect 2 "" $'trap: unreachable\n  #0 crash (func 3)' -- "$ISOLA" run "$T" --invoke crash
}

case_run_start_trap() {
    expect 2 "" $'trap: unreachable\n  #0 start (func 0)' -- "$ISOLA" run "$MODS/start_trap.wasm" --invoke never
}

# A WASI command's start function may use WASI: it is its process's first
# call, and may park (a read of a pipe still empty) like any call.
case_run_start_wasi() {
    expect 33 "hello from start" "" -- "$ISOLA" run "$MODS/start_wasi.wasm"
    local code=0
    (sleep 1; echo "late line") | "$ISOLA" run "$MODS/start_wasi_read.wasm" >"$WORK/out" 2>"$WORK/err" || code=$?
    if [ "$code" != 0 ] || [ "$(cat "$WORK/out")" != "late line" ]; then
        echo "FAIL: start_wasi_read: exit $code, stdout: $(cat "$WORK/out"), stderr: $(cat "$WORK/err")"
        FAILED=1
    fi
}

case_run_fuel() {
    expect 3 "" "isola: run: out of fuel (--fuel 1000) before 'spin' returned" -- \
        "$ISOLA" run "$T" --fuel 1000 --invoke spin
    # 16 MiB an iteration is 262,144 units: four iterations, not a million.
    local f
    for f in spin_fill spin_copy spin_random; do
        expect 3 "" "isola: run: out of fuel (--fuel 1000000) before '$f' returned" -- \
            timeout 60 "$ISOLA" run "$MODS/fuel.wasm" --fuel 1000000 --invoke $f
    done
}

# ---------------------------------------------------------------- run: bad input

case_run_bad_arguments() {
    expect 1 "" "isola: run: 'add_i32' takes 2 arguments (i32 i32), got 1" -- "$ISOLA" run "$V" --invoke add_i32 1
    expect 1 "" "isola: run: 'nothing' takes 0 arguments (), got 1" -- "$ISOLA" run "$V" --invoke nothing 1
    expect 1 "" "isola: run: argument 2 of 'add_i32' ('x', i32): not an integer" -- \
        "$ISOLA" run "$V" --invoke add_i32 1 x
    expect 1 "" "isola: run: argument 1 of 'id_i32' ('4294967296', i32): out of range for i32" -- \
        "$ISOLA" run "$V" --invoke id_i32 4294967296
    expect 1 "" "isola: run: argument 1 of 'id_i32' ('-2147483649', i32): out of range for i32" -- \
        "$ISOLA" run "$V" --invoke id_i32 -2147483649
    expect 1 "" "isola: run: argument 1 of 'id_i64' ('18446744073709551616', i64): out of range for i64" -- \
        "$ISOLA" run "$V" --invoke id_i64 18446744073709551616
    expect 1 "" "isola: run: argument 1 of 'id_i32' (' 1', i32): not an integer" -- \
        "$ISOLA" run "$V" --invoke id_i32 " 1"
    expect 1 "" "isola: run: argument 1 of 'id_f32' ('1e39', f32): out of range for f32" -- \
        "$ISOLA" run "$V" --invoke id_f32 1e39
    expect 1 "" "isola: run: argument 1 of 'id_f64' ('1.5x', f64): not a float" -- \
        "$ISOLA" run "$V" --invoke id_f64 1.5x
    expect 1 "" "isola: run: argument 1 of 'id_f64' ('nan:0x0', f64): NaN payload must be in 0x1..0xfffffffffffff for f64" -- \
        "$ISOLA" run "$V" --invoke id_f64 nan:0x0
    expect 1 "" "isola: run: argument 1 of 'v128_param' ('0', v128): v128 arguments cannot be given on the command line yet" -- \
        "$ISOLA" run "$V" --invoke v128_param 0
}

case_run_bad_command_line() {
    expect 1 "" "isola: run: missing FILE (usage: isola run FILE.wasm [ARG...] or isola run FILE.wasm --invoke NAME [ARG...])" -- "$ISOLA" run
    expect 1 "" "$V: no export named '_start': not a WASI command (use --invoke NAME to call another export)" -- \
        "$ISOLA" run "$V"
    expect 1 "" "isola: run: --invoke needs a value" -- "$ISOLA" run "$V" --invoke
    expect 1 "" "isola: run: unknown option '--turbo' (see isola --help)" -- "$ISOLA" run "$V" --turbo --invoke nothing
    expect 1 "" "isola: run: --fuel 'lots': not a number" -- "$ISOLA" run "$V" --fuel lots --invoke nothing
    expect 1 "" "isola: run: --fuel '-1': must not be negative" -- "$ISOLA" run "$V" --fuel -1 --invoke nothing
    expect 1 "" "isola: run: --max-memory '3KiB': not a whole number of 64 KiB pages" -- \
        "$ISOLA" run "$V" --max-memory 3KiB --invoke nothing
    expect 1 "" "isola: run: --max-memory '8TiB': unknown unit 'TiB' (use KiB, MiB or GiB)" -- \
        "$ISOLA" run "$V" --max-memory 8TiB --invoke nothing
    expect 1 "" "isola: run: --max-memory '65537': too large (at most 65536 pages)" -- \
        "$ISOLA" run "$V" --max-memory 65537 --invoke nothing
    expect 1 "" "$V: no export named '_start': not a WASI command (use --invoke NAME to call another export)" -- "$ISOLA" run "$V" extra
    expect 1 "" "isola: unknown command 'frob' (commands: validate, run; see isola --help)" -- "$ISOLA" frob
    expect 1 "" "isola: $WORK/none.wasm: No such file or directory" -- "$ISOLA" run "$WORK/none.wasm" --invoke f
}

case_run_link_and_exports() {
    expect 1 "" "$MODS/imports.wasm: unresolved import \"env\" \"log_i32\" (func): isola run provides only WASI preview1 imports" -- \
        "$ISOLA" run "$MODS/imports.wasm" --invoke main
    expect_err_prefix 1 "$V: no export named 'nope' (exported functions: add_i32, add_i64," -- \
        "$ISOLA" run "$V" --invoke nope
    expect 1 "" "$V: export 'mem' is not a function" -- "$ISOLA" run "$V" --invoke mem
    expect_err_prefix 1 "$MODS/invalid.wasm: error at offset 0x" -- "$ISOLA" run "$MODS/invalid.wasm" --invoke bad
}

case_help_and_version() {
    "$ISOLA" --help >"$WORK/out" 2>"$WORK/err" || { echo "FAIL: --help exit $?"; FAILED=1; }
    grep -q '^exit codes:' "$WORK/out" || { echo "FAIL: --help lacks exit codes"; FAILED=1; }
    [ -s "$WORK/err" ] && { echo "FAIL: --help wrote to stderr"; FAILED=1; }
    "$ISOLA" --version >"$WORK/out" 2>&1 && grep -q '^isola [0-9]' "$WORK/out" ||
        { echo "FAIL: --version"; FAILED=1; }
    "$ISOLA" >"$WORK/out" 2>"$WORK/err"
    [ $? = 1 ] && [ ! -s "$WORK/out" ] && grep -q '^usage:' "$WORK/err" ||
        { echo "FAIL: no arguments should print usage to stderr and exit 1"; FAILED=1; }
}

# ---------------------------------------------------------------- driver

FAILED=0
if [ $# -ge 3 ]; then
    cases=$3
else
    cases=$(declare -F | awk '{print $3}' | grep '^case_' | sed 's/^case_//')
fi
for c in $cases; do
    if ! declare -F "case_$c" >/dev/null; then
        echo "no such case: $c"
        exit 1
    fi
    "case_$c"
done
if [ "$FAILED" != 0 ]; then
    exit 1
fi
echo "ok"
