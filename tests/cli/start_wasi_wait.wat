;; A WASI command whose start function reads stdin: with nothing there yet
;; the read would wait, which a start function (run inside the
;; instantiation) cannot; the command fails with a message saying so.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $start
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $start)
  (func (export "_start")))
