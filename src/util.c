/*
 * util.c - see util.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fmt.h"
#include "util.h"

void fd_write_all(int fd, const void *b, size_t len)
{
	const char *p = b;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

void fd_say(int fd, const char *fmt, ...)
{
	char b[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	fd_write_all(fd, b, n < 0 ? 0 : (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
}

int file_read(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	const char *verb = "open", *why = NULL;
	char *b = NULL;
	size_t cap = 0, got = 0;
	int e = 0;
	struct stat st;

	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	verb = "read";
	if (fstat(fd, &st) < 0) {
		e = errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		why = "not a regular file";
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		e = EFBIG;
		why = "too large";
		goto fail;
	}
	cap = (size_t)st.st_size;
	b = malloc(cap + 1);
	if (!b) {
		e = ENOMEM;
		goto fail;
	}
	/* The size may change under us: read what is there, at most cap. */
	while (got < cap) {
		ssize_t n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
fail:
	file_free(b, got);	/* may hold part of a secret */
	if (fd >= 0)
		close(fd);
	fmt_snprintf(err, errlen, "cannot %s %s: %s", verb, path, why ? why : strerror(e));
	errno = e;
	return -1;
}

void file_free(char *buf, size_t len)
{
	if (!buf)
		return;
	explicit_bzero(buf, len);
	free(buf);
}
