#!/usr/bin/env python3
"""difftest.py - differential execution of isola against wabt's wasm-interp.

Driven by scripts/difftest.sh (see there for usage). For each seed it makes a
random valid module with binaryen (`wasm-opt -ttf` over pseudo-random bytes),
instruments it (below), runs it under `diff_run` (isola) and under
`wasm-interp --run-all-exports --dummy-import-func`, and compares the two
transcripts after normalising what the spec leaves open.

Instrumentation, done on binaryen's text form and assembled again by wasm-opt:
  - a memory-hash function (FNV-1a over memory 0, 8 bytes at a time, unrolled
    four times because it dominates wasm-interp's running time), exported
    after every function export as "hash#N", so the memory is compared after
    each call (wasm-interp runs exports in order);
  - exports returning one f32/f64 are routed through a wrapper returning the
    raw bits (NaN canonicalised), since both engines print floats with %f;
  - binaryen's hangLimitInitializer is exported again before every export
    ("hang#N"), so each call starts with a fresh hang limit.

Normalisation (legitimate differences, not hidden bugs):
  - NaN: result NaNs print as "nan" whatever the sign. Even seeds are made with
    binaryen's --denan (NaNs replaced by 0 at runtime), odd seeds without. A
    mismatch in an odd-seed module is checked again on the same module made
    with --denan: if that one agrees, the difference was only in NaN payloads,
    which the spec leaves nondeterministic (wabt returns the canonical NaN
    where isola, like the hardware, propagates an operand's payload); it is
    counted as nan-only, not as a finding.
  - references: non-null funcref/externref identities differ between engines.
  - trap messages: wabt adds details ("access at ...") which are stripped.
  - call-stack exhaustion depth and isola's fuel budget: the transcripts are
    compared up to the first such line on either side (counted as partial).
"""
import os
import random
import re
import subprocess
import sys

FEATURES = ["--mvp-features", "--enable-sign-ext", "--enable-mutable-globals",
            "--enable-nontrapping-float-to-int", "--enable-simd",
            "--enable-bulk-memory", "--enable-multivalue"]
# Reference types stay off: binaryen 108 then emits GC-proposal typing
# (funcref values where externref is declared, non-nullable typed references
# in multi-value results) that neither wasm-interp nor isola accepts. The spec
# suite covers reference types.
REFTYPES = ["--enable-reference-types"]
TIMEOUT = 30
# Random input per module: 512 bytes plus up to this many more (more bytes,
# more functions). CTest uses less to stay quick.
MAX_EXTRA_BYTES = int(os.environ.get("ISOLA_DIFF_MAX_EXTRA", "24000"))

HASH_FUNC = """
 (func $__diff_hash (result i64)
  (local $i i32) (local $n i32) (local $h i64)
  (local.set $h (i64.const -3750763034362895579))
  (local.set $n (i32.shl (memory.size) (i32.const 16)))
  (block $done
   (loop $next
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $i)))
                           (i64.const 1099511628211)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load offset=8 (local.get $i)))
                           (i64.const 1099511628211)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load offset=16 (local.get $i)))
                           (i64.const 1099511628211)))
    (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load offset=24 (local.get $i)))
                           (i64.const 1099511628211)))
    (local.set $i (i32.add (local.get $i) (i32.const 32)))
    (br $next)))
  (local.get $h))
"""

BITS_FUNC = {
    "f32": """
 (func $__diff_bits{k} (result i32) (local $x f32)
  (select (i32.const 2143289344)
          (i32.reinterpret_f32 (local.tee $x (call {target})))
          (f32.ne (local.get $x) (local.get $x))))
""",
    "f64": """
 (func $__diff_bits{k} (result i64) (local $x f64)
  (select (i64.const 9221120237041090560)
          (i64.reinterpret_f64 (local.tee $x (call {target})))
          (f64.ne (local.get $x) (local.get $x))))
""",
}

