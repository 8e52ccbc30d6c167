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
#include <stddef.h>
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
 * a scraper's le values never carry float noise), and +Inf. */
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

/* What each enum metrics_esc turns an ASCII byte into. A printable byte
 * without a row is copied as it is; a control byte without one is
 * dropped (JSON: \u00XX). */
struct esc {
	char c;
	const char *to;
};
static const struct esc esc_none[] = {	/* these stop a plain run but stay as they are */
	{ '\\', "\\" }, { '"', "\"" }, { '\n', "\n" }, { '\t', "\t" },
};
static const struct esc esc_label[] = {
	{ '\\', "\\\\" }, { '"', "\\\"" }, { '\n', "\\n" },
};
static const struct esc esc_json[] = {
	{ '\\', "\\\\" }, { '"', "\\\"" }, { '\n', "\\n" }, { '\t', "\\t" },
};
static const struct esc esc_html[] = {
	{ '&', "&amp;" }, { '<', "&lt;" }, { '>', "&gt;" }, { '"', "&quot;" }, { '\'', "&#39;" },
	{ '\\', "\\" }, { '\n', " " },
};
#define ESC_ROWS(a) { a, sizeof a / sizeof a[0] }
static const struct {
	const struct esc *rows;
	unsigned n;
} esc_tabs[] = {
	[METRICS_ESC_NONE] = ESC_ROWS(esc_none), [METRICS_ESC_LABEL] = ESC_ROWS(esc_label),
	[METRICS_ESC_JSON] = ESC_ROWS(esc_json), [METRICS_ESC_HTML] = ESC_ROWS(esc_html),
};

/* The replacement of byte c for esc, NULL when it has none. */
static const char *esc_find(enum metrics_esc esc, unsigned c)
{
	for (unsigned i = 0; i < esc_tabs[esc].n; i++)
		if ((unsigned char)esc_tabs[esc].rows[i].c == c)
			return esc_tabs[esc].rows[i].to;
	return NULL;
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
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && !esc_find(esc, p[j]))
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
		const char *r = esc_find(esc, c);
		if (r) {
			metrics_out_str(o, r);
		} else if (esc == METRICS_ESC_JSON) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			metrics_out_mem(o, u, 6);
		}
		/* other control bytes: dropped, they have no escape */
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
	tmp[n] = 0;
	metrics_out_var(o, tmp, maxw);
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

/* The statuses with a class of their own: status << 3 | class. */
static const uint16_t status_err[] = {
	401 << 3 | METRICS_ERR_AUTH, 403 << 3 | METRICS_ERR_AUTH, 429 << 3 | METRICS_ERR_LIMIT,
	408 << 3 | METRICS_ERR_TIMEOUT, 504 << 3 | METRICS_ERR_TIMEOUT, 502 << 3 | METRICS_ERR_UPSTREAM,
	503 << 3 | METRICS_ERR_UNAVAILABLE, 529 << 3 | METRICS_ERR_UNAVAILABLE, 500 << 3 | METRICS_ERR_INTERNAL
};

int metrics_error_of_status(int status, enum metrics_error *out)
{
	if (status >= 100 && status < 400)
		return 0;
	/* other 4xx are the request's; other 5xx and "no answer" are
	 * counted against the gateway */
	unsigned e = status >= 400 && status < 500 ? METRICS_ERR_BAD_REQUEST : METRICS_ERR_INTERNAL;
	for (unsigned i = 0; i < sizeof status_err / sizeof status_err[0]; i++)
		if (status_err[i] >> 3 == status)
			e = status_err[i] & 7;
	*out = (enum metrics_error)e;
	return 1;
}

static const char *const error_names[METRICS_NERRORS] = {
	[METRICS_ERR_BAD_REQUEST] = "bad_request", [METRICS_ERR_AUTH] = "auth", [METRICS_ERR_LIMIT] = "limit",
	[METRICS_ERR_UPSTREAM] = "upstream", [METRICS_ERR_TIMEOUT] = "timeout",
	[METRICS_ERR_UNAVAILABLE] = "unavailable", [METRICS_ERR_STREAM] = "stream",
	[METRICS_ERR_INTERNAL] = "internal",
};

