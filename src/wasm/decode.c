/*
 * decode.c - the WebAssembly 2.0 binary format to wasm_module.
 *
 * Owns the structural rules of the binary format: magic and version, the
 * section order (each known section at most once, custom sections anywhere),
 * exact section sizes, counts checked against the bytes that remain before
 * anything is allocated, UTF-8 names, the eight element-segment and three
 * data-segment encodings, local declarations, constant-expression shape, and
 * the agreement of the function/code and datacount/data counts, and the
 * structure of function bodies: one linear pass of wasm_read_instr() over
 * each body checks every instruction's encoding, that block/loop/if/else/end
 * nest properly and that the body's last `end` is its last byte. So every
 * binary-format error is found (and reported as malformed) before
 * wasm_validate() type checks the bodies.
 *
 * The module first copies the input, and every reader below walks that copy,
 * so names, bodies and data segments can point straight into it.
 *
 * The custom `name` section is parsed last, with its own reader that reports
 * nowhere: custom sections are not validated, so a malformed one is ignored
 * rather than rejecting the module.
 */
#include "wasm/decode.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/instr.h"
#include "wasm/opcodes.h"
#include "wasm/reader.h"
#include "wasm/simd_ops.h"

enum {
    SEC_CUSTOM = 0,
    SEC_TYPE = 1,
    SEC_IMPORT = 2,
    SEC_FUNCTION = 3,
    SEC_TABLE = 4,
    SEC_MEMORY = 5,
    SEC_GLOBAL = 6,
    SEC_EXPORT = 7,
    SEC_START = 8,
    SEC_ELEMENT = 9,
    SEC_CODE = 10,
    SEC_DATA = 11,
    SEC_DATACOUNT = 12,
};

typedef struct decoder {
    wasm_module *m;
    wasm_reader r;              /* the current section's contents (or the whole module between sections) */
    uint32_t ndefined_funcs;    /* from the function section */
    bool has_code;
    bool has_data;
    const uint8_t *name_sec;    /* payload of the custom `name` section, parsed at the end */
    size_t name_sec_len;
    /*
     * The body pass's control stack: one enum frame_kind per open block,
     * reused for every body. It starts in `frames_inline`, which real code
     * never outgrows, so decoding does not touch the heap for it.
     */
    uint8_t *frames;
    uint32_t cap_frames;
    uint8_t frames_inline[256];
    /* First memory.init/data.drop, when there is no datacount section (checked once the data section is known). */
    bool uses_data_index;
    size_t data_index_use;
} decoder;