EXPORT_RE = re.compile(r'^ \(export "((?:[^"\\]|\\.)*)" \(func (\$\S+)\)\)$')
FUNC_RE = re.compile(r'^ \(func (\$\S+)(.*)$')


def instrument(wat, canon_nans):
    """Adds the hash function and float-bits wrappers to binaryen's text,
    and with canon_nans the SIMD NaN canonicalisation."""
    if canon_nans:
        wat = canonicalise_simd_nans(wat)
    lines = wat.rstrip().split("\n")
    assert lines[-1].endswith(")"), "module text does not end with ')'"
    has_memory = any(l.startswith(" (memory ") or
                     (l.startswith(" (import ") and "(memory " in l) for l in lines)
    sigs = {}
    for l in lines:
        m = FUNC_RE.match(l)
        if m:
            sigs[m.group(1)] = m.group(2)
    # binaryen's hang limit (a global counted down at loop back-edges and
    # calls) is reset only by its exported initializer; calling it before each
    # export, as binaryen's own harness does, lets every export do real work
    # instead of returning at once after the first few.
    hang = [m.group(2) for m in map(EXPORT_RE.match, lines)
            if m and m.group(1) == "hangLimitInitializer"]
    out, extra, nexports = [], [], 0
    for l in lines[:-1]:
        m = EXPORT_RE.match(l)
        if not m:
            out.append(l)
            continue
        name, target = m.group(1), m.group(2)
        if hang and name != "hangLimitInitializer":
            out.append(' (export "hang#%d" (func %s))' % (nexports, hang[0]))
        sig = sigs.get(target, "")
        single = re.fullmatch(r"\s*\(result (f32|f64)\)", sig)
        if single:
            k = len(extra)
            extra.append(BITS_FUNC[single.group(1)].format(k=k, target=target))
            out.append(' (export "%s" (func $__diff_bits%d))' % (name, k))
        else:
            out.append(l)
        if has_memory:
            out.append(' (export "hash#%d" (func $__diff_hash))' % nexports)
        nexports += 1
    if has_memory:
        out.append(HASH_FUNC.rstrip("\n"))
        # A module without function exports still gets its memory compared once.
        if nexports == 0:
            out.append(' (export "hash#0" (func $__diff_hash))')
    out.extend(e.rstrip("\n") for e in extra)
    if canon_nans:
        out.append(CANON_FUNCS.rstrip("\n"))
    # The closing paren of the module sits at the end of the last line.
    out.append(lines[-1])
    return "\n".join(out) + "\n"


# SIMD float operations whose NaN results the spec leaves nondeterministic.
# binaryen 108's --denan handles only scalars, so in --denan modules these are
# wrapped in a function that replaces NaN lanes by the positive canonical NaN.
CANON_OPS = {
    "f32x4": ("add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor",
              "trunc", "nearest", "demote_f64x2_zero"),
    "f64x2": ("add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor",
              "trunc", "nearest", "promote_low_f32x4"),
}
CANON_FUNCS = """
 (func $__diff_canon_f32x4 (param $v v128) (result v128)
  (v128.bitselect (local.get $v) (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000)
                  (f32x4.eq (local.get $v) (local.get $v))))
 (func $__diff_canon_f64x2 (param $v v128) (result v128)
  (v128.bitselect (local.get $v) (v128.const i32x4 0x00000000 0x7ff80000 0x00000000 0x7ff80000)
                  (f64x2.eq (local.get $v) (local.get $v))))
"""
CANON_RE = re.compile(r"\((f32x4|f64x2)\.(%s)(?=[\s)])" % "|".join(
    sorted(set(CANON_OPS["f32x4"] + CANON_OPS["f64x2"]))))


