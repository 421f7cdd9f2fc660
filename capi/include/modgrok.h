/* modgrok.h: answer x ∘ y mod p with a grokked modgrok model in fixed point, from C.
 *
 * Export a trained model with `modgrok export-fixed RUN_DIR` (a .mgq file, or `--format c`
 * for a header holding the same bytes), then link libmodgrok_capi.a (built by
 * `cargo build --release -p modgrok-capi`, in target/release/) with the system libraries
 * Rust's standard library needs:
 *
 *     cc -I capi/include app.c target/release/libmodgrok_capi.a -lpthread -ldl -lm -o app
 *
 * Tokens follow the model's task (SPEC §1): numbers are 0..p-1, `=` is p, `+` p+1, `-` p+2,
 * `*` p+3, `/` p+4; so x + y mod 97 is modgrok_predict(m, x, 98, y, &answer).
 *
 * Every function returns MODGROK_OK or a negative error code; none aborts or unwinds into C.
 * A model is read-only after loading: any number of threads may call modgrok_predict on it at
 * once. Each prediction is integer arithmetic on the model's I4F12 weights and I16F16
 * activations (see modgrok_core::quant). */
#ifndef MODGROK_H
#define MODGROK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded model; opaque. */
typedef struct modgrok_model modgrok_model;

#define MODGROK_OK 0
/* A pointer argument was NULL. */
#define MODGROK_ERR_NULL (-1)
/* The bytes are not a model file of this version, or are damaged: export it again. */
#define MODGROK_ERR_BAD_FILE (-2)
/* A token is not below the model's vocabulary size (p + 5 for one task). */
#define MODGROK_ERR_BAD_TOKEN (-3)
/* A bug in modgrok (a caught panic) or no memory: please report it. */
#define MODGROK_ERR_INTERNAL (-4)

/* Checks the `len` bytes of a model file at `bytes` and copies them; on success stores a new
 * model in *out (free it with modgrok_free). The caller may free `bytes` afterwards. */
int modgrok_load(const uint8_t *bytes, size_t len, modgrok_model **out);

/* The model's answer to [x, op, y] (argmax of its logits over the whole vocabulary) in
 * *answer: for a grokked model, the token of x ∘ y mod p. */
int modgrok_predict(const modgrok_model *model, uint32_t x, uint32_t op, uint32_t y,
                    uint32_t *answer);

/* Frees a model from modgrok_load; NULL is ignored. */
void modgrok_free(modgrok_model *model);

#ifdef __cplusplus
}
#endif

#endif /* MODGROK_H */
