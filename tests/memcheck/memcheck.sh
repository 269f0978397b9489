#!/usr/bin/env bash
# memcheck.sh - runs the spec suite and the example embedder under valgrind's
# memcheck; fails on any memory error or definite leak (exit code 99).
#
#   memcheck.sh SPEC_RUNNER JSON_DIR EMBED
#
# conversions.wast is left out: valgrind's emulation of 64-bit-integer to f32
# conversion rounds twice (through f64), so its results differ from the CPU's
# by one ulp. That is valgrind's arithmetic, not a memory error, and the file
# runs natively and under ASan in the other test trees.
set -u
runner=$1 json=$2 embed=$3
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)

files=()
for f in "$json"/*.json; do
    [ "$(basename "$f")" = conversions.json ] || files+=("$f")
done

status=0
"${vg[@]}" "$runner" --no-fork "${files[@]}" > memcheck-spec.log 2>&1
rc=$?
tail -n 2 memcheck-spec.log
# Exit 1 is a failed spec command: the spec tests of the other trees report
# those. Here only memory errors (99) and crashes count.
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
    grep -E '==[0-9]+==|failed' memcheck-spec.log | head -40
    echo "memcheck: spec suite under valgrind exited $rc"
    status=1
fi
"${vg[@]}" "$embed" > /dev/null || { echo "memcheck: embedder under valgrind failed"; status=1; }
[ $status -eq 0 ] && echo "memcheck: clean"
exit $status
