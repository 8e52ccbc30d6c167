/*
 * mem_linux.c - resident memory from /proc/self/statm, for /metrics.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "port.h"

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
	char *p = b;
	strtoull(p, &p, 10);		/* size */
	unsigned long long rss = strtoull(p, NULL, 10);
	return rss * (unsigned long long)sysconf(_SC_PAGESIZE);
}
