/* SPDX-License-Identifier: MIT */
/* Unit tests of the HTTP layer's guards that need no server: the framing checks done before
 * a body is read (framing.c), the connection table's request deadline and its count of busy
 * connections, on real loopback TCP sockets with a clock given by the test (conns.c), and
 * the rate limit of reports in the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/timeutil.h"
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SECOND INT64_C(1000000)
/* Long enough that the table's own sweeper, on the real clock, never cuts during a test. */
#define DEADLINE (100 * SECOND)

/* ---- framing ---- */

static int check_request(const char *version, const struct http_kv *h, size_t n)
{
    const char *why = NULL;
    int status = http_framing_check(version, h, n, &why);
    if (status)
        assert_non_null(why);
    return status;
}

/* A GET over HTTP/1.0: no Host or length needed, so only the headers' own rules apply. */
static int check(const struct http_kv *h, size_t n)
{
    return check_request("HTTP/1.0", h, n);
}

static void test_framing_accepts_plain_requests(void **state)
{
    (void)state;
    const struct http_kv plain[] = {{"Host", "x"}, {"Content-Length", "5"}, {"X-A_b.c~1", "v"}};
    const struct http_kv chunked[] = {{"Host", "x"}, {"transfer-encoding", "Chunked"}};

    assert_int_equal(check(plain, 3), 0);
    assert_int_equal(check(chunked, 2), 0);
    assert_int_equal(check(plain, 0), 0);
    /* RFC 9110 §5.5: whitespace around a value is not part of it */
    const char *spaced[] = {"chunked ", " chunked", "chunked\t", "\tCHUNKED  "};
    for (size_t i = 0; i < sizeof(spaced) / sizeof(spaced[0]); i++) {
        const struct http_kv h[] = {{"Transfer-Encoding", spaced[i]}};
        assert_int_equal(check(h, 1), 0);
    }
}

static void test_framing_refuses_control_characters_in_values(void **state)
{
    (void)state;
    const char *values[] = {"a\rContent-Length: 5", "a\nb", "\x01", "a\x7f", "\x1b[0m"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        const struct http_kv h[] = {{"Host", "x"}, {"X-A", values[i]}};
        assert_int_equal(check(h, 2), 400);
    }
    const struct http_kv tab[] = {{"Host", "x"}, {"X-A", "a\tb"}};
    assert_int_equal(check(tab, 2), 0);
    const struct http_kv utf8[] = {{"Host", "x"}, {"X-A", "caf\xc3\xa9"}};
    assert_int_equal(check(utf8, 2), 0);
}

/* Values are read eight bytes at a time: every byte value, at every place of a value longer
 * than a few words, is refused exactly when it is a control character but HTAB. */
static void test_framing_control_characters_anywhere_in_long_values(void **state)
{
    (void)state;
    char value[42];
    for (int c = 1; c < 256; c++) {
        bool control = (c < 0x20 && c != '\t') || c == 0x7f;
        for (size_t at = 0; at < sizeof(value) - 1; at++) {
            memset(value, 'a', sizeof(value) - 1);
            value[sizeof(value) - 1] = '\0';
            value[at] = (char)c;
            const struct http_kv h[] = {{"Host", "x"}, {"Authorization", value}};
            int status = check(h, 2);
            if (status != (control ? 400 : 0))
                fail_msg("byte 0x%02x at %zu: status %d", c, at, status);
        }
    }
}

static void test_framing_refuses_ambiguous_lengths(void **state)
{
    (void)state;
    const struct http_kv two_lengths[] = {{"Content-Length", "5"}, {"content-length", "5"}};
    const struct http_kv length_and_coding[] = {{"Content-Length", "5"},
                                                {"Transfer-Encoding", "chunked"}};
    const struct http_kv two_codings[] = {{"Transfer-Encoding", "chunked"},
                                          {"Transfer-Encoding", "chunked"}};

    assert_int_equal(check(two_lengths, 2), 400);
    assert_int_equal(check(length_and_coding, 2), 400);
    assert_int_equal(check(two_codings, 2), 400);
}

static void test_framing_refuses_unknown_codings(void **state)
{
    (void)state;
    const char *codings[] = {"gzip", "chunked, gzip", "gzip, chunked", "identity", "chunkedx", ""};
    for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++) {
        const struct http_kv h[] = {{"Transfer-Encoding", codings[i]}};
        assert_int_equal(check(h, 1), 501);
    }
}

static void test_framing_refuses_names_that_are_not_tokens(void **state)
{
    (void)state;
    const char *names[] = {"Content-Length ", "Foo Bar", "\tFoo", "X(y)", "X\x01",
                           "\xc3\xa9",        "",        "a:b",   "X\"",  "X/y"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct http_kv h[] = {{"Host", "x"}, {names[i], "1"}};
        assert_int_equal(check(h, 2), 400);
    }
}

