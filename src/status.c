/*
 * status.c - GET /status (HTML) and GET /status.json (see status.h).
 *
 * One walk (walk()) reads the config, health.c and usage.c into small row
 * structs on the stack and hands each row to an emitter: the JSON one or
 * the HTML one. Inclusion rules and every figure are decided in the walk,
 * so the two documents always show the same data. Each row kind is a
 * table of its members (name, kind, offset) per document. The JSON goes
 * through the typed writer (json.h), one value at a time, into the same
 * bounded, counting writer (struct metrics_out) as the HTML. Owns nothing;
 * allocates nothing; never blocks.
 *
 * LLMGW_USAGE=0 (options.h): no usage tables are read (usage.c and the
 * price table are left to the linker to drop); the page says so where the
 * price table's date goes, and its money and token figures stay 0.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "gw.h"
#include "health.h"
#include "json.h"
#include "metrics.h"
#include "options.h"
#include "prices.h"
#include "status.h"
#include "usage.h"

#define NUM_MAXW 24	/* widest number metrics_out_* writes */
#define STATE_MAXW 20	/* widest health_state_name() / class name */

/* The rows' members the documents show have the types of their field
 * kinds (J_U64: uint64_t, J_BOOL: int, ...), so one table-driven loop per
 * document writes them. */
struct gw_row {
	const char *name, *version, *prices_date;
	double uptime;			/* uptime_s for JSON: -1 shows null */
	uint64_t open_connections, active_requests, upstream_connections, rss_bytes;
	int64_t uptime_s;		/* -1: unknown */
};

/* The target, route and client rows embed what they show (the tables'
 * own structs, copied), so filling them is a few block copies. */
struct target_row {
	struct health_info hi;		/* health_get(); hi.state as health_state() */
	struct usage_totals u;		/* zero when usage has none */
	struct cfg_tinfo ti;
	const char *provider;
	uint64_t id, failures;
	uint64_t back_in_ms;		/* until a rate-limit cool-down or an open breaker ends; 0: now */
	uint64_t quality;		/* 0: unknown */
	int up;
};

struct route_row {
	struct cfg_route r;
	struct usage_totals u;
	const char *strategy;
};

struct client_row {
	struct cfg_client c;		/* zero but the name "(anonymous)" for the anonymous slot */
	struct usage_totals u;
	double usd_today, usd_month;
	int anonymous;
};

enum section { SEC_TARGETS, SEC_ROUTES, SEC_CLIENTS };

/* Longest single JSON value: a config name escaped (each byte at most six
 * characters) fits many times over. */
#define VALUE_MAX 4096

/* The document being rendered. HTML goes straight into o; JSON through
 * the typed writer w into j, one value at a time, then moved into o
 * (which counts what does not fit, and the slack in bound mode). */
struct page {
	struct metrics_out o;
	struct jw w;
	struct json_out j;
	char value[VALUE_MAX];
};

struct emitter {
	void (*begin)(struct page *pg, const struct gw_row *g);
	void (*section)(struct page *pg, enum section s, int end);
	void (*target)(struct page *pg, const struct target_row *t);
	/* states[i]: health of r->targets[i] */
	void (*route)(struct page *pg, const struct route_row *r, const struct cfg *cfg,
	    const enum health_state *states);
	void (*client)(struct page *pg, const struct client_row *c);
	void (*end)(struct page *pg);
};

/* ---- the walk ---- */

static void target_row(const struct cfg *cfg, unsigned t, int64_t now_ms, struct target_row *row)
{
	const struct cfg_tinfo *ti = &cfg->targets_all[t];
	const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_TARGET, t) : NULL;

	memset(row, 0, sizeof *row);
	health_get(t, now_ms, &row->hi);
	row->ti = *ti;
	row->id = t;
	row->provider = ti->provider < cfg->nproviders ? cfg->providers[ti->provider].name : "?";
	row->up = row->hi.state == HEALTH_ST_CLOSED;
	for (unsigned k = 0; k < HEALTH_NKINDS; k++)
		row->failures += row->hi.failures[k];
	int64_t until = row->hi.cooled_until > row->hi.open_until ? row->hi.cooled_until : row->hi.open_until;
	row->back_in_ms = until > now_ms && !row->up ? (uint64_t)(until - now_ms) : 0;
	row->quality = (uint64_t)(ti->quality > 0 ? ti->quality : 0);
	if (u)
		row->u = *u;
}

