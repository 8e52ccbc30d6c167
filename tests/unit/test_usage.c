/* test_usage.c - unit tests for usage.c: totals, limits, budgets, persistence. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test.h"
#include "../../src/usage.h"

/* 2026-03-15 00:00:00 UTC, a Sunday; minute-aligned. */
#define T0 1773532800LL
#define H 3600LL

static int near(double a, double b)
{
	double d = a - b;
	return (d < 0 ? -d : d) < 1e-9;
}

static struct ir_usage mk(int64_t in, int64_t cached, int64_t out)
{
	struct ir_usage u = { 1, in, out, cached, 0, 0 };
	return u;
}

static char tmpdir[64];

static void make_dir(void)
{
	strcpy(tmpdir, "/tmp/llmgw_usage_XXXXXX");
	if (!mkdtemp(tmpdir))
		tmpdir[0] = '\0';
}

static void remove_dir(void)
{
	char p[128];
	snprintf(p, sizeof p, "%s/" USAGE_FILE, tmpdir);
	unlink(p);
	snprintf(p, sizeof p, "%s/" USAGE_FILE ".tmp", tmpdir);
	unlink(p);
	rmdir(p);
	rmdir(tmpdir);
}

static void write_file(const char *name, const char *data, size_t n)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, data, n) != (ssize_t)n)
			fprintf(stderr, "short write\n");
		close(fd);
	}
}

static size_t read_file(const char *name, char *buf, size_t cap)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, cap);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

TEST(totals)
{
	REQUIRE(usage_init(2, 3, 1) == 0);
	CHECK_EQ_INT(usage_count(USAGE_CLIENT), 3);
	CHECK_EQ_INT(usage_count(USAGE_TARGET), 3);
	CHECK_EQ_INT(usage_count(USAGE_ROUTE), 1);
	struct ir_usage u = mk(1000, 200, 50);
	usage_record(1, 2, 0, &u, 0.25, 1, 0, T0);
	usage_record(1, 2, 0, &u, 0.25, 1, 0, T0 + 1);
	usage_record(USAGE_ANON, 0, -1, &u, 0, 0, 0, T0);	/* unpriced */
	struct ir_usage bad = mk(10, 50, -3);	/* cached > input, negative output */
	usage_record(0, 1, 0, &bad, -1.0, 1, 0, T0);
	usage_record(0, 1, 0, NULL, 0.5, 1, 0, T0);	/* tokens unknown */
	usage_record(7, 99, 5, &u, 1.0, 1, 0, T0);	/* out of range: ignored everywhere */

	const struct usage_totals *c1 = usage_get(USAGE_CLIENT, 1);
	REQUIRE(c1);
	CHECK_EQ_INT(c1->requests, 2);
	CHECK_EQ_INT(c1->input, 2000);
	CHECK_EQ_INT(c1->cached, 400);
	CHECK_EQ_INT(c1->output, 100);
	CHECK_EQ_INT(c1->unpriced, 0);
	CHECK(near(c1->usd, 0.5));
	const struct usage_totals *anon = usage_get(USAGE_CLIENT, 2);
	REQUIRE(anon);
	CHECK_EQ_INT(anon->requests, 1);
	CHECK_EQ_INT(anon->unpriced, 1);
	CHECK(near(anon->usd, 0));
	const struct usage_totals *c0 = usage_get(USAGE_CLIENT, 0);
	CHECK_EQ_INT(c0->requests, 2);
	CHECK_EQ_INT(c0->input, 10);
	CHECK_EQ_INT(c0->cached, 10);
	CHECK_EQ_INT(c0->output, 0);
	CHECK(near(c0->usd, 0.5));
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 2)->requests, 2);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->unpriced, 1);
	CHECK_EQ_INT(usage_get(USAGE_ROUTE, 0)->requests, 4);
	CHECK(usage_get(USAGE_TARGET, 3) == NULL);
	CHECK(usage_get(USAGE_CLIENT, 3) == NULL);
	double d, m;
	CHECK(usage_spend(1, T0 + 5, &d, &m) == 0 && near(d, 0.5) && near(m, 0.5));
	CHECK(usage_spend(5, T0, &d, &m) == -1);
	usage_free();
	CHECK(usage_count(USAGE_CLIENT) == 0);
	usage_record(0, 0, 0, &u, 1, 1, 0, T0);	/* no tables: no-op, no crash */
	CHECK(usage_check(0, T0, NULL, NULL) == 0);
}

