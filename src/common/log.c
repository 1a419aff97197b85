/* SPDX-License-Identifier: MIT */
/* JSON-lines logger. Lines are built whole and written with one write() so that lines of
 * concurrent threads never interleave. */
#include "common/log.h"
#include "common/buf.h"
#include "common/jsonw.h"
#include "common/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static __thread char request_id[65];

void log_set_request_id(const char *id)
{
    snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
}

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    min_level = min;
}

bool log_enabled(enum log_level level)
{
    return level >= min_level;
}

void log_msg(enum log_level level, const char *msg, ...)
{
    if (!log_enabled(level))
        return;
    struct buf b;
    buf_init(&b, 16 * 1024);
    struct jsonw w;
    jsonw_init(&w, &b);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[40];
    time_format_iso8601(tv.tv_sec, ts, sizeof(ts));
    /* 2026-12-03T21:31:14Z → 2026-12-03T21:31:14.123Z */
    size_t n = strlen(ts);
    if (n > 1)
        snprintf(ts + n - 1, sizeof(ts) - (n - 1), ".%03dZ", (int)(tv.tv_usec / 1000));
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "ts", ts);
    jsonw_kv_string(&w, "level", level_names[level]);
    jsonw_kv_string(&w, "msg", msg);
    va_list ap;
    va_start(ap, msg);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        jsonw_kv_string(&w, key, val ? val : "");
    }
    va_end(ap);
    if (request_id[0])
        jsonw_kv_string(&w, "request_id", request_id);
    jsonw_object_end(&w);
    if (jsonw_finish(&w) == 0 && buf_append_char(&b, '\n') == 0) {
        ssize_t r = write(STDERR_FILENO, b.data, b.len);
        (void)r;
    }
    buf_cleanup(&b);
}

void log_redact(const char *token, char *out, unsigned size)
{
    if (size < 16) {
        if (size)
            out[0] = '\0';
        return;
    }
    size_t n = token ? strlen(token) : 0;
    if (n > 8)
        n = 8;
    memcpy(out, token ? token : "", n);
    memcpy(out + n, "…", sizeof("…"));
}