static void client_row(const struct cfg *cfg, unsigned i, int64_t now_unix, struct client_row *row)
{
	const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_CLIENT, i) : NULL;
	int idx = i < cfg->nclients ? (int)i : USAGE_ANON;

	memset(row, 0, sizeof *row);
	row->anonymous = idx == USAGE_ANON;
	if (row->anonymous)
		row->c.name = "(anonymous)";
	else
		row->c = cfg->clients[i];
	if (u)
		row->u = *u;
	if (!LLMGW_USAGE || usage_spend(idx, now_unix, &row->usd_today, &row->usd_month) != 0)
		row->usd_today = row->usd_month = 0;
}

/* Renders one document into buf[0..cap); returns its length, plus its
 * slack in bound mode. */
static size_t walk(const struct emitter *e, char *buf, size_t cap, int bound, const struct cfg *cfg,
    const struct metrics_runtime *rt, int64_t now_ms, int64_t now_unix)
{
	static const char *const strategies[] = {
		[CFG_STRATEGY_FALLBACK] = "fallback", [CFG_STRATEGY_CHEAPEST] = "cheapest",
		[CFG_STRATEGY_FASTEST] = "fastest", [CFG_STRATEGY_WEIGHTED] = "weighted",
	};
	static const struct metrics_runtime zero_rt;
	struct page pg;
	struct metrics_out *o = &pg.o;
	struct gw_row g;

	metrics_out_init(o, buf, cap, bound);
	json_out_init(&pg.j, pg.value, sizeof pg.value);
	jw_init(&pg.w, &pg.j);
	if (!rt)
		rt = &zero_rt;
	g.name = "llmgw";
	g.version = LLMGW_VERSION;
	g.prices_date = LLMGW_USAGE ? PRICES_DATE : "(none: built with LLMGW_USAGE=0)";
	g.uptime_s = rt->start_unix > 0 && now_unix >= rt->start_unix ? now_unix - rt->start_unix : -1;
	g.uptime = (double)g.uptime_s;
	g.open_connections = rt->open_connections;
	g.active_requests = rt->active_requests;
	g.upstream_connections = rt->upstream_connections;
	g.rss_bytes = rt->rss_bytes;
	e->begin(&pg, &g);

	e->section(&pg, SEC_TARGETS, 0);
	for (unsigned t = 0; t < cfg->ntargets_all; t++) {
		struct target_row row;
		target_row(cfg, t, now_ms, &row);
		/* a provider's bucket for ad-hoc models is noise until used;
		 * bound mode counts every row */
		if (row.ti.other && !o->bound && row.hi.requests == 0 && row.u.requests == 0 && row.hi.probes == 0)
			continue;
		e->target(&pg, &row);
	}
	e->section(&pg, SEC_TARGETS, 1);

	e->section(&pg, SEC_ROUTES, 0);
	for (unsigned r = 0; r < cfg->nroutes; r++) {
		const struct cfg_route *cr = &cfg->routes[r];
		const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_ROUTE, r) : NULL;
		enum health_state st[16];
		struct route_row row;

		memset(&row, 0, sizeof row);
		row.r = *cr;
		row.strategy = (unsigned)cr->strategy < sizeof strategies / sizeof strategies[0] ?
		    strategies[cr->strategy] : "?";
		if (u)
			row.u = *u;
		/* A route lists at most a handful of targets; more than 16 show
		 * their state as open (the emitters only read the first 16). */
		for (unsigned i = 0; i < 16; i++)
			st[i] = i < cr->ntargets ? health_state(cr->targets[i].tid, now_ms) : HEALTH_ST_OPEN;
		e->route(&pg, &row, cfg, st);
	}
	e->section(&pg, SEC_ROUTES, 1);

	e->section(&pg, SEC_CLIENTS, 0);
	for (unsigned i = 0; i <= cfg->nclients; i++) {
		struct client_row row;
		client_row(cfg, i, now_unix, &row);
		if (row.anonymous && !o->bound && !cfg->gw.anonymous && row.u.requests == 0)
			continue;
		e->client(&pg, &row);
	}
	e->section(&pg, SEC_CLIENTS, 1);
	e->end(&pg);
	/* A JSON value longer than pg.value (no config name is) was cut:
	 * never serve that, say it did not fit. */
	if (pg.j.overflow)
		return o->len > cap ? o->len : cap + 1;
	return o->len + o->slack;
}

