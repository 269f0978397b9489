#!/bin/sh
# fuzz/seed_corpus.sh - builds the seed corpora for the fuzz targets.
#
#   fuzz/seed_corpus.sh OUTDIR [NTTF]
#
# Writes OUTDIR/decode and OUTDIR/run (content-addressed file names, so
# reruns add nothing twice):
#   - every binary module of the spec suite (../shared/spec/wast through
#     wast2json), malformed and invalid ones included: they seed the decoder
#     target and the interesting corners of the run target;
#   - NTTF (default 250) valid modules with many instructions made by
#     binaryen's translate-to-fuzz mode (`wasm-opt -ttf`) from deterministic
#     pseudo-random bytes of 1-40 KB. Reference types stay disabled there:
#     binaryen 108 then emits typed (GC-proposal) references, which are not
#     WebAssembly 2.0.
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

# Copies $1 into corpus dirs $2.. under its content hash.
add_seed() {
    f=$1
    shift
    h=$(sha1sum "$f" | cut -c1-16)
    for d in "$@"; do
        cp "$f" "$out/$d/$h.wasm"
    done
}

nspec=0
if [ -d "$spec" ]; then
    for w in "$spec"/*.wast; do
        name=$(basename "$w" .wast)
        mkdir -p "$tmp/spec/$name"
        if ! wast2json "$w" -o "$tmp/spec/$name/$name.json" >/dev/null 2>&1; then
            echo "seed: wast2json could not convert $name.wast (skipped)" >&2
            continue
        fi
        for m in "$tmp/spec/$name"/*.wasm; do
            [ -f "$m" ] || continue
            add_seed "$m" decode run
            nspec=$((nspec + 1))
        done
    done
else
    echo "seed: no spec suite at $spec" >&2
fi

features="--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
          --enable-multivalue --enable-simd --enable-mutable-globals"
nttf_ok=0
i=0
while [ "$i" -lt "$nttf" ]; do
    size=$((1024 + (i * 7919) % 40000))
    python3 -c "import random,sys; r=random.Random($i); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range($size)))" \
        > "$tmp/ttf.bin"
    # shellcheck disable=SC2086
    if wasm-opt -ttf "$tmp/ttf.bin" -o "$tmp/ttf.wasm" $features >/dev/null 2>&1; then
        add_seed "$tmp/ttf.wasm" run decode
        nttf_ok=$((nttf_ok + 1))
    fi
    i=$((i + 1))
done

touch "$out/.seeded"
echo "seed: $nspec spec modules, $nttf_ok wasm-opt -ttf modules;" \
     "decode: $(ls "$out/decode" | wc -l) files, run: $(ls "$out/run" | wc -l) files"
