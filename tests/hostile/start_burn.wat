;; tests/hostile/start_burn.wat - a start function that burns 5,000 units of
;; fuel (less than a slice) and returns. It runs inside the spawn, on the
;; spawner's thread, so the spawner pays for it too: a spawn of this module
;; costs about 6,000 units, not 1,000.
(module
  (memory 1)
  (func $start (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5000)))))
  (start $start)
  (func (export "main")))