static enum health_state route_target_state(const enum health_state *states, unsigned i)
{
	return i < 16 ? states[i] : HEALTH_ST_OPEN;
}

/* Per section: its title, its table id (and JSON key) and its columns,
 * each with its cell class. */
enum col_class { COL, COL_N, COL_N_OPT };	/* "", "n", "n opt" */
static const struct {
	const char *title, *id;
	struct {
		const char *name;
		uint8_t cls;		/* enum col_class */
	} cols[9];			/* up to a NULL name */
} sections[] = {
	[SEC_TARGETS] = { "Targets", "targets", {
		{ "Target", COL }, { "State", COL }, { "Latency", COL_N }, { "TTFT", COL_N_OPT },
		{ "Requests", COL_N_OPT }, { "Failures", COL_N_OPT }, { "Tokens in&nbsp;/&nbsp;out", COL_N_OPT },
		{ "Spend", COL_N } } },
	[SEC_ROUTES] = { "Routes", "routes", {
		{ "Route", COL }, { "Strategy", COL }, { "Targets", COL }, { "Requests", COL_N_OPT },
		{ "Spend", COL_N } } },
	[SEC_CLIENTS] = { "Clients", "clients", {
		{ "Client", COL }, { "Requests", COL_N }, { "Today", COL_N }, { "This month", COL_N },
		{ "Total", COL_N_OPT } } },
};

/* ---- JSON ---- */

/* Moves what the JSON writer wrote into the page. In bound mode a value
 * that may be up to maxw bytes long adds what it lacks to the slack. */
static void j_move(struct page *pg, size_t maxw)
{
	metrics_out_mem(&pg->o, pg->j.buf, pg->j.len);
	if (pg->o.bound && maxw > pg->j.len)
		pg->o.slack += maxw - pg->j.len;
	pg->j.len = 0;
}

/* "key": (with its comma), moved on its own so that a value's width is
 * measured alone. */
static void j_key(struct page *pg, const char *key)
{
	jw_key(&pg->w, key);
	j_move(pg, 0);
}

static void j_u64(struct page *pg, uint64_t v)
{
	char b[24];
	int n = fmt_snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	jw_raw(&pg->w, b, (size_t)n);
	j_move(pg, NUM_MAXW);
}

static void j_double(struct page *pg, double v)
{
	jw_double(&pg->w, v);
	j_move(pg, NUM_MAXW);
}

static void j_str(struct page *pg, const char *s)
{
	jw_cstr(&pg->w, s ? s : "");
	j_move(pg, 0);
}

/* Field kinds of the rows' members. */
enum { J_STR, J_U64, J_UNS, J_DBL, J_OPT, J_BOOL, J_STATE, J_KINDS, J_PRICES };
struct jfield {
	const char *key;
	uint8_t kind;		/* J_*: also the member's type (J_U64: uint64_t, J_BOOL: int, ...) */
	uint16_t off;		/* of the member in the row */
};
#define JF(key, kind, type, member) { key, kind, offsetof(type, member) }

static void j_fields(struct page *pg, const void *row, const struct jfield *f, unsigned n);

static const struct jfield price_fields[] = {
	JF("input_usd_per_mtok", J_DBL, struct target_row, ti.in_usd_mtok),
	JF("cached_usd_per_mtok", J_DBL, struct target_row, ti.cached_usd_mtok),
	JF("output_usd_per_mtok", J_DBL, struct target_row, ti.out_usd_mtok),
};

