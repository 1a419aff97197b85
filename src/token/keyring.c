/* SPDX-License-Identifier: MIT */
/* The key ring: the signing keys of the store, in memory, with their private halves
 * unsealed. Keys live in the store with the private half sealed with the server key
 * (crypto_secretbox: a random 24-byte nonce, then the box); every instance sharing the store
 * loads them all. The newest key of each algorithm signs; every key verifies.
 *
 * Readers (token_sign, token_verify, the JWKS) hold a read lock for one signature; the
 * loader builds a whole new key set outside that lock and swaps it in under the write lock,
 * so readers wait at most for the swap. One loader at a time (load_mutex).
 *
 * Each JWS algorithm is one constant table (struct key_alg). Ed25519 (RFC 8037) is here;
 * ES256 (RFC 7518 §3.4) will be another table in its own file, added to algs[]. JWS
 * encoding and decoding are in jwt.c. */
#include "token/keyring_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define SEAL_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)

/* The keys of one load from the store, immutable once published. */
struct keyset {
    struct key *keys; /* oldest first, as the store lists them */
    size_t n;
    size_t cap;
    const struct key **signer; /* per entry of algs[]: the newest key, or NULL */
};

struct keyring {
    struct store *st; /* borrowed */
    uint8_t server_key[32];
    pthread_rwlock_t lock;      /* guards set against the swap */
    pthread_mutex_t load_mutex; /* one loader or rotation at a time; guards revision */
    struct keyset *set;         /* replaced only with load_mutex held */
    int64_t revision;           /* the store's revision when set was loaded */
};

/* ---- Ed25519 (RFC 8037) ---------------------------------------------------------------- */

/* RFC 7638 §3.2: the thumbprint hashes the required members in lexicographic order. */
static int ed25519_kid(struct key *k)
{
    char x[64];
    uint8_t hash[crypto_hash_sha256_BYTES];
    struct buf b;
    struct jsonw w;
    base64url_encode(k->pub, crypto_sign_PUBLICKEYBYTES, x);
    buf_init(&b, 256);
    jsonw_init(&w, &b);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "crv", "Ed25519");
    jsonw_kv_string(&w, "kty", "OKP");
    jsonw_kv_string(&w, "x", x);
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    if (rc)
        goto out;
    crypto_hash_sha256(hash, (const uint8_t *)b.data, b.len);
    base64url_encode(hash, sizeof(hash), k->kid);
out:
    buf_cleanup(&b);
    return rc;
}

static int ed25519_generate(struct key *k)
{
    if (crypto_sign_keypair(k->pub, k->priv.ed25519_sk) != 0)
        return RC_ECRYPTO;
    k->pub_len = crypto_sign_PUBLICKEYBYTES;
    return ed25519_kid(k);
}

/* The private half is libsodium's 64-byte secret key (seed || public key). Rebuilding it
 * from the seed proves that both halves belong together. */
static int ed25519_load(struct key *k, const uint8_t *pub, size_t pub_len, const uint8_t *priv,
                        size_t priv_len)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    int rc = RC_ECRYPTO;
    if (pub_len != crypto_sign_PUBLICKEYBYTES || priv_len != crypto_sign_SECRETKEYBYTES)
        goto out;
    /* the seed is the first half of libsodium's secret key */
    if (crypto_sign_seed_keypair(pk, k->priv.ed25519_sk, priv) != 0)
        goto out;
    if (sodium_memcmp(pk, pub, sizeof(pk)) != 0 ||
        sodium_memcmp(k->priv.ed25519_sk, priv, priv_len) != 0)
        goto out;
    memcpy(k->pub, pub, pub_len);
    k->pub_len = pub_len;
    rc = 0;
out:
    if (rc)
        sodium_memzero(k->priv.ed25519_sk, sizeof(k->priv.ed25519_sk));
    return rc;
}

static int ed25519_export_private(const struct key *k, uint8_t *out, size_t cap, size_t *len)
{
    if (cap < crypto_sign_SECRETKEYBYTES)
        return RC_ELIMIT;
    memcpy(out, k->priv.ed25519_sk, crypto_sign_SECRETKEYBYTES);
    *len = crypto_sign_SECRETKEYBYTES;
    return 0;
}

static int ed25519_sign(const struct key *k, const uint8_t *msg, size_t len,
                        uint8_t sig[KEY_SIG_MAX], size_t *sig_len)
{
    unsigned long long n = 0;
    if (crypto_sign_detached(sig, &n, msg, len, k->priv.ed25519_sk) != 0)
        return RC_ECRYPTO;
    *sig_len = (size_t)n;
    return 0;
}

