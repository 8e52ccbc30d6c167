/*
 * fmt.h - snprintf without stdio (fmt.c): C99 snprintf semantics (the
 * length it would have written is returned, the output is always
 * terminated when cap > 0) for the formats listed in fmt.c, checked at
 * compile time like printf's.
 *
 * Everything here works on the caller's buffers: no allocation, no
 * state, no locale, nothing blocks.
 */
#ifndef LLMGW_FMT_H
#define LLMGW_FMT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_snprintf(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
int fmt_vsnprintf(char *buf, size_t cap, const char *f, va_list ap) __attribute__((format(printf, 3, 0)));

/* strtod for the JSON number grammar (leading blanks, sign, digits, point,
 * exponent; no inf, nan, hex or locale), correctly rounded like glibc's and musl's, with
 * *end (when end is not NULL) just past the number, or at s when there is
 * none. Out of range: +-inf or +-0, without errno. */
double fmt_strtod(const char *s, const char **end);

/* The text form of an IPv4 (v6 = 0, 4 bytes) or IPv6 (16 bytes) address,
 * as inet_ntop writes it; returns buf. */
const char *fmt_ip(int v6, const void *addr, char *buf, size_t cap);

/* inet_pton without libc: 1 when s (NUL-terminated) is a whole IPv4
 * (v6 = 0; dotted quad, no leading zeros; 4 bytes to addr) or IPv6 (16
 * bytes) address, else 0. Accepts exactly what musl's inet_pton accepts. */
int fmt_ip_parse(int v6, const char *s, void *addr);

/* qsort's contract (cmp < 0, 0, > 0), by heapsort: no allocation, no
 * recursion, n log n comparisons at worst. Not stable. */
void fmt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* memmem's contract with a plain loop: musl's two-way memmem is 1.4 KB of
 * static code, and llmgw only looks for short needles in short texts. */
const char *fmt_find(const char *h, size_t n, const char *needle, size_t m);

#endif
