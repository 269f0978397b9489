#!/bin/sh
# fuzz/seed_corpus.sh - builds the seed corpora for the fuzz targets.
#
#   fuzz/seed_corpus.sh OUTDIR [NTTF]
#
# Writes OUTDIR/decode and OUTDIR/run:
#   - every binary module of the spec suite (../shared/spec/wast through
#     wast2json), malformed and invalid ones included: they seed the decoder
#     target and the interesting corners of the run target;
#   - NTTF (default 250) valid modules with many instructions made by
#     binaryen's translate-to-fuzz mode (`wasm-opt -ttf`) from deterministic
#     pseudo-random bytes of 1-40 KB. Reference types stay disabled there
#     because with them binaryen 108 emits typed (GC-proposal) references,
#     which are not WebAssembly 2.0; the spec seeds cover reference types.
# OUTDIR/.seeded marks a finished run; delete it to seed again.
set -eu

out=${1:?usage: fuzz/seed_corpus.sh OUTDIR [NTTF]}
nttf=${2:-250}
here=$(cd "$(dirname "$0")" && pwd)
spec=${ISOLA_SPEC_DIR:-$here/../../shared/spec/wast}

if [ -f "$out/.seeded" ]; then
    echo "seed: $out already seeded (remove $out/.seeded to redo)"
    exit 0
fi
mkdir -p "$out/decode" "$out/run"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Spec modules keep their wast2json names (NAME.N.wasm), unique across the suite.
mkdir -p "$tmp/spec"
if [ -d "$spec" ]; then
    for w in "$spec"/*.wast; do
        name=$(basename "$w" .wast)
        wast2json "$w" -o "$tmp/spec/$name.json" >/dev/null 2>&1 ||
            echo "seed: wast2json could not convert $name.wast (skipped)" >&2
    done
else
    echo "seed: no spec suite at $spec" >&2
fi
nspec=$(find "$tmp/spec" -name '*.wasm' | wc -l)
find "$tmp/spec" -name '*.wasm' -exec cp -t "$out/decode" {} +
find "$tmp/spec" -name '*.wasm' -exec cp -t "$out/run" {} +

# Deterministic pseudo-random inputs for -ttf: seed i always gives the same module.
mkdir -p "$tmp/ttf"
python3 - "$tmp/ttf" "$nttf" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    r = random.Random(i)
    size = 1024 + (i * 7919) % 40000
    with open(f"{out}/{i}.bin", "wb") as f:
        f.write(r.randbytes(size))
PY
features="--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
          --enable-multivalue --enable-simd --enable-mutable-globals"
nttf_ok=0
i=0
while [ "$i" -lt "$nttf" ]; do
    # shellcheck disable=SC2086
    if wasm-opt -ttf "$tmp/ttf/$i.bin" -o "$tmp/ttf/ttf-$i.wasm" $features >/dev/null 2>&1; then
        nttf_ok=$((nttf_ok + 1))
    fi
    i=$((i + 1))
done
find "$tmp/ttf" -name 'ttf-*.wasm' -exec cp -t "$out/decode" {} +
find "$tmp/ttf" -name 'ttf-*.wasm' -exec cp -t "$out/run" {} +

touch "$out/.seeded"
echo "seed: $nspec spec modules, $nttf_ok wasm-opt -ttf modules;" \
     "decode: $(ls "$out/decode" | wc -l) files, run: $(ls "$out/run" | wc -l) files"
