;; imports.wat - needs a host function the CLI does not provide yet.
(module
  (import "env" "log_i32" (func $log (param i32)))
  (func (export "main") (call $log (i32.const 42))))
