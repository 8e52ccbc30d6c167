/*
 * port.h - the operating-system glue the rest of llmgw uses. Everything
 * platform-specific lives behind these declarations, implemented in
 * the .c files in port/ (one per concern and OS, e.g. random_linux.c), so src/
 * never needs an #ifdef for the OS.
 *
 * This header holds plain declarations only.
 */
#ifndef LLMGW_PORT_H
#define LLMGW_PORT_H

#include <stddef.h>

/* Fills buf[0..len) with cryptographically secure random bytes from the
 * kernel. Returns 0, or -1 with errno set (buf contents then undefined).
 * May block only very early in boot, until the kernel's pool is first
 * seeded; never afterwards. Meant for start-up and key generation, not
 * for the request path. */
int port_random(void *buf, size_t len);

/* port/privdrop_posix.c: switches to user's uid/gid after the listeners
 * are bound; 0, or -1 with a message in err. Start-up only. */
int port_drop_privileges(const char *user, char *err, size_t errlen);

/* port/fdlimit_linux.c: raises this process's soft limit on open files
 * to want, or as far as the hard limit allows. Returns the limit now in
 * force (want when it is at least that; 0 when unknown). Start-up only. */
unsigned long long port_raise_fd_limit(unsigned long long want);

/* Resident memory of this process in bytes, or 0 when unknown. Reads
 * procfs (memory, not disk) through an fd opened on the first call. */
unsigned long long port_rss_bytes(void);
/* Gives the pages wholly inside [p, p+len) back to the kernel (their
 * content is lost: they read as zeros when touched again). */
void port_mem_release(void *p, size_t len);

/* port/coredump_linux.c: no core dump of this process, and no ptrace or
 * /proc/PID/mem access by other processes of its user (PR_SET_DUMPABLE 0):
 * its memory holds the provider keys. Called before the configuration is
 * read and again after the privilege drop (a uid change resets the flag
 * to the fs.suid_dumpable sysctl, which may be 1). Cannot fail. */
void port_no_core_dumps(void);

/* port/seccomp_linux.c: allows only the system calls llmgw makes after
 * start-up from here on (options.h, LLMGW_SECCOMP); others end the
 * process with a line on stderr naming the call. 0 when the filter is
 * installed; 1 when this kernel (or qemu-user) has no seccomp filters or
 * the architecture has no list, -1 when installing failed otherwise: then
 * err says why. */
int port_seccomp(char *err, size_t errlen);

#endif
