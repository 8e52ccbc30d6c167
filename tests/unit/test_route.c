/*
 * test_route.c - unit tests for route_pick(): every strategy over a
 * configuration loaded by the real UCI parser, quality floors, unpriced
 * targets, unhealthy targets (open breakers, cool-downs, rejected keys,
 * the half-open trial), weights counted over a deterministic sequence,
 * ties, and targets excluded by `tried` or by an empty route.
 */
#include <stdint.h>
#include <stdlib.h>
#include "config.h"
#include "health.h"
#include "prices.h"
#include "route.h"
#include "test.h"

#define T0 1000000		/* fake monotonic clock, ms */
#define MTOK 1000000		/* a million tokens: the estimate is then the price */

/* Targets under provider `loc` (ollama: no key; the prices and quality are
 * given here): a is cheap to read, b cheap to write, c in between and the
 * cheapest for a balanced request; a2 is a's twin. The openai model is in
 * no price table: unpriced. Weights a 1, b 3, c 6. */
static const char conf[] =
	"config provider 'loc'\n"
	"	option type 'ollama'\n"
	"config provider 'cloud'\n"
	"	option type 'openai'\n"
	"	option key_env 'LLMGW_TEST_ROUTE_KEY'\n"
	"config target\n"
	"	option model 'loc/a'\n"
	"	option input_usd_per_mtok 1\n"
	"	option output_usd_per_mtok 10\n"
	"	option quality 3\n"
	"	option weight 1\n"
	"config target\n"
	"	option model 'loc/a2'\n"
	"	option input_usd_per_mtok 1\n"
	"	option output_usd_per_mtok 10\n"
	"	option quality 3\n"
	"config target\n"
	"	option model 'loc/b'\n"
	"	option input_usd_per_mtok 10\n"
	"	option output_usd_per_mtok 1\n"
	"	option quality 5\n"
	"	option weight 3\n"
	"config target\n"
	"	option model 'loc/c'\n"
	"	option input_usd_per_mtok 5\n"
	"	option output_usd_per_mtok 5\n"
	"	option quality 4\n"
	"	option weight 6\n"
	"config route 'fb'\n"
	"	list target 'loc/a'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/c'\n"
	"config route 'cheap'\n"
	"	option strategy 'cheapest'\n"
	"	list target 'cloud/zz-unpriced-model'\n"
	"	list target 'loc/a'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/c'\n"
	"config route 'cheap4'\n"
	"	option strategy 'cheapest'\n"
	"	option min_quality 4\n"
	"	list target 'loc/a'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/c'\n"
	"config route 'unpriced'\n"
	"	option strategy 'cheapest'\n"
	"	list target 'cloud/zz-unpriced-model'\n"
	"config route 'twins'\n"
	"	option strategy 'cheapest'\n"
	"	list target 'loc/a2'\n"
	"	list target 'loc/a'\n"
	"config route 'fast'\n"
	"	option strategy 'fastest'\n"
	"	list target 'loc/a'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/c'\n"
	"config route 'wt'\n"
	"	option strategy 'weighted'\n"
	"	list target 'loc/a'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/c'\n"
	"config route 'mixed'\n"
	"	list target 'cloud/zz-unpriced-model'\n"
	"	list target 'loc/b'\n"
	"	list target 'loc/a'\n";

static struct cfg C;
static unsigned A, A2, B, TC, U;	/* target ids */

static const char *why_tried = "every target of the route was tried";
static const char *why_priced = "no target of the route is priced with the quality asked for";
static const char *why_health = "every target is rate-limited or has its key rejected";

static void on_cfg_error(void *ctx, const char *path, int line, const char *msg)
{
	fprintf(stderr, "  %s:%d: %s\n", path, line, msg);
}

static unsigned tid(const char *name)
{
	int t = cfg_target_find(&C, name, strlen(name));
	if (t < 0)
		abort();
	return (unsigned)t;
}

static const struct cfg_route *route(const char *name)
{
	const struct cfg_route *r = cfg_route_find(&C, name, strlen(name));
	if (!r)
		abort();
	return r;
}

/* What proxy.c asks for a request on route r: the route's strategy and
 * floor; the token estimates and the random draw are the test's. */
