/*
 * diff_value.h - text forms of wasm values and traps for differential runs.
 *
 * The forms are those wabt's `wasm-interp --run-all-exports` prints, so the
 * two outputs can be compared line by line after the normalisation done by
 * scripts/difftest.sh (NaN signs, reference identities, trap details).
 */
#ifndef DIFF_VALUE_H
#define DIFF_VALUE_H

#include <isola/engine.h>
#include <stdint.h>
#include <stdio.h>

/* Writes one value as "type:text", e.g. "i32:4294967295", "f32:1.500000". */
void diff_print_value(FILE *out, const isola_value *value);

/* Reads the value of `type` from host-call slots (v128 takes two). */
isola_value diff_value_from_slots(isola_valtype type, const uint64_t *slots);

/* Slots one value of `type` takes in a host call. */
uint32_t diff_value_slots(isola_valtype type);

/* The wabt wording of a trap kind (its message without the details wabt adds). */
const char *diff_trap_text(isola_trap_kind kind);

#endif
