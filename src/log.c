/*
 * log.c - leveled logging to stderr or syslog. See log.h.
 *
 * Each stderr line is formatted into a stack buffer and written with one
 * write(2), so lines from one process never interleave mid-line and nothing
 * is buffered across calls. Over-long lines are cut and end in "...".
 * Control characters in the message (e.g. a newline in an upstream error
 * text) are replaced by '?' so that one call is one line and log lines
 * cannot be forged. write(2) to stderr may block if stderr is a full pipe;
 * that is accepted: stderr is a terminal, journald or a file. Owns only its
 * static settings; errno is preserved across calls.
 * LLMGW_SYSLOG=0 (options.h) leaves the syslog client out: config.c then
 * refuses `option syslog 1`, so use_syslog is never set here.
 *
 * The syslog client is our own (a datagram to /dev/log, "<pri>ident[pid]:
 * msg", which logd, rsyslog and journald all read, stamping the time
 * themselves), not libc's syslog(3): that one can block the loop on a busy
 * log daemon, and musl's pulls in its printf engine and the time-zone code.
 * The socket is non-blocking; a line the daemon cannot take now is dropped
 * and counted, and the next line says how many were lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include "fmt.h"
#include "log.h"
#include "options.h"

#define LOG_LINE_MAX 1024

static enum log_level cur_level = LOG_LVL_INFO;
static int to_syslog;
static int syslog_fd = -1;
static unsigned long syslog_dropped;
static char ident_buf[32] = "llmgw";

/* Per level: its name in the configuration (and syslog's spelling,
 * "warning", as a second name for warn), its tag on stderr, its syslog
 * priority. */
static const struct {
	const char *name, *tag;
	unsigned char prio;
} levels[] = {
	[LOG_LVL_ERROR] = { "error", "ERROR", LOG_ERR },
	[LOG_LVL_WARN] = { "warn", "WARN", LOG_WARNING },
	[LOG_LVL_INFO] = { "info", "INFO", LOG_INFO },
	[LOG_LVL_DEBUG] = { "debug", "DEBUG", LOG_DEBUG },
};

void log_setup(enum log_level level, int use_syslog, const char *ident)
{
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	cur_level = level;
	if (ident && *ident)
		fmt_snprintf(ident_buf, sizeof ident_buf, "%s", ident);
	if (!LLMGW_SYSLOG)
		use_syslog = 0;
	if (!use_syslog && syslog_fd >= 0) {
		close(syslog_fd);
		syslog_fd = -1;
	}
	to_syslog = use_syslog != 0;
}

/* Connects to the local syslog socket; -1 when there is none (the line
 * then goes to stderr). */
static int syslog_open(void)
{
	if (syslog_fd >= 0)
		return 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, "/dev/log", sizeof "/dev/log");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	syslog_fd = fd;
	return 0;
}

/* One line to syslog: 0, or -1 when there is no syslog to send it to. */
static int syslog_line(enum log_level lvl, const char *msg)
{
	char line[LOG_LINE_MAX + 120], lost[64] = "";
	if (syslog_dropped)
		fmt_snprintf(lost, sizeof lost, "(%lu lines lost: syslog busy) ", syslog_dropped);
	int n = fmt_snprintf(line, sizeof line, "<%d>%s[%ld]: %s%s", LOG_DAEMON | levels[lvl].prio, ident_buf,
			     (long)getpid(), lost, msg);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (syslog_open() < 0)
			return -1;
		if (send(syslog_fd, line, len, MSG_NOSIGNAL) >= 0) {
			syslog_dropped = 0;
			return 0;
		}
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
			syslog_dropped++;
			return 0;
		}
		/* the daemon restarted (ECONNREFUSED, ENOTCONN): reconnect once */
		close(syslog_fd);
		syslog_fd = -1;
	}
	return -1;
}

int log_level_parse(const char *s, enum log_level *out)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(s, levels[i].name) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

/* Formats the message (plus ": strerror" when errnum >= 0) into msg,
 * cutting it with "..." when too long; the errno text is kept whole since it
 * is usually the useful part. Control characters become '?'. */
static void format_msg(char *msg, size_t cap, int errnum, const char *fmt, va_list ap)
{
	char etail[128] = "";
	size_t elen = 0;

	if (errnum >= 0) {
		fmt_snprintf(etail, sizeof etail, ": %s", strerror(errnum));
		elen = strlen(etail);
	}
	size_t room = cap - elen;	/* for the message and its NUL */
	int n = fmt_vsnprintf(msg, room, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (n < 0)
		msg[0] = '\0';
	if (len >= room) {
		len = room - 1;
		memcpy(msg + len - 3, "...", 3);
	}
	memcpy(msg + len, etail, elen + 1);
	len += elen;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c < 0x20 || c == 0x7f)
			msg[i] = '?';
	}
}

/* The one body of the log_* functions: with_errno appends errno's text. */
static void log_emit(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	if (cur_level < lvl)
		return;
	char msg[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 80];

	format_msg(msg, sizeof msg, with_errno ? saved : -1, fmt, ap);
	if (LLMGW_SYSLOG && to_syslog && syslog_line(lvl, msg) == 0)
		goto out;
	int n = fmt_snprintf(line, sizeof line, "%s[%ld]: %s: %s\n", ident_buf, (long)getpid(),
	    levels[lvl].tag, msg);
	if (n > 0) {
		size_t total = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
		line[total - 1] = '\n';
		while (write(STDERR_FILENO, line, total) < 0 && errno == EINTR)
			;
	}
out:
	errno = saved;
}

#define LOG_FN(fname, lvl, with_errno) \
void fname(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	log_emit((lvl), (with_errno), fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_error, LOG_LVL_ERROR, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