static struct route_ask ask_for(const struct cfg_route *r, int64_t in, int64_t out)
{
	struct route_ask a = {
		.strategy = r->strategy,
		.min_quality = r->min_quality,
		.est_input_tokens = in,
		.est_output_tokens = out,
	};
	return a;
}

/* Every test starts from healthy targets with no history. */
static void fresh_health(void)
{
	if (health_init(C.ntargets_all, NULL) != 0)
		abort();
}

static int pick(const char *rname, int64_t in, int64_t out, const unsigned *tried, unsigned ntried,
		int64_t now, const char **why)
{
	const struct cfg_route *r = route(rname);
	struct route_ask a = ask_for(r, in, out);
	return route_pick(&C, r, &a, tried, ntried, now, why);
}

static void open_breaker(unsigned t, int64_t now)
{
	for (int i = 0; i < 5; i++)	/* the default: 5 consecutive failures */
		health_failure(t, now, HEALTH_FAIL_5XX, -1);
	if (health_state(t, now) != HEALTH_ST_OPEN)
		abort();
}

TEST(config_as_expected)
{
	struct price p;
	CHECK(prices_lookup("openai", "zz-unpriced-model", &p) == 0);
	CHECK(!C.targets_all[U].priced);
	CHECK(C.targets_all[A].priced && C.targets_all[A].quality == 3 && C.targets_all[A].weight == 1);
	CHECK(C.targets_all[B].priced && C.targets_all[B].quality == 5 && C.targets_all[B].weight == 3);
	CHECK(C.targets_all[TC].priced && C.targets_all[TC].quality == 4 && C.targets_all[TC].weight == 6);
	CHECK_EQ_INT(route("fb")->strategy, CFG_STRATEGY_FALLBACK);
	CHECK_EQ_INT(route("cheap")->strategy, CFG_STRATEGY_CHEAPEST);
	CHECK_EQ_INT(route("cheap4")->min_quality, 4);
	CHECK_EQ_INT(route("fast")->strategy, CFG_STRATEGY_FASTEST);
	CHECK_EQ_INT(route("wt")->strategy, CFG_STRATEGY_WEIGHTED);
}

TEST(fallback_in_order_and_tried_excluded)
{
	const char *why = NULL;
	fresh_health();
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0, &why), A);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0, &why), A);	/* picking changes nothing */
	unsigned tried[3] = { A };
	CHECK_EQ_INT(pick("fb", 0, 0, tried, 1, T0, &why), B);
	tried[1] = B;
	CHECK_EQ_INT(pick("fb", 0, 0, tried, 2, T0, &why), TC);
	tried[2] = TC;
	why = NULL;
	CHECK_EQ_INT(pick("fb", 0, 0, tried, 3, T0, &why), -1);
	CHECK(why && strcmp(why, why_tried) == 0);
	/* tried out of order, with an id of no target of this route */
	unsigned other[3] = { TC, A2, A };
	CHECK_EQ_INT(pick("fb", 0, 0, other, 3, T0, &why), B);
}

TEST(empty_route_picks_nothing)
{
	const char *why = NULL;
	struct cfg_route empty = { .name = "empty", .targets = NULL, .ntargets = 0 };
	struct route_ask a = ask_for(&empty, 0, 0);
	fresh_health();
	for (int s = CFG_STRATEGY_FALLBACK; s <= CFG_STRATEGY_WEIGHTED; s++) {
		a.strategy = (enum cfg_strategy)s;
		why = NULL;
		CHECK_EQ_INT(route_pick(&C, &empty, &a, NULL, 0, T0, &why), -1);
		REQUIRE(why != NULL);
		CHECK(strcmp(why, s == CFG_STRATEGY_CHEAPEST ? why_priced : why_tried) == 0);
	}
}

TEST(every_strategy_all_tried)
{
	const char *why = NULL;
	const unsigned tried[4] = { A, B, TC, U };
	static const char *const routes[] = { "fb", "cheap", "cheap4", "fast", "wt", "unpriced" };
	fresh_health();
	for (unsigned i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		why = NULL;
		CHECK_EQ_INT(pick(routes[i], MTOK, MTOK, tried, 4, T0, &why), -1);
		CHECK(why && strcmp(why, why_tried) == 0);
	}
}