TEST(rpm_trips_and_resets)
{
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 3, 0, 0, 0);
	int64_t now = T0 + 10, retry = -1;
	const char *which = NULL;
	for (int i = 0; i < 3; i++)
		CHECK(usage_check(0, now, &retry, &which) == 0);
	REQUIRE(usage_check(0, now, &retry, &which) == 1);
	CHECK(which && strcmp(which, "requests per minute") == 0);
	/* cur=3 until the window ends 50 s later; then 3*(60-s)/60 + 1 <= 3
	 * needs s >= 20: 70 s in all. */
	CHECK_EQ_INT(retry, 70);
	CHECK(usage_check(0, now + 69, &retry, &which) == 1);
	CHECK(usage_check(0, now + 70, &retry, &which) == 0);
	/* no burst across the window edge: right after a full window only a
	 * weighted share is allowed */
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 10, 0, 0, 0);
	for (int i = 0; i < 10; i++)
		CHECK(usage_check(0, T0 + 59, NULL, NULL) == 0);
	int ok = 0;
	for (int i = 0; i < 10; i++)
		ok += usage_check(0, T0 + 60, NULL, NULL) == 0;
	CHECK_EQ_INT(ok, 0);
	/* well after two windows everything is forgotten */
	CHECK(usage_check(0, T0 + 200, NULL, NULL) == 0);
	/* unlimited */
	usage_set_limits(0, 0, 0, 0, 0);
	for (int i = 0; i < 1000; i++)
		ok += usage_check(0, T0 + 201, NULL, NULL) == 0;
	CHECK_EQ_INT(ok, 1000);
	usage_free();
}

TEST(tpm_trips_and_resets)
{
	REQUIRE(usage_init(1, 1, 1) == 0);
	usage_set_limits(0, 0, 1000, 0, 0);
	int64_t retry = 0;
	const char *which = NULL;
	CHECK(usage_check(0, T0, &retry, &which) == 0);
	struct ir_usage u = mk(1200, 0, 300);
	usage_record(0, 0, 0, &u, 0.01, 1, 0, T0);
	REQUIRE(usage_check(0, T0 + 1, &retry, &which) == 1);
	CHECK(which && strcmp(which, "tokens per minute") == 0);
	/* 1500 until T0+60, then 1500*(60-s)/60 < 1000 needs s >= 21 */
	CHECK_EQ_INT(retry, 80);
	CHECK(usage_check(0, T0 + 80, NULL, NULL) == 1);
	CHECK(usage_check(0, T0 + 81, NULL, NULL) == 0);
	usage_free();
}

TEST(daily_budget_resets_at_utc_midnight)
{
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 0, 0, 1.0, 0);
	int64_t late = T0 + 23 * H + 59 * 60;	/* 23:59:00 */
	int64_t retry = 0;
	const char *which = NULL;
	usage_record(0, -1, -1, NULL, 0.6, 1, 0, late - 600);
	CHECK(usage_check(0, late, &retry, &which) == 0);
	usage_record(0, -1, -1, NULL, 0.6, 1, 0, late);
	REQUIRE(usage_check(0, late, &retry, &which) == 1);
	CHECK(which && strcmp(which, "daily budget") == 0);
	CHECK_EQ_INT(retry, 60);
	CHECK(usage_check(0, late + 59, NULL, NULL) == 1);
	CHECK(usage_check(0, late + 60, NULL, NULL) == 0);
	double d = -1, m = -1;
	usage_spend(0, late + 60, &d, &m);
	CHECK(near(d, 0) && near(m, 1.2));
	/* unpriced requests add no spend */
	usage_record(0, -1, -1, NULL, 5.0, 0, 0, late + 61);
	CHECK(usage_check(0, late + 62, NULL, NULL) == 0);
	usage_free();
}

