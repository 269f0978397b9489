;; A WASI command whose start function uses WASI: it writes a line, then
;; exits with code 33 (proc_exit), as its first process runs it (isola
;; runs a WASI module's start function in that process's first slice).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from start\n")
  (func $start
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 33))
    unreachable)
  (start $start)
  (func (export "_start") unreachable))
