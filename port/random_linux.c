/*
 * random_linux.c - port_random() for Linux: getrandom(2), falling back to
 * /dev/urandom when the syscall is missing (kernels before 3.17) or
 * filtered out by a seccomp policy. Both are the kernel CSPRNG. getrandom
 * blocks only until the pool is first seeded at boot; /dev/urandom never
 * blocks. Nothing is kept open between calls.
 */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/types.h>
#include <unistd.h>

static int urandom_read(unsigned char *p, size_t len)
{
	int fd, saved;
	ssize_t r;

	do
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	while (len > 0) {
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			saved = r < 0 ? errno : EIO;
			close(fd);
			errno = saved;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	close(fd);
	return 0;
}

int port_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t r;

	while (len > 0) {
		/* Large requests may come back short; a signal may interrupt. */
		r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS || errno == EPERM)
				return urandom_read(p, len);
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}
