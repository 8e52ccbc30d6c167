/*
 * util.c - see util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fmt.h"
#include "util.h"

int ascii_eq_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int file_read(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
	const char *why = NULL;
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
	fmt_snprintf(err, errlen, "cannot read %s: %s", path, why ? why : strerror(e));
	errno = e;
	return -1;
}

void file_free(char *buf, size_t len)
{
	if (!buf)
		return;
	volatile char *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = 0;
	free(buf);
}
