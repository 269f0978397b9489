;; trap.wat - a trap two calls deep, with names for the backtrace, and a
;; loop that only fuel can stop.
(module
  (func $divide (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func $middle (param i32) (result i32)
    (call $divide (local.get 0) (i32.const 0)))
  (func $outer (export "outer") (param i32) (result i32)
    (call $middle (local.get 0)))
  (func $crash (export "crash") (unreachable))
  (func (export "spin") (loop $again (br $again))))
