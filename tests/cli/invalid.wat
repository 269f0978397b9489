;; invalid.wat - well-formed but ill-typed: the body leaves an i64 where an
;; i32 result is declared. Assembled with wat2wasm --no-check.
(module
  (func (export "bad") (result i32) (i64.const 1)))
