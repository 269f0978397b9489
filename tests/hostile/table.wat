;; tests/hostile/table.wat - a process that abuses tables and indirect calls,
;; one case per run, chosen by its start message {u32 case, u32 x, u32 y}.
;; Table $t has 4 slots (maximum 8): 0 -> $f0 (returns 100), 1 -> $f1
;; (returns 101), 2 -> null, 3 -> $g (another signature). The exit reason is
;; the case's result; an abuse traps with its kind (ends this process only).
;;
;;  case 0  call_indirect (result i32) through slot x
;;  case 1  table.get x, returns ref.is_null
;;  case 2  table.set x to null, returns 1
;;  case 3  table.grow by x, returns the old size or -1
;;  case 4  table.grow by x, then call_indirect through slot y
;;  case 5  table.fill [x, x+y) with null
;;  case 6  table.copy y slots from 0 to x
;;  case 7  table.init y elements of the passive segment (2 long) at x
;;  case 8  elem.drop, then table.init y elements (any y > 0 traps)
;;  case 9  table.set slot 0 to $g, then call_indirect (result i32) through it
;;  case 10 call_indirect (param i32) (result i32) through slot x, argument 5
;;  case 11 table.grow $big (no maximum) by x, then by y; returns the second
;;          result: all of a process's tables together hold at most as
;;          many elements as its memory limit has 8-byte words
(module
  (import "isola" "receive" (func $receive (param i32 i64 i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (type $v_i (func (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (memory 1)
  (table $t 4 8 funcref)
  (table $big 0 funcref)
  (elem (table $t) (i32.const 0) func $f0 $f1)
  (elem (table $t) (i32.const 3) func $g)
  (elem $pass func $f0 $f1)
  (func $f0 (type $v_i) (i32.const 100))
  (func $f1 (type $v_i) (i32.const 101))
  (func $g (type $i_i) (i32.add (local.get 0) (i32.const 1000)))
  (func (export "abuse") (result i32)
    (local $x i32) (local $y i32)
    (drop (call $receive (i32.const 0) (i64.const 0xFFFFFFFFFFFFFF01) (i32.const 1) (i32.const 0) (i32.const 12)
                         (i32.const 0) (i32.const 0) (i32.const 0) (i64.const -1)))
    (local.set $x (i32.load (i32.const 4)))
    (local.set $y (i32.load (i32.const 8)))
    (block $c11 (block $c10 (block $c9 (block $c8 (block $c7 (block $c6 (block $c5
    (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 $c8 $c9 $c10 $c11 (i32.load (i32.const 0))))
      (return (call_indirect $t (type $v_i) (local.get $x))))
      (return (ref.is_null (table.get $t (local.get $x)))))
      (table.set $t (local.get $x) (ref.null func))
      (return (i32.const 1)))
      (return (table.grow $t (ref.null func) (local.get $x))))
      (drop (table.grow $t (ref.null func) (local.get $x)))
      (return (call_indirect $t (type $v_i) (local.get $y))))
      (table.fill $t (local.get $x) (ref.null func) (local.get $y))
      (return (i32.const 1)))
      (table.copy $t $t (local.get $x) (i32.const 0) (local.get $y))
      (return (i32.const 1)))
      (table.init $t $pass (local.get $x) (i32.const 0) (local.get $y))
      (return (i32.const 1)))
      (elem.drop $pass)
      (table.init $t $pass (i32.const 0) (i32.const 0) (local.get $y))
      (return (i32.const 1)))
      (table.set $t (i32.const 0) (ref.func $g))
      (return (call_indirect $t (type $v_i) (i32.const 0))))
      (return (call_indirect $t (type $i_i) (i32.const 5) (local.get $x))))
    (drop (table.grow $big (ref.null func) (local.get $x)))
    (table.grow $big (ref.null func) (local.get $y))))
