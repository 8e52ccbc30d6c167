/*
 * log.h - leveled logging to stderr or syslog.
 *
 * log_warn() appends strerror(errno); log_warnx() does not (OpenBSD style).
 * Messages must never contain secrets: provider keys and client keys are
 * not passed to these functions, and request bodies are never logged.
 * Writes to stderr are small single write(2) calls; nothing buffers.
 * The syslog socket is non-blocking (a line the daemon cannot take is
 * dropped and counted); a write to stderr can block only when stderr is a
 * full pipe, which log.c accepts (stderr is a terminal, journald or a file).
 * Owns only its settings.
 */
#ifndef LLMGW_LOG_H
#define LLMGW_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_setup(enum log_level level, int use_syslog, const char *ident);
int log_level_parse(const char *s, enum log_level *out);
enum log_level log_get_level(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