static void j_field(struct page *pg, const void *row, const struct jfield *f)
{
	const char *p = (const char *)row + f->off;

	j_key(pg, f->key);
	switch (f->kind) {
	case J_STR:
		j_str(pg, *(const char *const *)p);
		break;
	case J_U64:
		j_u64(pg, *(const uint64_t *)p);
		break;
	case J_UNS:
		j_u64(pg, *(const unsigned *)p);
		break;
	case J_OPT:	/* a number, or null when negative (no sample) */
		if (*(const double *)p < 0) {
			jw_null(&pg->w);
			j_move(pg, NUM_MAXW);
			break;
		}
		/* fall through */
	case J_DBL:
		j_double(pg, *(const double *)p);
		break;
	case J_BOOL:
		jw_bool(&pg->w, *(const int *)p);
		j_move(pg, 5);
		break;
	case J_STATE:
		jw_cstr(&pg->w, health_state_name(*(const enum health_state *)p));
		j_move(pg, STATE_MAXW + 2);
		break;
	case J_KINDS:
		jw_obj(&pg->w);
		for (unsigned k = 0; k < HEALTH_NKINDS; k++) {
			j_key(pg, health_kind_name((enum health_kind)k));
			j_u64(pg, ((const uint64_t *)p)[k]);
		}
		jw_obj_end(&pg->w);
		j_move(pg, 0);
		break;
	case J_PRICES:
		if (*(const int *)p) {
			jw_obj(&pg->w);
			j_fields(pg, row, price_fields, sizeof price_fields / sizeof price_fields[0]);
			jw_obj_end(&pg->w);
		} else {
			jw_null(&pg->w);
		}
		j_move(pg, 0);
		break;
	}
}

static void j_fields(struct page *pg, const void *row, const struct jfield *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		j_field(pg, row, &f[i]);
}

/* One row as an object of its fields. */
static void j_object(struct page *pg, const void *row, const struct jfield *f, unsigned n)
{
	jw_obj(&pg->w);
	j_fields(pg, row, f, n);
	jw_obj_end(&pg->w);
	j_move(pg, 0);
}

static const struct jfield gw_fields[] = {
	JF("name", J_STR, struct gw_row, name),
	JF("version", J_STR, struct gw_row, version),
	JF("prices_date", J_STR, struct gw_row, prices_date),
	JF("uptime_s", J_OPT, struct gw_row, uptime),
	JF("open_connections", J_U64, struct gw_row, open_connections),
	JF("active_requests", J_U64, struct gw_row, active_requests),
	JF("upstream_connections", J_U64, struct gw_row, upstream_connections),
	JF("memory_bytes", J_U64, struct gw_row, rss_bytes),
};

static void j_begin(struct page *pg, const struct gw_row *g)
{
	jw_obj(&pg->w);
	j_key(pg, "gateway");
	j_object(pg, g, gw_fields, sizeof gw_fields / sizeof gw_fields[0]);
}

static void j_section(struct page *pg, enum section s, int end)
{
	if (end) {
		jw_arr_end(&pg->w);
	} else {
		j_key(pg, sections[s].id);
		jw_arr(&pg->w);
	}
	j_move(pg, 0);
}

static const struct jfield target_fields[] = {
	JF("id", J_U64, struct target_row, id),
	JF("name", J_STR, struct target_row, ti.name),
	JF("provider", J_STR, struct target_row, provider),
	JF("model", J_STR, struct target_row, ti.model),
	JF("state", J_STATE, struct target_row, hi.state),
	JF("up", J_BOOL, struct target_row, up),
	JF("latency_ms", J_OPT, struct target_row, hi.latency_ms),
	JF("ttft_ms", J_OPT, struct target_row, hi.ttft_ms),
	JF("requests", J_U64, struct target_row, hi.requests),
	JF("failures", J_U64, struct target_row, failures),
	JF("failures_by_kind", J_KINDS, struct target_row, hi.failures),
	JF("consecutive_failures", J_UNS, struct target_row, hi.consecutive_failures),
	JF("back_in_ms", J_U64, struct target_row, back_in_ms),
	JF("probes", J_U64, struct target_row, hi.probes),
	JF("probe_failures", J_U64, struct target_row, hi.probe_failures),
	JF("other", J_BOOL, struct target_row, ti.other),
	JF("priced", J_BOOL, struct target_row, ti.priced),
	JF("prices", J_PRICES, struct target_row, ti.priced),
	JF("quality", J_U64, struct target_row, quality),
	JF("usd", J_DBL, struct target_row, u.usd),
	JF("billed_requests", J_U64, struct target_row, u.requests),
	JF("unpriced_requests", J_U64, struct target_row, u.unpriced),
	JF("estimated_requests", J_U64, struct target_row, u.estimated),
	JF("input_tokens", J_U64, struct target_row, u.input),
	JF("cached_tokens", J_U64, struct target_row, u.cached),
	JF("output_tokens", J_U64, struct target_row, u.output),
};

