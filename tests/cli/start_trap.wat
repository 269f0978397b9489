;; start_trap.wat - the start function traps during instantiation.
(module
  (func $start unreachable)
  (start $start)
  (func (export "never")))