TEST(monthly_budget_resets_at_month_start)
{
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 0, 0, 0, 2.0);
	int64_t jan31 = 1801396800LL;	/* 2027-01-31 12:00:00 UTC */
	int64_t retry = 0;
	const char *which = NULL;
	usage_record(0, -1, -1, NULL, 2.5, 1, 0, jan31);
	REQUIRE(usage_check(0, jan31, &retry, &which) == 1);
	CHECK(which && strcmp(which, "monthly budget") == 0);
	CHECK_EQ_INT(retry, 12 * H);
	CHECK(usage_check(0, jan31 + 12 * H - 1, NULL, NULL) == 1);
	CHECK(usage_check(0, jan31 + 12 * H, NULL, NULL) == 0);

	/* December -> January crosses a year */
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 0, 0, 0, 1.0);
	int64_t dec31 = 1798675200LL;	/* 2026-12-31 00:00:00 UTC */
	usage_record(0, -1, -1, NULL, 1.0, 1, 0, dec31);
	CHECK(usage_check(0, dec31, &retry, NULL) == 1);
	CHECK_EQ_INT(retry, 24 * H);
	/* leap February: 2028-02-28 12:00 -> 2028-03-01 is 36 h */
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_set_limits(0, 0, 0, 0, 1.0);
	int64_t feb28 = 1835352000LL;
	usage_record(0, -1, -1, NULL, 1.0, 1, 0, feb28);
	CHECK(usage_check(0, feb28, &retry, NULL) == 1);
	CHECK_EQ_INT(retry, 36 * H);
	usage_free();
}

TEST(longest_limit_is_reported)
{
	REQUIRE(usage_init(0, 0, 0) == 0);	/* anonymous slot only */
	usage_set_limits(USAGE_ANON, 1, 0, 0.5, 0);
	int64_t retry = 0;
	const char *which = NULL;
	CHECK(usage_check(USAGE_ANON, T0 + 12 * H, &retry, &which) == 0);
	usage_record(USAGE_ANON, -1, -1, NULL, 0.75, 1, 0, T0 + 12 * H);
	REQUIRE(usage_check(USAGE_ANON, T0 + 12 * H, &retry, &which) == 1);
	CHECK(which && strcmp(which, "daily budget") == 0);
	CHECK_EQ_INT(retry, 12 * H);
	/* raising the budget leaves the rate limit */
	usage_set_limits(USAGE_ANON, 1, 0, 10, 0);
	REQUIRE(usage_check(USAGE_ANON, T0 + 12 * H, &retry, &which) == 1);
	CHECK(which && strcmp(which, "requests per minute") == 0);
	usage_free();
}

static const char *const names_a_clients[] = { "alice", "bob" };
static const char *const names_a_targets[] = { "openai/gpt-4.1", "anthropic/claude sonnet%", "gone/model" };
static const char *const names_a_routes[] = { "default" };