static void j_target(struct page *pg, const struct target_row *t)
{
	j_object(pg, t, target_fields, sizeof target_fields / sizeof target_fields[0]);
}

/* A route's fields before and after its targets. */
static const struct jfield route_head[] = {
	JF("name", J_STR, struct route_row, r.name),
	JF("strategy", J_STR, struct route_row, strategy),
	JF("min_quality", J_UNS, struct route_row, r.min_quality),
	JF("max_attempts", J_UNS, struct route_row, r.max_attempts),
};
static const struct jfield route_tail[] = {
	JF("requests", J_U64, struct route_row, u.requests),
	JF("unpriced_requests", J_U64, struct route_row, u.unpriced),
	JF("estimated_requests", J_U64, struct route_row, u.estimated),
	JF("usd", J_DBL, struct route_row, u.usd),
};

static void j_route(struct page *pg, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states)
{
	jw_obj(&pg->w);
	j_fields(pg, r, route_head, sizeof route_head / sizeof route_head[0]);
	j_key(pg, "targets");
	jw_arr(&pg->w);
	for (unsigned i = 0; i < r->r.ntargets; i++) {
		unsigned tid = r->r.targets[i].tid;
		jw_obj(&pg->w);
		j_key(pg, "name");
		j_str(pg, tid < cfg->ntargets_all ? cfg->targets_all[tid].name : "?");
		j_key(pg, "state");
		jw_cstr(&pg->w, health_state_name(route_target_state(states, i)));
		j_move(pg, STATE_MAXW + 2);
		jw_obj_end(&pg->w);
	}
	jw_arr_end(&pg->w);
	j_fields(pg, r, route_tail, sizeof route_tail / sizeof route_tail[0]);
	jw_obj_end(&pg->w);
	j_move(pg, 0);
}

static const struct jfield client_fields[] = {
	JF("name", J_STR, struct client_row, c.name),
	JF("anonymous", J_BOOL, struct client_row, anonymous),
	JF("requests", J_U64, struct client_row, u.requests),
	JF("unpriced_requests", J_U64, struct client_row, u.unpriced),
	JF("estimated_requests", J_U64, struct client_row, u.estimated),
	JF("usd_today", J_DBL, struct client_row, usd_today),
	JF("usd_month", J_DBL, struct client_row, usd_month),
	JF("usd_total", J_DBL, struct client_row, u.usd),
	JF("daily_budget_usd", J_DBL, struct client_row, c.daily_usd),
	JF("monthly_budget_usd", J_DBL, struct client_row, c.monthly_usd),
	JF("rpm_limit", J_UNS, struct client_row, c.rpm),
	JF("tpm_limit", J_UNS, struct client_row, c.tpm),
	JF("input_tokens", J_U64, struct client_row, u.input),
	JF("cached_tokens", J_U64, struct client_row, u.cached),
	JF("output_tokens", J_U64, struct client_row, u.output),
};

static void j_client(struct page *pg, const struct client_row *c)
{
	j_object(pg, c, client_fields, sizeof client_fields / sizeof client_fields[0]);
}

static void j_end(struct page *pg)
{
	jw_obj_end(&pg->w);
	j_move(pg, 0);
	metrics_out_mem(&pg->o, "\n", 1);
}

static const struct emitter json_emitter = {
	j_begin, j_section, j_target, j_route, j_client, j_end
};

/* ---- HTML ---- */

/* CSS class per state: the colour key of the page. */
static const char *state_class(enum health_state s)
{
	static const char *const classes[] = {
		[HEALTH_ST_CLOSED] = "ok", [HEALTH_ST_HALF_OPEN] = "half", [HEALTH_ST_OPEN] = "down",
		[HEALTH_ST_COOLING] = "cool", [HEALTH_ST_CRED_BAD] = "cred",
	};
	return classes[(unsigned)s <= HEALTH_ST_CRED_BAD ? s : HEALTH_ST_OPEN];
}