static void test_framing_refuses_folds_onto_framing_fields(void **state)
{
    (void)state;
    /* libmicrohttpd 0.9.75 joins a folded line to the field's name */
    const char *names[] = {"Content-Length5", "content-length0", "Transfer-Encodingchunked",
                           "TRANSFER-ENCODING1"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct http_kv h[] = {{"Host", "x"}, {names[i], ""}};
        assert_int_equal(check(h, 2), 400);
    }
    const struct http_kv other[] = {{"Host", "x"}, {"Content-Lengths", "1"}};
    assert_int_equal(check(other, 2), 400);
    const struct http_kv unrelated[] = {{"Host", "x"}, {"X-Content-Length5", "1"}};
    assert_int_equal(check(unrelated, 2), 0);
}

static void test_framing_wants_one_host_in_http_1_1(void **state)
{
    (void)state;
    const struct http_kv none[] = {{"Accept", "*/*"}};
    const struct http_kv one[] = {{"host", "x"}};
    const struct http_kv two[] = {{"Host", "x"}, {"Host", "y"}};

    assert_int_equal(check_request("HTTP/1.1", none, 1), 400);
    assert_int_equal(check_request("HTTP/1.1", one, 1), 0);
    assert_int_equal(check_request("HTTP/1.1", two, 2), 400);
    assert_int_equal(check_request("HTTP/1.0", none, 1), 0);
    assert_int_equal(check_request("HTTP/1.0", two, 2), 400);
}

/* ---- the connection table ---- */

/* A connected loopback pair: *server is the accepted end, the one the table watches. */
static void tcp_pair(int *client, int *server)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
    *server = accept(l, NULL, NULL);
    assert_true(*server >= 0);
    close(l);
}

static void send_byte(int fd)
{
    assert_int_equal(send(fd, "G", 1, 0), 1);
    usleep(20 * 1000); /* into the peer's receive counters */
}

/* Whether the peer of fd has shut the connection down (EOF without data), waiting up to
 * wait_ms for it. */