/* Position of each section id in the required order; custom sections have none. */
static int section_rank(uint8_t id)
{
    static const int rank[] = {
        [SEC_TYPE] = 1, [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3, [SEC_TABLE] = 4,
        [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7, [SEC_START] = 8,
        [SEC_ELEMENT] = 9, [SEC_DATACOUNT] = 10, [SEC_CODE] = 11, [SEC_DATA] = 12,
    };
    assert(id >= 1 && id <= SEC_DATACOUNT);
    return rank[id];
}

/* ------------------------------------------------------------------------ */
/* Primitive encodings                                                       */

/*
 * Reads a vector length and checks it against the bytes that remain: every
 * element takes at least `min_entry_size` bytes, so a larger count can only
 * be a lie, and must be caught before it sizes an allocation. Callers pass 1
 * even where entries are longer: that still bounds the allocation by the
 * input size, and lets a short vector fail on the entry that is cut off,
 * with that entry's more precise message.
 */
static uint32_t read_count(wasm_reader *r, size_t min_entry_size)
{
    uint32_t n = wasm_read_u32(r);
    if (r->failed)
        return 0;
    if ((uint64_t)n * min_entry_size > wasm_reader_remaining(r)) {
        wasm_reader_fail(r, "unexpected end of section or function: %u entries but only %zu bytes remain", n,
                         wasm_reader_remaining(r));
        return 0;
    }
    return n;
}

/* Allocates n zeroed elements; n == 0 gives NULL, which every user accepts. */
static void *alloc_array(wasm_reader *r, size_t n, size_t size)
{
    if (n == 0 || r->failed)
        return NULL;
    void *p = calloc(n, size);
    if (!p)
        wasm_reader_fail(r, "out of memory");
    return p;
}

/*
 * Grows an index-space array from `old` to `old + add` elements, zeroing the
 * new ones. Returns the (possibly moved) array; on failure the reader is
 * failed and the old array is returned intact, so the module stays freeable.
 * The sum cannot overflow: both counts were checked against section sizes,
 * and the whole input is at most UINT32_MAX bytes.
 */
static void *grow_array(wasm_reader *r, void *arr, uint32_t old, uint32_t add, size_t size)
{
    assert((uint64_t)old + add <= UINT32_MAX);
    if (add == 0 || r->failed)
        return arr;
    size_t total = (size_t)old + add;
    uint8_t *p = realloc(arr, total * size);
    if (!p) {
        wasm_reader_fail(r, "out of memory");
        return arr;
    }
    memset(p + (size_t)old * size, 0, (size_t)add * size);
    return p;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static wasm_name read_name(wasm_reader *r)
{
    wasm_name name = {NULL, 0};
    uint32_t len = wasm_read_u32(r);
    if (r->failed)
        return name;
    if (len > wasm_reader_remaining(r)) {
        wasm_reader_fail(r, "unexpected end of section or function: name of %u bytes", len);
        return name;
    }
    const uint8_t *b = wasm_read_bytes(r, len);
    if (!utf8_valid(b, len)) {
        r->p = b;
        wasm_reader_fail(r, "malformed UTF-8 encoding");
        return name;
    }
    name.data = (const char *)b;
    name.len = len;
    return name;
}

static bool is_valtype(uint8_t b)
{
    switch (b) {
    case WASM_I32: case WASM_I64: case WASM_F32: case WASM_F64:
    case WASM_V128: case WASM_FUNCREF: case WASM_EXTERNREF:
        return true;
    default:
        return false;
    }
}

static wasm_valtype read_valtype(wasm_reader *r)
{
    uint8_t b = wasm_read_u8(r);
    if (!r->failed && !is_valtype(b)) {
        r->p--;
        wasm_reader_fail(r, "malformed value type 0x%02x", b);
        return 0;
    }
    return b;
}

static wasm_valtype read_reftype(wasm_reader *r)
{
    uint8_t b = wasm_read_u8(r);
    if (!r->failed && b != WASM_FUNCREF && b != WASM_EXTERNREF) {
        r->p--;
        wasm_reader_fail(r, "malformed reference type 0x%02x", b);
        return 0;
    }
    return b;
}

static wasm_limits read_limits(wasm_reader *r)
{
    wasm_limits lim = {0, 0, false};
    uint8_t flags = wasm_read_u8(r);
    if (r->failed)
        return lim;
    /*
     * The spec reads the flags as a 1-bit LEB128, hence its messages. 2.0 has
     * only 0 and 1; 0x02/0x03 (shared) and 0x04+ (memory64) are proposals.
     */
    if (flags & 0x80) {
        r->p--;
        wasm_reader_fail(r, "integer representation too long: malformed limits flags 0x%02x", flags);
        return lim;
    }
    if (flags > 1) {
        r->p--;
        wasm_reader_fail(r, "integer too large: malformed limits flags 0x%02x", flags);
        return lim;
    }
    lim.min = wasm_read_u32(r);
    if (flags == 1) {
        lim.has_max = true;
        lim.max = wasm_read_u32(r);
    }
    return lim;
}

static wasm_globaltype read_globaltype(wasm_reader *r)
{
    wasm_globaltype g = {0, false};
    g.type = read_valtype(r);
    uint8_t mut = wasm_read_u8(r);
    if (!r->failed && mut > 1) {
        r->p--;
        wasm_reader_fail(r, "malformed mutability 0x%02x", mut);
    }
    g.mutable_ = mut == 1;
    return g;
}

/* ------------------------------------------------------------------------ */
/* Constant expressions                                                      */

/*
 * A constant expression of the wrong shape is well-formed binary but invalid
 * (the spec checks it during validation), so the error says so.
 */
static bool constexpr_fail(wasm_reader *r, size_t at, const char *reason)
{
    bool first = !r->failed;
    r->p = r->base + at;
    wasm_reader_fail(r, "%s", reason);
    if (first && r->err)
        r->err->kind = WASM_ERROR_INVALID;
    return false;
}

/* Fills *ce from a constant instruction; false when `in` is not one. */
static bool const_instr(const wasm_instr *in, wasm_constexpr *ce)
{
    switch (in->opcode) {
    case WASM_OP_I32_CONST: ce->op = WASM_CONST_I32, ce->value.i32 = (uint32_t)in->imm.i32; return true;
    case WASM_OP_I64_CONST: ce->op = WASM_CONST_I64, ce->value.i64 = (uint64_t)in->imm.i64; return true;
    case WASM_OP_F32_CONST: ce->op = WASM_CONST_F32, ce->value.f32_bits = in->imm.f32_bits; return true;
    case WASM_OP_F64_CONST: ce->op = WASM_CONST_F64, ce->value.f64_bits = in->imm.f64_bits; return true;
    case WASM_OP_REF_NULL: ce->op = WASM_CONST_REF_NULL, ce->value.reftype = in->imm.reftype; return true;
    case WASM_OP_REF_FUNC: ce->op = WASM_CONST_REF_FUNC, ce->value.index = in->imm.index; return true;
    case WASM_OP_GLOBAL_GET: ce->op = WASM_CONST_GLOBAL_GET, ce->value.index = in->imm.index; return true;
    case WASM_OP_PREFIX_SIMD:
        if (in->subop != WASM_SIMD_V128_CONST)
            return false;
        ce->op = WASM_CONST_V128;
        memcpy(ce->value.v128, in->imm.bytes16, 16);
        return true;
    default:
        return false;
    }
}

/*
 * Reads an expression up to its `end` with the shared instruction reader, as
 * the spec decodes it, and only then applies the 2.0 shape rule: exactly one
 * constant instruction. A non-constant instruction anywhere is "constant
 * expression required"; a wrong number of constants leaves the wrong number
 * of values, a type mismatch. Nested blocks are tracked only to find the
 * expression's own `end`.
 */
static bool read_constexpr(wasm_reader *r, wasm_constexpr *ce)
{
    memset(ce, 0, sizeof *ce);
    size_t start = wasm_reader_offset(r);
    uint32_t nconst = 0, depth = 0;
    bool non_const = false;
    size_t non_const_at = 0, second_at = 0;
    wasm_instr in;
    for (;;) {
        if (!wasm_read_instr(r, &in))
            return false;
        if (in.opcode == WASM_OP_END) {
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        depth += wasm_instr_opens_block(&in);
        wasm_constexpr scratch;
        if (depth == 0 && const_instr(&in, nconst == 0 ? ce : &scratch)) {
            if (++nconst == 2)
                second_at = in.offset;
        } else if (!non_const) {
            non_const = true;
            non_const_at = in.offset;
        }
    }
    if (non_const)
        return constexpr_fail(r, non_const_at, "constant expression required");
    if (nconst == 0)
        return constexpr_fail(r, start, "type mismatch: constant expression is empty");
    if (nconst > 1)
        return constexpr_fail(r, second_at, "type mismatch: constant expression has more than one instruction");
    return true;
}

/* ------------------------------------------------------------------------ */
/* Known sections                                                            */

static bool decode_type_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    m->types = alloc_array(r, n, sizeof *m->types);
    if (r->failed)
        return false;
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form = wasm_read_u8(r);
        if (r->failed)
            return false;
        if (form != 0x60) {
            r->p--;
            /* The form is an s7 in the spec's grammar, so a continuation bit makes it too long. */
            if (form & 0x80)
                return wasm_reader_fail(r, "integer representation too long: malformed function type");
            return wasm_reader_fail(r, "malformed function type 0x%02x", form);
        }
        wasm_functype *t = &m->types[i];
        uint32_t np = read_count(r, 1);
        if (!r->failed && np > WASM_MAX_FUNC_PARAMS)
            return wasm_reader_fail(r, "too many parameters (%u, limit %u)", np, WASM_MAX_FUNC_PARAMS);
        const uint8_t *params = wasm_read_bytes(r, np);
        uint32_t nr = read_count(r, 1);
        if (!r->failed && nr > WASM_MAX_FUNC_RESULTS)
            return wasm_reader_fail(r, "too many results (%u, limit %u)", nr, WASM_MAX_FUNC_RESULTS);
        const uint8_t *results = wasm_read_bytes(r, nr);
        if (r->failed)
            return false;
        t->types = alloc_array(r, (size_t)np + nr, 1);
        if (r->failed)
            return false;
        t->nparams = np;
        t->nresults = nr;
        for (uint32_t k = 0; k < np + nr; k++) {
            const uint8_t *src = k < np ? &params[k] : &results[k - np];
            if (!is_valtype(*src)) {
                r->p = src;
                return wasm_reader_fail(r, "malformed value type 0x%02x", *src);
            }
            t->types[k] = *src;
        }
    }
    return true;
}

/*
 * Imports come first in every index space, and the import section is the
 * only one before the definitions, so the spaces are sized here once and the
 * definition sections grow them.
 */
static bool build_import_index_spaces(wasm_reader *r, wasm_module *m)
{
    uint32_t count[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < m->nimports; i++)
        count[m->imports[i].kind]++;
    m->funcs = alloc_array(r, count[WASM_EXTERN_FUNC], sizeof *m->funcs);
    m->tables = alloc_array(r, count[WASM_EXTERN_TABLE], sizeof *m->tables);
    m->memories = alloc_array(r, count[WASM_EXTERN_MEMORY], sizeof *m->memories);
    m->globals = alloc_array(r, count[WASM_EXTERN_GLOBAL], sizeof *m->globals);
    if (r->failed)
        return false;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *imp = &m->imports[i];
        switch (imp->kind) {
        case WASM_EXTERN_FUNC: {
            wasm_func *f = &m->funcs[m->nfuncs++];
            f->typeidx = imp->type.typeidx;
            f->imported = true;
            f->import_index = i;
            break;
        }
        case WASM_EXTERN_TABLE: {
            wasm_table *t = &m->tables[m->ntables++];
            t->type = imp->type.table;
            t->imported = true;
            t->import_index = i;
            break;
        }
        case WASM_EXTERN_MEMORY: {
            wasm_memory *mem = &m->memories[m->nmemories++];
            mem->type = imp->type.memory;
            mem->imported = true;
            mem->import_index = i;
            break;
        }
        case WASM_EXTERN_GLOBAL: {
            wasm_global *g = &m->globals[m->nglobals++];
            g->type = imp->type.global;
            g->imported = true;
            g->import_index = i;
            break;
        }
        default:
            assert(!"import kind checked while reading");
        }
    }
    m->nfunc_imports = m->nfuncs;
    m->ntable_imports = m->ntables;
    m->nmemory_imports = m->nmemories;
    m->nglobal_imports = m->nglobals;
    return true;
}

static bool decode_import_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    m->imports = alloc_array(r, n, sizeof *m->imports);
    if (r->failed)
        return false;
    m->nimports = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_import *imp = &m->imports[i];
        imp->module = read_name(r);
        imp->field = read_name(r);
        imp->kind = wasm_read_u8(r);
        if (r->failed)
            return false;
        switch (imp->kind) {
        case WASM_EXTERN_FUNC:
            imp->type.typeidx = wasm_read_u32(r);
            break;
        case WASM_EXTERN_TABLE:
            imp->type.table.elemtype = read_reftype(r);
            imp->type.table.limits = read_limits(r);
            break;
        case WASM_EXTERN_MEMORY:
            imp->type.memory.limits = read_limits(r);
            break;
        case WASM_EXTERN_GLOBAL:
            imp->type.global = read_globaltype(r);
            break;
        default:
            r->p--;
            return wasm_reader_fail(r, "malformed import kind 0x%02x", imp->kind);
        }
        if (r->failed)
            return false;
    }
    return build_import_index_spaces(r, m);
}

