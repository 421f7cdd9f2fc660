/* Loads a fixed-point model file through modgrok.h and prints its answer to x + y mod p for
 * every pair, one "x y answer" line each; then checks the error codes. Usage: predict FILE P.
 * Exits 0 when every call returned what it should, 1 otherwise (with a line on stderr). */
#include <stdio.h>
#include <stdlib.h>

#include "modgrok.h"

static int fail(const char *what, int rc) {
    fprintf(stderr, "predict.c: %s returned %d\n", what, rc);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: predict FILE P\n");
        return 2;
    }
    uint32_t p = (uint32_t)strtoul(argv[2], NULL, 10);
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "predict.c: cannot open %s\n", argv[1]);
        return 1;
    }
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);

    modgrok_model *model = NULL;
    int rc = modgrok_load(bytes, len, &model);
    if (rc != MODGROK_OK) return fail("modgrok_load", rc);

    for (uint32_t x = 0; x < p; x++) {
        for (uint32_t y = 0; y < p; y++) {
            uint32_t answer = 0;
            rc = modgrok_predict(model, x, p + 1, y, &answer);
            if (rc != MODGROK_OK) return fail("modgrok_predict", rc);
            printf("%u %u %u\n", x, y, answer);
        }
    }

    uint32_t answer = 0;
    rc = modgrok_predict(model, 0, p + 1, p + 5, &answer);
    if (rc != MODGROK_ERR_BAD_TOKEN) return fail("modgrok_predict with y = d_vocab", rc);
    rc = modgrok_predict(model, 0, p + 1, 0, NULL);
    if (rc != MODGROK_ERR_NULL) return fail("modgrok_predict with answer NULL", rc);
    modgrok_free(model);
    modgrok_free(NULL);

    modgrok_model *bad = NULL;
    rc = modgrok_load(bytes, len - 1, &bad);
    if (rc != MODGROK_ERR_BAD_FILE || bad != NULL) return fail("modgrok_load of a truncated file", rc);
    bytes[len - 1] ^= 1;
    rc = modgrok_load(bytes, len, &bad);
    if (rc != MODGROK_ERR_BAD_FILE || bad != NULL) return fail("modgrok_load of a damaged file", rc);
    rc = modgrok_load(NULL, len, &bad);
    if (rc != MODGROK_ERR_NULL) return fail("modgrok_load of NULL", rc);
    return 0;
}
