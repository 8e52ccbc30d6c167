/*
 * fdlimit_linux.c - raising the soft limit on open files at start-up.
 *
 * prlimit() on this process rather than setrlimit(): musl's setrlimit
 * applies the change to every thread through __synccall, which brings
 * about 2.5 KB of thread machinery into a static build that has no
 * threads.
 */
#include <sys/resource.h>
#include "port.h"

unsigned long long port_raise_fd_limit(unsigned long long want)
{
	struct rlimit rl;
	if (prlimit(0, RLIMIT_NOFILE, NULL, &rl) != 0)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return want;
	struct rlimit up = { rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want, rl.rlim_max };
	return prlimit(0, RLIMIT_NOFILE, &up, NULL) == 0 ? up.rlim_cur : rl.rlim_cur;
}