const char *metrics_error_name(enum metrics_error e)
{
	return error_names[(unsigned)e < METRICS_NERRORS ? e : METRICS_ERR_INTERNAL];
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

void metrics_count_head_dropped(void)
{
	if (LLMGW_METRICS)
		ctr.heads_dropped++;
}

void metrics_count_refused(enum metrics_refused r)
{
	if (LLMGW_METRICS && (unsigned)r < METRICS_NREFUSED)
		ctr.refused[r]++;
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

/*
 * The page is data: one row per family (fams[], in page order). A family
 * has one sample per entity (the gateway, a dialect, a target, a client,
 * a route: the first label) and, per entity, one per value of its second
 * label; load() gathers every value of an entity into a row, the family
 * picks them by index. One loop instead of code per family keeps this
 * small.
 */
enum ent { E_BUILD, E_GLOBAL, E_DIALECT, E_TARGET, E_CLIENT, E_BUDGET, E_ROUTE };
/* The first label's key per entity ("": none). */
static const char *const ent_keys[] = {
	[E_BUILD] = "version", [E_GLOBAL] = "", [E_DIALECT] = "dialect", [E_TARGET] = "target",
	[E_CLIENT] = "client", [E_BUDGET] = "client", [E_ROUTE] = "route",
};

/* Second labels: key and number of values (sub_val() names them). */
enum sub { S_NONE, S_PRICES, S_CLASS, S_STATE, S_KIND, S_CODE, S_TYPE, S_PERIOD, S_REASON };
static const char *const code_vals[] = { [METRICS_2XX] = "2xx", [METRICS_4XX] = "4xx", [METRICS_5XX] = "5xx" };
static const char *const type_vals[] = { "input", "cached", "output" };	/* = V_UTOK + 0, 1, 2 */
static const char *const period_vals[] = { "day", "month" };		/* = V_SPEND / V_BUDGET + 0, 1 */
static const char *const reason_vals[] = {
	[METRICS_REFUSED_ACL] = "acl",
	[METRICS_REFUSED_MAX_CONNECTIONS] = "max_connections",
	[METRICS_REFUSED_TLS_POOL] = "tls_pool",
};
static const struct {
	const char *key;
	uint8_t n;
} subs[] = {
	[S_NONE] = { "", 1 },
	[S_PRICES] = { "prices_date", 1 },
	[S_CLASS] = { "class", METRICS_NERRORS },
	[S_STATE] = { "state", HEALTH_ST_CRED_BAD + 1 },
	[S_KIND] = { "kind", HEALTH_NKINDS },
	[S_CODE] = { "code", METRICS_NCLASSES },
	[S_TYPE] = { "type", sizeof type_vals / sizeof type_vals[0] },
	[S_PERIOD] = { "period", sizeof period_vals / sizeof period_vals[0] },
	[S_REASON] = { "reason", METRICS_NREFUSED },
};

/* Indexes into struct row's values; a second label's values follow its
 * family's first one. */
enum {
	V_START, V_RELOADS, V_OPEN, V_ACTIVE, V_UPSTREAM, V_RSS,
	V_REQ,					/* ctr.requests[dialect][class] */
	V_ERR = V_REQ + METRICS_NCLASSES,	/* ctr.errors[] */
	V_ATTEMPTS = V_ERR + METRICS_NERRORS, V_FAILOVERS, V_HEADS_DROPPED,
	V_REFUSED,				/* ctr.refused[] */
	V_UP = V_REFUSED + METRICS_NREFUSED,
	V_STATE,				/* one per health state */
	V_HREQ = V_STATE + HEALTH_ST_CRED_BAD + 1,
	V_FAIL,					/* one per failure kind */
	V_OPENS = V_FAIL + HEALTH_NKINDS, V_PROBES, V_PROBE_FAILURES,
	V_UREQ, V_UTOK,				/* input, cached, output */
	V_UUNPRICED = V_UTOK + 3, V_UUSD,
	V_PRICED, V_SPEND, V_BUDGET = V_SPEND + 2, NV = V_BUDGET + 2
};

struct row {
	union { uint64_t u; double d; } v[NV];
	const struct metrics_hist *h[2];	/* latency, ttft */
};

enum type { T_GAUGE, T_COUNTER, T_HIST };
static const char *const type_names[] = { [T_GAUGE] = "gauge", [T_COUNTER] = "counter", [T_HIST] = "histogram" };

enum { U64, DBL };
enum { BASE, USAGE };
static const struct fam {
	const char *name;	/* after "llmgw_" */
	const char *help;
	uint8_t ent, sub, type;	/* enum ent, enum sub, enum type */
	uint8_t v;		/* the first value (V_*); T_HIST: 0 latency, 1 TTFT */
	uint8_t num;		/* U64 or DBL: the values' type */
	uint8_t set;		/* BASE, or USAGE: tokens and money, only with LLMGW_USAGE */
} fams[] = {
	{ "build_info", "Version of the running gateway and date of its price table.",
	  E_BUILD, S_PRICES, T_GAUGE, 0, U64, BASE },
	{ "start_time_seconds", "Start time of the gateway, unix seconds.",
	  E_GLOBAL, S_NONE, T_GAUGE, V_START, U64, BASE },
	{ "config_reloads_total", "Successful configuration reloads (SIGHUP).",
	  E_GLOBAL, S_NONE, T_COUNTER, V_RELOADS, U64, BASE },
	{ "open_connections", "Open client connections.",
	  E_GLOBAL, S_NONE, T_GAUGE, V_OPEN, U64, BASE },
	{ "connections_refused_total", "Client connections closed at accept, by reason.",
	  E_GLOBAL, S_REASON, T_COUNTER, V_REFUSED, U64, BASE },
	{ "active_requests", "Requests being served.",
	  E_GLOBAL, S_NONE, T_GAUGE, V_ACTIVE, U64, BASE },
	{ "upstream_connections", "Open provider connections, idle pooled ones included.",
	  E_GLOBAL, S_NONE, T_GAUGE, V_UPSTREAM, U64, BASE },
	{ "memory_bytes", "Resident memory of the gateway process.",
	  E_GLOBAL, S_NONE, T_GAUGE, V_RSS, U64, BASE },
	{ "requests_total", "Client requests answered, by client dialect and status class.",
	  E_DIALECT, S_CODE, T_COUNTER, V_REQ, U64, BASE },
	{ "errors_total", "Client requests answered with an error, by class.",
	  E_GLOBAL, S_CLASS, T_COUNTER, V_ERR, U64, BASE },
	{ "upstream_attempts_total", "Requests sent to providers, retries and failovers included.",
	  E_GLOBAL, S_NONE, T_COUNTER, V_ATTEMPTS, U64, BASE },
	{ "failovers_total", "Attempts on another target after a failed one.",
	  E_GLOBAL, S_NONE, T_COUNTER, V_FAILOVERS, U64, BASE },
	{ "partial_heads_dropped_total", "Connections closed while their request head arrived, for room (max_partial_heads).",
	  E_GLOBAL, S_NONE, T_COUNTER, V_HEADS_DROPPED, U64, BASE },
	{ "request_duration_seconds", "Client request duration, failovers included.",
	  E_GLOBAL, S_NONE, T_HIST, 0, U64, BASE },
	{ "request_ttft_seconds", "Client request time to the first content token.",
	  E_GLOBAL, S_NONE, T_HIST, 1, U64, BASE },
	/* Per target. One family at a time (the format wants a family's
	 * samples together), so each walks the targets again. */
	{ "target_up", "1 when the target's breaker is closed and no cool-down runs.",
	  E_TARGET, S_NONE, T_GAUGE, V_UP, U64, BASE },
	{ "target_state", "1 for the target's current health state, 0 for the others.",
	  E_TARGET, S_STATE, T_GAUGE, V_STATE, U64, BASE },
	{ "target_requests_total", "Requests sent to the target (probes not included).",
	  E_TARGET, S_NONE, T_COUNTER, V_HREQ, U64, BASE },
	{ "target_failures_total", "Failed requests to the target, by kind.",
	  E_TARGET, S_KIND, T_COUNTER, V_FAIL, U64, BASE },
	{ "target_breaker_opens_total", "Times the target's circuit breaker opened.",
	  E_TARGET, S_NONE, T_COUNTER, V_OPENS, U64, BASE },
	{ "target_probes_total", "Health probes (free model listings) sent to the target.",
	  E_TARGET, S_NONE, T_COUNTER, V_PROBES, U64, BASE },
	{ "target_probe_failures_total", "Health probes of the target that failed.",
	  E_TARGET, S_NONE, T_COUNTER, V_PROBE_FAILURES, U64, BASE },
	{ "target_latency_seconds", "Response time of the target's answered attempts.",
	  E_TARGET, S_NONE, T_HIST, 0, U64, BASE },
	{ "target_ttft_seconds", "Time to the first content token of the target's attempts.",
	  E_TARGET, S_NONE, T_HIST, 1, U64, BASE },
	/* Usage: tokens and money. */
	{ "client_requests_total", "Completed requests per client key.",
	  E_CLIENT, S_NONE, T_COUNTER, V_UREQ, U64, USAGE },
	{ "client_tokens_total", "Tokens per client key; input includes cached input.",
	  E_CLIENT, S_TYPE, T_COUNTER, V_UTOK, U64, USAGE },
	{ "client_cost_usd_total", "Spend per client key in USD (priced requests only).",
	  E_CLIENT, S_NONE, T_COUNTER, V_UUSD, DBL, USAGE },
	{ "client_unpriced_requests_total", "Requests per client key whose cost is unknown.",
	  E_CLIENT, S_NONE, T_COUNTER, V_UUNPRICED, U64, USAGE },
	{ "client_spend_usd", "Spend per client key in the current UTC day and month.",
	  E_CLIENT, S_PERIOD, T_GAUGE, V_SPEND, DBL, USAGE },
	{ "client_budget_usd", "Budget per client key (0: unlimited).",
	  E_BUDGET, S_PERIOD, T_GAUGE, V_BUDGET, DBL, USAGE },
	{ "target_tokens_total", "Tokens per target; input includes cached input.",
	  E_TARGET, S_TYPE, T_COUNTER, V_UTOK, U64, USAGE },
	{ "target_cost_usd_total", "Spend per target in USD (priced requests only).",
	  E_TARGET, S_NONE, T_COUNTER, V_UUSD, DBL, USAGE },
	{ "target_unpriced_requests_total", "Requests per target whose cost is unknown.",
	  E_TARGET, S_NONE, T_COUNTER, V_UUNPRICED, U64, USAGE },
	{ "target_priced", "1 when the target's prices are known, 0 when it is unpriced.",
	  E_TARGET, S_NONE, T_GAUGE, V_PRICED, U64, USAGE },
	{ "route_requests_total", "Completed requests per route.",
	  E_ROUTE, S_NONE, T_COUNTER, V_UREQ, U64, USAGE },
	{ "route_cost_usd_total", "Spend per route in USD (priced requests only).",
	  E_ROUTE, S_NONE, T_COUNTER, V_UUSD, DBL, USAGE },
};

struct rctx {
	const struct cfg *cfg;
	const struct metrics_runtime *rt;
	int64_t now_ms, now_unix;
};

/* One label pair k="v" (escaped); nothing when k is "". */
static void label(struct metrics_out *o, const char *k, const char *v)
{
	if (!*k)
		return;
	metrics_out_str(o, k);
	metrics_out_mem(o, "=\"", 2);
	metrics_out_text(o, v, METRICS_ESC_LABEL);
	metrics_out_mem(o, "\"", 1);
}

/* llmgw_<name><suffix>{k1="v1",k2="v2"} and a space; either label may be
 * absent (its key ""). */
static void series(struct metrics_out *o, const char *name, const char *suffix, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	metrics_out_mem(o, "llmgw_", 6);
	metrics_out_str(o, name);
	metrics_out_str(o, suffix);
	if (*k1 || *k2) {
		metrics_out_mem(o, "{", 1);
		label(o, k1, v1);
		if (*k1 && *k2)
			metrics_out_mem(o, ",", 1);
		label(o, k2, v2);
		metrics_out_mem(o, "}", 1);
	}
	metrics_out_mem(o, " ", 1);
}

/* The samples of one histogram (h NULL: all zero), with label k=v or none. */
static void hist_samples(struct metrics_out *o, const char *name, const char *k, const char *v,
    const struct metrics_hist *h)
{
	uint64_t cum = 0;

	for (unsigned i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h ? h->bucket[i] : 0;
		series(o, name, "_bucket", k, v, "le", bucket_le[i]);
		metrics_out_u64(o, cum);
		metrics_out_mem(o, "\n", 1);
	}
	uint64_t sum = h ? h->sum_ms : 0;
	series(o, name, "_sum", k, v, "", "");
	/* exact milliseconds as seconds with three decimals */
	metrics_out_fmt(o, NUM_MAXW + 1, "%llu.%03llu\n", (unsigned long long)(sum / 1000),
	    (unsigned long long)(sum % 1000));
	series(o, name, "_count", k, v, "", "");
	metrics_out_u64(o, h ? h->count : 0);
	metrics_out_mem(o, "\n", 1);
}

/* Entity e's values into r; returns its first label's value. */
static const char *load(const struct rctx *c, enum ent ent, unsigned e, struct row *r)
{
	const struct cfg *cfg = c->cfg;
	const struct usage_totals *u = NULL;
	const char *name;

	memset(r, 0, sizeof *r);
	switch (ent) {
	case E_TARGET: {
		struct health_info hi;
		health_get(e, c->now_ms, &hi);
		r->v[V_UP].u = hi.state == HEALTH_ST_CLOSED;
		if ((unsigned)hi.state <= HEALTH_ST_CRED_BAD)
			r->v[V_STATE + hi.state].u = 1;
		r->v[V_HREQ].u = hi.requests;
		for (unsigned k = 0; k < HEALTH_NKINDS; k++)
			r->v[V_FAIL + k].u = hi.failures[k];
		r->v[V_OPENS].u = hi.entered[HEALTH_ST_OPEN];
		r->v[V_PROBES].u = hi.probes;
		r->v[V_PROBE_FAILURES].u = hi.probe_failures;
		r->v[V_PRICED].u = cfg->targets_all[e].priced != 0;
		r->h[0] = metrics_target_hist(e, 0);
		r->h[1] = metrics_target_hist(e, 1);
		if (LLMGW_USAGE)
			u = usage_get(USAGE_TARGET, e);
		name = cfg->targets_all[e].name;
		break;
	}
	case E_CLIENT:
	case E_BUDGET:
		if (LLMGW_USAGE) {
			u = usage_get(USAGE_CLIENT, e);
			if (usage_spend(e < cfg->nclients ? (int)e : USAGE_ANON, c->now_unix, &r->v[V_SPEND].d,
			    &r->v[V_SPEND + 1].d) != 0)
				r->v[V_SPEND].d = r->v[V_SPEND + 1].d = 0;
		}
		/* usage's slot nclients is the anonymous one; '(' cannot start
		 * a configured client name, so this label never collides */
		name = "(anonymous)";
		if (e < cfg->nclients) {
			name = cfg->clients[e].name;
			r->v[V_BUDGET].d = cfg->clients[e].daily_usd;
			r->v[V_BUDGET + 1].d = cfg->clients[e].monthly_usd;
		}
		break;
	case E_ROUTE:
		if (LLMGW_USAGE)
			u = usage_get(USAGE_ROUTE, e);
		name = cfg->routes[e].name;
		break;
	default:	/* the gateway (build, global, per dialect) */
		r->v[V_START].u = c->rt->start_unix > 0 ? (uint64_t)c->rt->start_unix : 0;
		r->v[V_RELOADS].u = c->rt->reloads;
		r->v[V_OPEN].u = c->rt->open_connections;
		r->v[V_ACTIVE].u = c->rt->active_requests;
		r->v[V_UPSTREAM].u = c->rt->upstream_connections;
		r->v[V_RSS].u = c->rt->rss_bytes;
		memcpy(&r->v[V_REQ], ctr.requests[e], sizeof ctr.requests[e]);
		memcpy(&r->v[V_ERR], ctr.errors, sizeof ctr.errors);
		r->v[V_ATTEMPTS].u = ctr.attempts;
		r->v[V_FAILOVERS].u = ctr.failovers;
		r->v[V_HEADS_DROPPED].u = ctr.heads_dropped;
		memcpy(&r->v[V_REFUSED], ctr.refused, sizeof ctr.refused);
		r->h[0] = &ctr.latency;
		r->h[1] = &ctr.ttft;
		name = ent == E_BUILD ? LLMGW_VERSION : dialect_name((enum dialect)e);
		break;
	}
	if (u) {
		r->v[V_UREQ].u = u->requests;
		r->v[V_UTOK].u = u->input;
		r->v[V_UTOK + 1].u = u->cached;
		r->v[V_UTOK + 2].u = u->output;
		r->v[V_UUNPRICED].u = u->unpriced;
		r->v[V_UUSD].d = u->usd;
	}
	return name;
}

static const char *sub_val(enum sub s, unsigned j)
{
	switch (s) {
	case S_PRICES:
		return LLMGW_USAGE ? PRICES_DATE : "none";
	case S_CLASS:
		return metrics_error_name((enum metrics_error)j);
	case S_STATE:
		return health_state_name((enum health_state)j);
	case S_KIND:
		return health_kind_name((enum health_kind)j);
	case S_CODE:
		return code_vals[j];
	case S_TYPE:
		return type_vals[j];
	case S_PERIOD:
		return period_vals[j];
	case S_REASON:
		return reason_vals[j];
	case S_NONE:
		break;
	}
	return "";
}

static void render(struct metrics_out *o, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	static const struct metrics_runtime zero_rt;
	const struct rctx c = { cfg, rt ? rt : &zero_rt, now_ms, now_unix };
	struct row r;

	for (const struct fam *f = fams; f < fams + sizeof fams / sizeof fams[0]; f++) {
		if (f->set == USAGE && !LLMGW_USAGE)
			continue;
		unsigned n = f->ent == E_DIALECT ? METRICS_NDIALECTS : f->ent == E_TARGET ? cfg->ntargets_all :
		    f->ent == E_CLIENT ? cfg->nclients + 1 : f->ent == E_BUDGET ? cfg->nclients :
		    f->ent == E_ROUTE ? cfg->nroutes : 1;
		const char *k1 = ent_keys[f->ent], *k2 = subs[f->sub].key;

		metrics_out_str(o, "# HELP llmgw_");
		metrics_out_str(o, f->name);
		metrics_out_mem(o, " ", 1);
		metrics_out_str(o, f->help);
		metrics_out_str(o, "\n# TYPE llmgw_");
		metrics_out_str(o, f->name);
		metrics_out_mem(o, " ", 1);
		metrics_out_str(o, type_names[f->type]);
		metrics_out_mem(o, "\n", 1);
		for (unsigned e = 0; e < n; e++) {
			const char *v1 = load(&c, (enum ent)f->ent, e, &r);
			if (f->type == T_HIST) {
				hist_samples(o, f->name, k1, v1, r.h[f->v]);
				continue;
			}
			for (unsigned j = 0; j < subs[f->sub].n; j++) {
				series(o, f->name, "", k1, v1, k2, sub_val((enum sub)f->sub, j));
				if (f->ent == E_BUILD)
					metrics_out_mem(o, "1", 1);	/* a constant: no slack */
				else if (f->num == DBL)
					metrics_out_double(o, r.v[f->v + j].d);
				else
					metrics_out_u64(o, r.v[f->v + j].u);
				metrics_out_mem(o, "\n", 1);
			}
		}
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
