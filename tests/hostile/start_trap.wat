;; tests/hostile/start_trap.wat - a start function that traps: spawn fails.
(module
  (memory 1)
  (func $start unreachable)
  (start $start)
  (func (export "main")))
