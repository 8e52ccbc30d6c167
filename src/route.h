/*
 * route.h - which target of a route serves the next attempt of a request.
 *
 * Strategies (config.h enum cfg_strategy): fallback (in order), cheapest
 * (lowest estimated cost among priced targets whose quality reaches the
 * minimum; unpriced targets are never picked), fastest (lowest moving
 * average time to first token; a target with no sample yet is tried first
 * so it gets one), weighted (random by weight). Only targets the health
 * module admits now are candidates; if none is, the untried target that
 * failed longest ago (health_pick_fallback) rather than nothing. Pure
 * logic over cfg + health.c state; nothing allocated, nothing blocks.
 * Also what a target costs (route_price), for billing and budgets.
 */
#ifndef LLMGW_ROUTE_H
#define LLMGW_ROUTE_H

#include <stdint.h>
#include "config.h"
#include "prices.h"

#define ROUTE_MAX_TRIED 16

struct route_ask {
	enum cfg_strategy strategy;
	unsigned min_quality;
	int64_t est_input_tokens;	/* for cheapest: from the request size */
	int64_t est_output_tokens;	/* the request's max tokens, or a default */
	uint32_t random;		/* for weighted */
	int priced_only;		/* skip unpriced targets (a client with a USD budget) */
};

/* Estimated USD of a request on target tid (tinfo prices). */
double route_estimate(const struct cfg_tinfo *t, int64_t in, int64_t out);

/* The prices of model served as target tid: the target's own (set at
 * load from its target section or the table), or for a provider's "other"
 * bucket (a provider/model no route or target section names) the
 * compiled-in table's for that model, looked up as route targets are.
 * 1 with *out filled (out may be NULL) when priced; 0 when unpriced. */
int route_price(const struct cfg *cfg, int tid, const char *model, struct price *out);

/* The target id for the next attempt, or -1 when every target was tried
 * (or none may be: credentials rejected, rate-limited, below min_quality).
 * When a target is returned it has been admitted (health_admit), so a
 * half-open breaker's single trial is taken by this request. *why says,
 * for -1, the best reason to tell the client ("rate limited", ...). */
int route_pick(const struct cfg *cfg, const struct cfg_route *r, const struct route_ask *ask,
	       const unsigned *tried, unsigned ntried, int64_t now_ms, const char **why);

/* After route_pick() found nothing: the ms until the first target it could
 * have taken, but for a running cool-down, is back (>= 1), or -1 when no
 * such target is cooling; *rate_limited says whether that target's
 * cool-down followed its provider's 429 (a rate limit to pass on to the
 * client as one) rather than a hinted 5xx. */
int64_t route_back_in(const struct cfg *cfg, const struct cfg_route *r, const struct route_ask *ask,
		      const unsigned *tried, unsigned ntried, int64_t now_ms, int *rate_limited);

#endif
