;; memory.wat - a 4-page memory with no maximum, for --max-memory: the cap
;; both refuses instantiation below 4 pages and stops memory.grow above it.
(module
  (memory 4)
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))
