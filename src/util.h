/*
 * util.h - the small helpers every module shares: ASCII case, hex digits,
 * calendar dates, and reading a whole file at start-up.
 *
 * Nothing here keeps state. file_read() blocks on the disk: it is for
 * start-up and configuration reloads only, never the request path.
 */
#ifndef LLMGW_UTIL_H
#define LLMGW_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* c lowercased when it is an ASCII capital letter, else c unchanged (the
 * C library's tolower depends on the locale; protocol text does not). */
static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether a[0..n) and b[0..n) are equal ignoring ASCII case. Inline:
 * header names are compared on every request, mostly with literals. */
static inline int ascii_eq_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
static inline int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* floor(a / b) for b > 0 (C's division truncates toward zero). */
static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12,
 * d 1..31; not checked), and the date of a day number (H. Hinnant's
 * algorithms: libc's gmtime_r would pull musl's time-zone code into a
 * static build). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* The command line's output: all of b[0..len) to fd (retrying short
 * writes and EINTR; a failed write ends it silently), and a formatted
 * message of at most 8 KB the same way. For the commands and start-up,
 * where fd is a terminal or a pipe; never for the request path. */
void fd_write_all(int fd, const void *b, size_t len);
void fd_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the regular file at path whole into a malloc'd buffer with a NUL
 * after the content (*buf, *len; the caller frees it, with file_free when
 * it held a secret). Opens with O_NONBLOCK so a FIFO named by mistake
 * cannot hang start-up. Returns 0; or -1 with errno set (ENOENT for a
 * missing file, EISDIR/EINVAL for something that is not a regular file,
 * EFBIG when it is larger than max bytes) and a message in err: "cannot
 * open PATH: reason" or "cannot read PATH: reason". The content never
 * appears in err. */
int file_read(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen);
/* Wipes buf[0..len) (explicit_bzero: not optimised away) and frees it. */
void file_free(char *buf, size_t len);

#endif
