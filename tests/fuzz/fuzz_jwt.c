/* SPDX-License-Identifier: MIT */
/* libFuzzer: the JWT reader and verifier, with an EdDSA and an ES256 key in a throwaway
 * SQLite store. Two modes, by the first byte:
 *   'S' — the rest is a header and a claims object, one per line: the target signs them
 *         with each real key, after replacing "@kid@" and "@alg@" in the header by that
 *         key's, so the reader behind the signature check is reached;
 *   otherwise — the input is a compact JWS as received.
 * Whatever verifies must carry the claims rcauth requires. */
#include "fuzz_common.h"
#include "common/log.h"
#include "token/keyring_int.h"

#include <assert.h>
#include <stdio.h>
#include <unistd.h>

#define NOW 1800000000

static struct keyring *ring;
static const struct key_alg *algs[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static uint8_t server_key[32] = {1};
    char path[] = "/tmp/rcauth-fuzz-jwt-XXXXXX";
    struct store *st;
    int fd = mkstemp(path);
    if (fd < 0 || sodium_init() < 0)
        abort();
    close(fd);
    log_set_level(LOG_ERROR);
    if (store_open(path, &st) || st->ops->migrate(st) ||
        keyring_open(st, server_key, "EdDSA", &ring) || keyring_start_signing(ring, 3600) ||
        keyring_rotate(ring, "ES256", NULL))
        abort();
    unlink(path); /* the connection keeps it; nothing is left behind */
    algs[0] = keyring_alg_find("EdDSA");
    algs[1] = keyring_alg_find("ES256");
    return 0;
}

/* text with every "@kid@" and "@alg@" replaced. Caller frees. */
static char *fill_in(const char *text, const struct key *k)
{
    size_t cap = strlen(text) * 12 + 1, n = 0;
    char *out = malloc(cap);
    if (!out)
        abort();
    while (*text) {
        const char *with = !strncmp(text, "@kid@", 5)   ? k->kid
                           : !strncmp(text, "@alg@", 5) ? k->alg->name
                                                        : NULL;
        if (with) {
            memcpy(out + n, with, strlen(with));
            n += strlen(with);
            text += 5;
        } else {
            out[n++] = *text++;
        }
    }
    out[n] = '\0';
    return out;
}

/* header.claims.signature over the two JSON texts, signed by the current key of alg. */
static char *sign_raw(const struct key_alg *alg, const char *header_in, const char *claims)
{
    keyring_read_lock(ring);
    const struct key *k = keyring_signer(ring, alg);
    if (!k)
        abort();
    char *header = fill_in(header_in, k);
    size_t hl = strlen(header), cl = strlen(claims);
    size_t cap = base64url_encoded_len(hl) + base64url_encoded_len(cl) + 200;
    char *out = malloc(cap);
    uint8_t sig[KEY_SIG_MAX];
    size_t sig_len = 0, n;
    if (!out)
        abort();
    base64url_encode((const uint8_t *)header, hl, out);
    n = strlen(out);
    out[n++] = '.';
    base64url_encode((const uint8_t *)claims, cl, out + n);
    n += strlen(out + n);
    int rc = alg->sign(k, (const uint8_t *)out, n, sig, &sig_len);
    keyring_read_unlock(ring);
    free(header);
    if (rc)
        abort();
    out[n++] = '.';
    base64url_encode(sig, sig_len, out + n);
    return out;
}

static void check(const char *jwt)
{
    struct token_claims c;
    memset(&c, 0, sizeof(c));
    enum token_verdict v = token_verify(ring, jwt, strlen(jwt), NOW, &c);
    if (v == TOKEN_VALID || v == TOKEN_EXPIRED) {
        assert(c.client_id[0] && c.account[0] && c.scope);
        assert(v == TOKEN_EXPIRED || !c.exp || c.exp > NOW);
        token_claims_cleanup(&c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_strndup(data, size);
    if (size > 1 && input[0] == 'S') {
        char *f[2];
        fuzz_fields(input + 1, f, 2);
        for (int i = 0; i < 2; i++) {
            char *jwt = sign_raw(algs[i], f[0], f[1]);
            check(jwt);
            free(jwt);
        }
    } else {
        check(input);
    }
    free(input);
    return 0;
}
