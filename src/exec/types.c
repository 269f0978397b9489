/*
 * types.c - the engine-wide function type registry (see types.h).
 *
 * Layout: entries live in fixed-size blocks reached through a fixed array of
 * block pointers, so an entry's address never changes and readers that hold
 * an id need no lock. A chained hash table (bucket heads and per-entry `next`
 * links, both ids) finds existing types; it is only touched under the mutex,
 * which is fine because interning happens at module load, never while code
 * runs.
 */
#include "exec/types.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TYPES_BLOCK_SHIFT 10
#define TYPES_BLOCK_SIZE (1u << TYPES_BLOCK_SHIFT)
#define TYPES_MAX_BLOCKS 4096u              /* 4M distinct types per engine */
#define TYPES_NONE UINT32_MAX

typedef struct type_entry {
    wasm_functype type;          /* owns type.types */
    isola_valtype *api;          /* the same valtypes as the public enum, params then results */
    uint32_t hash;
    uint32_t next;               /* next id in the same bucket, or TYPES_NONE */
} type_entry;

struct type_registry {
    pthread_mutex_t lock;
    type_entry *blocks[TYPES_MAX_BLOCKS];
    uint32_t count;
    uint32_t *buckets;           /* ids, TYPES_NONE when empty; nbuckets is a power of two */
    uint32_t nbuckets;
};

static type_entry *types_entry(const struct type_registry *reg, uint32_t id)
{
    assert(id < (uint32_t)TYPES_MAX_BLOCKS * TYPES_BLOCK_SIZE);
    type_entry *block = reg->blocks[id >> TYPES_BLOCK_SHIFT];
    assert(block);
    return &block[id & (TYPES_BLOCK_SIZE - 1)];
}

static uint32_t types_hash(const wasm_functype *t)
{
    /* FNV-1a over the shape and the valtypes. */
    uint32_t h = 2166136261u;
    uint32_t n = t->nparams + t->nresults;
    h = (h ^ t->nparams) * 16777619u;
    h = (h ^ t->nresults) * 16777619u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ t->types[i]) * 16777619u;
    return h;
}

static bool types_equal(const wasm_functype *a, const wasm_functype *b)
{
    if (a->nparams != b->nparams || a->nresults != b->nresults)
        return false;
    size_t n = (size_t)a->nparams + a->nresults;
    return n == 0 || memcmp(a->types, b->types, n) == 0;
}

struct type_registry *exec_types_new(void)
{
    struct type_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    reg->nbuckets = 64;
    reg->buckets = malloc(reg->nbuckets * sizeof *reg->buckets);
    if (!reg->buckets || pthread_mutex_init(&reg->lock, NULL) != 0) {
        free(reg->buckets);
        free(reg);
        return NULL;
    }
    for (uint32_t i = 0; i < reg->nbuckets; i++)
        reg->buckets[i] = TYPES_NONE;
    return reg;
}

void exec_types_free(struct type_registry *reg)
{
    if (!reg)
        return;
    for (uint32_t id = 0; id < reg->count; id++) {
        type_entry *e = types_entry(reg, id);
        free(e->type.types);
        free(e->api);
    }
    for (uint32_t b = 0; b < TYPES_MAX_BLOCKS && reg->blocks[b]; b++)
        free(reg->blocks[b]);
    free(reg->buckets);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

/* Doubles the bucket array and relinks every entry. Called with the lock held. */
static bool types_rehash(struct type_registry *reg)
{
    uint32_t n = reg->nbuckets * 2;
    uint32_t *buckets = malloc(n * sizeof *buckets);
    if (!buckets)
        return false;
    for (uint32_t i = 0; i < n; i++)
        buckets[i] = TYPES_NONE;
    for (uint32_t id = 0; id < reg->count; id++) {
        type_entry *e = types_entry(reg, id);
        uint32_t b = e->hash & (n - 1);
        e->next = buckets[b];
        buckets[b] = id;
    }
    free(reg->buckets);
    reg->buckets = buckets;
    reg->nbuckets = n;
    return true;
}

/* Appends a copy of `t` as a new id. Called with the lock held. */
static bool types_add(struct type_registry *reg, const wasm_functype *t, uint32_t hash, uint32_t *id)
{
    uint32_t new_id = reg->count;
    uint32_t block = new_id >> TYPES_BLOCK_SHIFT;
    if (block >= TYPES_MAX_BLOCKS)
        return false;
    if (!reg->blocks[block]) {
        reg->blocks[block] = calloc(TYPES_BLOCK_SIZE, sizeof(type_entry));
        if (!reg->blocks[block])
            return false;
    }
    size_t n = (size_t)t->nparams + t->nresults;
    wasm_valtype *types = malloc(n ? n : 1);
    isola_valtype *api = malloc((n ? n : 1) * sizeof *api);
    if (!types || !api) {
        free(types);
        free(api);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        types[i] = t->types[i];
        api[i] = (isola_valtype)t->types[i];
    }
    type_entry *e = &reg->blocks[block][new_id & (TYPES_BLOCK_SIZE - 1)];
    e->type.nparams = t->nparams;
    e->type.nresults = t->nresults;
    e->type.types = types;
    e->api = api;
    e->hash = hash;
    uint32_t b = hash & (reg->nbuckets - 1);
    e->next = reg->buckets[b];
    reg->buckets[b] = new_id;
    reg->count++;
    *id = new_id;
    if (reg->count > reg->nbuckets)
        (void)types_rehash(reg);    /* on failure chains just get longer */
    return true;
}

bool exec_types_intern(struct type_registry *reg, const wasm_functype *type, uint32_t *id)
{
    assert(reg && type && id);
    uint32_t hash = types_hash(type);
    pthread_mutex_lock(&reg->lock);
    for (uint32_t cur = reg->buckets[hash & (reg->nbuckets - 1)]; cur != TYPES_NONE;) {
        type_entry *e = types_entry(reg, cur);
        if (e->hash == hash && types_equal(&e->type, type)) {
            *id = cur;
            pthread_mutex_unlock(&reg->lock);
            return true;
        }
        cur = e->next;
    }
    bool ok = types_add(reg, type, hash, id);
    pthread_mutex_unlock(&reg->lock);
    return ok;
}

const wasm_functype *exec_types_get(const struct type_registry *reg, uint32_t id)
{
    return &types_entry(reg, id)->type;
}

void exec_types_api(const struct type_registry *reg, uint32_t id, isola_functype *out)
{
    const type_entry *e = types_entry(reg, id);
    out->nparams = e->type.nparams;
    out->nresults = e->type.nresults;
    out->params = e->api;
    out->results = e->api + e->type.nparams;
}

uint32_t exec_types_count(struct type_registry *reg)
{
    pthread_mutex_lock(&reg->lock);
    uint32_t n = reg->count;
    pthread_mutex_unlock(&reg->lock);
    return n;
}
