/* SPDX-License-Identifier: MIT */
/* The key ring: the signing keys of the store, in memory, with their private halves
 * unsealed. Keys live in the store with the private half sealed with the server key
 * (crypto_secretbox: a random 24-byte nonce, then the box); every instance sharing the store
 * loads them. Which keys sign and which verify is the lifetime rule's (lifetime.c): the
 * newest key of each algorithm signs it; a superseded key verifies, and is in the JWKS, until
 * no token it signed can be live; a retired key does neither.
 *
 * Readers (token_sign, token_verify, the JWKS) hold a read lock for one signature; the
 * loader builds a whole new key set, its JWKS document included, outside that lock and swaps
 * it in under the write lock, so readers wait at most for the swap. One loader at a time
 * (load_mutex). No SQL ever runs under the read lock.
 *
 * Every instance looks at the store about once a second (keyring_refresh), and at once when
 * a token names a kid it does not know or the JWKS is asked for (rate-limited): a key made by
 * another instance verifies here as soon as that instance signs with it.
 *
 * A key's max_exp in the store is a reservation, written ahead: every token the key signed
 * expires no later, and signed_non_expiring is set before it signs a token without exp. So
 * the lifetime rule keeps a key as long as its tokens even when an instance crashes. The
 * reservation of the key a process signs with is kept `reserve` seconds ahead of now by
 * keyring_reserve_ahead() about once a second; token_sign writes only for a token that
 * outlives it (at most once per `reserve` seconds per key) or for the first token without exp.
 *
 * Each JWS algorithm is one constant table (struct key_alg): ed25519.c, es256.c. JWS encoding
 * and decoding are in jwt.c. */
#include "token/keyring_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define SEAL_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define JWKS_MAX (1024 * 1024)

/* Every algorithm rcauth signs with. */
static const struct key_alg *const algs[] = {&key_alg_eddsa, &key_alg_es256};
#define ALG_COUNT (sizeof(algs) / sizeof(algs[0]))

/* The published keys of one load from the store, immutable once published (but the
 * reservations). */
struct keyset {
    struct key *keys; /* oldest first, as the store lists them */
    size_t n;
    size_t cap;
    const struct key *signer[ALG_COUNT]; /* per entry of algs[]: the current key, or NULL */
    struct buf jwks;                     /* the JWKS document of these keys */
    int64_t next_drop;                   /* the earliest drop_at of these keys; 0 = none */
};

struct keyring {
    struct store *st; /* borrowed */
    uint8_t server_key[32];
    const struct key_alg *sign_alg; /* what this process signs with */
    pthread_rwlock_t lock;          /* guards set against the swap */
    pthread_mutex_t load_mutex;     /* one loader or store writer at a time; guards below */
    struct keyset *set;             /* replaced only with load_mutex held */
    int64_t revision;               /* the store's revision when set was loaded */
    int64_t newest;                 /* the latest created_at in the store at that load */
    bool signing;                   /* keyring_start_signing(): keep a key of sign_alg */
    int64_t reserve;                /* seconds reservations run ahead; 0 = just the token's */
    int64_t looked_us;              /* monotonic start of the last look that set reflects */
    int64_t kid_tat, jwks_tat;      /* rate limits of the looks forced by requests (GCRA) */
};

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

/* ---- public JWKs ---------------------------------------------------------------------- */

/* RFC 7638 §3: SHA-256 of the required members, in lexicographic order, without spaces. */
int keyring_thumbprint(const struct key_alg *alg, const uint8_t *pub, size_t pub_len,
                       char kid[STORE_KID_SIZE])
{
    uint8_t hash[crypto_hash_sha256_BYTES];
    struct buf b;
    struct jsonw w;
    buf_init(&b, 512);
    jsonw_init(&w, &b);
    jsonw_object_begin(&w);
    int rc = alg->jwk_members(pub, pub_len, &w);
    jsonw_object_end(&w);
    if (!rc)
        rc = jsonw_finish(&w);
    if (!rc) {
        crypto_hash_sha256(hash, (const uint8_t *)b.data, b.len);
        base64url_encode(hash, sizeof(hash), kid);
    }
    buf_cleanup(&b);
    return rc;
}