static bool ed25519_verify(const struct key *k, const uint8_t *msg, size_t len, const uint8_t *sig,
                           size_t sig_len)
{
    return sig_len == crypto_sign_BYTES && crypto_sign_verify_detached(sig, msg, len, k->pub) == 0;
}

/* RFC 8037 §2: an OKP key with crv "Ed25519" and the public key in x. */
static void ed25519_jwk_members(const struct key *k, struct jsonw *w)
{
    char x[64];
    base64url_encode(k->pub, crypto_sign_PUBLICKEYBYTES, x);
    jsonw_kv_string(w, "kty", "OKP");
    jsonw_kv_string(w, "crv", "Ed25519");
    jsonw_kv_string(w, "x", x);
}

static const struct key_alg alg_eddsa = {
    .name = "EdDSA", /* RFC 8037 §3.1 */
    .generate = ed25519_generate,
    .load = ed25519_load,
    .export_private = ed25519_export_private,
    .sign = ed25519_sign,
    .verify = ed25519_verify,
    .jwk_members = ed25519_jwk_members,
    .release = NULL,
};

/* Every algorithm rcauth signs with; ES256 goes here when it lands. */
static const struct key_alg *const algs[] = {&alg_eddsa};
#define ALG_COUNT (sizeof(algs) / sizeof(algs[0]))

const struct key_alg *keyring_alg_find(const char *name)
{
    for (size_t i = 0; name && i < ALG_COUNT; i++)
        if (strcmp(algs[i]->name, name) == 0)
            return algs[i];
    return NULL;
}

static size_t alg_index(const struct key_alg *alg)
{
    size_t i = 0;
    while (i < ALG_COUNT && algs[i] != alg)
        i++;
    return i;
}

/* ---- key sets ------------------------------------------------------------------------- */

static struct keyset *keyset_new(void)
{
    struct keyset *set = xcalloc(1, sizeof(*set));
    set->signer = xcalloc(ALG_COUNT, sizeof(*set->signer));
    return set;
}

static void keyset_free(struct keyset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        if (set->keys[i].alg->release)
            set->keys[i].alg->release(&set->keys[i]);
    }
    if (set->keys)
        sodium_memzero(set->keys, set->cap * sizeof(*set->keys));
    free(set->keys);
    free(set->signer);
    free(set);
}

/* A zeroed slot at the end of the set. */
static struct key *keyset_push(struct keyset *set)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4;
        struct key *keys = xcalloc(cap, sizeof(*keys));
        if (set->n) {
            memcpy(keys, set->keys, set->n * sizeof(*keys));
            sodium_memzero(set->keys, set->cap * sizeof(*keys));
        }
        free(set->keys);
        set->keys = keys;
        set->cap = cap;
    }
    return &set->keys[set->n++];
}

/* The newest key of each algorithm signs; on equal created_at the one the store lists
 * later (added later) wins, so every instance picks the same one. */
static void keyset_pick_signers(struct keyset *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct key *k = &set->keys[i];
        size_t a = alg_index(k->alg);
        if (!set->signer[a] || k->created_at >= set->signer[a]->created_at)
            set->signer[a] = k;
    }
}

static int64_t keyset_newest(const struct keyset *set)
{
    int64_t t = 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->keys[i].created_at > t)
            t = set->keys[i].created_at;
    return t;
}

/* ---- sealing -------------------------------------------------------------------------- */

static int seal(const struct keyring *kr, const struct key *k, struct store_signing_key *row)
{
    uint8_t plain[KEY_PRIVATE_MAX];
    size_t n = 0;
    int rc = k->alg->export_private(k, plain, sizeof(plain), &n);
    if (rc)
        goto out;
    if (n + SEAL_OVERHEAD > sizeof(row->sealed_private)) {
        rc = RC_ELIMIT;
        goto out;
    }
    uint8_t *nonce = row->sealed_private;
    randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, plain, n, nonce, kr->server_key);
    row->sealed_len = (uint32_t)(n + SEAL_OVERHEAD);
out:
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

/* plain receives the private half (KEY_PRIVATE_MAX bytes); RC_ECRYPTO when the box does not
 * open with our server key. */