TEST(save_load_round_trip)
{
	make_dir();
	REQUIRE(tmpdir[0]);
	struct usage_names na = { names_a_clients, 2, names_a_targets, 3, names_a_routes, 1 };
	char err[256];
	unsigned dropped = 99;

	REQUIRE(usage_init(2, 3, 1) == 0);
	CHECK(usage_load(tmpdir, &na, &dropped, err, sizeof err) == 0);	/* no file yet */
	CHECK_EQ_INT(dropped, 0);
	usage_set_limits(1, 0, 0, 1.0, 0);
	struct ir_usage u = mk(1000, 100, 10);
	usage_record(0, 0, 0, &u, 0.125, 1, 0, T0 + 100);
	usage_record(1, 1, 0, &u, 0.7, 1, 0, T0 + 100);
	usage_record(1, 1, 0, &u, 0.7, 1, 0, T0 + 101);
	usage_record(USAGE_ANON, 2, -1, &u, 0, 0, 0, T0 + 100);
	CHECK(usage_check(1, T0 + 200, NULL, NULL) == 1);	/* bob over budget */
	REQUIRE(usage_save(tmpdir, &na, T0 + 300, err, sizeof err) == 0);

	/* reload with a config that reorders clients, drops a target and adds one */
	static const char *const cb[] = { "carol", "bob", "alice" };
	static const char *const tb[] = { "new/model", "anthropic/claude sonnet%", "openai/gpt-4.1" };
	struct usage_names nb = { cb, 3, tb, 3, names_a_routes, 1 };
	REQUIRE(usage_init(3, 3, 1) == 0);
	usage_set_limits(1, 0, 0, 1.0, 0);
	REQUIRE(usage_load(tmpdir, &nb, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(dropped, 1);	/* gone/model */
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 0);	/* carol */
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 1)->requests, 2);	/* bob */
	CHECK(near(usage_get(USAGE_CLIENT, 1)->usd, 1.4));
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 2)->input, 1000);	/* alice */
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 2)->cached, 100);
	CHECK(near(usage_get(USAGE_CLIENT, 2)->usd, 0.125));
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 3)->unpriced, 1);	/* anonymous */
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 1)->requests, 2);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 2)->output, 10);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->requests, 0);
	CHECK_EQ_INT(usage_get(USAGE_ROUTE, 0)->requests, 3);
	/* the day's spend came back with its day: still over budget today,
	 * fine tomorrow */
	CHECK(usage_check(1, T0 + 400, NULL, NULL) == 1);
	double d, m;
	usage_spend(1, T0 + 400, &d, &m);
	CHECK(near(d, 1.4) && near(m, 1.4));
	CHECK(usage_check(1, T0 + 24 * H, NULL, NULL) == 0);
	usage_free();
	remove_dir();
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A state file with the given records and a valid trailer. */
static void write_state(const char *records, unsigned n)
{
	char f[1024];
	int k = snprintf(f, sizeof f, "llmgw-usage 1 0\n%s", records);
	snprintf(f + k, sizeof f - (size_t)k, "end %u %016llx\n", n, (unsigned long long)fnv1a64(f));
	write_file(USAGE_FILE, f, strlen(f));
}

/* Requests billed on an estimate (the client left early) count like any
 * other, apart too, and survive a save; a file of an older llmgw, without
 * that count, still loads. */
TEST(estimated_counted_and_saved)
{
	make_dir();
	REQUIRE(tmpdir[0]);
	struct usage_names na = { names_a_clients, 2, names_a_targets, 3, names_a_routes, 1 };
	char err[256];
	REQUIRE(usage_init(2, 3, 1) == 0);
	usage_set_limits(0, 0, 0, 0.9, 0);
	struct ir_usage u = mk(100, 0, 10);
	usage_record(0, 0, 0, &u, 0.5, 1, 1, T0);
	usage_record(0, 0, 0, &u, 0.5, 1, 0, T0);
	usage_record(USAGE_ANON, 1, -1, &u, 0, 0, 7, T0);	/* any nonzero: one */
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 2);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 2)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 1)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_ROUTE, 0)->estimated, 1);
	CHECK(usage_check(0, T0 + 1, NULL, NULL) == 1);	/* the estimate counts for the budget */
	REQUIRE(usage_save(tmpdir, &na, T0 + 2, err, sizeof err) == 0);
	REQUIRE(usage_init(2, 3, 1) == 0);
	REQUIRE(usage_load(tmpdir, &na, NULL, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 2)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 1)->estimated, 1);
	CHECK_EQ_INT(usage_get(USAGE_ROUTE, 0)->estimated, 1);

	/* an older llmgw's records */
	write_state("c alice 3 30 0 3 0 0.5 20527 0.5 24315 0.5\nt openai/gpt-4.1 3 30 0 3 0 0.5\n", 2);
	REQUIRE(usage_init(2, 3, 1) == 0);
	REQUIRE(usage_load(tmpdir, &na, NULL, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 3);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->estimated, 0);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->requests, 3);
	/* more estimated requests than requests: not a file we wrote */
	write_state("t openai/gpt-4.1 3 30 0 3 0 0.5 4\n", 1);
	REQUIRE(usage_init(2, 3, 1) == 0);
	CHECK(usage_load(tmpdir, &na, NULL, err, sizeof err) == -1);
	CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->requests, 0);
	write_state("t openai/gpt-4.1 3 30 0 3 0 0.5 3 1\n", 1);	/* one field too many */
	CHECK(usage_load(tmpdir, &na, NULL, err, sizeof err) == -1);
	usage_free();
	remove_dir();
}