/* RFC 7517 §4: the key-type members, then "kid", "alg" (§4.4) and "use":"sig" (§4.2). */
static int write_jwk(const struct key_alg *alg, const char *kid, const uint8_t *pub, size_t pub_len,
                     struct jsonw *w)
{
    jsonw_object_begin(w);
    int rc = alg->jwk_members(pub, pub_len, w);
    jsonw_kv_string(w, "kid", kid);
    jsonw_kv_string(w, "alg", alg->name);
    jsonw_kv_string(w, "use", "sig");
    jsonw_object_end(w);
    return rc;
}

void keyring_write_jwk(const struct store_signing_key *row, struct jsonw *w)
{
    const struct key_alg *alg = keyring_alg_find(row->alg);
    if (!alg || write_jwk(alg, row->kid, row->public_key, row->public_len, w) != 0)
        log_msg(LOG_WARN, "signing key without a public JWK", "kid", row->kid, NULL);
    if (!alg)
        jsonw_null(w);
}

/* ---- key sets ------------------------------------------------------------------------- */

static struct keyset *keyset_new(void)
{
    struct keyset *set = xcalloc(1, sizeof(*set));
    buf_init(&set->jwks, JWKS_MAX);
    return set;
}

static void key_wipe(struct key *k)
{
    if (k->alg && k->alg->release)
        k->alg->release(k);
    sodium_memzero(k, sizeof(*k));
}

