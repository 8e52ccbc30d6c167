/*
 * privdrop_posix.c - dropping root after the listeners are bound: switch to
 * the configured user's uid/gid and supplementary groups. Start-up only.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "fmt.h"
#include "port.h"

int port_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (geteuid() != 0)
		return 0;	/* not root: nothing to drop */
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fmt_snprintf(err, errlen, "user '%s' not found", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		fmt_snprintf(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fmt_snprintf(err, errlen, "privileges could not be dropped for user '%s'", user);
		return -1;
	}
	return 0;
}