static bool decode_function_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    uint32_t base = m->nfuncs;
    m->funcs = grow_array(r, m->funcs, base, n, sizeof *m->funcs);
    if (r->failed)
        return false;
    m->nfuncs = base + n;
    d->ndefined_funcs = n;
    for (uint32_t i = 0; i < n; i++)
        m->funcs[base + i].typeidx = wasm_read_u32(r);
    return !r->failed;
}

static bool decode_table_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    uint32_t base = m->ntables;
    m->tables = grow_array(r, m->tables, base, n, sizeof *m->tables);
    if (r->failed)
        return false;
    m->ntables = base + n;
    for (uint32_t i = 0; i < n; i++) {
        m->tables[base + i].type.elemtype = read_reftype(r);
        m->tables[base + i].type.limits = read_limits(r);
    }
    return !r->failed;
}

static bool decode_memory_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    uint32_t base = m->nmemories;
    m->memories = grow_array(r, m->memories, base, n, sizeof *m->memories);
    if (r->failed)
        return false;
    m->nmemories = base + n;
    for (uint32_t i = 0; i < n; i++)
        m->memories[base + i].type.limits = read_limits(r);
    return !r->failed;
}

static bool decode_global_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    uint32_t base = m->nglobals;
    m->globals = grow_array(r, m->globals, base, n, sizeof *m->globals);
    if (r->failed)
        return false;
    m->nglobals = base + n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_global *g = &m->globals[base + i];
        g->type = read_globaltype(r);
        if (r->failed || !read_constexpr(r, &g->init))
            return false;
    }
    return true;
}