static void keyset_free(struct keyset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        key_wipe(&set->keys[i]);
    free(set->keys);
    buf_cleanup(&set->jwks);
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

static const struct key *keyset_find(const struct keyset *set, const char *kid)
{
    for (size_t i = 0; set && i < set->n; i++)
        if (strcmp(set->keys[i].kid, kid) == 0)
            return &set->keys[i];
    return NULL;
}

/* RFC 7517 §5: {"keys":[…]}, built once per set. */
static int keyset_build_jwks(struct keyset *set)
{
    struct jsonw w;
    jsonw_init(&w, &set->jwks);
    jsonw_object_begin(&w);
    jsonw_key(&w, "keys");
    jsonw_array_begin(&w);
    int rc = 0;
    for (size_t i = 0; i < set->n && !rc; i++) {
        const struct key *k = &set->keys[i];
        rc = write_jwk(k->alg, k->kid, k->pub, k->pub_len, &w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    return rc ? rc : jsonw_finish(&w);
}

/* ---- reservations --------------------------------------------------------------------- */

bool keyring_is_reserved(const struct key *k, int64_t exp)
{
    if (exp == 0)
        return __atomic_load_n(&k->reserved_non_expiring, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&k->reserved_max_exp, __ATOMIC_ACQUIRE) >= exp;
}

/* Reserve in the store that k signs tokens expiring up to max_exp (0: no change), or without
 * exp, then in memory: in that order, so that what token_sign trusts is always in the store.
 * Caller holds load_mutex, and k is in kr->set. */
static int reserve(struct keyring *kr, struct key *k, int64_t max_exp, bool non_expiring)
{
    int rc = kr->st->ops->signing_key_note(kr->st, k->kid, max_exp, non_expiring);
    if (rc)
        return rc;
    if (max_exp > __atomic_load_n(&k->reserved_max_exp, __ATOMIC_RELAXED))
        __atomic_store_n(&k->reserved_max_exp, max_exp, __ATOMIC_RELEASE);
    if (non_expiring)
        __atomic_store_n(&k->reserved_non_expiring, 1, __ATOMIC_RELEASE);
    return 0;
}

/* The key that signs alg in the current set, or NULL. Caller holds load_mutex or the read
 * lock. */
static struct key *signer_of(const struct keyring *kr, const struct key_alg *alg)
{
    size_t a = alg_index(alg);
    return a < ALG_COUNT ? (struct key *)kr->set->signer[a] : NULL;
}

/* Keep the reservation of this process's signing key ahead of now. Caller holds load_mutex. */
static int reserve_ahead(struct keyring *kr)
{
    struct key *k = kr->signing ? signer_of(kr, kr->sign_alg) : NULL;
    int64_t now = time_now();
    if (!k || __atomic_load_n(&k->reserved_max_exp, __ATOMIC_RELAXED) >= now + kr->reserve)
        return 0;
    return reserve(kr, k, now + 2 * kr->reserve, false);
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

/* ---- the store's rows and their fate -------------------------------------------------- */

struct rows {
    struct store_signing_key *v;
    struct key_fate *fate;
    size_t n;
    size_t cap;
};

static int row_collect(void *ctx, const struct store_signing_key *row)
{
    struct rows *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = *row;
    return 0;
}

static void rows_cleanup(struct rows *r)
{
    if (r->v)
        sodium_memzero(r->v, r->cap * sizeof(*r->v));
    free(r->v);
    free(r->fate);
    memset(r, 0, sizeof(*r));
}

/* Every key of the store, judged now. r starts zeroed; the caller cleans it up, also on
 * failure. Caller holds load_mutex. */
static int rows_read(struct keyring *kr, struct rows *r)
{
    int rc = kr->st->ops->signing_key_list(kr->st, row_collect, r);
    if (rc)
        return rc;
    r->fate = xcalloc(r->n + 1, sizeof(*r->fate));
    for (size_t i = 0; i < r->n; i++) {
        const struct store_signing_key *row = &r->v[i];
        r->fate[i] = (struct key_fate){
            .alg = row->alg,
            .created_at = row->created_at,
            .retired_at = row->retired_at,
            .max_exp = row->max_exp,
            .non_expiring = row->signed_non_expiring,
        };
    }
    keyring_judge(r->fate, r->n, time_now());
    return 0;
}

static size_t rows_find(const struct rows *r, const char *kid)
{
    size_t i = 0;
    while (i < r->n && strcmp(r->v[i].kid, kid) != 0)
        i++;
    return i;
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
    k->reserved_max_exp = row->max_exp;
    k->reserved_non_expiring = row->signed_non_expiring;
    int rc = unseal(kr, row, plain, &n);
    if (rc) {
        log_msg(LOG_ERROR, "cannot unseal a signing key: the server key does not match the store",
                "kid", k->kid, NULL);
        goto out;
    }
    size_t pub_len = row->public_len <= sizeof(row->public_key) ? row->public_len : 0;
    rc = alg->load(k, row->public_key, pub_len, plain, n);
    if (!rc)
        rc = token_header_encode(k);
    if (rc)
        log_msg(LOG_ERROR, "signing key in the store is corrupt: its halves do not match", "kid",
                k->kid, NULL);
out:
    sodium_memzero(plain, sizeof(plain));
    return rc;
}

/* The published keys of r, unsealed, with their signers, JWKS and next drop time. */
static int keyset_load(const struct keyring *kr, const struct rows *r, struct keyset *set)
{
    size_t current[ALG_COUNT]; /* index in set->keys; pointers wait: keyset_push moves keys */
    for (size_t a = 0; a < ALG_COUNT; a++)
        current[a] = SIZE_MAX;
    for (size_t i = 0; i < r->n; i++) {
        const struct key_alg *alg = keyring_alg_find(r->v[i].alg);
        if (!r->fate[i].published)
            continue;
        if (!alg) {
            /* written by a newer rcauth sharing the store: keep serving with the others */
            log_msg(LOG_WARN, "signing key of an unsupported algorithm ignored", "kid", r->v[i].kid,
                    "alg", r->v[i].alg, NULL);
            continue;
        }
        struct key *k = keyset_push(set);
        int rc = key_from_row(kr, &r->v[i], alg, k);
        if (rc) {
            sodium_memzero(k, sizeof(*k));
            set->n--;
            return rc;
        }
        if (r->fate[i].current)
            current[alg_index(alg)] = set->n - 1;
        int64_t drop = r->fate[i].drop_at;
        if (drop && (!set->next_drop || drop < set->next_drop))
            set->next_drop = drop;
    }
    for (size_t a = 0; a < ALG_COUNT; a++)
        set->signer[a] = current[a] == SIZE_MAX ? NULL : &set->keys[current[a]];
    return keyset_build_jwks(set);
}

/* Swap in a new key set; *set receives the old one for the caller to free outside the lock.
 * The reservations need no carrying: they are written to the store before memory, and the
 * new set was read from the store under the same load_mutex. Caller holds load_mutex. */
static void publish(struct keyring *kr, struct keyset **set, int64_t revision)
{
    pthread_rwlock_wrlock(&kr->lock);
    struct keyset *old = kr->set;
    kr->set = *set;
    pthread_rwlock_unlock(&kr->lock);
    kr->revision = revision;
    *set = old;
}

/* Read every key from the store and publish those that verify. The revision is read first:
 * a change made during the listing is then seen again by the next refresh, never missed.
 * Caller holds load_mutex. */
static int reload(struct keyring *kr)
{
    struct keyset *set = keyset_new();
    struct rows r = {0};
    int64_t revision = 0, start = time_mono_us();
    int rc = kr->st->ops->revision(kr->st, &revision);
    if (!rc)
        rc = rows_read(kr, &r);
    if (!rc)
        rc = keyset_load(kr, &r, set);
    for (size_t i = 0; !rc && i < r.n; i++)
        if (r.v[i].created_at > kr->newest)
            kr->newest = r.v[i].created_at;
    if (!rc) {
        publish(kr, &set, revision);
        kr->looked_us = start;
    }
    rows_cleanup(&r);
    keyset_free(set);
    return rc;
}

/* Generate a key of alg, seal it and add it to the store. It is dated after every key of
 * the store so that it is the newest even when rotations come within one second. A key this
 * process is to sign with is born with its reservation: its first tokens write nothing.
 * Caller holds load_mutex and reloads. */
static int create_key(struct keyring *kr, const struct key_alg *alg, char kid[STORE_KID_SIZE])
{
    struct key k;
    struct store_signing_key row;
    memset(&k, 0, sizeof(k));
    memset(&row, 0, sizeof(row));
    k.alg = alg;
    int rc = alg->generate(&k);
    if (!rc)
        rc = keyring_thumbprint(alg, k.pub, k.pub_len, k.kid);
    if (rc)
        goto out;
    int64_t now = time_now();
    row.created_at = now > kr->newest ? now : kr->newest + 1;
    if (kr->signing && alg == kr->sign_alg)
        row.max_exp = now + 2 * kr->reserve;
    memcpy(row.kid, k.kid, sizeof(row.kid));
    memcpy(row.alg, alg->name, strlen(alg->name) + 1);
    memcpy(row.public_key, k.pub, k.pub_len);
    row.public_len = (uint32_t)k.pub_len;
    rc = seal(kr, &k, &row);
    if (!rc)
        rc = kr->st->ops->signing_key_add(kr->st, &row);
    if (rc)
        goto out;
    kr->newest = row.created_at;
    memcpy(kid, k.kid, STORE_KID_SIZE);
    log_msg(LOG_INFO, "signing key created", "kid", k.kid, "alg", alg->name, NULL);
out:
    key_wipe(&k);
    sodium_memzero(&row, sizeof(row));
    return rc;
}

/* A process that signs needs a current key of its algorithm: at start on a store without
 * one, and when an admin retired it (SPEC §4). Caller holds load_mutex. */
static int ensure_signer(struct keyring *kr)
{
    char kid[STORE_KID_SIZE];
    if (!kr->signing || signer_of(kr, kr->sign_alg))
        return 0;
    int rc = create_key(kr, kr->sign_alg, kid);
    return rc ? rc : reload(kr);
}

/* Look at the store: reload when another process changed it, or when a key is due to stop
 * verifying (judged again on the store's newest reservations: another instance may have
 * raised one); and keep a key to sign with. Caller holds load_mutex. */
static int look(struct keyring *kr)
{
    int64_t revision = 0, drop = kr->set->next_drop, start = time_mono_us();
    int rc = kr->st->ops->revision(kr->st, &revision);
    if (!rc && (revision != kr->revision || (drop && time_now() >= drop)))
        rc = reload(kr);
    else if (!rc)
        kr->looked_us = start;
    return rc ? rc : ensure_signer(kr);
}

/* GCRA (a token bucket as one time): true when a look may start at now — at most
 * KEYRING_CATCH_UP_BURST at once, then one per KEYRING_CATCH_UP_US. */
static bool limit_take(int64_t *tat, int64_t now)
{
    int64_t t = *tat > now ? *tat : now;
    if (t - now > (KEYRING_CATCH_UP_BURST - 1) * (int64_t)KEYRING_CATCH_UP_US)
        return false;
    *tat = t + KEYRING_CATCH_UP_US;
    return true;
}

/* Make the set reflect a look at the store begun after seen_us, within the rate limit tat.
 * Returns true when it does. Caller holds load_mutex: a look in flight is waited for. */
static bool catch_up(struct keyring *kr, int64_t seen_us, int64_t *tat)
{
    if (kr->looked_us < seen_us && limit_take(tat, time_mono_us()))
        (void)look(kr); /* a failure leaves looked_us as it was */
    return kr->looked_us >= seen_us;
}

/* ---- the interface -------------------------------------------------------------------- */

int keyring_open(struct store *st, const uint8_t server_key[32], const char *alg,
                 struct keyring **out)
{
    const struct key_alg *ka = keyring_alg_find(alg ? alg : "EdDSA");
    if (!ka)
        return RC_EINVAL;
    struct keyring *kr = xcalloc(1, sizeof(*kr));
    pthread_rwlockattr_t attr;
    kr->st = st;
    kr->sign_alg = ka;
    memcpy(kr->server_key, server_key, sizeof(kr->server_key));
    /* writer preference: a steady stream of readers must not starve a key swap */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&kr->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&kr->load_mutex, NULL);
    kr->set = keyset_new();
    kr->looked_us = INT64_MIN;

    pthread_mutex_lock(&kr->load_mutex);
    int rc = reload(kr);
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

int keyring_start_signing(struct keyring *kr, int64_t reserve)
{
    if (reserve < 0)
        return RC_EINVAL;
    pthread_mutex_lock(&kr->load_mutex);
    kr->signing = true;
    kr->reserve = reserve;
    /* Two instances starting on an empty store may both create a key: both are kept and
     * the newest signs everywhere once each has reloaded. */
    int rc = ensure_signer(kr);
    if (!rc)
        rc = reserve_ahead(kr);
    pthread_mutex_unlock(&kr->load_mutex);
    return rc;
}

const char *keyring_alg(const struct keyring *kr)
{
    return kr->sign_alg->name;
}

int keyring_refresh(struct keyring *kr)
{
    /* waits for a holder rather than skip: a request's catch-up may hold it briefly */
    pthread_mutex_lock(&kr->load_mutex);
    int rc = look(kr);
    pthread_mutex_unlock(&kr->load_mutex);
    return rc;
}

int keyring_reserve_ahead(struct keyring *kr)
{
    pthread_mutex_lock(&kr->load_mutex);
    int rc = reserve_ahead(kr);
    pthread_mutex_unlock(&kr->load_mutex);
    return rc;
}

int keyring_reserve_lock(struct keyring *kr, const struct key_alg *alg, int64_t exp,
                         const struct key **k)
{
    pthread_mutex_lock(&kr->load_mutex);
    struct key *key = signer_of(kr, alg);
    int rc = key ? 0 : RC_ENOTFOUND;
    /* a token that outlives the reservation moves it a whole reserve past its exp, so that
     * the next such token of the key is likely covered */
    if (key && !keyring_is_reserved(key, exp))
        rc = exp ? reserve(kr, key, exp + kr->reserve, false) : reserve(kr, key, 0, true);
    if (rc) {
        pthread_mutex_unlock(&kr->load_mutex);
        return rc;
    }
    *k = key;
    return 0;
}

void keyring_reserve_unlock(struct keyring *kr)
{
    pthread_mutex_unlock(&kr->load_mutex);
}

bool keyring_catch_up(struct keyring *kr, int64_t seen_us)
{
    pthread_mutex_lock(&kr->load_mutex);
    bool fresh = catch_up(kr, seen_us, &kr->kid_tat);
    pthread_mutex_unlock(&kr->load_mutex);
    return fresh;
}

int keyring_rotate(struct keyring *kr, const char *alg, char *kid_out)
{
    const struct key_alg *ka = alg ? keyring_alg_find(alg) : kr->sign_alg;
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

int keyring_retire(struct keyring *kr, const char *kid, bool *newly)
{
    struct rows r = {0};
    *newly = false;
    pthread_mutex_lock(&kr->load_mutex);
    int rc = rows_read(kr, &r);
    size_t i = rows_find(&r, kid);
    if (rc)
        goto out;
    if (i == r.n) {
        rc = RC_ENOTFOUND;
        goto out;
    }
    /* what this process signs with must stay: it could sign nothing (SPEC §4) */
    if (r.fate[i].current && keyring_alg_find(r.v[i].alg) == kr->sign_alg) {
        rc = RC_ECONFLICT;
        goto out;
    }
    *newly = r.v[i].retired_at == 0;
    if (*newly)
        rc = kr->st->ops->signing_key_retire(kr->st, kid, time_now());
    if (!rc)
        rc = reload(kr);
out:
    rows_cleanup(&r);
    pthread_mutex_unlock(&kr->load_mutex);
    return rc;
}

int keyring_list(struct keyring *kr, keyring_list_cb cb, void *ctx)
{
    struct rows r = {0};
    pthread_mutex_lock(&kr->load_mutex);
    int rc = rows_read(kr, &r);
    pthread_mutex_unlock(&kr->load_mutex);
    for (size_t i = 0; !rc && i < r.n; i++) {
        const struct key_fate *f = &r.fate[i];
        struct keyring_key_info info = {
            .row = &r.v[i],
            .rotated_at = f->rotated_at,
            .max_exp = f->max_exp,
            .signed_non_expiring = f->non_expiring,
            .current = f->current,
            .published = f->published,
            .drop_at = f->drop_at,
        };
        if (cb(ctx, &info))
            break;
    }
    rows_cleanup(&r);
    return rc;
}

int keyring_jwks(struct keyring *kr, struct buf *out)
{
    int64_t seen = time_mono_us();
    pthread_mutex_lock(&kr->load_mutex);
    /* a verifier meeting a kid made moments ago by another instance fetches the set here;
     * when the store cannot be read, the keys already loaded are the best answer */
    (void)catch_up(kr, seen, &kr->jwks_tat);
    pthread_mutex_unlock(&kr->load_mutex);
    keyring_read_lock(kr);
    int rc = buf_append(out, kr->set->jwks.data, kr->set->jwks.len);
    keyring_read_unlock(kr);
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
    return signer_of(kr, alg);
}

const struct key *keyring_find(const struct keyring *kr, const char *kid)
{
    return keyset_find(kr->set, kid);
}

bool keyring_publishes(struct keyring *kr, const char *kid)
{
    keyring_read_lock(kr);
    bool found = keyset_find(kr->set, kid) != NULL;
    keyring_read_unlock(kr);
    return found;
}

const struct key_alg *keyring_sign_alg(const struct keyring *kr)
{
    return kr->sign_alg;
}
