/* SPDX-License-Identifier: MIT */
/* JSON-lines logging on stderr: one object per line, {"ts":…,"level":…,"msg":…, fields}.
 * Never pass a secret or a whole token as a field: use log_redact() for tokens. */
#ifndef RCAUTH_LOG_H
#define RCAUTH_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
/* Whether a line of this level would be written: to skip building fields nobody reads. */
bool log_enabled(enum log_level level);
/* Log msg with string fields given as key, value pairs ending with NULL:
 * log_msg(LOG_INFO, "token issued", "client_id", id, "status", "200", NULL); */
void log_msg(enum log_level level, const char *msg, ...) __attribute__((sentinel));

/* The id of the request this thread is answering, added as "request_id" to every line the
 * thread logs until cleared with NULL (copied; at most 64 characters). */
void log_set_request_id(const char *id);

/* The first 8 characters of a token followed by "…", for log lines; out ≥ 16 bytes. */
void log_redact(const char *token, char *out, unsigned size);

#endif