static bool decode_export_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    m->exports = alloc_array(r, n, sizeof *m->exports);
    if (r->failed)
        return false;
    m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_export *e = &m->exports[i];
        e->name = read_name(r);
        e->kind = wasm_read_u8(r);
        if (!r->failed && e->kind > WASM_EXTERN_GLOBAL) {
            r->p--;
            return wasm_reader_fail(r, "malformed export kind 0x%02x", e->kind);
        }
        e->index = wasm_read_u32(r);
        if (r->failed)
            return false;
    }
    return true;
}

static bool decode_start_section(decoder *d)
{
    d->m->start = wasm_read_u32(&d->r);
    d->m->has_start = !d->r.failed;
    return !d->r.failed;
}

/* Element segment items: either bare function indices or constant expressions. */
static bool read_elem_items(wasm_reader *r, wasm_elem_segment *seg, bool exprs)
{
    uint32_t n = read_count(r, 1);
    seg->items = alloc_array(r, n, sizeof *seg->items);
    if (r->failed)
        return false;
    seg->count = n;
    for (uint32_t i = 0; i < n; i++) {
        wasm_constexpr *item = &seg->items[i];
        if (exprs) {
            if (!read_constexpr(r, item))
                return false;
        } else {
            item->op = WASM_CONST_REF_FUNC;
            item->value.index = wasm_read_u32(r);
        }
    }
    return !r->failed;
}

