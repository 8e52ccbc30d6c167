/*
 * metrics.c - gateway counters and the Prometheus text exposition for
 * GET /metrics (see metrics.h). Owns the counters below and the per-target
 * histograms allocated by metrics_init(); reads health.c and usage.c
 * tables at render time, never changes them. Nothing blocks or logs.
 *
 * LLMGW_METRICS=0 (options.h): api.c never calls metrics_render(), and the
 * counting calls below return at once (server.c and proxy.c keep calling
 * them), so the counters, histograms and renderer are left to the linker
 * to drop; the writer (metrics_out_*) stays for status.c. LLMGW_USAGE=0:
 * the token and money families are not on the page at all (rather than
 * zeros that look like real totals).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "gw.h"
#include "health.h"
#include "metrics.h"
#include "options.h"
#include "prices.h"
#include "usage.h"

const unsigned metrics_bucket_ms[METRICS_NBUCKETS - 1] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
};
/* The same bounds in seconds, as they appear in le="" (exact strings, so
 * a scraper's le values never carry float noise). */
static const char *const bucket_le[METRICS_NBUCKETS] = {
	"0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"
};

static struct metrics_counters ctr;
static struct metrics_hist *thist;	/* [2 * ntargets]: latency, ttft per target */
static unsigned nthist;

#define NUM_MAXW 24	/* "-1.2345678901234567e+308"; u64 needs 20 */

/* ---- the writer ---- */

void metrics_out_init(struct metrics_out *o, char *buf, size_t cap, int bound)
{
	o->buf = buf;
	o->cap = buf ? cap : 0;
	o->len = 0;
	o->slack = 0;
	o->bound = bound;
}

void metrics_out_mem(struct metrics_out *o, const char *p, size_t n)
{
	if (o->len < o->cap) {
		size_t room = o->cap - o->len;
		memcpy(o->buf + o->len, p, n < room ? n : room);
	}
	o->len += n;
}

