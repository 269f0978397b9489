;; tests/hostile/start_loop.wat - a start function that never returns. It runs
;; when a process is spawned, on the spawner's thread, so it must be cut off
;; by fuel (spawn then fails) instead of hanging the spawner.
(module
  (memory 1)
  (func $start (loop $l (br $l)))
  (start $start)
  (func (export "main")))