/* The legacy `elemkind` byte of flags 1..3: only 0x00 (funcref) exists. */
static wasm_valtype read_elemkind(wasm_reader *r)
{
    uint8_t b = wasm_read_u8(r);
    if (!r->failed && b != 0x00) {
        r->p--;
        wasm_reader_fail(r, "malformed element kind 0x%02x", b);
    }
    return WASM_FUNCREF;
}

/*
 * The flags of an element segment are three bits: bit 0 = passive or
 * declarative (not active), bit 1 = explicit table index (when active) or
 * declarative (when not), bit 2 = items are expressions rather than indices.
 */
static bool decode_elem_segment(wasm_reader *r, wasm_elem_segment *seg)
{
    uint32_t flags = wasm_read_u32(r);
    if (r->failed)
        return false;
    if (flags > 7) {
        return wasm_reader_fail(r, "malformed elements segment kind %u", flags);
    }
    bool not_active = flags & 1;
    bool bit1 = flags & 2;
    bool exprs = flags & 4;
    seg->elemtype = WASM_FUNCREF;
    if (!not_active) {
        seg->mode = WASM_SEGMENT_ACTIVE;
        seg->table_index = bit1 ? wasm_read_u32(r) : 0;
        if (r->failed || !read_constexpr(r, &seg->offset))
            return false;
    } else {
        seg->mode = bit1 ? WASM_SEGMENT_DECLARATIVE : WASM_SEGMENT_PASSIVE;
    }
    /* Flags 0 and 4 imply funcref; every other form spells the type out. */
    if (not_active || bit1)
        seg->elemtype = exprs ? read_reftype(r) : read_elemkind(r);
    return !r->failed && read_elem_items(r, seg, exprs);
}

static bool decode_element_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    m->elems = alloc_array(r, n, sizeof *m->elems);
    if (r->failed)
        return false;
    m->nelems = n;
    for (uint32_t i = 0; i < n; i++)
        if (!decode_elem_segment(r, &m->elems[i]))
            return false;
    return true;
}

static bool decode_datacount_section(decoder *d)
{
    d->m->datacount = wasm_read_u32(&d->r);
    d->m->has_datacount = !d->r.failed;
    return !d->r.failed;
}

/*
 * Local declarations are (count, type) runs. The total is checked, params
 * included, before the expanded array is allocated: a run count is a u32
 * the binary can set to anything in two bytes' worth of LEB128.
 */
static bool decode_locals(wasm_reader *r, const wasm_module *m, wasm_func *f)
{
    uint32_t nruns = read_count(r, 1);
    if (r->failed)
        return false;
    const uint8_t *runs = r->p;
    uint64_t total = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        total += wasm_read_u32(r);
        read_valtype(r);
        if (r->failed)
            return false;
    }
    uint64_t nparams = f->typeidx < m->ntypes ? m->types[f->typeidx].nparams : 0;
    if (total + nparams > WASM_MAX_LOCALS)
        return wasm_reader_fail(r, "too many locals (%llu, limit %u)",
                                (unsigned long long)(total + nparams), WASM_MAX_LOCALS);
    const uint8_t *after = r->p;
    f->locals = alloc_array(r, (size_t)total, sizeof *f->locals);
    if (r->failed)
        return false;
    f->nlocals = (uint32_t)total;
    /* Second pass over the already-checked runs to expand them. */
    r->p = runs;
    uint32_t k = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        uint32_t count = wasm_read_u32(r);
        wasm_valtype t = read_valtype(r);
        for (uint32_t j = 0; j < count; j++)
            f->locals[k++] = t;
    }
    assert(!r->failed && k == total && r->p == after);
    (void)after;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Structure of function bodies                                              */

/* What an open block allows next: only an `if` may meet an `else`, and only once. */
enum frame_kind { FRAME_BLOCK, FRAME_IF, FRAME_ELSE };