def canonicalise_simd_nans(wat):
    """Wraps each NaN-producing SIMD float expression of the folded text in a
    call to the canonicalising function of its shape. Strings (data segments,
    names) are skipped so their parentheses do not count."""
    out, closers, i, n = [], [], 0, len(wat)
    while i < n:
        c = wat[i]
        if c == '"':
            j = i + 1
            while j < n and wat[j] != '"':
                j += 2 if wat[j] == "\\" else 1
            out.append(wat[i:j + 1])
            i = j + 1
            continue
        if c == "(":
            m = CANON_RE.match(wat, i)
            if m and m.group(2) in CANON_OPS[m.group(1)]:
                out.append("(call $__diff_canon_%s " % m.group(1))
                closers.append(")")
            else:
                closers.append("")
        elif c == ")":
            out.append(")")
            out.append(closers.pop() if closers else "")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


INCONCLUSIVE = re.compile(r"=> (fuel exhausted|error: call stack exhausted)$")


def normalise(text):
    """Canonical transcript lines: the forms both engines agree on."""
    lines = []
    for l in text.splitlines():
        l = re.sub(r"-nan\b", "nan", l)
        l = re.sub(r"\b(funcref|externref):(?!0\b)\S+?(?=,|\)|$)", r"\1:ref", l)
        l = re.sub(r"(error: [^:]*):.*$", r"\1", l)
        l = re.sub(r"(error initializing module: [^:]*):.*$", r"\1", l)
        l = l.replace("undefined table index", "out of bounds table access")
        lines.append(l)
    return lines


def compare(isola, ref):
    """Returns (verdict, first differing line index or None)."""
    a, b = normalise(isola), normalise(ref)
    cut = [next((i for i, l in enumerate(x) if INCONCLUSIVE.search(l)), len(x)) for x in (a, b)]
    k = min(cut)
    partial = k < max(len(a), len(b)) and (cut[0] < len(a) or cut[1] < len(b))
    if partial:
        a, b = a[:k], b[:k]
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return "mismatch", i
    return ("partial" if partial else "match"), None


def run(cmd, timeout=TIMEOUT):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return "timeout", out, ""


def make_module(seed, work, force_denan=False):
    """Writes work/m.wasm for `seed`; returns (features, denan) or None."""
    r = random.Random(seed)
    size = 512 + (seed * 7919) % MAX_EXTRA_BYTES
    raw = os.path.join(work, "r.bin")
    with open(raw, "wb") as f:
        f.write(r.randbytes(size))
    features = FEATURES
    denan = force_denan or seed % 2 == 0
    gen = os.path.join(work, "gen.wasm")
    wat = os.path.join(work, "m.wat")
    cmd = ["wasm-opt", "-ttf", raw, "-o", gen] + features + (["--denan"] if denan else [])
    if run(cmd)[0] != 0:
        return None
    if run(["wasm-opt", gen, "-S", "-o", wat] + features)[0] != 0:
        return None
    with open(wat) as f:
        text = instrument(f.read(), denan)
    with open(wat, "w") as f:
        f.write(text)
    if run(["wasm-opt", wat, "-o", os.path.join(work, "m.wasm")] + features)[0] != 0:
        return "instrument-failed"
    return features, denan


def interp_flags(features):
    flags = ["--run-all-exports", "--dummy-import-func"]
    if "--enable-reference-types" not in features:
        flags.append("--disable-reference-types")
    return flags


def check_module(diff_run, wasm, features):
    """Runs both engines on `wasm`; returns (verdict, isola text, ref text, detail)."""
    rc, ref, err = run(["wasm-interp"] + interp_flags(features) + [wasm])
    if rc == "timeout":
        return "skip-ref-timeout", "", ref, ""
    ref_rejects = rc != 0 and not ref.strip() and "error" in err
    rc2, out, err2 = run([diff_run, wasm])
    if rc2 == "timeout":
        return "isola-timeout", out, ref, ""
    if isinstance(rc2, int) and rc2 < 0:
        return "isola-crash", out, ref, "signal %d %s" % (-rc2, err2[-500:])
    if ref_rejects:
        if rc2 == 2:
            return "skip-both-reject", out, ref, err.strip()
        return "skip-ref-rejects", out, ref, err.strip()
    if rc2 == 2:
        return "isola-rejects", out, ref, out.strip()
    if rc2 not in (0,):
        return "isola-error", out, ref, err2.strip()
    verdict, line = compare(out, ref)
    return verdict, out, ref, "" if line is None else "first difference at line %d" % (line + 1)


