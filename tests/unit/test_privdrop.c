/*
 * test_privdrop.c - the /etc/passwd reader behind the privilege drop
 * (port/privdrop_posix.c, included here with PASSWD_PATH pointing at files
 * this test writes): the right line is found, and nothing that is not a
 * well-formed line for exactly that user ever yields a uid, above all not
 * an empty or overflowing field read as 0 (root).
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char passwd_path[64];
#define PASSWD_PATH passwd_path
#include "privdrop_posix.c"

/* Writes text as the passwd file; then looks user up. */
static int lookup(const char *text, const char *user, unsigned *uid, unsigned *gid)
{
	FILE *f = fopen(passwd_path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	*uid = *gid = 12345;
	return passwd_find(user, uid, gid);
}

TEST(finds_the_user)
{
	unsigned u, g;
	const char *pw = "root:x:0:0:root:/root:/bin/sh\nllmgwx:x:7:7::/:/bin/false\n"
			 "llmgw:x:101:102:llmgw:/var/lib/llmgw:/bin/false\nllm:x:5:5::/:/bin/false\n";
	CHECK(lookup(pw, "llmgw", &u, &g) == 1 && u == 101 && g == 102);
	CHECK(lookup(pw, "root", &u, &g) == 1 && u == 0 && g == 0);
	CHECK(lookup(pw, "llm", &u, &g) == 1 && u == 5);
	CHECK_EQ_INT(lookup(pw, "llmg", &u, &g), 0);
	CHECK_EQ_INT(lookup(pw, "nobody", &u, &g), 0);
	/* A last line without '\n'; the first of two lines for the name. */
	CHECK(lookup("a:x:1:1::/:/bin/sh\nllmgw:x:9:8::/:/bin/sh", "llmgw", &u, &g) == 1 && u == 9 && g == 8);
	CHECK(lookup("llmgw:x:3:3::/:\nllmgw:x:4:4::/:\n", "llmgw", &u, &g) == 1 && u == 3);
}

TEST(long_lines_across_reads)
{
	/* Lines longer than the 512-byte read buffer, and the wanted one
	 * straddling a buffer boundary. */
	static char pw[4096];
	char gecos[1500];
	unsigned u, g;
	memset(gecos, 'g', sizeof gecos - 1);
	gecos[sizeof gecos - 1] = 0;
	snprintf(pw, sizeof pw, "x:x:1:1:%s:/:/bin/sh\nllmgw:x:4242:4343:%s:/:/bin/sh\n", gecos, gecos);
	CHECK(lookup(pw, "llmgw", &u, &g) == 1 && u == 4242 && g == 4343);
	for (size_t pad = 500; pad < 530; pad++) {
		char head[600];
		memset(head, '#', pad);
		head[pad] = 0;
		snprintf(pw, sizeof pw, "%s\nllmgw:x:77:88::/:/bin/sh\n", head);
		CHECK(lookup(pw, "llmgw", &u, &g) == 1 && u == 77 && g == 88);
	}
}

TEST(malformed_lines_never_match)
{
	unsigned u, g;
	static const char *const bad[] = {
		"llmgw:x::102::/:/bin/sh\n",			/* empty uid: not root */
		"llmgw:x:101:::/:/bin/sh\n",			/* empty gid */
		"llmgw:x:4294967296:1::/:/bin/sh\n",		/* uid wraps to 0 */
		"llmgw:x:99999999999999999999:1::/:/bin/sh\n",
		"llmgw:x:1:4294967297::/:/bin/sh\n",
		"llmgw:x:-1:1::/:/bin/sh\n",
		"llmgw:x:1a:1::/:/bin/sh\n",
		"llmgw:x: 1:1::/:/bin/sh\n",
		"llmgw:x:1:1\n",				/* too few fields */
		"llmgw\n",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ_INT(lookup(bad[i], "llmgw", &u, &g), 0);
		CHECK(u == 12345 && g == 12345);	/* untouched */
	}
	CHECK(lookup("llmgw:x:4294967295:4294967295::/:/bin/sh\n", "llmgw", &u, &g) == 1 &&
	      u == 4294967295u && g == 4294967295u);
	passwd_path[0] = 0;	/* no file at all */
	CHECK_EQ_INT(passwd_find("llmgw", &u, &g), 0);
}

int main(void)
{
	test_suite = "privdrop";
	snprintf(passwd_path, sizeof passwd_path, "%s/llmgw-passwd-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (long)getpid());
	char path[sizeof passwd_path];
	memcpy(path, passwd_path, sizeof path);
	RUN(finds_the_user);
	RUN(long_lines_across_reads);
	RUN(malformed_lines_never_match);
	unlink(path);
	return test_summary();
}