TEST(corrupt_files_are_ignored)
{
	make_dir();
	REQUIRE(tmpdir[0]);
	struct usage_names na = { names_a_clients, 2, names_a_targets, 3, names_a_routes, 1 };
	char err[256], good[8192], bad[8192];
	unsigned dropped;

	REQUIRE(usage_init(2, 3, 1) == 0);
	struct ir_usage u = mk(500, 0, 50);
	for (int i = 0; i < 5; i++)
		usage_record(i % 2, i % 3, 0, &u, 0.01, 1, 0, T0 + i);
	REQUIRE(usage_save(tmpdir, &na, T0 + 10, err, sizeof err) == 0);
	size_t n = read_file(USAGE_FILE, good, sizeof good);
	REQUIRE(n > 20 && n < sizeof good);

	/* each damaged variant is refused whole: nothing applied */
	struct { const char *what; size_t len; int flip; } cases[] = {
		{ "truncated in the middle", n / 2, -1 },
		{ "end record missing", 0, -1 },
		{ "last byte missing", n - 1, -1 },
		{ "digit changed", n, 1 },
		{ "empty", 1, -2 },
		{ "garbage", 0, -3 },
	};
	/* where the end record starts */
	size_t endpos = 0;
	for (size_t i = 0; i + 4 < n; i++)
		if (good[i] == '\n' && memcmp(good + i + 1, "end ", 4) == 0)
			endpos = i + 1;
	REQUIRE(endpos > 0);
	cases[1].len = endpos;
	for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		size_t len = cases[c].len;
		memcpy(bad, good, n);
		if (cases[c].flip == 1) {
			/* change one digit inside a record (not the trailer) */
			for (size_t i = endpos - 3; i > 0; i--)
				if (bad[i] >= '1' && bad[i] <= '8') {
					bad[i]++;
					break;
				}
		} else if (cases[c].flip == -2) {
			len = 0;
		} else if (cases[c].flip == -3) {
			const char *g = "\x7f" "ELF\x01\x02 not a usage file\n\n\0\0\xff";
			len = 27;
			memcpy(bad, g, len);
		}
		write_file(USAGE_FILE, bad, len);
		REQUIRE(usage_init(2, 3, 1) == 0);
		err[0] = '\0';
		int rc = usage_load(tmpdir, &na, &dropped, err, sizeof err);
		if (rc != -1 || !err[0])
			fprintf(stderr, "  case %s: rc %d err '%s'\n", cases[c].what, rc, err);
		CHECK(rc == -1);
		CHECK(err[0] != '\0');
		CHECK(strstr(err, "ignored") != NULL);
		CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 0);
		CHECK_EQ_INT(usage_get(USAGE_TARGET, 0)->requests, 0);
	}
	/* the intact file still loads */
	write_file(USAGE_FILE, good, n);
	REQUIRE(usage_init(2, 3, 1) == 0);
	CHECK(usage_load(tmpdir, &na, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 3);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 1)->requests, 2);
	usage_free();
	remove_dir();
}

