/*
 * privdrop_posix.c - dropping root after the listeners are bound: switch to
 * the configured user's uid/gid (and that gid as the only supplementary
 * group). Start-up only: it reads /etc/passwd with blocking I/O once,
 * before the loop runs.
 *
 * The user is looked up in /etc/passwd by hand instead of getpwnam(): in
 * a static musl build getpwnam brings stdio (fopen, getline, fread),
 * realloc and musl's nscd client, about 5 KB for one lookup. What it reads
 * is what musl's getpwnam reads from the file: the first line whose name
 * field is the user, with seven ':'-separated fields and decimal uid and
 * gid. (musl would also ask a running nscd for users not in the file;
 * llmgw's users are local system users.)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fmt.h"
#include "port.h"

#ifndef PASSWD_PATH
#define PASSWD_PATH "/etc/passwd"	/* tests point it elsewhere */
#endif

/* 1 with *uid and *gid set when /etc/passwd has user; 0 when it has not
 * or cannot be read. One pass over the bytes, so any line length works
 * and nothing is allocated. */
static int passwd_find(const char *user, unsigned *uid, unsigned *gid)
{
	char buf[512];
	unsigned field = 0, pos = 0, v[2] = { 0, 0 }, digits[2] = { 0, 0 };
	int match = 1, bad = 0, found = 0, eof = 0;
	ssize_t n = 0, i = 0;

	int fd = open(PASSWD_PATH, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	while (!found && !eof) {
		char c;
		if (i == n) {
			n = read(fd, buf, sizeof buf);
			i = 0;
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				eof = 1;	/* a last line without '\n' still counts */
				c = '\n';
				n = 0;
			} else {
				c = buf[i++];
			}
		} else {
			c = buf[i++];
		}
		if (c == '\n') {
			/* name:passwd:uid:gid:gecos:dir:shell */
			if (field >= 6 && match && !user[pos] && !bad && digits[0] && digits[1]) {
				*uid = v[0];
				*gid = v[1];
				found = 1;
			}
			field = pos = 0;
			v[0] = v[1] = digits[0] = digits[1] = 0;
			match = 1;
			bad = 0;
		} else if (c == ':') {
			field++;
		} else if (field == 0) {
			if (match && user[pos] == c)
				pos++;
			else
				match = 0;
		} else if (field == 2 || field == 3) {
			/* The uid and gid: digits only, at least one, and no
			 * overflow (an empty or wrapped field must never read
			 * as uid 0). */
			unsigned *x = &v[field - 2], d = (unsigned)(c - '0');
			if (c < '0' || c > '9' || *x > (0xffffffffu - d) / 10)
				bad = 1;
			else
				*x = *x * 10 + d;
			digits[field - 2]++;
		}
	}
	close(fd);
	return found;
}

/* Raw system calls instead of libc's setgroups/setgid/setuid: those make
 * every thread of the process switch (musl's __synccall, about 2.5 KB of
 * static code), and llmgw has one thread. 32-bit ARM and i386 have the
 * 32-bit-id calls under their own numbers. */
#ifdef SYS_setuid32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETGID SYS_setgid32
#define SYS_SETUID SYS_setuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETGID SYS_setgid
#define SYS_SETUID SYS_setuid
#endif

int port_drop_privileges(const char *user, char *err, size_t errlen)
{
	unsigned uid, gid;

	if (geteuid() != 0)
		return 0;	/* not root: nothing to drop */
	if (!passwd_find(user, &uid, &gid)) {
		fmt_snprintf(err, errlen, "user '%s' not found", user);
		return -1;
	}
	gid_t g = (gid_t)gid;
	if (syscall(SYS_SETGROUPS, 1, &g) < 0 || syscall(SYS_SETGID, g) < 0 || syscall(SYS_SETUID, uid) < 0) {
		fmt_snprintf(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
		return -1;
	}
	if (syscall(SYS_SETUID, 0) == 0) {
		fmt_snprintf(err, errlen, "privileges could not be dropped for user '%s'", user);
		return -1;
	}
	return 0;
}