def save_finding(work, seed, verdict, out, ref, detail):
    d = os.path.join(work, "findings", "%s-%d" % (verdict, seed))
    os.makedirs(d, exist_ok=True)
    subprocess.run(["cp", os.path.join(work, "m.wasm"), os.path.join(work, "m.wat"), d])
    for name, text in (("isola.txt", out), ("wasm-interp.txt", ref), ("detail.txt", detail)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


FINDINGS = ("mismatch", "isola-crash", "isola-timeout", "isola-rejects", "isola-error")


def recheck_denan(diff_run, work, seed):
    """A mismatch in a module that lets NaNs through: the same module made
    with --denan tells a NaN-payload difference (allowed) from a real one."""
    made = make_module(seed, work, force_denan=True)
    if made is None or made == "instrument-failed":
        return "mismatch"
    verdict = check_module(diff_run, os.path.join(work, "m.wasm"), made[0])[0]
    if verdict in ("match", "partial"):
        return "nan-only"
    # Keep the module that lets NaNs through: it is the one that showed the mismatch.
    make_module(seed, work)
    return "mismatch"


def run_random(diff_run, work, first_seed, count, verbose):
    counts = {}
    os.makedirs(work, exist_ok=True)
    for seed in range(first_seed, first_seed + count):
        made = make_module(seed, work)
        if made is None or made == "instrument-failed":
            verdict, out, ref, detail = ("skip-generate" if made is None else "instrument-failed"), "", "", ""
        else:
            features, denan = made
            verdict, out, ref, detail = check_module(diff_run, os.path.join(work, "m.wasm"), features)
            if verdict == "mismatch" and not denan:
                verdict = recheck_denan(diff_run, work, seed)
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict in FINDINGS or verdict == "instrument-failed":
            d = save_finding(work, seed, verdict, out, ref, detail)
            print("seed %d: %s %s (saved in %s)" % (seed, verdict, detail, d), flush=True)
        elif verbose:
            print("seed %d: %s" % (seed, verdict), flush=True)
        if (seed - first_seed + 1) % 250 == 0:
            print("  ... %d modules: %s" % (seed - first_seed + 1, ", ".join(
                "%s %d" % kv for kv in sorted(counts.items()))), flush=True)
    compared = sum(v for k, v in counts.items() if not k.startswith("skip") and k != "instrument-failed")
    print("difftest: seeds %d..%d: %d modules compared; %s" % (
        first_seed, first_seed + count - 1, compared,
        ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    bad = sum(counts.get(k, 0) for k in FINDINGS)
    return 1 if bad else 0


def replay(diff_run, regdir):
    """Each regressions/NAME.wasm runs under isola and must print NAME.expected."""
    failed = total = 0
    for name in sorted(os.listdir(regdir)):
        if not name.endswith(".wasm"):
            continue
        total += 1
        base = os.path.join(regdir, name[:-5])
        with open(base + ".expected") as f:
            expected = f.read()
        rc, out, err = run([diff_run, base + ".wasm"])
        verdict, line = compare(out, expected)
        if verdict == "mismatch" or not isinstance(rc, int) or rc < 0:
            failed += 1
            print("%s: %s (rc %s, line %s)" % (name, verdict, rc, line))
    print("difftest replay: %d regression modules, %d failing" % (total, failed))
    return 1 if failed else 0


def main(argv):
    diff_run, work = argv[1], argv[2]
    if argv[3] == "--replay":
        return replay(diff_run, argv[4])
    if argv[3] == "--check":
        verdict, out, ref, detail = check_module(diff_run, argv[4], FEATURES + REFTYPES)
        print(verdict, detail)
        return 0 if verdict in ("match", "partial") else 1
    first, count, verbose = int(argv[3]), int(argv[4]), len(argv) > 5 and argv[5] == "-v"
    return run_random(diff_run, work, first, count, verbose)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
