/*
 * test_log.c - log.c's stderr lines: the "ident[pid]: LEVEL: message" shape,
 * level filtering, log_warn's errno text (and errno kept across calls),
 * control characters replaced, over-long messages cut with "..." while the
 * errno text stays whole, the level names log_level_parse() takes, and, when
 * the machine has no /dev/log, syslog mode falling back to stderr.
 */
#include "test.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cap_fd = -1, saved_stderr = -1;
static char cap_path[] = "/tmp/llmgw-test-log-XXXXXX";

/* Sends fd 2 to a fresh temporary file. */
static void capture(void)
{
	fflush(stderr);
	cap_fd = mkstemp(cap_path);
	if (cap_fd < 0)
		return;
	unlink(cap_path);
	memcpy(cap_path + sizeof cap_path - 7, "XXXXXX", 6);
	saved_stderr = dup(2);
	dup2(cap_fd, 2);
}

/* Restores fd 2 and returns what was written (NUL-terminated) in buf. */
static size_t captured(char *buf, size_t cap)
{
	size_t n = 0;
	dup2(saved_stderr, 2);
	close(saved_stderr);
	if (cap_fd < 0)
		return 0;
	lseek(cap_fd, 0, SEEK_SET);
	ssize_t r;
	while (n + 1 < cap && (r = read(cap_fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(cap_fd);
	cap_fd = -1;
	return n;
}

static char pfx[64];	/* "test[pid]: " */

TEST(level_names_parse)
{
	enum log_level l = LOG_LVL_INFO;
	CHECK(log_level_parse("error", &l) == 0 && l == LOG_LVL_ERROR);
	CHECK(log_level_parse("warn", &l) == 0 && l == LOG_LVL_WARN);
	CHECK(log_level_parse("info", &l) == 0 && l == LOG_LVL_INFO);
	CHECK(log_level_parse("debug", &l) == 0 && l == LOG_LVL_DEBUG);
	l = LOG_LVL_ERROR;
	CHECK(log_level_parse("warning", &l) == 0 && l == LOG_LVL_WARN);
	l = LOG_LVL_DEBUG;
	CHECK(log_level_parse("WARN", &l) == -1 && l == LOG_LVL_DEBUG);
	CHECK(log_level_parse("", &l) == -1);
	CHECK(log_level_parse("verbose", &l) == -1);
	CHECK(log_level_parse("warn ", &l) == -1);
	CHECK(log_level_parse("debugx", &l) == -1);
	CHECK(log_level_parse(NULL, &l) == -1);
	CHECK(l == LOG_LVL_DEBUG);
}

TEST(lines_and_levels)
{
	char out[4096], want[512];
	log_setup(LOG_LVL_WARN, 0, "test");
	CHECK(log_get_level() == LOG_LVL_WARN);
	capture();
	log_error("e %d", 1);
	log_warnx("w %s", "two");
	log_info("not shown");
	log_debug("not shown either");
	captured(out, sizeof out);
	snprintf(want, sizeof want, "%sERROR: e 1\n%sWARN: w two\n", pfx, pfx);
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  got [%s]\n", out);

	log_setup(LOG_LVL_DEBUG, 0, NULL);	/* NULL ident: the old one stays */
	capture();
	log_info("i");
	log_debug("d %.2f", 1.5);
	captured(out, sizeof out);
	snprintf(want, sizeof want, "%sINFO: i\n%sDEBUG: d 1.50\n", pfx, pfx);
	CHECK(strcmp(out, want) == 0);

	log_setup((enum log_level)9, 0, "test");	/* clamped to debug */
	CHECK(log_get_level() == LOG_LVL_DEBUG);
	log_setup(LOG_LVL_ERROR, 0, "test");
	capture();
	log_warnx("hidden");
	log_info("hidden");
	log_error("shown");
	captured(out, sizeof out);
	snprintf(want, sizeof want, "%sERROR: shown\n", pfx);
	CHECK(strcmp(out, want) == 0);
	log_setup(LOG_LVL_INFO, 0, "test");
}

TEST(errno_text_and_kept)
{
	char out[4096], want[512];
	capture();
	errno = ENOENT;
	log_warn("open %s", "x");
	CHECK(errno == ENOENT);
	errno = EACCES;
	log_warnx("no errno here");
	CHECK(errno == EACCES);
	errno = EINTR;
	log_debug("filtered");	/* below the level: errno untouched too */
	CHECK(errno == EINTR);
	captured(out, sizeof out);
	snprintf(want, sizeof want, "%sWARN: open x: %s\n%sWARN: no errno here\n", pfx, strerror(ENOENT), pfx);
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  got [%s]\n", out);
}

TEST(control_characters_and_cuts)
{
	char out[8192], want[512];
	capture();
	log_info("a\nb\rc\td\x7f" "e\x01" "f");
	captured(out, sizeof out);
	snprintf(want, sizeof want, "%sINFO: a?b?c?d?e?f\n", pfx);
	CHECK(strcmp(out, want) == 0);

	/* a message longer than a line: cut to 1023 bytes ending in "..." */
	static char big[3000];
	memset(big, 'x', sizeof big - 1);
	capture();
	log_info("%s", big);
	size_t n = captured(out, sizeof out);
	size_t pl = strlen(pfx) + strlen("INFO: ");
	CHECK(n == pl + 1023 + 1);
	CHECK(n > 5 && memcmp(out + n - 4, "...\n", 4) == 0 && out[n - 5] == 'x');

	/* with log_warn the errno text is kept whole after the cut */
	capture();
	errno = EPERM;
	log_warn("%s", big);
	n = captured(out, sizeof out);
	char tail[160];
	snprintf(tail, sizeof tail, "...: %s\n", strerror(EPERM));
	size_t tl = strlen(tail);
	CHECK(n == strlen(pfx) + strlen("WARN: ") + 1023 + 1);
	CHECK(n > tl && memcmp(out + n - tl, tail, tl) == 0);
}

TEST(syslog_without_dev_log_uses_stderr)
{
	if (access("/dev/log", F_OK) == 0) {
		printf("     (skipped: this machine has /dev/log)\n");
		return;
	}
	char out[1024], want[256];
	log_setup(LOG_LVL_INFO, 1, "test");
	capture();
	log_info("via %s", "fallback");
	captured(out, sizeof out);
	log_setup(LOG_LVL_INFO, 0, "test");
	snprintf(want, sizeof want, "%sINFO: via fallback\n", pfx);
	CHECK(strcmp(out, want) == 0);
}

int main(void)
{
	test_suite = "log";
	snprintf(pfx, sizeof pfx, "test[%ld]: ", (long)getpid());
	log_setup(LOG_LVL_INFO, 0, "test");
	RUN(level_names_parse);
	RUN(lines_and_levels);
	RUN(errno_text_and_kept);
	RUN(control_characters_and_cuts);
	RUN(syslog_without_dev_log_uses_stderr);
	return test_summary();
}
