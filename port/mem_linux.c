/*
 * mem_linux.c - resident memory from /proc/self/statm, for /metrics, and
 * handing idle buffer pages back with madvise(MADV_DONTNEED).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "port.h"

void port_mem_release(void *p, size_t len)
{
	static uintptr_t page;
	if (!page)
		page = (uintptr_t)getpagesize();
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + len) & ~(page - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

unsigned long long port_rss_bytes(void)
{
	static int fd = -2;
	if (fd == -2)
		fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char b[128];
	ssize_t n = pread(fd, b, sizeof b - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = 0;
	/* "size resident shared ...": the second number (by hand: strtoull
	 * brings musl's 2.7 KB integer scanner into a static build) */
	const char *p = b;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ')
		p++;
	unsigned long long rss = 0;
	while (*p >= '0' && *p <= '9')
		rss = rss * 10 + (unsigned)(*p++ - '0');
	return rss * (unsigned long long)getpagesize();
}