static bool push_frame(decoder *d, wasm_reader *r, uint32_t depth, uint8_t kind)
{
    if (depth == d->cap_frames) {
        /* Depth is bounded by the body's length, so this cannot overflow before the input does. */
        uint32_t cap = d->cap_frames * 2;
        uint8_t *p = malloc(cap);
        if (!p)
            return wasm_reader_fail(r, "out of memory");
        memcpy(p, d->frames, depth);
        if (d->frames != d->frames_inline)
            free(d->frames);
        d->frames = p;
        d->cap_frames = cap;
    }
    d->frames[depth] = kind;
    return true;
}

/* The bulk-memory instructions that name data segments. */
static bool names_data_segment(const wasm_instr *in)
{
    return in->opcode == WASM_OP_PREFIX_FC && (in->subop == WASM_FC_MEMORY_INIT || in->subop == WASM_FC_DATA_DROP);
}

/*
 * One pass over a body (after its locals): every instruction well formed,
 * blocks balanced, the function's own `end` last. Frame 0 is the function.
 */
static bool check_body_structure(decoder *d, wasm_reader *r)
{
    uint32_t depth = 0;
    if (!push_frame(d, r, depth++, FRAME_BLOCK))
        return false;
    wasm_instr in;
    while (depth > 0) {
        if (wasm_reader_at_end(r))
            return wasm_reader_fail(r, "unexpected end of section or function: %u block(s) not closed", depth);
        if (!wasm_read_instr(r, &in))
            return false;
        switch (in.opcode) {
        case WASM_OP_BLOCK:
        case WASM_OP_LOOP:
            if (!push_frame(d, r, depth++, FRAME_BLOCK))
                return false;
            break;
        case WASM_OP_IF:
            if (!push_frame(d, r, depth++, FRAME_IF))
                return false;
            break;
        case WASM_OP_ELSE:
            if (d->frames[depth - 1] != FRAME_IF) {
                r->p = r->base + in.offset;
                return wasm_reader_fail(r, "END opcode expected: else without a matching if");
            }
            d->frames[depth - 1] = FRAME_ELSE;
            break;
        case WASM_OP_END:
            depth--;
            break;
        default:
            if (names_data_segment(&in) && !d->m->has_datacount && !d->uses_data_index) {
                d->uses_data_index = true;
                d->data_index_use = in.offset;
            }
            break;
        }
    }
    if (!wasm_reader_at_end(r))
        return wasm_reader_fail(r, "section size mismatch: operators remaining after the end of the function");
    return true;
}

static bool decode_code_entry(decoder *d, wasm_func *f)
{
    wasm_reader *r = &d->r;
    uint32_t size = wasm_read_u32(r);
    if (r->failed)
        return false;
    if (size > wasm_reader_remaining(r))
        return wasm_reader_fail(r, "unexpected end of section or function: body of %u bytes", size);
    if (size == 0)
        return wasm_reader_fail(r, "unexpected end of section or function: empty function body");
    /* A sub-reader confined to this body, so the locals cannot run past it. */
    wasm_reader body;
    wasm_reader_init(&body, r->base, r->p, r->p + size, r->err);
    r->p += size;
    if (!decode_locals(&body, d->m, f)) {
        r->failed = true;
        return false;
    }
    if (wasm_reader_at_end(&body) || body.end[-1] != WASM_OP_END) {
        body.p = body.end;
        wasm_reader_fail(&body, "END opcode expected: function body does not end with `end`");
        r->failed = true;
        return false;
    }
    f->body = body.p;
    f->body_len = (uint32_t)wasm_reader_remaining(&body);
    f->body_offset = (uint32_t)wasm_reader_offset(&body);
    if (!check_body_structure(d, &body)) {
        r->failed = true;
        return false;
    }
    return true;
}

static bool decode_code_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return false;
    if (n != d->ndefined_funcs)
        return wasm_reader_fail(r, "function and code section have inconsistent lengths (%u functions, %u bodies)",
                                d->ndefined_funcs, n);
    d->has_code = true;
    for (uint32_t i = 0; i < n; i++)
        if (!decode_code_entry(d, &m->funcs[m->nfunc_imports + i]))
            return false;
    return true;
}

static bool decode_data_segment(wasm_reader *r, wasm_data_segment *seg)
{
    uint32_t flags = wasm_read_u32(r);
    if (r->failed)
        return false;
    switch (flags) {
    case 0:
    case 2:
        seg->mode = WASM_SEGMENT_ACTIVE;
        seg->memory_index = flags == 2 ? wasm_read_u32(r) : 0;
        if (r->failed || !read_constexpr(r, &seg->offset))
            return false;
        break;
    case 1:
        seg->mode = WASM_SEGMENT_PASSIVE;
        break;
    default:
        return wasm_reader_fail(r, "malformed data segment kind %u", flags);
    }
    uint32_t len = wasm_read_u32(r);
    if (r->failed)
        return false;
    if (len > wasm_reader_remaining(r))
        return wasm_reader_fail(r, "unexpected end of section or function: data segment of %u bytes", len);
    seg->bytes = wasm_read_bytes(r, len);
    seg->len = len;
    return true;
}