static bool peer_closed(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, wait_ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

/* A table watching the server end of a fresh loopback connection. */
struct watched {
    int client, server;
    struct http_conns *t;
    struct http_conn *c;
};

static int watched_setup(void **state)
{
    struct watched *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    tcp_pair(&w->client, &w->server);
    w->t = http_conns_new(DEADLINE);
    assert_non_null(w->t);
    w->c = http_conns_add(w->t, w->server, time_mono_us());
    *state = w;
    return 0;
}

static int watched_teardown(void **state)
{
    struct watched *w = *state;
    http_conns_remove(w->t, w->c);
    http_conns_free(w->t);
    close(w->client);
    close(w->server);
    free(w);
    return 0;
}

/* The connection has served a request: between requests it is idle. */
static void serve_one(struct watched *w)
{
    http_conn_reading(w->c, time_mono_us());
    http_conn_answering(w->c);
    http_conn_idle(w->c);
}

static void test_silent_new_connection_is_cut(void **state)
{
    struct watched *w = *state;
    int64_t accepted = time_mono_us();

    /* nothing sent: not busy (a drain does not wait for it), but its clock runs */
    assert_int_equal(http_conns_busy(w->t, accepted + DEADLINE - SECOND), 0);
    assert_int_equal(http_conns_sweep(w->t, accepted + DEADLINE - SECOND), 0);
    assert_false(peer_closed(w->client, 0));
    assert_int_equal(http_conns_sweep(w->t, accepted + DEADLINE + SECOND), 1);
    assert_true(peer_closed(w->client, 2000));
}

static void test_first_request_keeps_the_clock_of_the_accept(void **state)
{
    struct watched *w = *state;
    int64_t accepted = time_mono_us();

    /* its request line completes late: the deadline still counts from the accept */
    send_byte(w->client);
    http_conn_reading(w->c, accepted + DEADLINE / 2);
    assert_int_equal(http_conns_busy(w->t, accepted + DEADLINE / 2), 1);
    assert_int_equal(http_conns_sweep(w->t, accepted + DEADLINE + SECOND), 1);
    assert_true(peer_closed(w->client, 2000));
}

static void test_idle_connection_is_never_cut(void **state)
{
    struct watched *w = *state;
    serve_one(w);
    int64_t now = time_mono_us();

    /* idle however long: libmicrohttpd's idle timeout is for that */
    assert_int_equal(http_conns_sweep(w->t, now + 10 * DEADLINE), 0);
    assert_int_equal(http_conns_busy(w->t, now + 10 * DEADLINE), 0);
    assert_false(peer_closed(w->client, 0));
}

static void test_request_arriving_past_the_deadline_is_cut(void **state)
{
    struct watched *w = *state;

    /* a first byte, as a slow client sends: the clock starts when the table sees it */
    send_byte(w->client);
    int64_t start = time_mono_us();
    assert_int_equal(http_conns_busy(w->t, start), 1);
    send_byte(w->client);
    assert_int_equal(http_conns_sweep(w->t, start + DEADLINE / 2), 0);
    assert_false(peer_closed(w->client, 0));
    assert_int_equal(http_conns_sweep(w->t, start + DEADLINE + SECOND), 1);
    assert_true(peer_closed(w->client, 2000));
    /* shut down once; no longer busy: it is closing */
    assert_int_equal(http_conns_sweep(w->t, start + 2 * DEADLINE), 0);
    assert_int_equal(http_conns_busy(w->t, start + 2 * DEADLINE), 0);
}

static void test_answering_and_keepalive_are_not_cut(void **state)
{
    struct watched *w = *state;
    int64_t start = time_mono_us();

    send_byte(w->client);
    http_conn_reading(w->c, start);
    http_conn_answering(w->c); /* read whole: a slow handler is not the client's doing */
    assert_int_equal(http_conns_sweep(w->t, start + 2 * DEADLINE), 0);
    assert_int_equal(http_conns_busy(w->t, start + 2 * DEADLINE), 1);
    /* answered: idle again, the bytes already received do not start a new request */
    http_conn_idle(w->c);
    assert_int_equal(http_conns_busy(w->t, start + 2 * DEADLINE), 0);
    assert_int_equal(http_conns_sweep(w->t, start + 4 * DEADLINE), 0);
    assert_false(peer_closed(w->client, 0));
    /* the next request's first byte starts the clock again */
    send_byte(w->client);
    int64_t next = time_mono_us() + 4 * DEADLINE;
    assert_int_equal(http_conns_busy(w->t, next), 1);
    assert_int_equal(http_conns_sweep(w->t, next + DEADLINE + SECOND), 1);
    assert_true(peer_closed(w->client, 2000));
}

static void test_request_line_starts_the_clock(void **state)
{
    struct watched *w = *state;
    serve_one(w);
    int64_t start = time_mono_us() + DEADLINE;

    /* a pipelined request: its bytes came before the connection went idle */
    http_conn_reading(w->c, start);
    assert_int_equal(http_conns_busy(w->t, start), 1);
    assert_int_equal(http_conns_sweep(w->t, start + DEADLINE - SECOND), 0);
    assert_int_equal(http_conns_sweep(w->t, start + DEADLINE), 1);
}

static void test_report_at_first_then_once_a_minute(void **state)
{
    (void)state;
    struct http_report r = {0};
    int64_t now = 1000 * SECOND;

    assert_int_equal(http_report_add(&r, 0, now), 0);
    assert_int_equal(http_report_add(&r, 1, now), 1);
    assert_int_equal(http_report_add(&r, 1, now + SECOND), 0);
    assert_int_equal(http_report_add(&r, 5, now + 59 * SECOND), 0);
    assert_int_equal(http_report_add(&r, 1, now + 60 * SECOND), 7);
    assert_int_equal(http_report_add(&r, 1, now + 61 * SECOND), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_accepts_plain_requests),
        cmocka_unit_test(test_framing_refuses_ambiguous_lengths),
        cmocka_unit_test(test_framing_refuses_unknown_codings),
        cmocka_unit_test(test_framing_refuses_control_characters_in_values),
        cmocka_unit_test(test_framing_control_characters_anywhere_in_long_values),
        cmocka_unit_test(test_framing_refuses_folds_onto_framing_fields),
        cmocka_unit_test(test_framing_wants_one_host_in_http_1_1),
        cmocka_unit_test(test_framing_refuses_names_that_are_not_tokens),
        cmocka_unit_test_setup_teardown(test_silent_new_connection_is_cut, watched_setup,
                                        watched_teardown),
        cmocka_unit_test_setup_teardown(test_first_request_keeps_the_clock_of_the_accept,
                                        watched_setup, watched_teardown),
        cmocka_unit_test_setup_teardown(test_idle_connection_is_never_cut, watched_setup,
                                        watched_teardown),
        cmocka_unit_test_setup_teardown(test_request_arriving_past_the_deadline_is_cut,
                                        watched_setup, watched_teardown),
        cmocka_unit_test_setup_teardown(test_answering_and_keepalive_are_not_cut, watched_setup,
                                        watched_teardown),
        cmocka_unit_test_setup_teardown(test_request_line_starts_the_clock, watched_setup,
                                        watched_teardown),
        cmocka_unit_test(test_report_at_first_then_once_a_minute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
