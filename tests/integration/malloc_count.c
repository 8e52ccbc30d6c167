/*
 * malloc_count.c - an LD_PRELOAD shim for the "no malloc on the request
 * path" test. It counts calls to malloc, calloc, realloc and friends and,
 * at exit, writes the count to the file named by $MALLOC_COUNT_FILE. The
 * test runs the release llmgw twice, serving a few requests and then many,
 * and checks that both runs made the same number of allocations: whatever
 * start-up allocates, serving more requests allocates nothing more.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long count;

void *malloc(size_t n) { count++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
void *memalign(size_t a, size_t n) { count++; return __libc_memalign(a, n); }
int posix_memalign(void **p, size_t a, size_t n)
{
	count++;
	*p = __libc_memalign(a, n);
	return *p ? 0 : 12;
}

__attribute__((destructor)) static void report(void)
{
	const char *f = getenv("MALLOC_COUNT_FILE");
	if (!f)
		return;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lu\n", count);
	int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		(void)w;
		close(fd);
	}
}
