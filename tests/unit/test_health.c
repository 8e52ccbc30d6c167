/*
 * test_health.c - unit tests for health.c: every breaker transition on a
 * fake clock, cool-downs, credentials, probe scheduling, the fallback pick,
 * the latency averages, and every retry-hint format, good and bad.
 */
#include "health.h"
#include "test.h"

#include <stdlib.h>
#include <stdint.h>

#define T0 1000000		/* fake monotonic clock start, ms */
#define NOW_UNIX 1730000000	/* 2024-10-27T03:33:20Z */

static int near(double a, double b) { return a - b < 1e-9 && b - a < 1e-9; }

static struct health_options defaults(void)
{
	struct health_options o;
	memset(&o, 0, sizeof(o));
	return o;
}

static void init(unsigned n, const struct health_options *o)
{
	if (health_init(n, o) != 0)
		abort();
}

static void fail_n(unsigned t, int64_t now, int n, enum health_kind k)
{
	for (int i = 0; i < n; i++)
		health_failure(t, now, k, -1);
}

TEST(starts_closed)
{
	struct health_info in;
	init(2, NULL);
	CHECK_EQ_INT(health_ntargets(), 2);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_CLOSED);
	CHECK(health_admit(0, T0));
	CHECK(health_admit(0, T0));	/* closed admits everything */
	CHECK(!health_admit(2, T0));	/* out of range */
	CHECK_EQ_INT(health_state(7, T0), HEALTH_ST_OPEN);
	health_get(1, T0, &in);
	CHECK_EQ_INT(in.last_failure, HEALTH_NEVER);
	CHECK(in.latency_ms < 0 && in.ttft_ms < 0);
	CHECK(health_latency(1) < 0);
	health_free();
	CHECK_EQ_INT(health_ntargets(), 0);
	CHECK(!health_admit(0, T0));
}

TEST(opens_after_consecutive_failures)
{
	struct health_info in;
	init(1, NULL);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(health_failure(0, T0, HEALTH_FAIL_5XX, -1), 0);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_CLOSED);
	CHECK(health_admit(0, T0));
	CHECK_EQ_INT(health_failure(0, T0, HEALTH_FAIL_CONNECT, -1), 1);	/* 5th: opens */
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_OPEN);
	CHECK(!health_admit(0, T0));
	CHECK(!health_ready(0, T0 + 9999));
	health_get(0, T0, &in);
	CHECK_EQ_INT(in.entered[HEALTH_ST_OPEN], 1);
	CHECK_EQ_INT(in.cooldown_ms, 10000);
	CHECK_EQ_INT(in.open_until, T0 + 10000);
	CHECK_EQ_INT(in.failures[HEALTH_FAIL_5XX], 4);
	CHECK_EQ_INT(in.failures[HEALTH_FAIL_CONNECT], 1);
	CHECK_EQ_INT(in.requests, 5);
	health_free();
}

TEST(success_resets_consecutive_count)
{
	init(1, NULL);
	fail_n(0, T0, 4, HEALTH_FAIL_TIMEOUT);
	health_success(0, T0, 100, 50);
	fail_n(0, T0, 4, HEALTH_FAIL_TIMEOUT);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_CLOSED);
	health_failure(0, T0, HEALTH_FAIL_TIMEOUT, -1);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_OPEN);
	health_free();
}

TEST(opens_on_failure_ratio)
{
	struct health_options o = defaults();
	o.failures = 100;	/* only the ratio can open it */
	init(1, &o);
	/* S F S F ... : never 5 in a row, but half fail. */
	int64_t now = T0;
	for (int i = 0; i < 4; i++) {
		health_success(0, now, 10, 10);
		health_failure(0, now, HEALTH_FAIL_5XX, -1);
		now += 1000;
	}
	/* 8 outcomes: below min_requests (10), still closed */
	CHECK_EQ_INT(health_state(0, now), HEALTH_ST_CLOSED);
	health_success(0, now, 10, 10);
	CHECK_EQ_INT(health_failure(0, now, HEALTH_FAIL_5XX, -1), 1);	/* 10 outcomes, 5 failed */
	CHECK_EQ_INT(health_state(0, now), HEALTH_ST_OPEN);
	health_free();
}

TEST(ratio_below_threshold_stays_closed)
{
	struct health_options o = defaults();
	o.failures = 100;
	init(1, &o);
	for (int i = 0; i < 20; i++) {
		health_success(0, T0 + i, 10, 10);
		health_success(0, T0 + i, 10, 10);
		health_failure(0, T0 + i, HEALTH_FAIL_5XX, -1);	/* 1/3 fail */
	}
	CHECK_EQ_INT(health_state(0, T0 + 20), HEALTH_ST_CLOSED);
	health_free();
}

TEST(ratio_window_forgets_old_outcomes)
{
	struct health_info in;
	struct health_options o = defaults();
	o.failures = 100;
	init(1, &o);
	/* Old failures, more than a window ago, do not count. */
	fail_n(0, T0, 9, HEALTH_FAIL_5XX);
	health_get(0, T0, &in);
	CHECK_EQ_INT(in.window_requests, 9);
	CHECK_EQ_INT(in.window_failures, 9);
	int64_t later = T0 + 61000;
	health_get(0, later, &in);
	CHECK_EQ_INT(in.window_requests, 0);
	for (int i = 0; i < 6; i++)
		health_success(0, later, 10, 10);
	fail_n(0, later, 4, HEALTH_FAIL_5XX);	/* 4/10 in the window */
	CHECK_EQ_INT(health_state(0, later), HEALTH_ST_CLOSED);
	/* Half a window later the same counts still hold. */
	health_get(0, later + 30000, &in);
	CHECK_EQ_INT(in.window_requests, 10);
	CHECK_EQ_INT(in.window_failures, 4);
	health_free();
}

TEST(rate_limit_and_auth_do_not_feed_breaker)
{
	struct health_info in;
	init(1, NULL);
	for (int i = 0; i < 10; i++)
		health_failure(0, T0 + i * 100000, HEALTH_FAIL_RATE_LIMITED, 0);
	health_get(0, T0 + 2000000, &in);
	CHECK_EQ_INT(in.breaker, HEALTH_ST_CLOSED);
	CHECK_EQ_INT(in.consecutive_failures, 0);
	CHECK_EQ_INT(in.failures[HEALTH_FAIL_RATE_LIMITED], 10);
	CHECK_EQ_INT(in.window_failures, 0);
	health_free();
}

