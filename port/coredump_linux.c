/*
 * coredump_linux.c - port_no_core_dumps(): prctl(PR_SET_DUMPABLE, 0). Besides
 * core dumps, this makes /proc/PID/{mem,environ,maps,...} root's and
 * refuses ptrace from processes of the same user, so the provider keys in
 * memory (and in the environment, for key_env) stay out of their reach.
 * qemu-user passes the call on to the host: there it covers the emulator's
 * process, which holds the guest's memory.
 */
#include <sys/prctl.h>
#include "port.h"

void port_no_core_dumps(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