static void h_text(struct metrics_out *o, const char *s)
{
	metrics_out_text(o, s, METRICS_ESC_HTML);
}

static void h_state(struct metrics_out *o, enum health_state s)
{
	metrics_out_str(o, "<span class=\"st ");
	metrics_out_var(o, state_class(s), STATE_MAXW);
	metrics_out_str(o, "\">");
	metrics_out_var(o, health_state_name(s), STATE_MAXW);
	metrics_out_str(o, "</span>");
}

static void h_ms(struct metrics_out *o, double ms)
{
	if (ms < 0)
		metrics_out_var(o, "&ndash;", 32);
	else
		metrics_out_fmt(o, 32, ms < 10000 ? "%.0f&nbsp;ms" : ms < 1e12 ? "%.1f&nbsp;s" : "%.3e&nbsp;s",
		    ms < 10000 ? ms : ms / 1000);
}

/* Money: four decimals below lim, then cents, then an exponent (keeps the
 * width bounded). Budgets (lim 0: whole amounts in practice, cents are
 * enough) are only shown when > 0. */
static void h_money(struct metrics_out *o, double usd, double lim)
{
	if (!(usd >= 0))
		usd = 0;
	metrics_out_fmt(o, 40, usd < lim ? "$%.4f" : usd < 1e12 ? "$%.2f" : "$%.3e", usd);
}

/* Token counts: exact below 100k, then k/M/G with one decimal. */
static void h_count(struct metrics_out *o, uint64_t v)
{
	if (v < 100000)
		metrics_out_fmt(o, 32, "%llu", (unsigned long long)v);
	else if (v < 100000000000ULL)
		metrics_out_fmt(o, 32, v < 100000000ULL ? "%.1fk" : "%.1fM", (double)v / (v < 100000000ULL ? 1e3 : 1e6));
	else
		metrics_out_fmt(o, 32, "%.1fG", (double)v / 1e9);
}

/* HTML field kinds of the rows' members. */
enum { H_TEXT, H_STATE, H_MS, H_U64, H_COUNT, H_USD, H_BUDGET, H_UNPRICED, H_MINQ, H_UPTIME, H_MIB };
struct hfield {
	const char *before;	/* markup written before the field */
	uint8_t kind;		/* H_* */
	uint16_t off;		/* of the member in the row */
};
#define HF(before, kind, type, member) { before, kind, offsetof(type, member) }
/* The opening of a numeric cell, and of one hidden on a phone. */
#define TD_N "</td><td class=\"n\">"
#define TD_N_OPT "</td><td class=\"n opt\">"

/* Each field after its markup, then the markup after. */
static void h_fields(struct metrics_out *o, const void *row, const struct hfield *f, unsigned n, const char *after)
{
	for (unsigned i = 0; i < n; i++) {
		const char *p = (const char *)row + f[i].off;
		double d;
		metrics_out_str(o, f[i].before);
		switch (f[i].kind) {
		case H_TEXT:
			h_text(o, *(const char *const *)p);
			break;
		case H_STATE:
			h_state(o, *(const enum health_state *)p);
			break;
		case H_MS:
			h_ms(o, *(const double *)p);
			break;
		case H_U64:
			metrics_out_u64(o, *(const uint64_t *)p);
			break;
		case H_COUNT:
			h_count(o, *(const uint64_t *)p);
			break;
		case H_USD:
			h_money(o, *(const double *)p, 100);
			break;
		case H_BUDGET:
			d = *(const double *)p;
			if (d > 0) {
				metrics_out_str(o, " <span class=\"dim\">of ");
				h_money(o, d, 0);
				metrics_out_str(o, "</span>");
			}
			break;
		case H_UNPRICED: {
			const struct target_row *t = row;
			if (!t->ti.priced && !t->ti.other)
				metrics_out_var(o, " <span class=\"dim\">unpriced</span>", 40);
			else if (t->u.unpriced)
				metrics_out_fmt(o, 64, " <span class=\"dim\">+%llu&nbsp;unpriced</span>",
				    (unsigned long long)t->u.unpriced);
			else if (o->bound)
				o->slack += 64;
			break;
		}
		case H_MINQ:
			if (*(const unsigned *)p)
				metrics_out_fmt(o, 32, " &ge;&nbsp;q%u", *(const unsigned *)p);
			else if (o->bound)
				o->slack += 32;
			break;
		case H_UPTIME:
			if (*(const int64_t *)p < 0) {
				metrics_out_var(o, "&ndash;", 40);
			} else {
				long long v = *(const int64_t *)p;
				metrics_out_fmt(o, 40, "%lldd&nbsp;%02lldh&nbsp;%02lldm", v / 86400, v / 3600 % 24, v / 60 % 60);
			}
			break;
		case H_MIB:
			metrics_out_fmt(o, 40, "%.1f", (double)*(const uint64_t *)p / 1048576.0);
			break;
		}
	}
	metrics_out_str(o, after);
}