TEST(half_open_single_trial_then_close)
{
	struct health_info in;
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	int64_t t = T0 + 10000;
	CHECK(!health_admit(0, t - 1));
	CHECK_EQ_INT(health_state(0, t), HEALTH_ST_HALF_OPEN);	/* reads half-open */
	CHECK(health_ready(0, t));
	CHECK(health_ready(0, t));	/* ready takes nothing */
	CHECK(health_admit(0, t));	/* the trial */
	CHECK(!health_admit(0, t));
	CHECK(!health_admit(0, t + 5000));
	CHECK(!health_ready(0, t + 5000));
	CHECK_EQ_INT(health_success(0, t + 5000, 300, 120), 1);
	CHECK_EQ_INT(health_state(0, t + 5000), HEALTH_ST_CLOSED);
	CHECK(health_admit(0, t + 5000));
	CHECK(health_admit(0, t + 5000));
	health_get(0, t + 5000, &in);
	CHECK_EQ_INT(in.entered[HEALTH_ST_HALF_OPEN], 1);
	CHECK_EQ_INT(in.entered[HEALTH_ST_CLOSED], 1);
	CHECK_EQ_INT(in.cooldown_ms, 0);
	CHECK_EQ_INT(in.consecutive_failures, 0);
	CHECK_EQ_INT(in.window_requests, 0);	/* history cleared on close */
	/* After closing, a new open starts from the base cool-down again,
	 * and a single failure does not reopen it at once. */
	health_failure(0, t + 6000, HEALTH_FAIL_5XX, -1);
	CHECK_EQ_INT(health_state(0, t + 6000), HEALTH_ST_CLOSED);
	fail_n(0, t + 6000, 4, HEALTH_FAIL_5XX);
	health_get(0, t + 6000, &in);
	CHECK_EQ_INT(in.breaker, HEALTH_ST_OPEN);
	CHECK_EQ_INT(in.cooldown_ms, 10000);
	health_free();
}

TEST(backoff_doubles_and_caps)
{
	struct health_info in;
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	int64_t now = T0, expect = 10000;
	const int64_t steps[] = { 20000, 40000, 80000, 160000, 300000, 300000, 300000 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		now += expect;
		CHECK(!health_admit(0, now - 1));
		REQUIRE(health_admit(0, now));
		CHECK_EQ_INT(health_failure(0, now, HEALTH_FAIL_CONNECT, -1), 1);	/* trial fails */
		health_get(0, now, &in);
		CHECK_EQ_INT(in.breaker, HEALTH_ST_OPEN);
		CHECK_EQ_INT(in.cooldown_ms, steps[i]);
		CHECK_EQ_INT(in.open_until, now + steps[i]);
		expect = steps[i];
	}
	now += expect;
	REQUIRE(health_admit(0, now));
	health_success(0, now, 1, 1);
	fail_n(0, now, 5, HEALTH_FAIL_5XX);
	health_get(0, now, &in);
	CHECK_EQ_INT(in.cooldown_ms, 10000);	/* reset by the close */
	health_free();
}

TEST(options_change_thresholds)
{
	struct health_info in;
	struct health_options o = defaults();
	o.failures = 2;
	o.cooldown_ms = 1000;
	o.cooldown_max_ms = 3000;
	init(1, &o);
	fail_n(0, T0, 2, HEALTH_FAIL_TLS);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_OPEN);
	REQUIRE(health_admit(0, T0 + 1000));
	health_failure(0, T0 + 1000, HEALTH_FAIL_TLS, -1);
	REQUIRE(health_admit(0, T0 + 3000));
	health_failure(0, T0 + 3000, HEALTH_FAIL_TLS, -1);
	health_get(0, T0 + 3000, &in);
	CHECK_EQ_INT(in.cooldown_ms, 3000);	/* 4000 capped to 3000 */
	health_free();
}

TEST(trial_slot_freed_by_cancel_and_timeout)
{
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	int64_t t = T0 + 10000;
	REQUIRE(health_admit(0, t));
	CHECK(!health_admit(0, t + 1));
	health_cancel(0, t + 1);	/* the client went away */
	CHECK_EQ_INT(health_state(0, t + 1), HEALTH_ST_HALF_OPEN);
	REQUIRE(health_admit(0, t + 2));
	CHECK(!health_admit(0, t + 2 + 119999));
	CHECK(health_admit(0, t + 2 + 120000));	/* trial timed out */
	CHECK(!health_admit(0, t + 2 + 120000));
	health_free();
}

TEST(straggler_outcomes_while_open)
{
	struct health_info in;
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	/* Requests admitted before it opened report late. */
	CHECK_EQ_INT(health_success(0, T0 + 10, 100, 10), 0);
	health_failure(0, T0 + 20, HEALTH_FAIL_5XX, -1);
	health_get(0, T0 + 20, &in);
	CHECK_EQ_INT(in.breaker, HEALTH_ST_OPEN);
	CHECK_EQ_INT(in.open_until, T0 + 10000);	/* not extended */
	CHECK_EQ_INT(in.cooldown_ms, 10000);	/* not doubled */
	CHECK_EQ_INT(in.successes, 1);
	health_free();
}

TEST(rate_limit_cools_until_hint)
{
	struct health_info in;
	init(2, NULL);
	CHECK_EQ_INT(health_failure(0, T0, HEALTH_FAIL_RATE_LIMITED, 37000), 1);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_COOLING);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_COOLING);
	CHECK(!health_admit(0, T0 + 36999));
	CHECK(health_admit(0, T0 + 37000));
	CHECK_EQ_INT(health_state(0, T0 + 37000), HEALTH_ST_CLOSED);
	/* A later, shorter hint never shortens a running cool-down. */
	health_failure(1, T0, HEALTH_FAIL_RATE_LIMITED, 30000);
	health_failure(1, T0 + 1000, HEALTH_FAIL_RATE_LIMITED, 1000);
	CHECK(!health_admit(1, T0 + 29999));
	CHECK(health_admit(1, T0 + 30000));
	/* Hints are capped at an hour. */
	health_failure(1, T0, HEALTH_FAIL_RATE_LIMITED, 99999999999LL);
	health_get(1, T0, &in);
	CHECK_EQ_INT(in.cooled_until, T0 + HEALTH_RETRY_MAX_MS);
	health_free();
}