TEST(cheapest_by_estimate)
{
	const char *why = NULL;
	fresh_health();
	/* input-heavy: a costs 1, b 10, c 5 */
	CHECK_EQ_INT(pick("cheap", MTOK, 0, NULL, 0, T0, &why), A);
	/* output-heavy: a 10, b 1, c 5 */
	CHECK_EQ_INT(pick("cheap", 0, MTOK, NULL, 0, T0, &why), B);
	/* balanced: a 11, b 11, c 10 */
	CHECK_EQ_INT(pick("cheap", MTOK, MTOK, NULL, 0, T0, &why), TC);
	/* the cheapest tried: the next cheapest */
	unsigned tried[2] = { A };
	CHECK_EQ_INT(pick("cheap", MTOK, 0, tried, 1, T0, &why), TC);
	tried[1] = TC;
	CHECK_EQ_INT(pick("cheap", MTOK, 0, tried, 2, T0, &why), B);
	CHECK(route_estimate(&C.targets_all[TC], MTOK, MTOK) == 10.0);
	CHECK(route_estimate(&C.targets_all[A], 2 * MTOK, MTOK / 2) == 7.0);
}

TEST(cheapest_never_picks_unpriced)
{
	const char *why = NULL;
	const unsigned priced[3] = { A, B, TC };
	fresh_health();
	/* the unpriced target comes first in `cheap` and costs "0": skipped */
	CHECK(pick("cheap", MTOK, MTOK, NULL, 0, T0, &why) != (int)U);
	why = NULL;
	CHECK_EQ_INT(pick("cheap", MTOK, MTOK, priced, 3, T0, &why), -1);
	CHECK(why && strcmp(why, why_tried) == 0);
	why = NULL;
	CHECK_EQ_INT(pick("unpriced", MTOK, MTOK, NULL, 0, T0, &why), -1);
	CHECK(why && strcmp(why, why_priced) == 0);
	/* other strategies take it: price matters to cheapest only */
	const struct cfg_route *r = route("unpriced");
	struct route_ask a = ask_for(r, MTOK, MTOK);
	a.strategy = CFG_STRATEGY_FALLBACK;
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), U);
}

TEST(cheapest_quality_floor)
{
	const char *why = NULL;
	fresh_health();
	/* input-heavy, floor 4: a (quality 3, cost 1) is out; c (5) beats b (10) */
	CHECK_EQ_INT(pick("cheap4", MTOK, 0, NULL, 0, T0, &why), TC);
	const unsigned tried[1] = { TC };
	CHECK_EQ_INT(pick("cheap4", MTOK, 0, tried, 1, T0, &why), B);
	/* a floor asked per request (proxy.c takes it from a header) */
	const struct cfg_route *r = route("cheap");
	struct route_ask a = ask_for(r, MTOK, MTOK);
	a.min_quality = 5;
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), B);
	a.min_quality = 4;
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), TC);
	a.min_quality = 3;
	a.est_output_tokens = 0;
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), A);
	/* nothing reaches the floor */
	const struct cfg_route *tw = route("twins");
	a = ask_for(tw, MTOK, MTOK);
	a.min_quality = 4;
	why = NULL;
	CHECK_EQ_INT(route_pick(&C, tw, &a, NULL, 0, T0, &why), -1);
	CHECK(why && strcmp(why, why_priced) == 0);
	/* the floor constrains cheapest only */
	const struct cfg_route *fb = route("fb");
	a = ask_for(fb, MTOK, MTOK);
	a.min_quality = 5;
	CHECK_EQ_INT(route_pick(&C, fb, &a, NULL, 0, T0, &why), A);
}

TEST(cheapest_tie_goes_to_route_order)
{
	const char *why = NULL;
	fresh_health();
	CHECK_EQ_INT(pick("twins", MTOK, MTOK, NULL, 0, T0, &why), A2);
	const unsigned tried[1] = { A2 };
	CHECK_EQ_INT(pick("twins", MTOK, MTOK, tried, 1, T0, &why), A);
}

