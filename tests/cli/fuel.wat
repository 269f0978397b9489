;; fuel.wat - loops whose every iteration moves 16 MiB, in one bulk
;; instruction or one host call: fuel is charged by the bytes (a unit per
;; 64), so --fuel stops them after a few iterations, not a million.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory 256)
  (func (export "spin_fill")
    (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 16777216)) (br $l)))
  (func (export "spin_copy")
    (loop $l (memory.copy (i32.const 1) (i32.const 0) (i32.const 16777215)) (br $l)))
  (func (export "spin_random")
    (loop $l (drop (call $random_get (i32.const 0) (i32.const 16777216))) (br $l))))