static bool decode_data_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_module *m = d->m;
    size_t at = wasm_reader_offset(r);
    uint32_t n = read_count(r, 1);
    if (r->failed)
        return false;
    if (m->has_datacount && n != m->datacount) {
        r->p = r->base + at;
        return wasm_reader_fail(r, "data count and data section have inconsistent lengths (%u and %u)",
                                m->datacount, n);
    }
    d->has_data = true;
    m->datas = alloc_array(r, n, sizeof *m->datas);
    if (r->failed)
        return false;
    m->ndatas = n;
    for (uint32_t i = 0; i < n; i++)
        if (!decode_data_segment(r, &m->datas[i]))
            return false;
    return true;
}

static bool decode_custom_section(decoder *d)
{
    wasm_reader *r = &d->r;
    wasm_name name = read_name(r);
    if (r->failed)
        return false;
    if (name.len == 4 && memcmp(name.data, "name", 4) == 0) {
        d->name_sec = r->p;
        d->name_sec_len = wasm_reader_remaining(r);
    }
    r->p = r->end;
    return true;
}

static bool decode_section_contents(decoder *d, uint8_t id)
{
    switch (id) {
    case SEC_CUSTOM: return decode_custom_section(d);
    case SEC_TYPE: return decode_type_section(d);
    case SEC_IMPORT: return decode_import_section(d);
    case SEC_FUNCTION: return decode_function_section(d);
    case SEC_TABLE: return decode_table_section(d);
    case SEC_MEMORY: return decode_memory_section(d);
    case SEC_GLOBAL: return decode_global_section(d);
    case SEC_EXPORT: return decode_export_section(d);
    case SEC_START: return decode_start_section(d);
    case SEC_ELEMENT: return decode_element_section(d);
    case SEC_CODE: return decode_code_section(d);
    case SEC_DATA: return decode_data_section(d);
    case SEC_DATACOUNT: return decode_datacount_section(d);
    default:
        assert(!"section id checked by the caller");
        return false;
    }
}

/* ------------------------------------------------------------------------ */
/* The custom `name` section                                                 */

/* Copies a name into storage as a NUL-terminated string. */
static const char *store_name(char **cursor, wasm_name name)
{
    char *s = *cursor;
    memcpy(s, name.data, name.len);
    s[name.len] = '\0';
    *cursor = s + name.len + 1;
    return s;
}

static bool parse_name_subsections(wasm_reader *r, wasm_module *m, char *storage)
{
    char *cursor = storage;
    while (!wasm_reader_at_end(r)) {
        uint8_t id = wasm_read_u8(r);
        uint32_t size = wasm_read_u32(r);
        if (r->failed || size > wasm_reader_remaining(r))
            return false;
        wasm_reader sub;
        wasm_reader_init(&sub, r->base, r->p, r->p + size, NULL);
        r->p += size;
        if (id == 0) {
            wasm_name n = read_name(&sub);
            if (sub.failed)
                return false;
            m->module_name = store_name(&cursor, n);
        } else if (id == 1) {
            uint32_t count = read_count(&sub, 1);
            for (uint32_t i = 0; i < count && !sub.failed; i++) {
                uint32_t idx = wasm_read_u32(&sub);
                wasm_name n = read_name(&sub);
                if (sub.failed || idx >= m->nfuncs)
                    return false;
                m->funcs[idx].name = store_name(&cursor, n);
            }
        } else {
            continue;           /* local names and later extensions: not used */
        }
        if (sub.failed || !wasm_reader_at_end(&sub))
            return false;
    }
    return !r->failed;
}

/*
 * Every stored name of length L took at least L + 1 bytes of the section (its
 * length prefix), so the section's size bounds the storage the names need.
 */
static void decode_name_section(decoder *d)
{
    wasm_module *m = d->m;
    if (!d->name_sec)
        return;
    char *storage = malloc(d->name_sec_len + 1);
    if (!storage)
        return;
    wasm_reader r;
    wasm_reader_init(&r, m->bytes, d->name_sec, d->name_sec + d->name_sec_len, NULL);
    if (parse_name_subsections(&r, m, storage)) {
        m->name_storage = storage;
        return;
    }
    m->module_name = NULL;
    for (uint32_t i = 0; i < m->nfuncs; i++)
        m->funcs[i].name = NULL;
    free(storage);
}

/* ------------------------------------------------------------------------ */
/* The module                                                                */

