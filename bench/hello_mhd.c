/* SPDX-License-Identifier: MIT */
/* The benchmark baseline: a hello-world JSON server on libmicrohttpd with the same
 * threading and options as src/http/server.c, answering {"hello":"world"} to everything.
 * Usage: hello-mhd PORT [THREADS [sign]]. Runs until SIGINT or SIGTERM. It measures the
 * library's ceiling on this machine; rcauth's own figures are compared with it.
 * With "sign", each answer is instead one Ed25519 signature (libsodium, as rcauth's tokens)
 * of a distinct message the size of an access token's header and claims: the most token
 * issuance could reach here if it did nothing else. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hello[] = "{\"hello\":\"world\"}";
static bool sign_mode;
static unsigned char secret_key[crypto_sign_SECRETKEYBYTES];

/* {"sig":"…"}: the signature of a 400-byte message made distinct by a counter. */
static struct MHD_Response *signed_answer(void)
{
    static unsigned long counter;
    unsigned char msg[400], sig[crypto_sign_BYTES];
    char
        b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    char body[sizeof(b64) + 16];
    unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

    memset(msg, 'x', sizeof(msg));
    memcpy(msg, &n, sizeof(n));
    crypto_sign_detached(sig, NULL, msg, sizeof(msg), secret_key);
    sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int len = snprintf(body, sizeof(body), "{\"sig\":\"%s\"}", b64);
    return MHD_create_response_from_buffer((size_t)len, body, MHD_RESPMEM_MUST_COPY);
}

/* Any non-NULL marker: the first call only records that the request has started. */
static int started;

/* Answer on the second call only: answering on the first one makes MHD close the
 * connection (no keep-alive). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (!*con_cls) {
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* bodies are read and dropped */
        return MHD_YES;
    }
    r = sign_mode ? signed_answer()
                  : MHD_create_response_from_buffer(sizeof(hello) - 1, (void *)hello,
                                                    MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long port = 0, threads = 0;
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    sigset_t set;
    int sig;

    if (argc < 2 || parse_int(argv[1], 1, 65535, &port) != 0 ||
        (argc > 2 && parse_int(argv[2], 0, 1024, &threads) != 0) ||
        (argc > 3 && strcmp(argv[3], "sign") != 0) || argc > 4) {
        fprintf(stderr, "usage: %s PORT [THREADS [sign]]\n", argv[0]);
        return 2;
    }
    sign_mode = argc > 3;
    if (sign_mode) {
        unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
        if (sodium_init() < 0)
            return 1;
        crypto_sign_keypair(public_key, secret_key);
    }
    if (threads == 0)
        threads = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* Block the signals before the pool threads start so that only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(36 * 1024), MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "hello-mhd: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    fprintf(stderr, "hello-mhd: listening on 127.0.0.1:%ld with %ld threads\n", port, threads);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