static int unseal(const struct keyring *kr, const struct store_signing_key *row,
                  uint8_t plain[KEY_PRIVATE_MAX], size_t *len)
{
    size_t sealed_len = row->sealed_len;
    if (sealed_len < SEAL_OVERHEAD || sealed_len > sizeof(row->sealed_private) ||
        sealed_len - SEAL_OVERHEAD > KEY_PRIVATE_MAX)
        return RC_ECRYPTO;
    const uint8_t *nonce = row->sealed_private;
    if (crypto_secretbox_open_easy(plain, nonce + crypto_secretbox_NONCEBYTES,
                                   sealed_len - crypto_secretbox_NONCEBYTES, nonce,
                                   kr->server_key) != 0)
        return RC_ECRYPTO;
    *len = sealed_len - SEAL_OVERHEAD;
    return 0;
}

/* ---- loading -------------------------------------------------------------------------- */

static int key_from_row(const struct keyring *kr, const struct store_signing_key *row,
                        const struct key_alg *alg, struct key *k)
{
    uint8_t plain[KEY_PRIVATE_MAX];
    size_t n = 0;
    k->alg = alg;
    memcpy(k->kid, row->kid, sizeof(k->kid));
    k->kid[sizeof(k->kid) - 1] = '\0';
    k->created_at = row->created_at;
    int rc = unseal(kr, row, plain, &n);
    if (rc) {
        log_msg(LOG_ERROR, "cannot unseal a signing key: the server key does not match the store",
                "kid", k->kid, NULL);
        goto out;
    }
    size_t pub_len = row->public_len <= sizeof(row->public_key) ? row->public_len : 0;
    rc = alg->load(k, row->public_key, pub_len, plain, n);
    if (rc)
        log_msg(LOG_ERROR, "signing key in the store is corrupt: its halves do not match", "kid",
                k->kid, NULL);
out:
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

struct load_ctx {
    const struct keyring *kr;
    struct keyset *set;
    int rc;
};

static int load_row(void *ctx, const struct store_signing_key *row)
{
    struct load_ctx *lc = ctx;
    const struct key_alg *alg = keyring_alg_find(row->alg);
    if (!alg) {
        /* written by a newer rcauth sharing the store: keep serving with the others */
        log_msg(LOG_WARN, "signing key of an unsupported algorithm ignored", "kid", row->kid, "alg",
                row->alg, NULL);
        return 0;
    }
    struct key *k = keyset_push(lc->set);
    lc->rc = key_from_row(lc->kr, row, alg, k);
    if (lc->rc) {
        sodium_memzero(k, sizeof(*k));
        lc->set->n--;
        return 1;
    }
    return 0;
}

/* Swap in a new key set; *set receives the old one for the caller to free outside the
 * lock. Caller holds load_mutex. */
static void publish(struct keyring *kr, struct keyset **set, int64_t revision)
{
    pthread_rwlock_wrlock(&kr->lock);
    struct keyset *old = kr->set;
    kr->set = *set;
    pthread_rwlock_unlock(&kr->lock);
    kr->revision = revision;
    *set = old;
}

/* Read every key from the store and publish them. The revision is read first: a change
 * made during the listing is then seen again by the next refresh, never missed. Caller
 * holds load_mutex. */
static int reload(struct keyring *kr)
{
    struct keyset *set = keyset_new();
    struct load_ctx lc = {.kr = kr, .set = set, .rc = 0};
    int64_t revision = 0;
    int rc = kr->st->ops->revision(kr->st, &revision);
    if (rc)
        goto out;
    rc = kr->st->ops->signing_key_list(kr->st, load_row, &lc);
    if (!rc)
        rc = lc.rc;
    if (rc)
        goto out;
    keyset_pick_signers(set);
    publish(kr, &set, revision);
out:
    keyset_free(set);
    return rc;
}

/* Generate a key of alg, seal it and add it to the store. It is dated after every key we
 * know so that it is the newest even when rotations come within one second. Caller holds
 * load_mutex. */
static int create_key(struct keyring *kr, const struct key_alg *alg, char kid[STORE_KID_SIZE])
{
    struct key k;
    struct store_signing_key row;
    memset(&k, 0, sizeof(k));
    memset(&row, 0, sizeof(row));
    k.alg = alg;
    int rc = alg->generate(&k);
    if (rc)
        goto out;
    int64_t now = time_now();
    int64_t newest = kr->set ? keyset_newest(kr->set) : 0;
    row.created_at = now > newest ? now : newest + 1;
    memcpy(row.kid, k.kid, sizeof(row.kid));
    memcpy(row.alg, alg->name, strlen(alg->name) + 1);
    memcpy(row.public_key, k.pub, k.pub_len);
    row.public_len = (uint32_t)k.pub_len;
    rc = seal(kr, &k, &row);
    if (!rc)
        rc = kr->st->ops->signing_key_add(kr->st, &row);
    if (rc)
        goto out;
    memcpy(kid, k.kid, STORE_KID_SIZE);
    log_msg(LOG_INFO, "signing key created", "kid", k.kid, "alg", alg->name, NULL);
out:
    if (alg->release)
        alg->release(&k);
    sodium_memzero(&k, sizeof(k));
    return rc;
}

/* ---- the interface -------------------------------------------------------------------- */

int keyring_open(struct store *st, const uint8_t server_key[32], struct keyring **out)
{
    struct keyring *kr = xcalloc(1, sizeof(*kr));
    pthread_rwlockattr_t attr;
    char kid[STORE_KID_SIZE];
    kr->st = st;
    memcpy(kr->server_key, server_key, sizeof(kr->server_key));
    /* writer preference: a steady stream of readers must not starve a key swap */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&kr->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&kr->load_mutex, NULL);

    pthread_mutex_lock(&kr->load_mutex);
    int rc = reload(kr);
    /* Two instances starting on an empty store may both get here: both keys are kept and
     * the newest signs everywhere once each has reloaded. */
    if (!rc && kr->set->n == 0) {
        rc = create_key(kr, &alg_eddsa, kid);
        if (!rc)
            rc = reload(kr);
    }
    pthread_mutex_unlock(&kr->load_mutex);
    if (rc) {
        keyring_free(kr);
        return rc;
    }
    *out = kr;
    return 0;
}