/* A 4-byte header field; like the spec, a cut-off field is an unexpected end whatever its bytes. */
static bool header_field(wasm_reader *r, const uint8_t expect[4], const char *what)
{
    const uint8_t *got = wasm_read_bytes(r, 4);
    if (!got)
        return false;
    if (memcmp(got, expect, 4) != 0) {
        r->p = got;
        return wasm_reader_fail(r, "%s", what);
    }
    return true;
}

static bool decode_header(wasm_reader *r)
{
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (!header_field(r, magic, "magic header not detected"))
        return false;
    return header_field(r, version, "unknown binary version");
}

static bool decode_section(decoder *d, wasm_reader *top, int *last_rank)
{
    size_t id_at = wasm_reader_offset(top);
    uint8_t id = wasm_read_u8(top);
    if (top->failed)
        return false;
    if (id > SEC_DATACOUNT) {
        top->p--;
        return wasm_reader_fail(top, "malformed section id %u", id);
    }
    uint32_t size = wasm_read_u32(top);
    if (top->failed)
        return false;
    if (size > wasm_reader_remaining(top))
        return wasm_reader_fail(top, "length out of bounds: section %u of %u bytes, only %zu remain", id, size,
                                wasm_reader_remaining(top));
    if (id != SEC_CUSTOM) {
        int rank = section_rank(id);
        if (rank <= *last_rank) {
            top->p = top->base + id_at;
            return wasm_reader_fail(top, "unexpected content after last section: section %u out of order or repeated",
                                    id);
        }
        *last_rank = rank;
    }
    wasm_reader_init(&d->r, top->base, top->p, top->p + size, top->err);
    top->p += size;
    if (!decode_section_contents(d, id)) {
        /* Running off a section (rather than the module) is the spec's longer message. */
        if (top->err && strcmp(top->err->message, "unexpected end") == 0)
            snprintf(top->err->message, sizeof top->err->message, "unexpected end of section or function");
        top->failed = true;
        return false;
    }
    if (!wasm_reader_at_end(&d->r)) {
        wasm_reader_fail(&d->r, "section size mismatch: section %u has %zu bytes left over", id,
                         wasm_reader_remaining(&d->r));
        top->failed = true;
        return false;
    }
    return true;
}

/* Rules that span sections and can only be checked once all are read. */
static bool check_module_end(decoder *d, wasm_reader *top)
{
    wasm_module *m = d->m;
    if (d->ndefined_funcs != 0 && !d->has_code)
        return wasm_reader_fail(top, "function and code section have inconsistent lengths (%u functions, no code section)",
                                d->ndefined_funcs);
    if (m->has_datacount && !d->has_data && m->datacount != 0)
        return wasm_reader_fail(top, "data count and data section have inconsistent lengths (%u and no data section)",
                                m->datacount);
    /*
     * Without a datacount section, code cannot name data segments. With no
     * data segments at all the index is simply out of range, which the
     * validator reports ("unknown data segment") as the spec tests expect.
     */
    if (d->uses_data_index && m->ndatas > 0) {
        top->p = top->base + d->data_index_use;
        return wasm_reader_fail(top, "data count section required");
    }
    return true;
}

wasm_module *wasm_decode(const uint8_t *bytes, size_t len, wasm_error *err)
{
    wasm_error scratch;
    if (!err)
        err = &scratch;
    err->offset = 0;
    err->message[0] = '\0';

    /* Offsets into the binary are kept as u32 (body_offset), so larger inputs cannot be described. */
    if (len > UINT32_MAX) {
        snprintf(err->message, sizeof err->message, "module too large (%zu bytes, limit 4 GiB)", len);
        return NULL;
    }
    wasm_module *m = calloc(1, sizeof *m);
    uint8_t *copy = malloc(len ? len : 1);
    if (!m || !copy) {
        free(m);
        free(copy);
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    if (len)
        memcpy(copy, bytes, len);
    m->bytes = copy;
    m->nbytes = len;

    decoder d;
    memset(&d, 0, sizeof d);
    d.m = m;
    d.frames = d.frames_inline;
    d.cap_frames = sizeof d.frames_inline;
    wasm_reader top;
    wasm_reader_init(&top, copy, copy, copy + len, err);
    int last_rank = 0;
    bool ok = decode_header(&top);
    while (ok && !wasm_reader_at_end(&top))
        ok = decode_section(&d, &top, &last_rank);
    if (ok)
        ok = check_module_end(&d, &top);
    if (d.frames != d.frames_inline)
        free(d.frames);
    if (!ok) {
        wasm_module_free(m);
        return NULL;
    }
    decode_name_section(&d);
    return m;
}