void metrics_out_str(struct metrics_out *o, const char *s)
{
	metrics_out_mem(o, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 when the first byte
 * starts none (stray continuation, overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void metrics_out_text(struct metrics_out *o, const char *s, enum metrics_esc esc)
{
	static const char hex[] = "0123456789abcdef";

	if (!s)
		return;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	size_t i = 0;
	while (i < n) {
		/* Copy the longest run that needs nothing done. */
		size_t j = i;
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '\\' && p[j] != '"' &&
		    !(esc == METRICS_ESC_HTML && (p[j] == '&' || p[j] == '<' || p[j] == '>' || p[j] == '\'')))
			j++;
		metrics_out_mem(o, s + i, j - i);
		i = j;
		if (i == n)
			break;
		unsigned c = p[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(p + i, n - i);
			if (k) {
				metrics_out_mem(o, s + i, k);
				i += k;
			} else {
				metrics_out_mem(o, "\xef\xbf\xbd", 3);
				i++;
			}
			continue;
		}
		i++;
		switch (esc) {
		case METRICS_ESC_LABEL:
			if (c == '\\')
				metrics_out_mem(o, "\\\\", 2);
			else if (c == '"')
				metrics_out_mem(o, "\\\"", 2);
			else if (c == '\n')
				metrics_out_mem(o, "\\n", 2);
			/* other control bytes: dropped, they have no escape */
			break;
		case METRICS_ESC_JSON:
			if (c == '\\')
				metrics_out_mem(o, "\\\\", 2);
			else if (c == '"')
				metrics_out_mem(o, "\\\"", 2);
			else if (c == '\n')
				metrics_out_mem(o, "\\n", 2);
			else if (c == '\t')
				metrics_out_mem(o, "\\t", 2);
			else {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				metrics_out_mem(o, u, 6);
			}
			break;
		case METRICS_ESC_HTML:
			if (c == '&')
				metrics_out_str(o, "&amp;");
			else if (c == '<')
				metrics_out_str(o, "&lt;");
			else if (c == '>')
				metrics_out_str(o, "&gt;");
			else if (c == '"')
				metrics_out_str(o, "&quot;");
			else if (c == '\'')
				metrics_out_str(o, "&#39;");
			else if (c == '\\')
				metrics_out_mem(o, "\\", 1);
			else if (c == '\n')
				metrics_out_mem(o, " ", 1);
			break;
		case METRICS_ESC_NONE:
			if (c == '\\' || c == '"' || c == '\n' || c == '\t')
				metrics_out_mem(o, (const char *)p + i - 1, 1);
			break;
		}
	}
}

void metrics_out_fmt(struct metrics_out *o, size_t maxw, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof tmp)
		n = (int)sizeof tmp - 1;
	metrics_out_mem(o, tmp, (size_t)n);
	if (o->bound && maxw > (size_t)n)
		o->slack += maxw - (size_t)n;
}

void metrics_out_var(struct metrics_out *o, const char *s, size_t maxw)
{
	size_t n = strlen(s);
	metrics_out_mem(o, s, n);
	if (o->bound && maxw > n)
		o->slack += maxw - n;
}

void metrics_out_u64(struct metrics_out *o, uint64_t v)
{
	metrics_out_fmt(o, NUM_MAXW, "%llu", (unsigned long long)v);
}

void metrics_out_i64(struct metrics_out *o, int64_t v)
{
	metrics_out_fmt(o, NUM_MAXW, "%lld", (long long)v);
}

void metrics_out_double(struct metrics_out *o, double v)
{
	char tmp[40];

	if (!isfinite(v))
		v = 0;
	for (int prec = 15; prec <= 17; prec++) {
		fmt_snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (fmt_strtod(tmp, NULL) == v)
			break;
	}
	metrics_out_var(o, tmp, NUM_MAXW);
}

/* ---- counters ---- */

int metrics_init(unsigned ntargets)
{
	metrics_free();
	if (!LLMGW_METRICS || ntargets == 0)
		return 0;
	thist = calloc((size_t)ntargets * 2, sizeof *thist);
	if (!thist)
		return -1;
	nthist = ntargets;
	return 0;
}

void metrics_free(void)
{
	free(thist);
	thist = NULL;
	nthist = 0;
}

void metrics_reset(void)
{
	memset(&ctr, 0, sizeof ctr);
	if (thist)
		memset(thist, 0, (size_t)nthist * 2 * sizeof *thist);
}

enum metrics_class metrics_class_of(int status)
{
	if (status >= 100 && status < 400)
		return METRICS_2XX;
	if (status >= 400 && status < 500)
		return METRICS_4XX;
	return METRICS_5XX;
}

int metrics_error_of_status(int status, enum metrics_error *out)
{
	enum metrics_error e;

	if (status >= 100 && status < 400)
		return 0;
	switch (status) {
	case 401: case 403: e = METRICS_ERR_AUTH; break;
	case 429: e = METRICS_ERR_LIMIT; break;
	case 408: case 504: e = METRICS_ERR_TIMEOUT; break;
	case 502: e = METRICS_ERR_UPSTREAM; break;
	case 503: case 529: e = METRICS_ERR_UNAVAILABLE; break;
	case 500: e = METRICS_ERR_INTERNAL; break;
	default:
		/* other 4xx are the request's; other 5xx and "no answer" are
		 * counted against the gateway */
		e = status >= 400 && status < 500 ? METRICS_ERR_BAD_REQUEST : METRICS_ERR_INTERNAL;
		break;
	}
	*out = e;
	return 1;
}

const char *metrics_error_name(enum metrics_error e)
{
	static const char *const names[METRICS_NERRORS] = {
		"bad_request", "auth", "limit", "upstream", "timeout", "unavailable", "stream", "internal"
	};
	return (unsigned)e < METRICS_NERRORS ? names[e] : "internal";
}

void metrics_hist_observe(struct metrics_hist *h, int64_t ms)
{
	unsigned i;

	if (ms < 0)
		return;
	for (i = 0; i < METRICS_NBUCKETS - 1 && ms > (int64_t)metrics_bucket_ms[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_ms += (uint64_t)ms;
}

void metrics_count_request(enum dialect d, int status, unsigned attempts, unsigned failovers,
    int64_t latency_ms, int64_t ttft_ms)
{
	enum metrics_error e;

	if (!LLMGW_METRICS)
		return;
	if ((unsigned)d < METRICS_NDIALECTS)
		ctr.requests[d][metrics_class_of(status)]++;
	if (metrics_error_of_status(status, &e))
		ctr.errors[e]++;
	ctr.attempts += attempts;
	ctr.failovers += failovers;
	metrics_hist_observe(&ctr.latency, latency_ms);
	metrics_hist_observe(&ctr.ttft, ttft_ms);
}

void metrics_count_error(enum metrics_error e)
{
	if (LLMGW_METRICS && (unsigned)e < METRICS_NERRORS)
		ctr.errors[e]++;
}

void metrics_observe_target(unsigned tid, int64_t latency_ms, int64_t ttft_ms)
{
	if (!LLMGW_METRICS || tid >= nthist)
		return;
	metrics_hist_observe(&thist[2 * tid], latency_ms);
	metrics_hist_observe(&thist[2 * tid + 1], ttft_ms);
}

const struct metrics_counters *metrics_counters(void)
{
	return &ctr;
}

const struct metrics_hist *metrics_target_hist(unsigned tid, int ttft)
{
	return tid < nthist ? &thist[2 * tid + (ttft ? 1 : 0)] : NULL;
}

/* ---- rendering ---- */

static void family(struct metrics_out *o, const char *name, const char *type, const char *help)
{
	metrics_out_str(o, "# HELP ");
	metrics_out_str(o, name);
	metrics_out_str(o, " ");
	metrics_out_str(o, help);
	metrics_out_str(o, "\n# TYPE ");
	metrics_out_str(o, name);
	metrics_out_str(o, " ");
	metrics_out_str(o, type);
	metrics_out_str(o, "\n");
}

/* One label pair, with its leading ',' unless first. */
static void label(struct metrics_out *o, int first, const char *k, const char *v)
{
	if (!first)
		metrics_out_mem(o, ",", 1);
	metrics_out_str(o, k);
	metrics_out_mem(o, "=\"", 2);
	metrics_out_text(o, v, METRICS_ESC_LABEL);
	metrics_out_mem(o, "\"", 1);
}

/* name{k1="v1",k2="v2"} (either label may be absent: k NULL) */
static void series(struct metrics_out *o, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	metrics_out_str(o, name);
	if (k1 || k2) {
		metrics_out_mem(o, "{", 1);
		if (k1)
			label(o, 1, k1, v1);
		if (k2)
			label(o, !k1, k2, v2);
		metrics_out_mem(o, "}", 1);
	}
	metrics_out_mem(o, " ", 1);
}

static void sample_u64(struct metrics_out *o, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2, uint64_t v)
{
	series(o, name, k1, v1, k2, v2);
	metrics_out_u64(o, v);
	metrics_out_mem(o, "\n", 1);
}

static void sample_dbl(struct metrics_out *o, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2, double v)
{
	series(o, name, k1, v1, k2, v2);
	metrics_out_double(o, v);
	metrics_out_mem(o, "\n", 1);
}

/* The samples of one histogram (h NULL: all zero), with label k=v or none. */
static void hist_samples(struct metrics_out *o, const char *base, const char *k, const char *v,
    const struct metrics_hist *h)
{
	char name[96];
	uint64_t cum = 0;

	fmt_snprintf(name, sizeof name, "%s_bucket", base);
	for (unsigned i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h ? h->bucket[i] : 0;
		series(o, name, k, v, "le", bucket_le[i]);
		/* series() wrote "name{k="v",le="x"} " */
		metrics_out_u64(o, cum);
		metrics_out_mem(o, "\n", 1);
	}
	uint64_t sum = h ? h->sum_ms : 0;
	fmt_snprintf(name, sizeof name, "%s_sum", base);
	series(o, name, k, v, NULL, NULL);
	/* exact milliseconds as seconds with three decimals */
	metrics_out_fmt(o, NUM_MAXW, "%llu.%03llu", (unsigned long long)(sum / 1000),
	    (unsigned long long)(sum % 1000));
	metrics_out_mem(o, "\n", 1);
	fmt_snprintf(name, sizeof name, "%s_count", base);
	sample_u64(o, name, k, v, NULL, NULL, h ? h->count : 0);
}

static const char *client_name(const struct cfg *cfg, unsigned i)
{
	/* usage's slot nclients is the anonymous one; '(' cannot start a
	 * configured client name, so this label never collides */
	return i < cfg->nclients ? cfg->clients[i].name : "(anonymous)";
}

static const enum health_state all_states[] = {
	HEALTH_ST_CLOSED, HEALTH_ST_HALF_OPEN, HEALTH_ST_OPEN, HEALTH_ST_COOLING, HEALTH_ST_CRED_BAD
};

static void render(struct metrics_out *o, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	static const struct metrics_runtime zero_rt;
	static const char *const class_names[METRICS_NCLASSES] = { "2xx", "4xx", "5xx" };
	static const char *const tok_kinds[3] = { "input", "cached", "output" };
	const struct usage_totals zero_u = { 0 };
	unsigned nt = cfg->ntargets_all;
	unsigned ncl = cfg->nclients + 1;	/* + the anonymous slot */

	if (!rt)
		rt = &zero_rt;

	family(o, "llmgw_build_info", "gauge", "Version of the running gateway and date of its price table.");
	series(o, "llmgw_build_info", "version", LLMGW_VERSION, "prices_date", LLMGW_USAGE ? PRICES_DATE : "none");
	metrics_out_str(o, "1\n");
	family(o, "llmgw_start_time_seconds", "gauge", "Start time of the gateway, unix seconds.");
	sample_u64(o, "llmgw_start_time_seconds", NULL, NULL, NULL, NULL,
	    rt->start_unix > 0 ? (uint64_t)rt->start_unix : 0);
	family(o, "llmgw_config_reloads_total", "counter", "Successful configuration reloads (SIGHUP).");
	sample_u64(o, "llmgw_config_reloads_total", NULL, NULL, NULL, NULL, rt->reloads);
	family(o, "llmgw_open_connections", "gauge", "Open client connections.");
	sample_u64(o, "llmgw_open_connections", NULL, NULL, NULL, NULL, rt->open_connections);
	family(o, "llmgw_active_requests", "gauge", "Requests being served.");
	sample_u64(o, "llmgw_active_requests", NULL, NULL, NULL, NULL, rt->active_requests);
	family(o, "llmgw_upstream_connections", "gauge", "Open provider connections, idle pooled ones included.");
	sample_u64(o, "llmgw_upstream_connections", NULL, NULL, NULL, NULL, rt->upstream_connections);
	family(o, "llmgw_memory_bytes", "gauge", "Resident memory of the gateway process.");
	sample_u64(o, "llmgw_memory_bytes", NULL, NULL, NULL, NULL, rt->rss_bytes);

	family(o, "llmgw_requests_total", "counter", "Client requests answered, by client dialect and status class.");
	for (unsigned d = 0; d < METRICS_NDIALECTS; d++)
		for (unsigned c = 0; c < METRICS_NCLASSES; c++)
			sample_u64(o, "llmgw_requests_total", "dialect", dialect_name((enum dialect)d),
			    "code", class_names[c], ctr.requests[d][c]);
	family(o, "llmgw_errors_total", "counter", "Client requests answered with an error, by class.");
	for (unsigned e = 0; e < METRICS_NERRORS; e++)
		sample_u64(o, "llmgw_errors_total", "class", metrics_error_name((enum metrics_error)e),
		    NULL, NULL, ctr.errors[e]);
	family(o, "llmgw_upstream_attempts_total", "counter", "Requests sent to providers, retries and failovers included.");
	sample_u64(o, "llmgw_upstream_attempts_total", NULL, NULL, NULL, NULL, ctr.attempts);
	family(o, "llmgw_failovers_total", "counter", "Attempts on another target after a failed one.");
	sample_u64(o, "llmgw_failovers_total", NULL, NULL, NULL, NULL, ctr.failovers);
	family(o, "llmgw_request_duration_seconds", "histogram", "Client request duration, failovers included.");
	hist_samples(o, "llmgw_request_duration_seconds", NULL, NULL, &ctr.latency);
	family(o, "llmgw_request_ttft_seconds", "histogram", "Client request time to the first content token.");
	hist_samples(o, "llmgw_request_ttft_seconds", NULL, NULL, &ctr.ttft);

	/* Per target. One family at a time (the format wants a family's
	 * samples together), so each walks the targets again. */
	family(o, "llmgw_target_up", "gauge", "1 when the target's breaker is closed and no cool-down runs.");
	for (unsigned t = 0; t < nt; t++)
		sample_u64(o, "llmgw_target_up", "target", cfg->targets_all[t].name, NULL, NULL,
		    health_state(t, now_ms) == HEALTH_ST_CLOSED);
	family(o, "llmgw_target_state", "gauge", "1 for the target's current health state, 0 for the others.");
	for (unsigned t = 0; t < nt; t++) {
		enum health_state st = health_state(t, now_ms);
		for (unsigned s = 0; s < sizeof all_states / sizeof all_states[0]; s++)
			sample_u64(o, "llmgw_target_state", "target", cfg->targets_all[t].name, "state",
			    health_state_name(all_states[s]), st == all_states[s]);
	}
	family(o, "llmgw_target_requests_total", "counter", "Requests sent to the target (probes not included).");
	for (unsigned t = 0; t < nt; t++) {
		struct health_info hi;
		health_get(t, now_ms, &hi);
		sample_u64(o, "llmgw_target_requests_total", "target", cfg->targets_all[t].name, NULL, NULL, hi.requests);
	}
	family(o, "llmgw_target_failures_total", "counter", "Failed requests to the target, by kind.");
	for (unsigned t = 0; t < nt; t++) {
		struct health_info hi;
		health_get(t, now_ms, &hi);
		for (unsigned k = 0; k < HEALTH_NKINDS; k++)
			sample_u64(o, "llmgw_target_failures_total", "target", cfg->targets_all[t].name, "kind",
			    health_kind_name((enum health_kind)k), hi.failures[k]);
	}
	family(o, "llmgw_target_breaker_opens_total", "counter", "Times the target's circuit breaker opened.");
	for (unsigned t = 0; t < nt; t++) {
		struct health_info hi;
		health_get(t, now_ms, &hi);
		sample_u64(o, "llmgw_target_breaker_opens_total", "target", cfg->targets_all[t].name, NULL, NULL,
		    hi.entered[HEALTH_ST_OPEN]);
	}
	family(o, "llmgw_target_probes_total", "counter", "Health probes (free model listings) sent to the target.");
	for (unsigned t = 0; t < nt; t++) {
		struct health_info hi;
		health_get(t, now_ms, &hi);
		sample_u64(o, "llmgw_target_probes_total", "target", cfg->targets_all[t].name, NULL, NULL, hi.probes);
	}
	family(o, "llmgw_target_probe_failures_total", "counter", "Health probes of the target that failed.");
	for (unsigned t = 0; t < nt; t++) {
		struct health_info hi;
		health_get(t, now_ms, &hi);
		sample_u64(o, "llmgw_target_probe_failures_total", "target", cfg->targets_all[t].name, NULL, NULL,
		    hi.probe_failures);
	}
	family(o, "llmgw_target_latency_seconds", "histogram", "Response time of the target's answered attempts.");
	for (unsigned t = 0; t < nt; t++)
		hist_samples(o, "llmgw_target_latency_seconds", "target", cfg->targets_all[t].name,
		    metrics_target_hist(t, 0));
	family(o, "llmgw_target_ttft_seconds", "histogram", "Time to the first content token of the target's attempts.");
	for (unsigned t = 0; t < nt; t++)
		hist_samples(o, "llmgw_target_ttft_seconds", "target", cfg->targets_all[t].name,
		    metrics_target_hist(t, 1));

	/* Usage: tokens and money. */
	if (!LLMGW_USAGE)
		return;
	family(o, "llmgw_client_requests_total", "counter", "Completed requests per client key.");
	for (unsigned i = 0; i < ncl; i++) {
		const struct usage_totals *u = usage_get(USAGE_CLIENT, i);
		sample_u64(o, "llmgw_client_requests_total", "client", client_name(cfg, i), NULL, NULL,
		    (u ? u : &zero_u)->requests);
	}
	family(o, "llmgw_client_tokens_total", "counter", "Tokens per client key; input includes cached input.");
	for (unsigned i = 0; i < ncl; i++) {
		const struct usage_totals *u = usage_get(USAGE_CLIENT, i);
		if (!u)
			u = &zero_u;
		uint64_t v[3] = { u->input, u->cached, u->output };
		for (unsigned k = 0; k < 3; k++)
			sample_u64(o, "llmgw_client_tokens_total", "client", client_name(cfg, i), "type",
			    tok_kinds[k], v[k]);
	}
	family(o, "llmgw_client_cost_usd_total", "counter", "Spend per client key in USD (priced requests only).");
	for (unsigned i = 0; i < ncl; i++) {
		const struct usage_totals *u = usage_get(USAGE_CLIENT, i);
		sample_dbl(o, "llmgw_client_cost_usd_total", "client", client_name(cfg, i), NULL, NULL,
		    (u ? u : &zero_u)->usd);
	}
	family(o, "llmgw_client_unpriced_requests_total", "counter", "Requests per client key whose cost is unknown.");
	for (unsigned i = 0; i < ncl; i++) {
		const struct usage_totals *u = usage_get(USAGE_CLIENT, i);
		sample_u64(o, "llmgw_client_unpriced_requests_total", "client", client_name(cfg, i), NULL, NULL,
		    (u ? u : &zero_u)->unpriced);
	}
	family(o, "llmgw_client_spend_usd", "gauge", "Spend per client key in the current UTC day and month.");
	for (unsigned i = 0; i < ncl; i++) {
		double day = 0, month = 0;
		if (usage_spend(i < cfg->nclients ? (int)i : USAGE_ANON, now_unix, &day, &month) != 0)
			day = month = 0;
		sample_dbl(o, "llmgw_client_spend_usd", "client", client_name(cfg, i), "period", "day", day);
		sample_dbl(o, "llmgw_client_spend_usd", "client", client_name(cfg, i), "period", "month", month);
	}
	family(o, "llmgw_client_budget_usd", "gauge", "Budget per client key (0: unlimited).");
	for (unsigned i = 0; i < cfg->nclients; i++) {
		sample_dbl(o, "llmgw_client_budget_usd", "client", cfg->clients[i].name, "period", "day",
		    cfg->clients[i].daily_usd);
		sample_dbl(o, "llmgw_client_budget_usd", "client", cfg->clients[i].name, "period", "month",
		    cfg->clients[i].monthly_usd);
	}
	family(o, "llmgw_target_tokens_total", "counter", "Tokens per target; input includes cached input.");
	for (unsigned t = 0; t < nt; t++) {
		const struct usage_totals *u = usage_get(USAGE_TARGET, t);
		if (!u)
			u = &zero_u;
		uint64_t v[3] = { u->input, u->cached, u->output };
		for (unsigned k = 0; k < 3; k++)
			sample_u64(o, "llmgw_target_tokens_total", "target", cfg->targets_all[t].name, "type",
			    tok_kinds[k], v[k]);
	}
	family(o, "llmgw_target_cost_usd_total", "counter", "Spend per target in USD (priced requests only).");
	for (unsigned t = 0; t < nt; t++) {
		const struct usage_totals *u = usage_get(USAGE_TARGET, t);
		sample_dbl(o, "llmgw_target_cost_usd_total", "target", cfg->targets_all[t].name, NULL, NULL,
		    (u ? u : &zero_u)->usd);
	}
	family(o, "llmgw_target_unpriced_requests_total", "counter", "Requests per target whose cost is unknown.");
	for (unsigned t = 0; t < nt; t++) {
		const struct usage_totals *u = usage_get(USAGE_TARGET, t);
		sample_u64(o, "llmgw_target_unpriced_requests_total", "target", cfg->targets_all[t].name, NULL, NULL,
		    (u ? u : &zero_u)->unpriced);
	}
	family(o, "llmgw_target_priced", "gauge", "1 when the target's prices are known, 0 when it is unpriced.");
	for (unsigned t = 0; t < nt; t++)
		sample_u64(o, "llmgw_target_priced", "target", cfg->targets_all[t].name, NULL, NULL,
		    cfg->targets_all[t].priced != 0);
	family(o, "llmgw_route_requests_total", "counter", "Completed requests per route.");
	for (unsigned r = 0; r < cfg->nroutes; r++) {
		const struct usage_totals *u = usage_get(USAGE_ROUTE, r);
		sample_u64(o, "llmgw_route_requests_total", "route", cfg->routes[r].name, NULL, NULL,
		    (u ? u : &zero_u)->requests);
	}
	family(o, "llmgw_route_cost_usd_total", "counter", "Spend per route in USD (priced requests only).");
	for (unsigned r = 0; r < cfg->nroutes; r++) {
		const struct usage_totals *u = usage_get(USAGE_ROUTE, r);
		sample_dbl(o, "llmgw_route_cost_usd_total", "route", cfg->routes[r].name, NULL, NULL,
		    (u ? u : &zero_u)->usd);
	}
}

size_t metrics_render(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	struct metrics_out o;

	metrics_out_init(&o, buf, cap, 0);
	render(&o, cfg, rt, now_ms, now_unix);
	return o.len;
}

size_t metrics_render_bound(const struct cfg *cfg)
{
	struct metrics_out o;

	metrics_out_init(&o, NULL, 0, 1);
	render(&o, cfg, NULL, 0, 0);
	return o.len + o.slack;
}