TEST(rate_limit_without_hint_backs_off)
{
	struct health_info in;
	init(1, NULL);
	int64_t now = T0;
	const int64_t expect[] = { 5000, 10000, 20000, 40000, 80000, 160000, 300000, 300000 };
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		health_failure(0, now, HEALTH_FAIL_RATE_LIMITED, -1);
		health_get(0, now, &in);
		CHECK_EQ_INT(in.cooled_until - now, expect[i]);
		now = in.cooled_until;
	}
	health_success(0, now, 10, 10);
	health_failure(0, now, HEALTH_FAIL_RATE_LIMITED, -1);
	health_get(0, now, &in);
	CHECK_EQ_INT(in.cooled_until - now, 5000);	/* the streak ended */
	health_free();
}

TEST(rate_limited_trial_keeps_half_open)
{
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	int64_t t = T0 + 10000;
	REQUIRE(health_admit(0, t));
	health_failure(0, t, HEALTH_FAIL_RATE_LIMITED, 2000);
	CHECK_EQ_INT(health_state(0, t), HEALTH_ST_COOLING);
	CHECK(!health_admit(0, t + 1999));
	CHECK_EQ_INT(health_state(0, t + 2000), HEALTH_ST_HALF_OPEN);
	CHECK(health_admit(0, t + 2000));	/* a fresh trial */
	CHECK(!health_admit(0, t + 2000));
	health_free();
}

TEST(hint_on_5xx_cools_and_counts)
{
	struct health_info in;
	init(1, NULL);
	health_failure(0, T0, HEALTH_FAIL_5XX, 3000);	/* 503 + Retry-After: 3 */
	CHECK(!health_admit(0, T0 + 2999));
	CHECK(health_admit(0, T0 + 3000));
	health_get(0, T0, &in);
	CHECK_EQ_INT(in.consecutive_failures, 1);
	health_free();
}

TEST(cool_without_failure)
{
	struct health_info in;
	init(1, NULL);
	CHECK_EQ_INT(health_cool(0, T0, 4000), 1);
	CHECK(!health_admit(0, T0 + 3999));
	CHECK(health_admit(0, T0 + 4000));
	health_get(0, T0, &in);
	CHECK_EQ_INT(in.requests, 0);
	CHECK_EQ_INT(health_cool(0, T0, -1), 0);
	health_free();
}

TEST(auth_marks_credential_until_reset)
{
	unsigned ids[] = { 0 };
	init(2, NULL);
	CHECK_EQ_INT(health_failure(0, T0, HEALTH_FAIL_AUTH, -1), 1);	/* log it */
	CHECK_EQ_INT(health_failure(0, T0 + 1, HEALTH_FAIL_AUTH, -1), 0);	/* once */
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_CRED_BAD);
	CHECK(strcmp(health_state_name(health_state(0, T0)), "credential rejected") == 0);
	CHECK(!health_admit(0, T0 + 86400000LL));	/* never, however long */
	CHECK_EQ_INT(health_probe_due(0, T0), INT64_MAX);
	CHECK_EQ_INT(health_pick_fallback(ids, 1, T0 + 86400000LL), -1);
	CHECK(health_admit(1, T0));	/* other targets unaffected */
	/* A success probe does not clear it either. */
	health_probe_ok(0, T0 + 5);
	CHECK_EQ_INT(health_state(0, T0 + 5), HEALTH_ST_CRED_BAD);
	health_reset_credentials();
	CHECK_EQ_INT(health_state(0, T0 + 10), HEALTH_ST_CLOSED);
	CHECK(health_admit(0, T0 + 10));
	health_free();
}

TEST(auth_on_trial_frees_slot)
{
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	REQUIRE(health_admit(0, T0 + 10000));
	health_failure(0, T0 + 10000, HEALTH_FAIL_AUTH, -1);
	CHECK(!health_admit(0, T0 + 10001));
	health_reset_credentials();
	CHECK(health_admit(0, T0 + 10001));	/* half-open, trial free */
	CHECK(!health_admit(0, T0 + 10001));
	health_free();
}

TEST(probe_schedule)
{
	init(1, NULL);
	/* Never probed: due now. */
	CHECK_EQ_INT(health_probe_due(0, T0), T0);
	health_probe_start(0, T0);
	CHECK_EQ_INT(health_probe_due(0, T0), T0 + 60000);
	CHECK_EQ_INT(health_probe_ok(0, T0 + 200), 0);
	CHECK_EQ_INT(health_probe_due(0, T0 + 200), T0 + 60000);
	/* Real traffic defers the probe. */
	health_success(0, T0 + 30000, 10, 10);
	CHECK_EQ_INT(health_probe_due(0, T0 + 30000), T0 + 90000);
	/* Open: every 10 s. */
	fail_n(0, T0 + 40000, 5, HEALTH_FAIL_CONNECT);
	CHECK_EQ_INT(health_probe_due(0, T0 + 40000), T0 + 50000);
	health_probe_start(0, T0 + 50000);
	CHECK_EQ_INT(health_probe_due(0, T0 + 50000), T0 + 60000);
	/* Rate limited: not before the cool-down ends. */
	health_failure(0, T0 + 50000, HEALTH_FAIL_RATE_LIMITED, 45000);
	CHECK_EQ_INT(health_probe_due(0, T0 + 50000), T0 + 95000);
	health_free();
}

