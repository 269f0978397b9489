/*
 * fuzz_decode.c - libFuzzer target for the verifier: arbitrary bytes through
 * wasm_decode + wasm_validate (the internal API) and isola_module_validate
 * (the public one). Any crash, leak, sanitizer report or hang is a bug: bad
 * input must only ever be rejected with a message.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <isola/engine.h>

#include "wasm/decode.h"
#include "wasm/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A rejection must say where and why; an empty message would be a bug too. */
static void fuzz_check_error(const char *message, size_t offset, size_t size)
{
    assert(message[0] != '\0');
    /* Offsets may point one past the end ("unexpected end"), never further. */
    assert(offset <= size);
    (void)message;
    (void)offset;
    (void)size;
}

static bool fuzz_internal_verdict(const uint8_t *data, size_t size)
{
    wasm_error werr;
    memset(&werr, 0, sizeof werr);
    wasm_module *m = wasm_decode(data, size, &werr);
    if (!m) {
        fuzz_check_error(werr.message, werr.offset, size);
        return false;
    }
    memset(&werr, 0, sizeof werr);
    bool ok = wasm_validate(m, &werr);
    if (!ok)
        fuzz_check_error(werr.message, werr.offset, size);
    wasm_module_free(m);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool internal_ok = fuzz_internal_verdict(data, size);

    isola_error err;
    memset(&err, 0, sizeof err);
    bool public_ok = isola_module_validate(data, size, &err);
    if (!public_ok) {
        fuzz_check_error(err.message, err.offset, size);
        assert(err.kind == ISOLA_ERR_MALFORMED || err.kind == ISOLA_ERR_INVALID);
    }
    /* Both paths run the same verifier, so they must agree on every input. */
    assert(internal_ok == public_ok);
    (void)internal_ok;
    return 0;
}