TEST(unhealthy_targets_skipped)
{
	const char *why = NULL;
	fresh_health();
	open_breaker(A, T0);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 1, &why), B);
	CHECK_EQ_INT(pick("cheap", MTOK, 0, NULL, 0, T0 + 1, &why), TC);
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0 + 1, &why), B);
	/* rate-limited: cooled, not admitted */
	health_failure(B, T0 + 1, HEALTH_FAIL_RATE_LIMITED, 60000);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 2, &why), TC);
	CHECK_EQ_INT(pick("cheap", 0, MTOK, NULL, 0, T0 + 2, &why), TC);
	/* a rejected key */
	fresh_health();
	health_failure(A, T0, HEALTH_FAIL_AUTH, -1);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0, &why), B);
	CHECK_EQ_INT(pick("cheap", MTOK, 0, NULL, 0, T0, &why), TC);
}

TEST(all_unhealthy_falls_back_to_longest_failed)
{
	const char *why = NULL;
	fresh_health();
	open_breaker(TC, T0);
	open_breaker(A, T0 + 1);
	open_breaker(B, T0 + 2);
	/* every breaker open and cooling down: the one that failed longest
	 * ago, whatever the strategy would have preferred */
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 3, &why), TC);
	fresh_health();
	open_breaker(B, T0);
	open_breaker(TC, T0 + 1);
	open_breaker(A, T0 + 2);
	CHECK_EQ_INT(pick("cheap", MTOK, 0, NULL, 0, T0 + 3, &why), B);
	/* only untried targets */
	const unsigned tried[1] = { B };
	CHECK_EQ_INT(pick("cheap", MTOK, 0, tried, 1, T0 + 3, &why), TC);
}

TEST(keys_rejected_or_rate_limited_gives_nothing)
{
	const char *why = NULL;
	fresh_health();
	health_failure(A, T0, HEALTH_FAIL_AUTH, -1);
	health_failure(B, T0, HEALTH_FAIL_RATE_LIMITED, 60000);
	health_failure(TC, T0, HEALTH_FAIL_RATE_LIMITED, -1);
	static const char *const routes[] = { "fb", "cheap", "fast", "wt" };
	for (unsigned i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		why = NULL;
		CHECK_EQ_INT(pick(routes[i], MTOK, MTOK, NULL, 0, T0 + 1, &why), -1);
		CHECK(why && strcmp(why, why_health) == 0);
	}
	/* the cool-downs end; the rejected key stays rejected */
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 60001, &why), B);
}

/* When nothing can be picked: how long until the first target the route
 * could have taken is back, and whether a rate limit keeps it out. */
TEST(back_in_says_when_the_first_target_returns)
{
	const char *why = NULL;
	int rl = -1;
	const struct cfg_route *fb = route("fb");
	struct route_ask a = ask_for(fb, 0, 0);
	fresh_health();
	CHECK_EQ_INT(route_back_in(&C, fb, &a, NULL, 0, T0, &rl), -1);	/* nothing cooling */
	CHECK_EQ_INT(rl, 0);
	health_failure(A, T0, HEALTH_FAIL_RATE_LIMITED, 20000);
	health_failure(B, T0, HEALTH_FAIL_RATE_LIMITED, 8000);
	health_failure(TC, T0, HEALTH_FAIL_AUTH, -1);	/* never back: not counted */
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 1000, &why), -1);
	CHECK_EQ_INT(route_back_in(&C, fb, &a, NULL, 0, T0 + 1000, &rl), 7000);
	CHECK_EQ_INT(rl, 1);
	/* b was tried already: a is the next back */
	const unsigned tried[1] = { B };
	CHECK_EQ_INT(route_back_in(&C, fb, &a, tried, 1, T0 + 1000, &rl), 19000);
	/* a 503 that said when to come back is not a rate limit */
	fresh_health();
	health_failure(A, T0, HEALTH_FAIL_5XX, 5000);
	health_failure(B, T0, HEALTH_FAIL_RATE_LIMITED, 9000);
	health_failure(TC, T0, HEALTH_FAIL_AUTH, -1);
	CHECK_EQ_INT(route_back_in(&C, fb, &a, NULL, 0, T0, &rl), 5000);
	CHECK_EQ_INT(rl, 0);
	/* targets a cheapest request may not use do not count */
	const struct cfg_route *c4 = route("cheap4");
	struct route_ask a4 = ask_for(c4, 0, 0);
	CHECK_EQ_INT(route_back_in(&C, c4, &a4, NULL, 0, T0, &rl), 9000);	/* a (quality 3) left out */
	CHECK_EQ_INT(rl, 1);
}