TEST(probe_failure_while_closed_counts_and_speeds_up)
{
	struct health_info in;
	init(1, NULL);
	int64_t now = T0;
	for (int i = 0; i < 4; i++) {
		health_probe_start(0, now);
		CHECK_EQ_INT(health_probe_failed(0, now, HEALTH_FAIL_CONNECT, -1), 0);
		CHECK_EQ_INT(health_probe_due(0, now), now + 10000);	/* suspect: faster */
		now += 10000;
	}
	health_probe_start(0, now);
	CHECK_EQ_INT(health_probe_failed(0, now, HEALTH_FAIL_CONNECT, -1), 1);
	health_get(0, now, &in);
	CHECK_EQ_INT(in.breaker, HEALTH_ST_OPEN);
	CHECK_EQ_INT(in.probes, 5);
	CHECK_EQ_INT(in.probe_failures, 5);
	CHECK_EQ_INT(in.requests, 0);		/* probes are not requests */
	CHECK_EQ_INT(in.last_failure, now);
	health_free();
}

TEST(probe_ok_after_transport_failure_half_opens)
{
	struct health_info in;
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_CONNECT);
	CHECK(!health_admit(0, T0 + 1000));
	CHECK_EQ_INT(health_probe_ok(0, T0 + 1000), 1);
	CHECK_EQ_INT(health_state(0, T0 + 1000), HEALTH_ST_HALF_OPEN);	/* not closed */
	CHECK(health_admit(0, T0 + 1000));
	CHECK(!health_admit(0, T0 + 1000));
	health_success(0, T0 + 1500, 10, 10);
	health_get(0, T0 + 1500, &in);
	CHECK_EQ_INT(in.breaker, HEALTH_ST_CLOSED);
	health_free();
}

TEST(probe_ok_after_http_failure_waits)
{
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_OVERLOADED);
	CHECK_EQ_INT(health_probe_ok(0, T0 + 1000), 0);
	CHECK_EQ_INT(health_state(0, T0 + 1000), HEALTH_ST_OPEN);
	CHECK(!health_admit(0, T0 + 1000));
	CHECK(health_admit(0, T0 + 10000));
	health_free();
}

TEST(probe_failure_while_open_or_half_open)
{
	struct health_info in;
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_CONNECT);	/* open until T0+10000 */
	health_probe_failed(0, T0 + 9000, HEALTH_FAIL_CONNECT, -1);
	health_get(0, T0 + 9000, &in);
	CHECK_EQ_INT(in.open_until, T0 + 19000);	/* kept open a step */
	CHECK_EQ_INT(in.cooldown_ms, 10000);		/* no doubling */
	CHECK(!health_admit(0, T0 + 18999));
	/* Half-open (cool-down over), a failed probe opens it again. */
	CHECK_EQ_INT(health_state(0, T0 + 19000), HEALTH_ST_HALF_OPEN);
	CHECK(health_admit(0, T0 + 19000));
	health_probe_failed(0, T0 + 19500, HEALTH_FAIL_TIMEOUT, -1);
	CHECK_EQ_INT(health_state(0, T0 + 19500), HEALTH_ST_OPEN);
	CHECK(!health_admit(0, T0 + 29499));
	CHECK(health_admit(0, T0 + 29500));
	/* Auth on a probe marks the credential. */
	health_probe_failed(0, T0 + 30000, HEALTH_FAIL_AUTH, -1);
	CHECK_EQ_INT(health_state(0, T0 + 30000), HEALTH_ST_CRED_BAD);
	health_free();
}

TEST(fallback_longest_ago)
{
	unsigned ids[] = { 0, 1, 2, 3 };
	init(4, NULL);
	fail_n(0, T0 + 3000, 5, HEALTH_FAIL_5XX);
	fail_n(1, T0 + 1000, 5, HEALTH_FAIL_5XX);	/* longest ago */
	fail_n(2, T0 + 2000, 5, HEALTH_FAIL_5XX);
	health_failure(3, T0, HEALTH_FAIL_AUTH, -1);	/* oldest, but rejected */
	int64_t now = T0 + 4000;
	for (int i = 0; i < 4; i++)
		CHECK(!health_ready(ids[i], now));
	CHECK_EQ_INT(health_pick_fallback(ids, 4, now), 1);
	/* It is now the half-open trial: its success closes it. */
	CHECK_EQ_INT(health_state(1, now), HEALTH_ST_HALF_OPEN);
	CHECK(!health_admit(1, now));
	health_success(1, now + 100, 500, 100);
	CHECK_EQ_INT(health_state(1, now + 100), HEALTH_ST_CLOSED);
	/* A target that may go anyway wins outright. */
	CHECK_EQ_INT(health_pick_fallback(ids, 3, now), 1);
	/* Failure of a fallback trial reopens with the doubled step. */
	unsigned rest[] = { 0, 2 };
	CHECK_EQ_INT(health_pick_fallback(rest, 2, now), 1);
	health_failure(2, now, HEALTH_FAIL_5XX, -1);
	struct health_info in;
	health_get(2, now, &in);
	CHECK_EQ_INT(in.cooldown_ms, 20000);
	/* Cooling targets are skipped; nothing left gives -1. */
	unsigned two[] = { 3, 9 };
	CHECK_EQ_INT(health_pick_fallback(two, 2, now), -1);
	health_failure(0, now, HEALTH_FAIL_RATE_LIMITED, 60000);
	unsigned one[] = { 0 };
	CHECK_EQ_INT(health_pick_fallback(one, 1, now), -1);
	CHECK_EQ_INT(health_pick_fallback(one, 0, now), -1);
	health_free();
}

