;; tests/hostile/start_api.wat - a start function that calls the guest API
;; before the process exists (it would act on a half-built process): the call
;; traps and spawn fails.
(module
  (import "isola" "self" (func $self (result i32)))
  (memory 1)
  (func $start (drop (call $self)))
  (start $start)
  (func (export "main")))