TEST(half_open_trial_goes_to_one_request)
{
	const char *why = NULL;
	fresh_health();
	open_breaker(A, T0);
	/* the cool-down (10 s by default) is over: a's single trial goes to
	 * the first request; a second one at the same time gets b */
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 10001, &why), A);
	CHECK_EQ_INT(health_state(A, T0 + 10001), HEALTH_ST_HALF_OPEN);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 10001, &why), B);
	health_success(A, T0 + 10002, 10, 5);
	CHECK_EQ_INT(pick("fb", 0, 0, NULL, 0, T0 + 10002, &why), A);
}

TEST(fastest_by_time_to_first_token)
{
	const char *why = NULL;
	fresh_health();
	/* nobody measured: all count as 0, the first wins */
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), A);
	health_success(A, T0, 500, 50);
	/* a is measured, b not yet: b is tried so it gets a sample */
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), B);
	health_success(B, T0, 500, 20);
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), TC);
	health_success(TC, T0, 500, 80);
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), B);
	const unsigned tried[1] = { B };
	CHECK_EQ_INT(pick("fast", 0, 0, tried, 1, T0, &why), A);
	/* a tie goes to route order */
	fresh_health();
	health_success(A, T0, 500, 30);
	health_success(B, T0, 500, 30);
	health_success(TC, T0, 500, 90);
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), A);
	/* a sample without a time to first token leaves it unmeasured */
	fresh_health();
	health_success(A, T0, 500, 30);
	health_success(B, T0, 500, -1);
	health_success(TC, T0, 500, 40);
	CHECK_EQ_INT(pick("fast", 0, 0, NULL, 0, T0, &why), B);
}

/* How often each of a, b, c is picked on route wt for the draws
 * first, first + 1, ..., first + n - 1. */
static void count_weighted(uint32_t first, unsigned n, const unsigned *tried, unsigned ntried, unsigned cnt[3])
{
	const struct cfg_route *r = route("wt");
	struct route_ask a = ask_for(r, 0, 0);
	const char *why;
	cnt[0] = cnt[1] = cnt[2] = 0;
	for (unsigned i = 0; i < n; i++) {
		a.random = first + i;
		int t = route_pick(&C, r, &a, tried, ntried, T0, &why);
		if (t == (int)A)
			cnt[0]++;
		else if (t == (int)B)
			cnt[1]++;
		else if (t == (int)TC)
			cnt[2]++;
	}
}

TEST(weighted_follows_weights)
{
	unsigned cnt[3];
	fresh_health();
	/* weights 1, 3, 6: the draw modulo 10 picks, so any 10,000
	 * consecutive draws split exactly 1,000 / 3,000 / 6,000 */
	count_weighted(0, 10000, NULL, 0, cnt);
	CHECK_EQ_INT(cnt[0], 1000);
	CHECK_EQ_INT(cnt[1], 3000);
	CHECK_EQ_INT(cnt[2], 6000);
	/* a tried target's weight leaves the total: 1 : 6 */
	const unsigned tried[1] = { B };
	count_weighted(0, 7000, tried, 1, cnt);
	CHECK_EQ_INT(cnt[0], 1000);
	CHECK_EQ_INT(cnt[1], 0);
	CHECK_EQ_INT(cnt[2], 6000);
	/* so does an unhealthy one's: 1 : 3 */
	open_breaker(TC, T0 - 1);
	count_weighted(0, 4000, NULL, 0, cnt);
	CHECK_EQ_INT(cnt[0], 1000);
	CHECK_EQ_INT(cnt[1], 3000);
	CHECK_EQ_INT(cnt[2], 0);
}

TEST(weighted_with_random_draws)
{
	/* draws as a generator gives them (xorshift32, fixed seed): each
	 * share within five standard deviations of its weight */
	const struct cfg_route *r = route("wt");
	struct route_ask a = ask_for(r, 0, 0);
	unsigned cnt[3] = { 0, 0, 0 };
	uint32_t x = 2463534242u;
	const char *why;
	fresh_health();
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		a.random = x;
		int t = route_pick(&C, r, &a, NULL, 0, T0, &why);
		cnt[t == (int)A ? 0 : t == (int)B ? 1 : 2]++;
	}
	CHECK(cnt[0] >= 850 && cnt[0] <= 1150);		/* sd 30 */
	CHECK(cnt[1] >= 2770 && cnt[1] <= 3230);	/* sd 46 */
	CHECK(cnt[2] >= 5755 && cnt[2] <= 6245);	/* sd 49 */
}

