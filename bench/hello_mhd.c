/* SPDX-License-Identifier: MIT */
/* The benchmark baseline: a hello-world JSON server on libmicrohttpd with the same
 * threading and options as src/http/server.c, answering {"hello":"world"} to everything.
 * Usage: hello-mhd PORT [THREADS]. Runs until SIGINT or SIGTERM. It measures the
 * library's ceiling on this machine; rcauth's own figures are compared with it. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char hello[] = "{\"hello\":\"world\"}";

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
    r = MHD_create_response_from_buffer(sizeof(hello) - 1, (void *)hello, MHD_RESPMEM_PERSISTENT);
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
        (argc > 2 && parse_int(argv[2], 0, 1024, &threads) != 0)) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
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