static const struct hfield gw_html[] = {
	HF("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	    "<meta http-equiv=\"refresh\" content=\"30\">"
	    "<title>llmgw status</title><style>\n"
	    "body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:.5em;max-width:72em;color:#222;background:#fafafa}\n"
	    "h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:1em 0 .3em}\n"
	    ".gw{color:#555;margin:0}.wrap{overflow-x:auto}\n"
	    "table{border-collapse:collapse;width:100%;background:#fff}\n"
	    "th,td{padding:.3em .5em;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}\n"
	    "td.n,th.n{text-align:right}th{font-weight:600;background:#eee}\n"
	    ".st{display:inline-block;padding:0 .45em;border-radius:.6em;font-size:.9em;color:#fff}\n"
	    ".ok{background:#2e7d32}.half{background:#f9a825;color:#222}.down{background:#c62828}"
	    ".cool{background:#ef6c00}.cred{background:#6a1b9a}\n"
	    ".dim{color:#888}ol{margin:0;padding-left:1.4em}\n"
	    "td:first-child,#routes td:nth-child(3){white-space:normal;overflow-wrap:anywhere;min-width:7em}\n"
	    /* on a phone: name, state, latency and spend; the rest is in /status.json */
	    "@media (max-width:40em){.opt{display:none}body{font-size:14px}th,td{padding:.25em .3em}"
	    "td .dim{display:block;font-size:.85em}}\n"
	    "@media (prefers-color-scheme:dark){body{background:#121212;color:#ddd}table{background:#1e1e1e}"
	    "th{background:#2a2a2a}th,td{border-color:#333}.gw{color:#aaa}}\n"
	    "</style></head><body>\n<h1>llmgw</h1>\n<p class=\"gw\">version ",
	    H_TEXT, struct gw_row, version),
	HF(" &middot; up ", H_UPTIME, struct gw_row, uptime_s),
	HF(" &middot; <span id=\"conns\">", H_U64, struct gw_row, open_connections),
	HF("</span> connections &middot; ", H_U64, struct gw_row, active_requests),
	HF(" active &middot; ", H_MIB, struct gw_row, rss_bytes),
	HF("&nbsp;MiB &middot; prices of ", H_TEXT, struct gw_row, prices_date),
};

static void h_begin(struct page *pg, const struct gw_row *g)
{
	h_fields(&pg->o, g, gw_html, sizeof gw_html / sizeof gw_html[0], "</p>\n");
}

static void h_section(struct page *pg, enum section s, int end)
{
	static const char *const th[] = { [COL] = "<th>", [COL_N] = "<th class=\"n\">", [COL_N_OPT] = "<th class=\"n opt\">" };
	struct metrics_out *o = &pg->o;
	if (end) {
		metrics_out_str(o, "</tbody></table></div>\n");
		return;
	}
	metrics_out_str(o, "<h2>");
	metrics_out_str(o, sections[s].title);
	metrics_out_str(o, "</h2>\n<div class=\"wrap\"><table id=\"");
	metrics_out_str(o, sections[s].id);
	metrics_out_str(o, "\"><thead><tr>");
	for (unsigned i = 0; sections[s].cols[i].name; i++) {
		metrics_out_str(o, th[sections[s].cols[i].cls]);
		metrics_out_str(o, sections[s].cols[i].name);
		metrics_out_str(o, "</th>");
	}
	metrics_out_str(o, "</tr></thead><tbody>\n");
}