/* A client with a USD budget (priced_only): the route's unpriced targets
 * are never picked, first or in failover, nor as the last resort when
 * every priced one is unhealthy. */
TEST(priced_only_skips_unpriced)
{
	const char *why = NULL;
	const struct cfg_route *r = route("mixed");
	struct route_ask a = ask_for(r, 0, 0);
	fresh_health();
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), U);	/* everyone else: in order */
	a.priced_only = 1;
	CHECK_EQ_INT(route_pick(&C, r, &a, NULL, 0, T0, &why), B);
	unsigned tried[2] = { B };
	CHECK_EQ_INT(route_pick(&C, r, &a, tried, 1, T0, &why), A);
	tried[1] = A;
	CHECK_EQ_INT(route_pick(&C, r, &a, tried, 2, T0, &why), -1);
	open_breaker(B, T0);
	open_breaker(A, T0 + 1);
	int k = route_pick(&C, r, &a, NULL, 0, T0 + 2, &why);
	CHECK(k == (int)B || k == (int)A);
	fresh_health();
}

/* What a request costs where: a target's own prices, and for a
 * provider/model no route or target section names (the provider's
 * "other" bucket) the compiled-in table's, snapshots included. */
TEST(price_of_targets_and_direct_names)
{
	struct price p;
	CHECK(route_price(&C, (int)A, "a", &p) == 1 && p.in_usd_mtok == 1 && p.out_usd_mtok == 10);
	CHECK(route_price(&C, (int)A, "a", NULL) == 1);
	CHECK(route_price(&C, (int)U, "zz-unpriced-model", &p) == 0);
	unsigned other = tid("cloud/gpt-4.1-mini");
	REQUIRE(C.targets_all[other].other);
	memset(&p, 0, sizeof p);
	CHECK(route_price(&C, (int)other, "gpt-4.1-mini", &p) == 1);
	CHECK(p.in_usd_mtok == 0.40 && p.cached_usd_mtok == 0.10 && p.out_usd_mtok == 1.60);
	CHECK(route_price(&C, (int)other, "gpt-4.1-mini-2025-04-14", NULL) == 1);
	CHECK(route_price(&C, (int)other, "zz-nope", &p) == 0);
	CHECK(route_price(&C, (int)tid("loc/anything"), "anything", &p) == 1 && p.in_usd_mtok == 0);	/* local: free */
	CHECK(route_price(&C, -1, "gpt-4.1-mini", &p) == 0);
	CHECK(route_price(&C, (int)C.ntargets_all, "gpt-4.1-mini", &p) == 0);
}

int main(void)
{
	test_suite = "route";
	setenv("LLMGW_TEST_ROUTE_KEY", "sk-test-route", 1);
	if (cfg_load_text("route.conf", conf, strlen(conf), &C, on_cfg_error, NULL) != 0) {
		fprintf(stderr, "route.conf does not load\n");
		return 1;
	}
	A = tid("loc/a");
	A2 = tid("loc/a2");
	B = tid("loc/b");
	TC = tid("loc/c");
	U = tid("cloud/zz-unpriced-model");
	RUN(config_as_expected);
	RUN(fallback_in_order_and_tried_excluded);
	RUN(empty_route_picks_nothing);
	RUN(every_strategy_all_tried);
	RUN(cheapest_by_estimate);
	RUN(cheapest_never_picks_unpriced);
	RUN(cheapest_quality_floor);
	RUN(cheapest_tie_goes_to_route_order);
	RUN(unhealthy_targets_skipped);
	RUN(all_unhealthy_falls_back_to_longest_failed);
	RUN(keys_rejected_or_rate_limited_gives_nothing);
	RUN(back_in_says_when_the_first_target_returns);
	RUN(half_open_trial_goes_to_one_request);
	RUN(fastest_by_time_to_first_token);
	RUN(weighted_follows_weights);
	RUN(weighted_with_random_draws);
	RUN(priced_only_skips_unpriced);
	RUN(price_of_targets_and_direct_names);
	health_free();
	cfg_free(&C);
	return test_summary();
}