TEST(fallback_prefers_never_failed_and_order)
{
	unsigned ids[] = { 2, 0, 1 };
	init(3, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	health_failure(2, T0, HEALTH_FAIL_RATE_LIMITED, 1000);
	/* 1 never failed; 2 is cooling */
	CHECK_EQ_INT(health_pick_fallback(ids, 3, T0), 2);
	/* ties go to the earlier position */
	unsigned same[] = { 1, 0 };
	init(2, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	fail_n(1, T0, 5, HEALTH_FAIL_5XX);
	CHECK_EQ_INT(health_pick_fallback(same, 2, T0 + 1), 0);
	health_free();
}

TEST(ewma_latency)
{
	init(1, NULL);
	health_success(0, T0, 1000, 200);
	CHECK(near(health_latency(0), 1000));	/* first sample taken as is */
	CHECK(near(health_ttft(0), 200));
	health_success(0, T0, 2000, -1);	/* no ttft sample */
	CHECK(near(health_latency(0), 1200));	/* 1000 + 0.2 * 1000 */
	CHECK(near(health_ttft(0), 200));
	health_success(0, T0, 200, 700);
	CHECK(near(health_latency(0), 1000));	/* 1200 + 0.2 * -1000 */
	CHECK(near(health_ttft(0), 300));
	/* failures do not move it */
	health_failure(0, T0, HEALTH_FAIL_TIMEOUT, -1);
	CHECK(near(health_latency(0), 1000));
	struct health_options o = defaults();
	o.ewma_alpha = 0.5;
	init(1, &o);
	health_success(0, T0, 100, -1);
	health_success(0, T0, 200, -1);
	CHECK(near(health_latency(0), 150));
	CHECK(health_ttft(0) < 0);
	health_free();
}

TEST(names_and_status_kinds)
{
	CHECK(strcmp(health_state_name(HEALTH_ST_CLOSED), "closed") == 0);
	CHECK(strcmp(health_state_name(HEALTH_ST_HALF_OPEN), "half-open") == 0);
	CHECK(strcmp(health_state_name(HEALTH_ST_OPEN), "open") == 0);
	CHECK(strcmp(health_state_name(HEALTH_ST_COOLING), "rate-limited") == 0);
	CHECK(strcmp(health_kind_name(HEALTH_FAIL_OVERLOADED), "overloaded") == 0);
	CHECK(strcmp(health_kind_name(HEALTH_NKINDS), "unknown") == 0);
	CHECK_EQ_INT(health_kind_for_status(401), HEALTH_FAIL_AUTH);
	CHECK_EQ_INT(health_kind_for_status(403), HEALTH_FAIL_AUTH);
	CHECK_EQ_INT(health_kind_for_status(429), HEALTH_FAIL_RATE_LIMITED);
	CHECK_EQ_INT(health_kind_for_status(529), HEALTH_FAIL_OVERLOADED);
	CHECK_EQ_INT(health_kind_for_status(503), HEALTH_FAIL_5XX);
	CHECK_EQ_INT(health_kind_for_status(408), HEALTH_FAIL_TIMEOUT);
	CHECK_EQ_INT(health_kind_for_status(400), -1);
	CHECK_EQ_INT(health_kind_for_status(200), -1);
}

TEST(reinit_resets)
{
	init(1, NULL);
	fail_n(0, T0, 5, HEALTH_FAIL_5XX);
	init(3, NULL);
	CHECK_EQ_INT(health_state(0, T0), HEALTH_ST_CLOSED);
	CHECK_EQ_INT(health_ntargets(), 3);
	init(0, NULL);
	CHECK(!health_admit(0, T0));
	health_free();
}

/* ---------- retry hints ---------- */

static struct http_header H(const char *n, const char *v)
{
	struct http_header h = { n, strlen(n), v, strlen(v) };
	return h;
}

static jsmntok_t toks[128];

static int64_t hint(int status, const struct http_header *h, size_t nh, const char *body)
{
	return health_retry_hint(status, h, nh, body, body ? strlen(body) : 0, NOW_UNIX,
				 toks, (int)(sizeof(toks) / sizeof(toks[0])));
}

static int64_t go(const char *s) { return health_parse_go_duration(s, strlen(s)); }
static int64_t secs(const char *s) { return health_parse_seconds(s, strlen(s)); }
static int64_t millis(const char *s) { return health_parse_millis(s, strlen(s)); }

TEST(parse_seconds_and_millis)
{
	CHECK_EQ_INT(secs("30"), 30000);
	CHECK_EQ_INT(secs("0"), 0);
	CHECK_EQ_INT(secs("1.5"), 1500);
	CHECK_EQ_INT(secs("0.0001"), 1);	/* rounds up */
	CHECK_EQ_INT(secs("0.1"), 100);
	CHECK_EQ_INT(secs("3600"), 3600000);
	CHECK_EQ_INT(secs("3601"), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(secs("99999999999999999999999999999"), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(secs(""), -1);
	CHECK_EQ_INT(secs("-1"), -1);
	CHECK_EQ_INT(secs("+1"), -1);
	CHECK_EQ_INT(secs("1."), -1);
	CHECK_EQ_INT(secs(".5"), -1);
	CHECK_EQ_INT(secs("1 "), -1);
	CHECK_EQ_INT(secs("1s"), -1);
	CHECK_EQ_INT(secs("0x10"), -1);
	CHECK_EQ_INT(secs("1e3"), -1);
	CHECK_EQ_INT(secs("1.2.3"), -1);
	CHECK_EQ_INT(health_parse_seconds(NULL, 0), -1);
	CHECK_EQ_INT(health_parse_seconds("12", 1), 1000);	/* counted, not NUL-terminated */
	CHECK_EQ_INT(millis("1500"), 1500);
	CHECK_EQ_INT(millis("1500.5"), 1501);
	CHECK_EQ_INT(millis("0.000001"), 1);
	CHECK_EQ_INT(millis("20"), 20);
	CHECK_EQ_INT(millis("abc"), -1);
	CHECK_EQ_INT(millis("3600001"), HEALTH_RETRY_MAX_MS);
}

TEST(parse_go_durations)
{
	CHECK_EQ_INT(go("12ms"), 12);
	CHECK_EQ_INT(go("6m0s"), 360000);
	CHECK_EQ_INT(go("1h2m3.5s"), HEALTH_RETRY_MAX_MS);	/* over the cap */
	CHECK_EQ_INT(go("0h2m3.5s"), 123500);
	CHECK_EQ_INT(go("59m59.9999s"), 3600000);
	CHECK_EQ_INT(go("20s"), 20000);
	CHECK_EQ_INT(go("0s"), 0);
	CHECK_EQ_INT(go("0"), 0);
	CHECK_EQ_INT(go("1.5s"), 1500);
	CHECK_EQ_INT(go("2m59.56s"), 179560);
	CHECK_EQ_INT(go(".5s"), 500);
	CHECK_EQ_INT(go("500us"), 1);		/* rounds up */
	CHECK_EQ_INT(go("500\xc2\xb5s"), 1);
	CHECK_EQ_INT(go("1500000ns"), 2);
	CHECK_EQ_INT(go("1000000ns"), 1);
	CHECK_EQ_INT(go("0.1s"), 100);
	CHECK_EQ_INT(go("1.0000000001s"), 1001);	/* beyond ns: still up */
	CHECK_EQ_INT(go("2h"), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(go("99999999999999999999h"), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(go("1h1h"), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(go("1m1m"), 120000);	/* Go allows repeats */
	CHECK_EQ_INT(go(""), -1);
	CHECK_EQ_INT(go("12"), -1);		/* no unit */
	CHECK_EQ_INT(go("s"), -1);
	CHECK_EQ_INT(go("-1s"), -1);
	CHECK_EQ_INT(go("1d"), -1);
	CHECK_EQ_INT(go("1s "), -1);
	CHECK_EQ_INT(go("1sx"), -1);
	CHECK_EQ_INT(go("1..2s"), -1);
	CHECK_EQ_INT(go(".s"), -1);
	CHECK_EQ_INT(go("1mss"), -1);
	CHECK_EQ_INT(go("00"), -1);
	CHECK_EQ_INT(health_parse_go_duration("12ms", 3), 720000);	/* "12m" is 12 min */
	CHECK_EQ_INT(health_parse_go_duration("12ms", 2), -1);
}

TEST(parse_dates)
{
	int64_t ms = 0;
	CHECK_EQ_INT(health_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &ms), 0);
	CHECK_EQ_INT(ms, 784111777000LL);
	ms = 0;
	const char *rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
	CHECK_EQ_INT(health_parse_http_date(rfc850, strlen(rfc850), &ms), 0);
	CHECK_EQ_INT(ms, 784111777000LL);
	ms = 0;
	const char *asc = "Sun Nov  6 08:49:37 1994";
	CHECK_EQ_INT(health_parse_http_date(asc, strlen(asc), &ms), 0);
	CHECK_EQ_INT(ms, 784111777000LL);
	const char *asc2 = "Sun Nov 16 08:49:37 1994";
	CHECK_EQ_INT(health_parse_http_date(asc2, strlen(asc2), &ms), 0);
	CHECK_EQ_INT(ms, 784111777000LL + 10 * 86400000LL);
	const char *leap = "Thu, 29 Feb 2024 00:00:00 GMT";
	CHECK_EQ_INT(health_parse_http_date(leap, strlen(leap), &ms), 0);
	CHECK_EQ_INT(ms, 1709164800000LL);
	const char *bad[] = {
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 30 Feb 1994 08:49:37 GMT",
		"Sun, 29 Feb 2023 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49", "Sun Nov 6 08:49:37 1994", "", "Sunday",
		"Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 00 Nov 1994 08:00:00 GMT",
		"Sun, 06 Nov 0994 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (health_parse_http_date(bad[i], strlen(bad[i]), &ms) != -1)
			fprintf(stderr, "  accepted bad date \"%s\"\n", bad[i]), test_cur_failed = 1;
	}
	/* RFC 3339 */
	const char *a = "2024-10-27T03:33:50Z";
	CHECK_EQ_INT(health_parse_rfc3339(a, strlen(a), &ms), 0);
	CHECK_EQ_INT(ms, (NOW_UNIX + 30) * 1000LL);
	const char *b = "2024-10-27t05:33:50.25+02:00";
	CHECK_EQ_INT(health_parse_rfc3339(b, strlen(b), &ms), 0);
	CHECK_EQ_INT(ms, (NOW_UNIX + 30) * 1000LL + 250);
	const char *c = "2024-10-26T23:33:50.0001-04:00";
	CHECK_EQ_INT(health_parse_rfc3339(c, strlen(c), &ms), 0);
	CHECK_EQ_INT(ms, (NOW_UNIX + 30) * 1000LL + 1);
	const char *rbad[] = {
		"2024-10-27T03:33:50", "2024-10-27T03:33:50.Z", "2024-13-27T03:33:50Z",
		"2024-10-27T03:33Z", "2024-10-27 03:33:50+0200", "24-10-27T03:33:50Z",
		"2024-10-27T03:33:50Zx", "2024-10-32T03:33:50Z", "2024-10-27T03:33:50+24:00",
		"", "2024-10-27X03:33:50Z",
	};
	for (size_t i = 0; i < sizeof(rbad) / sizeof(rbad[0]); i++) {
		if (health_parse_rfc3339(rbad[i], strlen(rbad[i]), &ms) != -1)
			fprintf(stderr, "  accepted bad time \"%s\"\n", rbad[i]), test_cur_failed = 1;
	}
}

TEST(hint_retry_after)
{
	struct http_header h[3];
	h[0] = H("Retry-After", "30");
	CHECK_EQ_INT(hint(429, h, 1, NULL), 30000);
	h[0] = H("retry-after-ms", "1500");
	CHECK_EQ_INT(hint(429, h, 1, NULL), 1500);
	/* both: the larger */
	h[0] = H("retry-after-ms", "1500");
	h[1] = H("retry-after", "1");
	CHECK_EQ_INT(hint(429, h, 2, NULL), 1500);
	/* HTTP-date against now_unix */
	h[0] = H("Retry-After", "Sun, 27 Oct 2024 03:34:20 GMT");	/* now + 60 s */
	CHECK_EQ_INT(hint(503, h, 1, NULL), 60000);
	h[0] = H("Retry-After", "Sun, 27 Oct 2024 03:00:00 GMT");	/* past */
	CHECK_EQ_INT(hint(503, h, 1, NULL), 0);
	/* ... and against the response's Date when it has one */
	h[0] = H("Retry-After", "Sun, 27 Oct 2024 03:34:20 GMT");
	h[1] = H("Date", "Sun, 27 Oct 2024 03:34:00 GMT");
	CHECK_EQ_INT(hint(503, h, 2, NULL), 20000);
	h[1] = H("Date", "yesterday");	/* a bad Date: back to now_unix */
	CHECK_EQ_INT(hint(503, h, 2, NULL), 60000);
	/* garbage and caps */
	h[0] = H("Retry-After", "soon");
	CHECK_EQ_INT(hint(429, h, 1, NULL), -1);
	h[0] = H("Retry-After", "-5");
	CHECK_EQ_INT(hint(429, h, 1, NULL), -1);
	h[0] = H("Retry-After", "86400");
	CHECK_EQ_INT(hint(429, h, 1, NULL), HEALTH_RETRY_MAX_MS);
	h[0] = H("Retry-After", "");
	CHECK_EQ_INT(hint(429, h, 1, NULL), -1);
	h[0] = H("Retry-After", "10000000000000000000000000000000000000000000000000000000000000000000000");
	CHECK_EQ_INT(hint(429, h, 1, NULL), -1);	/* over 64 bytes: ignored */
	/* one bad hint does not hide a good one */
	h[0] = H("retry-after-ms", "abc");
	h[1] = H("retry-after", "7");
	CHECK_EQ_INT(hint(429, h, 2, NULL), 7000);
	CHECK_EQ_INT(hint(429, NULL, 0, NULL), -1);
	CHECK_EQ_INT(hint(429, h, 0, NULL), -1);
}

TEST(hint_openai_reset)
{
	struct http_header h[5];
	h[0] = H("x-ratelimit-remaining-requests", "0");
	h[1] = H("x-ratelimit-reset-requests", "12ms");
	h[2] = H("x-ratelimit-remaining-tokens", "149000");
	h[3] = H("x-ratelimit-reset-tokens", "6m0s");
	CHECK_EQ_INT(hint(429, h, 4, NULL), 12);	/* only the exhausted one */
	h[2] = H("x-ratelimit-remaining-tokens", "0");
	CHECK_EQ_INT(hint(429, h, 4, NULL), 360000);	/* the larger */
	/* nothing exhausted: on a 429, the earliest reset */
	h[0] = H("x-ratelimit-remaining-requests", "10");
	h[2] = H("x-ratelimit-remaining-tokens", "5");
	CHECK_EQ_INT(hint(429, h, 4, NULL), 12);
	/* ... but not on other statuses */
	CHECK_EQ_INT(hint(500, h, 4, NULL), -1);
	CHECK_EQ_INT(hint(200, h, 4, NULL), -1);
	/* exhausted on a 200: a hint the caller may cool with */
	h[2] = H("x-ratelimit-remaining-tokens", "0");
	CHECK_EQ_INT(hint(200, h, 4, NULL), 360000);
	/* retry-after wins when larger, loses when smaller */
	h[4] = H("retry-after", "400");
	CHECK_EQ_INT(hint(429, h, 5, NULL), 400000);
	h[4] = H("retry-after", "1");
	CHECK_EQ_INT(hint(429, h, 5, NULL), 360000);
	/* bad reset values: no hint from them */
	h[1] = H("x-ratelimit-reset-requests", "12");
	h[3] = H("x-ratelimit-reset-tokens", "6 m");
	CHECK_EQ_INT(hint(429, h, 4, NULL), -1);
	h[2] = H("x-ratelimit-remaining-tokens", "-0");
	h[3] = H("x-ratelimit-reset-tokens", "5s");
	CHECK_EQ_INT(hint(500, h, 4, NULL), -1);	/* "-0" is not 0 */
}

TEST(hint_anthropic_reset)
{
	struct http_header h[6];
	h[0] = H("anthropic-ratelimit-requests-remaining", "0");
	h[1] = H("anthropic-ratelimit-requests-reset", "2024-10-27T03:33:50Z");	/* +30 s */
	h[2] = H("anthropic-ratelimit-input-tokens-remaining", "0");
	h[3] = H("anthropic-ratelimit-input-tokens-reset", "2024-10-27T03:34:20.5Z");	/* +60.5 s */
	h[4] = H("anthropic-ratelimit-output-tokens-remaining", "100");
	h[5] = H("anthropic-ratelimit-output-tokens-reset", "2024-10-27T03:43:20Z");
	CHECK_EQ_INT(hint(429, h, 6, NULL), 60500);
	h[2] = H("anthropic-ratelimit-input-tokens-remaining", "7");
	CHECK_EQ_INT(hint(429, h, 6, NULL), 30000);
	/* past reset: now */
	h[1] = H("anthropic-ratelimit-requests-reset", "2024-10-27T03:00:00Z");
	CHECK_EQ_INT(hint(429, h, 6, NULL), 0);
	/* nothing exhausted, 429, no retry-after: earliest reset */
	h[0] = H("anthropic-ratelimit-requests-remaining", "3");
	h[1] = H("anthropic-ratelimit-requests-reset", "2024-10-27T03:33:50Z");
	CHECK_EQ_INT(hint(429, h, 6, NULL), 30000);
	/* garbage time */
	h[0] = H("anthropic-ratelimit-requests-remaining", "0");
	h[1] = H("anthropic-ratelimit-requests-reset", "in 30 seconds");
	CHECK_EQ_INT(hint(529, h, 2, NULL), -1);
	/* the Date header is the reference */
	h[1] = H("anthropic-ratelimit-requests-reset", "2024-10-27T03:33:50Z");
	h[2] = H("date", "Sun, 27 Oct 2024 03:33:45 GMT");
	CHECK_EQ_INT(hint(429, h, 3, NULL), 5000);
	/* a broken clock does not overflow: 1970 is assumed, the hint capped,
	 * unless the Date header (h[2]) gives the provider's clock */
	CHECK_EQ_INT(health_retry_hint(429, h, 2, NULL, 0, INT64_MIN, toks, 128), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(health_retry_hint(429, h, 2, NULL, 0, INT64_MAX, toks, 128), HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(health_retry_hint(429, h, 3, NULL, 0, INT64_MIN, toks, 128), 5000);
}

TEST(hint_gemini_body)
{
	const char *body =
		"{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\","
		"\"status\":\"RESOURCE_EXHAUSTED\",\"details\":["
		"{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{\"quotaMetric\":\"x\"}]},"
		"{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":[{\"url\":\"https://x\"}]},"
		"{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"37s\"}]}}";
	CHECK_EQ_INT(hint(429, NULL, 0, body), 37000);
	CHECK_EQ_INT(hint(200, NULL, 0, body), -1);	/* 2xx bodies are content */
	CHECK_EQ_INT(hint(429, NULL, 0,
		"[{\"error\":{\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"1.5s\"}]}}]"),
		1500);
	CHECK_EQ_INT(hint(429, NULL, 0,
		"{\"error\":{\"details\":[{\"@type\":\"google.rpc.RetryInfo\",\"retryDelay\":{\"seconds\":2,\"nanos\":500000000}}]}}"),
		2500);
	CHECK_EQ_INT(hint(429, NULL, 0,
		"{\"error\":{\"details\":[{\"@type\":\"google.rpc.RetryInfo\",\"retryDelay\":{\"seconds\":\"4\"}}]}}"),
		4000);
	/* escaped key and value still match */
	CHECK_EQ_INT(hint(429, NULL, 0,
		"{\"error\":{\"details\":[{\"\\u0040type\":\"google.rpc.Retry\\u0049nfo\",\"retryDelay\":\"3\\u0073\"}]}}"),
		3000);
	/* the largest of several RetryInfo, and header vs body */
	const char *two = "{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"5s\"},"
			  "{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"9s\"}]}}";
	CHECK_EQ_INT(hint(429, NULL, 0, two), 9000);
	struct http_header h[1] = { H("retry-after", "20") };
	CHECK_EQ_INT(hint(429, h, 1, two), 20000);
	/* bad ones */
	const char *bad[] = {
		"", "not json", "{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"37\"}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.QuotaFailure\",\"retryDelay\":\"37s\"}]}}",
		"{\"error\":{\"details\":[{\"retryDelay\":\"37s\"}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"-3s\"}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":37}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"s\"}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":{\"seconds\":-1}}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":{\"nanos\":1e12}}]}}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":{}}]}}",
		"{\"error\":{\"details\":{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"3s\"}}}",
		"{\"error\":\"details\"}", "[]", "[1]", "{\"details\":[]}",
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"3s\"}]}", /* truncated */
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"3s\"}]}}x",
		"<html>Too Many Requests</html>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = hint(429, NULL, 0, bad[i]);
		if (v != -1)
			fprintf(stderr, "  bad body %zu gave %lld\n", i, (long long)v), test_cur_failed = 1;
	}
	/* too many tokens for the caller's array: no body hint, no crash */
	CHECK_EQ_INT(health_retry_hint(429, NULL, 0, body, strlen(body), NOW_UNIX, toks, 8), -1);
	CHECK_EQ_INT(health_retry_hint(429, NULL, 0, body, strlen(body), NOW_UNIX, NULL, 0), -1);
	/* a big delay is capped */
	CHECK_EQ_INT(hint(429, NULL, 0,
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"86400s\"}]}}"),
		HEALTH_RETRY_MAX_MS);
	CHECK_EQ_INT(hint(429, NULL, 0,
		"{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":{\"seconds\":9223372036854775807}}]}}"),
		HEALTH_RETRY_MAX_MS);
}

TEST(hint_guard_page)
{
	/* Values ending exactly at a guard page: no read past them. */
	const char *vals[] = { "30", "1.5", "1h2m3.5s", "12m", "Sun, 06 Nov 1994 08:49:37 GMT",
			       "2024-10-27T03:33:50.", "Sun Nov  6 08:49:37 199", "0" };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = strlen(vals[i]);
		char *p = test_guard_copy(vals[i], n);
		int64_t ms;
		REQUIRE(p);
		(void)health_parse_seconds(p, n);
		(void)health_parse_millis(p, n);
		(void)health_parse_go_duration(p, n);
		(void)health_parse_http_date(p, n, &ms);
		(void)health_parse_rfc3339(p, n, &ms);
		struct http_header h[2] = { { "retry-after", 11, p, n }, { "x-ratelimit-reset-tokens", 24, p, n } };
		(void)hint(429, h, 2, NULL);
	}
	const char *body = "{\"error\":{\"details\":[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"3s\"}]}}";
	char *p = test_guard_copy(body, strlen(body));
	REQUIRE(p);
	CHECK_EQ_INT(health_retry_hint(429, NULL, 0, p, strlen(body), NOW_UNIX, toks, 128), 3000);
	CHECK_EQ_INT(health_retry_hint(429, NULL, 0, p, strlen(body) - 1, NOW_UNIX, toks, 128), -1);
}

int main(void)
{
	test_suite = "health";
	RUN(starts_closed);
	RUN(opens_after_consecutive_failures);
	RUN(success_resets_consecutive_count);
	RUN(opens_on_failure_ratio);
	RUN(ratio_below_threshold_stays_closed);
	RUN(ratio_window_forgets_old_outcomes);
	RUN(rate_limit_and_auth_do_not_feed_breaker);
	RUN(half_open_single_trial_then_close);
	RUN(backoff_doubles_and_caps);
	RUN(options_change_thresholds);
	RUN(trial_slot_freed_by_cancel_and_timeout);
	RUN(straggler_outcomes_while_open);
	RUN(rate_limit_cools_until_hint);
	RUN(rate_limit_without_hint_backs_off);
	RUN(rate_limited_trial_keeps_half_open);
	RUN(hint_on_5xx_cools_and_counts);
	RUN(cool_without_failure);
	RUN(auth_marks_credential_until_reset);
	RUN(auth_on_trial_frees_slot);
	RUN(probe_schedule);
	RUN(probe_failure_while_closed_counts_and_speeds_up);
	RUN(probe_ok_after_transport_failure_half_opens);
	RUN(probe_ok_after_http_failure_waits);
	RUN(probe_failure_while_open_or_half_open);
	RUN(fallback_longest_ago);
	RUN(fallback_prefers_never_failed_and_order);
	RUN(ewma_latency);
	RUN(names_and_status_kinds);
	RUN(reinit_resets);
	RUN(parse_seconds_and_millis);
	RUN(parse_go_durations);
	RUN(parse_dates);
	RUN(hint_retry_after);
	RUN(hint_openai_reset);
	RUN(hint_anthropic_reset);
	RUN(hint_gemini_body);
	RUN(hint_guard_page);
	return test_summary();
}