static const struct hfield target_html[] = {
	HF("<tr data-target=\"", H_TEXT, struct target_row, ti.name),
	HF("\"><td>", H_TEXT, struct target_row, ti.name),
	HF("</td><td>", H_STATE, struct target_row, hi.state),
	HF(TD_N, H_MS, struct target_row, hi.latency_ms),
	HF(TD_N_OPT, H_MS, struct target_row, hi.ttft_ms),
	HF(TD_N_OPT, H_U64, struct target_row, hi.requests),
	HF(TD_N_OPT, H_U64, struct target_row, failures),
	HF(TD_N_OPT, H_COUNT, struct target_row, u.input),
	HF("&nbsp;/&nbsp;", H_COUNT, struct target_row, u.output),
	HF(TD_N, H_USD, struct target_row, u.usd),
	HF("", H_UNPRICED, struct target_row, ti.priced),
};

static void h_target(struct page *pg, const struct target_row *t)
{
	h_fields(&pg->o, t, target_html, sizeof target_html / sizeof target_html[0], "</td></tr>\n");
}

/* A route's fields before and after its targets. */
static const struct hfield route_html_head[] = {
	HF("<tr><td>", H_TEXT, struct route_row, r.name),
	HF("</td><td>", H_TEXT, struct route_row, strategy),
	HF("", H_MINQ, struct route_row, r.min_quality),
};
static const struct hfield route_html_tail[] = {
	HF("</ol>" TD_N_OPT, H_U64, struct route_row, u.requests),
	HF(TD_N, H_USD, struct route_row, u.usd),
};

static void h_route(struct page *pg, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states)
{
	struct metrics_out *o = &pg->o;
	h_fields(o, r, route_html_head, sizeof route_html_head / sizeof route_html_head[0], "</td><td><ol>");
	for (unsigned i = 0; i < r->r.ntargets; i++) {
		unsigned tid = r->r.targets[i].tid;
		enum health_state st = route_target_state(states, i);
		metrics_out_str(o, "<li><span class=\"st ");
		metrics_out_var(o, state_class(st), STATE_MAXW);
		metrics_out_str(o, "\" title=\"");
		metrics_out_var(o, health_state_name(st), STATE_MAXW);
		metrics_out_str(o, "\">&nbsp;</span> ");
		h_text(o, tid < cfg->ntargets_all ? cfg->targets_all[tid].name : "?");
		metrics_out_str(o, "</li>");
	}
	h_fields(o, r, route_html_tail, sizeof route_html_tail / sizeof route_html_tail[0], "</td></tr>\n");
}

static const struct hfield client_html[] = {
	HF("<tr><td>", H_TEXT, struct client_row, c.name),
	HF(TD_N, H_U64, struct client_row, u.requests),
	HF(TD_N, H_USD, struct client_row, usd_today),
	HF("", H_BUDGET, struct client_row, c.daily_usd),
	HF(TD_N, H_USD, struct client_row, usd_month),
	HF("", H_BUDGET, struct client_row, c.monthly_usd),
	HF(TD_N_OPT, H_USD, struct client_row, u.usd),
};

static void h_client(struct page *pg, const struct client_row *c)
{
	h_fields(&pg->o, c, client_html, sizeof client_html / sizeof client_html[0], "</td></tr>\n");
}

static void h_end(struct page *pg)
{
	metrics_out_str(&pg->o, "</body></html>\n");
}

static const struct emitter html_emitter = {
	h_begin, h_section, h_target, h_route, h_client, h_end
};

/* ---- entry points ---- */

size_t status_render_json(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	return walk(&json_emitter, buf, cap, 0, cfg, rt, now_ms, now_unix);
}

size_t status_render_html(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	return walk(&html_emitter, buf, cap, 0, cfg, rt, now_ms, now_unix);
}

size_t status_render_bound(const struct cfg *cfg)
{
	size_t a = walk(&json_emitter, NULL, 0, 1, cfg, NULL, 0, 0),
	    b = walk(&html_emitter, NULL, 0, 1, cfg, NULL, 0, 0);
	return a > b ? a : b;
}
