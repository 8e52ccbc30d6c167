/*
 * route.c - target selection for a route's next attempt. See route.h.
 * LLMGW_USAGE=0 (options.h): no prices, so no `cheapest` (config.c and
 * proxy.c refuse it before a request gets here).
 */
#include "health.h"
#include "options.h"
#include "route.h"

double route_estimate(const struct cfg_tinfo *t, int64_t in, int64_t out)
{
	return ((double)in * t->in_usd_mtok + (double)out * t->out_usd_mtok) / 1e6;
}

int route_price(const struct cfg *cfg, int tid, const char *model, struct price *out)
{
	if (!LLMGW_USAGE || tid < 0 || (unsigned)tid >= cfg->ntargets_all)
		return 0;
	const struct cfg_tinfo *t = &cfg->targets_all[tid];
	const struct provider_type *ty = cfg->providers[t->provider].type;
	if (t->other)
		return ty && prices_lookup(ty->name, model, out);
	if (t->priced && out)
		*out = (struct price){ t->in_usd_mtok, t->cached_usd_mtok, t->out_usd_mtok, t->quality };
	return t->priced;
}

static int was_tried(unsigned tid, const unsigned *tried, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (tried[i] == tid)
			return 1;
	return 0;
}

/* Whether target tid may serve this request at all, health aside. */
static int eligible(const struct cfg *cfg, unsigned tid, const struct route_ask *ask, const unsigned *tried, unsigned ntried)
{
	const struct cfg_tinfo *t = &cfg->targets_all[tid];
	if (was_tried(tid, tried, ntried) || (ask->priced_only && !t->priced))
		return 0;	/* an unpriced one would spend outside the client's budget */
	return ask->strategy != CFG_STRATEGY_CHEAPEST || (t->priced && (unsigned)t->quality >= ask->min_quality);
}

int64_t route_back_in(const struct cfg *cfg, const struct cfg_route *r, const struct route_ask *ask,
		      const unsigned *tried, unsigned ntried, int64_t now_ms, int *rate_limited)
{
	int64_t first = -1;
	*rate_limited = 0;
	for (unsigned i = 0; i < r->ntargets; i++) {
		unsigned tid = r->targets[i].tid;
		int rl;
		int64_t until = health_cooled_until(tid, &rl);
		if (!eligible(cfg, tid, ask, tried, ntried) || until <= now_ms)
			continue;
		if (first < 0 || until - now_ms < first) {
			first = until - now_ms;
			*rate_limited = rl;
		}
	}
	return first;
}

int route_pick(const struct cfg *cfg, const struct cfg_route *r, const struct route_ask *ask,
	       const unsigned *tried, unsigned ntried, int64_t now_ms, const char **why)
{
	unsigned cand[ROUTE_MAX_TRIED * 4];
	unsigned nc = 0, nquality = 0;
	*why = "every target of the route was tried";
	/* Untried targets that may serve this request at all. */
	unsigned rest[ROUTE_MAX_TRIED * 4];
	unsigned nrest = 0;
	for (unsigned i = 0; i < r->ntargets && nrest < sizeof rest / sizeof rest[0]; i++) {
		unsigned tid = r->targets[i].tid;
		if (!eligible(cfg, tid, ask, tried, ntried))
			continue;
		nquality++;
		rest[nrest++] = tid;
		if (health_ready(tid, now_ms))
			cand[nc++] = tid;
	}
	if (nquality == 0 && ask->strategy == CFG_STRATEGY_CHEAPEST && ntried == 0)
		*why = "no target of the route is priced with the quality asked for";
	int best = -1;
	switch (ask->strategy) {
	case CFG_STRATEGY_FALLBACK:
		if (nc)
			best = (int)cand[0];
		break;
	case CFG_STRATEGY_CHEAPEST: {
		double bc = 0;
		for (unsigned i = 0; LLMGW_USAGE && i < nc; i++) {
			double c = route_estimate(&cfg->targets_all[cand[i]], ask->est_input_tokens, ask->est_output_tokens);
			if (best < 0 || c < bc) {
				best = (int)cand[i];
				bc = c;
			}
		}
		break;
	}
	case CFG_STRATEGY_FASTEST: {
		double bt = 0;
		for (unsigned i = 0; i < nc; i++) {
			double t = health_ttft(cand[i]);
			if (t < 0)
				t = 0;	/* unmeasured: try it, so it gets measured */
			if (best < 0 || t < bt) {
				best = (int)cand[i];
				bt = t;
			}
		}
		break;
	}
	case CFG_STRATEGY_WEIGHTED: {
		unsigned long total = 0;
		for (unsigned i = 0; i < nc; i++)
			total += cfg->targets_all[cand[i]].weight;
		if (total) {
			unsigned long x = ask->random % total;
			for (unsigned i = 0; i < nc; i++) {
				unsigned w = cfg->targets_all[cand[i]].weight;
				if (x < w) {
					best = (int)cand[i];
					break;
				}
				x -= w;
			}
		}
		break;
	}
	}
	if (best >= 0 && health_admit((unsigned)best, now_ms))
		return best;
	/* Nothing admitted now: rather than answer nothing, the target that
	 * failed longest ago (never one whose key was rejected). */
	int k = health_pick_fallback(rest, nrest, now_ms);	/* admits what it picks */
	if (k >= 0)
		return (int)rest[k];
	if (nrest)
		*why = "every target is rate-limited or has its key rejected";
	return -1;
}
