#!/usr/bin/env python3
"""shapes.py - differential tests aimed at the translator's peepholes.

binaryen's random modules (difftest.py) seldom contain the shapes the
translator fuses, such as `x[i] += a * y[j]` with a load issued long before
its use, so this generator writes modules made of them, with the things that
must keep a fusion from happening mixed in at random: stores that may hit
the loaded address, writes of the address local, global writes, divisions
that may trap, addresses that wrap below zero. Each module is checked like
difftest.py's (isola's diff_run against wabt's wasm-interp); every exported
function returns a checksum of memory, locals and the global, with NaNs
made canonical, so a wrong fusion shows as a different number or trap.

    shapes.py DIFF_RUN WORK FIRST_SEED COUNT [-v]
"""
import os
import random
import struct
import subprocess
import sys

import difftest

ADDR_LOCALS = ["$p", "$q", "$r"]
F64_LOCALS = ["$a", "$b", "$c"]
MEM_BYTES = 320          # the checksummed and initialised part of memory


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, *weighted):
        """pick((weight, value), ...)"""
        total = sum(w for w, _ in weighted)
        x = self.r.uniform(0, total)
        for w, v in weighted:
            x -= w
            if x <= 0:
                return v
        return weighted[-1][1]

    def const(self):
        return "%r" % self.r.choice([0.5, 1.5, -2.0, 3.25, 1e-3, 7.0, -0.75])

    def addr(self):
        loc = self.r.choice(ADDR_LOCALS)
        k = self.r.choice([-24, -16, -8, 8, 16, 24])
        return self.pick((5, "(local.get %s)" % loc),
                         (3, "(i32.add (local.get %s) (i32.const %d))" % (loc, k)),
                         (2, "(local.tee $t (i32.add (local.get %s) (i32.const %d)))" % (loc, k)))

    def offset(self):
        return self.r.choice([0, 0, 0, 8, 16])

    def fexpr(self, depth=0):
        """An f64 expression without effects other than loads."""
        if depth >= 2 or self.r.random() < 0.35:
            return self.pick((4, "(local.get %s)" % self.r.choice(F64_LOCALS)),
                             (2, "(f64.const %s)" % self.const()),
                             (3, "(f64.load offset=%d %s)" % (self.offset(), self.addr())))
        op = self.r.choice(["add", "sub", "mul", "mul", "div"])
        if self.r.random() < 0.15:
            return "(f64.sqrt (f64.abs %s))" % self.fexpr(depth + 1)
        return "(f64.%s %s %s)" % (op, self.fexpr(depth + 1), self.fexpr(depth + 1))

    def effect(self):
        """Stack-neutral code that may keep a load from moving, or nothing."""
        loc = self.r.choice(ADDR_LOCALS)
        return self.pick(
            (10, []),
            (2, ["(global.set $g (i32.add (global.get $g) (i32.const 1)))"]),
            (2, ["(f64.store offset=%d %s (f64.const %s))" % (self.offset(), self.addr(), self.const())]),
            (2, ["(local.set %s (i32.const %d))" % (loc, 8 * self.r.randrange(0, 30))]),
            (1, ["(drop (i32.div_s (i32.const 7) (local.get $z)))"]),
            (2, ["(local.set %s %s)" % (self.r.choice(F64_LOCALS), self.fexpr())]),
            (1, ["(drop (f64.load %s))" % self.addr()]))

    def update(self):
        """mem[A] = mem[A] op e (op: +, -), e a product or not, effects in between."""
        a = self.addr()
        off = self.offset()
        store_off = off if self.r.random() < 0.85 else self.offset()
        lines = [a, "(f64.load offset=%d %s)" % (off, a if self.r.random() < 0.85 else self.addr())]
        lines += self.effect()
        lines.append(self.fexpr(1))
        lines += self.effect()
        if self.r.random() < 0.7:
            lines.append(self.fexpr(1))
            lines.append("f64.mul")
        lines.append(self.r.choice(["f64.add", "f64.sub"]))
        lines.append("f64.store offset=%d" % store_off)
        return lines

    def far_use(self):
        """A load used by an f64 op after other work, on either side."""
        load = "(f64.load offset=%d %s)" % (self.offset(), self.addr())
        op = self.r.choice(["f64.add", "f64.sub", "f64.mul"])
        dst = self.r.choice(F64_LOCALS)
        if self.r.random() < 0.5:
            return [load] + self.effect() + [self.fexpr(1), op, "local.set " + dst]
        return [self.fexpr(1), load] + self.effect() + [op, "local.set " + dst]

    def axpy(self):
        a = self.addr()
        return [a, "(f64.load %s)" % a, "(local.get %s)" % self.r.choice(F64_LOCALS),
                "(f64.load offset=%d %s)" % (self.offset(), self.addr()), "f64.mul",
                self.r.choice(["f64.add", "f64.sub"]), "f64.store"]

    def count(self):
        """n += a cmp b on loaded i32s: an add of a compare."""
        cmp = self.r.choice(["eq", "ne", "lt_s", "lt_u", "gt_s", "ge_u"])
        rhs = self.pick((1, "(i32.const %d)" % self.r.randrange(-3, 3)), (1, "(global.get $g)"))
        return ["(local.set $n (i32.add (local.get $n) (i32.%s (i32.load %s) %s)))" % (cmp, self.addr(), rhs)]

    def statement(self):
        return self.pick((4, self.update), (3, self.far_use), (2, self.axpy), (1, self.count), (2, self.effect))()

    def loop(self):
        body = []
        for _ in range(self.r.randrange(1, 4)):
            body += self.statement()
        step = "(local.set $p (i32.add (local.get $p) (i32.const 8)))"
        body.append(step)
        return (["(local.set $i (i32.const %d))" % self.r.randrange(1, 6), "(loop $l"] + body
                + ["(br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))"])

    def function(self, n):
        out = ['(func (export "f%d") (result i64)' % n,
               "(local $p i32) (local $q i32) (local $r i32) (local $t i32) (local $i i32) (local $z i32)"
               " (local $n i32) (local $a f64) (local $b f64) (local $c f64)"]
        for loc in ADDR_LOCALS:
            out.append("(local.set %s (i32.const %d))" % (loc, 8 * self.r.randrange(0, 30)))
        out.append("(local.set $z (i32.const %d))" % self.r.choice([1, 1, 1, 1, 0]))
        for loc in F64_LOCALS:
            out.append("(local.set %s (f64.const %s))" % (loc, self.const()))
        for _ in range(self.r.randrange(2, 7)):
            out += self.loop() if self.r.random() < 0.3 else self.statement()
        out.append("(call $sum (local.get $a) (local.get $b) (local.get $c) (local.get $n)))")
        return out

    def module(self):
        data = b"".join(struct.pack("<d", self.r.uniform(-4, 4)) for _ in range(MEM_BYTES // 8))
        out = ["(module", "(memory 1)", "(global $g (mut i32) (i32.const 0))",
               '(data (i32.const 0) "%s")' % "".join("\\%02x" % b for b in data), SUM]
        for n in range(self.r.randrange(2, 5)):
            out += self.function(n)
        out.append(")")
        return "\n".join(out) + "\n"


# The checksum: memory as f64s (NaN canonical), the f64 locals, a count and the global.
SUM = """
(func $canon (param $x f64) (result i64)
  (select (i64.reinterpret_f64 (local.get $x)) (i64.const 0x7ff8000000000000)
          (f64.eq (local.get $x) (local.get $x))))
(func $sum (param $a f64) (param $b f64) (param $c f64) (param $n i32) (result i64)
  (local $i i32) (local $h i64)
  (local.set $h (i64.add (i64.extend_i32_u (global.get $g)) (i64.extend_i32_u (local.get $n))))
  (loop $l
    (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (call $canon (f64.load (local.get $i)))))
    (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (i32.const %d))))
  (i64.xor (local.get $h)
    (i64.add (call $canon (local.get $a)) (i64.add (call $canon (local.get $b)) (call $canon (local.get $c))))))
""" % MEM_BYTES


def main(argv):
    diff_run, work, first, count = argv[1], argv[2], int(argv[3]), int(argv[4])
    verbose = len(argv) > 5 and argv[5] == "-v"
    os.makedirs(work, exist_ok=True)
    wat, wasm = os.path.join(work, "m.wat"), os.path.join(work, "m.wasm")
    counts = {}
    for seed in range(first, first + count):
        with open(wat, "w") as f:
            f.write(Gen(seed).module())
        if subprocess.run(["wat2wasm", wat, "-o", wasm]).returncode != 0:
            verdict, out, ref, detail = "generator-error", "", "", ""
        else:
            verdict, out, ref, detail = difftest.check_module(diff_run, wasm, difftest.FEATURES)
        counts[verdict] = counts.get(verdict, 0) + 1
        if verdict in difftest.FINDINGS or verdict == "generator-error":
            d = difftest.save_finding(work, seed, verdict, out, ref, detail)
            print("seed %d: %s %s (saved in %s)" % (seed, verdict, detail, d), flush=True)
        elif verbose:
            print("seed %d: %s" % (seed, verdict), flush=True)
        if (seed - first + 1) % 1000 == 0:
            print("  ... %d modules: %s" % (seed - first + 1, ", ".join("%s %d" % kv for kv in sorted(counts.items()))),
                  flush=True)
    print("shapes: seeds %d..%d: %s" % (first, first + count - 1,
                                        ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    bad = sum(v for k, v in counts.items() if k in difftest.FINDINGS or k == "generator-error")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