void keyring_free(struct keyring *kr)
{
    if (!kr)
        return;
    keyset_free(kr->set);
    pthread_rwlock_destroy(&kr->lock);
    pthread_mutex_destroy(&kr->load_mutex);
    sodium_memzero(kr->server_key, sizeof(kr->server_key));
    free(kr);
}

int keyring_refresh(struct keyring *kr)
{
    /* Another thread is loading or rotating: it will publish what the store holds. */
    if (pthread_mutex_trylock(&kr->load_mutex) != 0)
        return 0;
    int64_t revision = 0;
    int rc = kr->st->ops->revision(kr->st, &revision);
    if (!rc && revision != kr->revision)
        rc = reload(kr);
    pthread_mutex_unlock(&kr->load_mutex);
    return rc;
}

int keyring_rotate(struct keyring *kr, const char *alg, char *kid_out)
{
    const struct key_alg *ka = keyring_alg_find(alg);
    char kid[STORE_KID_SIZE];
    if (!ka)
        return RC_EINVAL;
    pthread_mutex_lock(&kr->load_mutex);
    int rc = create_key(kr, ka, kid);
    if (!rc)
        rc = reload(kr);
    pthread_mutex_unlock(&kr->load_mutex);
    if (!rc && kid_out)
        memcpy(kid_out, kid, STORE_KID_SIZE);
    return rc;
}

/* RFC 7517 §5: {"keys":[…]}; "use":"sig" (§4.2) and "alg" (§4.4) on each key. */
int keyring_jwks(struct keyring *kr, struct buf *out)
{
    struct buf doc;
    struct jsonw w;
    buf_init(&doc, out->max);
    jsonw_init(&w, &doc);
    jsonw_object_begin(&w);
    jsonw_key(&w, "keys");
    jsonw_array_begin(&w);
    keyring_read_lock(kr);
    for (size_t i = 0; i < kr->set->n; i++) {
        const struct key *k = &kr->set->keys[i];
        jsonw_object_begin(&w);
        k->alg->jwk_members(k, &w);
        jsonw_kv_string(&w, "kid", k->kid);
        jsonw_kv_string(&w, "alg", k->alg->name);
        jsonw_kv_string(&w, "use", "sig");
        jsonw_object_end(&w);
    }
    keyring_read_unlock(kr);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    int rc = jsonw_finish(&w);
    if (!rc)
        rc = buf_append(out, doc.data, doc.len);
    buf_cleanup(&doc);
    return rc;
}

/* ---- read side for jwt.c -------------------------------------------------------------- */

void keyring_read_lock(struct keyring *kr)
{
    pthread_rwlock_rdlock(&kr->lock);
}

void keyring_read_unlock(struct keyring *kr)
{
    pthread_rwlock_unlock(&kr->lock);
}

const struct key *keyring_signer(const struct keyring *kr, const struct key_alg *alg)
{
    size_t a = alg_index(alg);
    return a < ALG_COUNT ? kr->set->signer[a] : NULL;
}

const struct key *keyring_find(const struct keyring *kr, const char *kid)
{
    for (size_t i = 0; i < kr->set->n; i++)
        if (strcmp(kr->set->keys[i].kid, kid) == 0)
            return &kr->set->keys[i];
    return NULL;
}