TEST(crash_before_rename_keeps_old_file)
{
	make_dir();
	REQUIRE(tmpdir[0]);
	struct usage_names na = { names_a_clients, 2, names_a_targets, 3, names_a_routes, 1 };
	char err[256];
	unsigned dropped;
	REQUIRE(usage_init(2, 3, 1) == 0);
	struct ir_usage u = mk(100, 0, 10);
	usage_record(0, 0, 0, &u, 0.5, 1, 0, T0);
	REQUIRE(usage_save(tmpdir, &na, T0, err, sizeof err) == 0);

	/* a crash mid-write leaves a half temp file behind */
	write_file(USAGE_FILE ".tmp", "llmgw-usage 1 0\nc alice 99", 26);
	REQUIRE(usage_init(2, 3, 1) == 0);
	REQUIRE(usage_load(tmpdir, &na, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 1);
	/* the next save replaces the stale temp file and succeeds */
	usage_record(0, 0, 0, &u, 0.5, 1, 0, T0 + 1);
	REQUIRE(usage_save(tmpdir, &na, T0 + 1, err, sizeof err) == 0);
	struct stat st;
	char p[128];
	snprintf(p, sizeof p, "%s/" USAGE_FILE ".tmp", tmpdir);
	CHECK(stat(p, &st) != 0);	/* renamed away */
	REQUIRE(usage_init(2, 3, 1) == 0);
	REQUIRE(usage_load(tmpdir, &na, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 2);

	/* a save that cannot write leaves the old file intact */
	REQUIRE(mkdir(p, 0700) == 0);	/* the temp path is now a directory */
	usage_record(0, 0, 0, &u, 0.5, 1, 0, T0 + 2);
	err[0] = '\0';
	CHECK(usage_save(tmpdir, &na, T0 + 2, err, sizeof err) == -1);
	CHECK(err[0] != '\0');
	REQUIRE(usage_init(2, 3, 1) == 0);
	REQUIRE(usage_load(tmpdir, &na, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(usage_get(USAGE_CLIENT, 0)->requests, 2);
	CHECK(usage_save("/nonexistent/llmgw", &na, T0, err, sizeof err) == -1);
	usage_free();
	remove_dir();
}

TEST(names_are_escaped)
{
	make_dir();
	REQUIRE(tmpdir[0]);
	static const char *const odd[] = { "a b\nc%d\t\x01\xc3\xa9" };
	struct usage_names n1 = { odd, 1, NULL, 0, NULL, 0 };
	char err[256], buf[4096];
	unsigned dropped;
	REQUIRE(usage_init(1, 0, 0) == 0);
	usage_record(0, -1, -1, NULL, 1.5, 1, 0, T0);
	REQUIRE(usage_save(tmpdir, &n1, T0, err, sizeof err) == 0);
	size_t n = read_file(USAGE_FILE, buf, sizeof buf - 1);
	buf[n] = '\0';
	CHECK(strstr(buf, "c a%20b%0Ac%25d%09%01%C3%A9 1 ") != NULL);
	REQUIRE(usage_init(1, 0, 0) == 0);
	REQUIRE(usage_load(tmpdir, &n1, &dropped, err, sizeof err) == 0);
	CHECK_EQ_INT(dropped, 0);
	CHECK(near(usage_get(USAGE_CLIENT, 0)->usd, 1.5));
	usage_free();
	remove_dir();
}

int main(void)
{
	test_suite = "usage";
	RUN(totals);
	RUN(rpm_trips_and_resets);
	RUN(tpm_trips_and_resets);
	RUN(daily_budget_resets_at_utc_midnight);
	RUN(monthly_budget_resets_at_month_start);
	RUN(longest_limit_is_reported);
	RUN(save_load_round_trip);
	RUN(estimated_counted_and_saved);
	RUN(corrupt_files_are_ignored);
	RUN(crash_before_rename_keeps_old_file);
	RUN(names_are_escaped);
	return test_summary();
}
