/*
 * diff_value.c - printing values and traps in wabt's wasm-interp format.
 *
 * Floats are printed with "%f" as wasm-interp does; this loses precision on
 * tiny magnitudes, which is why scripts/difftest.sh exposes single float
 * results as raw bits through wrapper exports. References print as
 * "funcref:0" for null (wabt prints its store index otherwise); the driver
 * collapses non-null identities, which are not comparable between engines.
 */
#include "diff_value.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

void diff_print_value(FILE *out, const isola_value *value)
{
    switch (value->type) {
    case ISOLA_I32:
        fprintf(out, "i32:%" PRIu32, (uint32_t)value->of.i32);
        break;
    case ISOLA_I64:
        fprintf(out, "i64:%" PRIu64, (uint64_t)value->of.i64);
        break;
    case ISOLA_F32:
        fprintf(out, "f32:%f", (double)value->of.f32);
        break;
    case ISOLA_F64:
        fprintf(out, "f64:%f", value->of.f64);
        break;
    case ISOLA_V128: {
        uint32_t lane[4];
        memcpy(lane, value->of.v128, sizeof lane);
        fprintf(out, "v128 i32x4:0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32,
                lane[0], lane[1], lane[2], lane[3]);
        break;
    }
    case ISOLA_FUNCREF:
        fprintf(out, "funcref:%s", value->of.funcref ? "ref" : "0");
        break;
    case ISOLA_EXTERNREF:
        fprintf(out, "externref:%s", value->of.externref ? "ref" : "0");
        break;
    }
}

uint32_t diff_value_slots(isola_valtype type)
{
    return type == ISOLA_V128 ? 2 : 1;
}

isola_value diff_value_from_slots(isola_valtype type, const uint64_t *slots)
{
    isola_value v;
    memset(&v, 0, sizeof v);
    v.type = type;
    switch (type) {
    case ISOLA_I32:
    case ISOLA_F32:
        v.of.f32_bits = (uint32_t)slots[0];
        break;
    case ISOLA_I64:
    case ISOLA_F64:
        v.of.f64_bits = slots[0];
        break;
    case ISOLA_V128:
        memcpy(v.of.v128, slots, 16);
        break;
    case ISOLA_FUNCREF:
    case ISOLA_EXTERNREF:
        v.of.externref = (void *)(uintptr_t)slots[0];
        break;
    }
    return v;
}

const char *diff_trap_text(isola_trap_kind kind)
{
    switch (kind) {
    case ISOLA_TRAP_UNREACHABLE: return "unreachable executed";
    case ISOLA_TRAP_MEMORY_OUT_OF_BOUNDS: return "out of bounds memory access";
    case ISOLA_TRAP_TABLE_OUT_OF_BOUNDS: return "out of bounds table access";
    case ISOLA_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized table element";
    case ISOLA_TRAP_INDIRECT_CALL_TYPE: return "indirect call signature mismatch";
    case ISOLA_TRAP_DIVIDE_BY_ZERO: return "integer divide by zero";
    case ISOLA_TRAP_INTEGER_OVERFLOW: return "integer overflow";
    case ISOLA_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case ISOLA_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case ISOLA_TRAP_HOST: return "host trap";
    case ISOLA_TRAP_NONE: break;
    }
    assert(!"trap without a kind");
    return "trap without a kind";
}
