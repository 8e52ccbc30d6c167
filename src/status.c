/*
 * status.c - GET /status (HTML) and GET /status.json (see status.h).
 *
 * One walk (walk()) reads the config, health.c and usage.c into small row
 * structs on the stack and hands each row to an emitter: the JSON one or
 * the HTML one. Inclusion rules and every figure are decided in the walk,
 * so the two documents always show the same data. Owns nothing; allocates
 * nothing; never blocks.
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
#include "metrics.h"
#include "options.h"
#include "prices.h"
#include "status.h"
#include "usage.h"

#define NUM_MAXW 24	/* widest number metrics_out_* writes */
#define STATE_MAXW 20	/* widest health_state_name() / class name */

/* The rows' fields the JSON writer shows have the types of its kinds
 * (J_U64: uint64_t, J_BOOL: int, ...), so one table-driven loop writes them. */
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

struct emitter {
	void (*begin)(struct metrics_out *o, const struct gw_row *g);
	void (*section)(struct metrics_out *o, enum section s, int end);
	void (*target)(struct metrics_out *o, const struct target_row *t, int first);
	/* states[i]: health of r->targets[i] */
	void (*route)(struct metrics_out *o, const struct route_row *r, const struct cfg *cfg,
	    const enum health_state *states, int first);
	void (*client)(struct metrics_out *o, const struct client_row *c, int first);
	void (*end)(struct metrics_out *o);
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
	static const struct metrics_runtime zero_rt;
	struct metrics_out out, *o = &out;
	struct gw_row g;
	int first;

	metrics_out_init(o, buf, cap, bound);
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
	e->begin(o, &g);

	e->section(o, SEC_TARGETS, 0);
	first = 1;
	for (unsigned t = 0; t < cfg->ntargets_all; t++) {
		struct target_row row;
		target_row(cfg, t, now_ms, &row);
		/* a provider's bucket for ad-hoc models is noise until used;
		 * bound mode counts every row */
		if (row.ti.other && !o->bound && row.hi.requests == 0 && row.u.requests == 0 && row.hi.probes == 0)
			continue;
		e->target(o, &row, first);
		first = 0;
	}
	e->section(o, SEC_TARGETS, 1);

	e->section(o, SEC_ROUTES, 0);
	for (unsigned r = 0; r < cfg->nroutes; r++) {
		const struct cfg_route *cr = &cfg->routes[r];
		const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_ROUTE, r) : NULL;
		enum health_state st[16];
		struct route_row row;

		memset(&row, 0, sizeof row);
		row.r = *cr;
		row.strategy = fmt_list_nth("fallback\0cheapest\0fastest\0weighted\0?",
		    (unsigned)cr->strategy < 4 ? (unsigned)cr->strategy : 4);
		if (u)
			row.u = *u;
		/* A route lists at most a handful of targets; more than 16 show
		 * their state as open (the emitters only read the first 16). */
		for (unsigned i = 0; i < 16; i++)
			st[i] = i < cr->ntargets ? health_state(cr->targets[i].tid, now_ms) : HEALTH_ST_OPEN;
		e->route(o, &row, cfg, st, r == 0);
	}
	e->section(o, SEC_ROUTES, 1);

	e->section(o, SEC_CLIENTS, 0);
	first = 1;
	for (unsigned i = 0; i <= cfg->nclients; i++) {
		struct client_row row;
		client_row(cfg, i, now_unix, &row);
		if (row.anonymous && !o->bound && !cfg->gw.anonymous && row.u.requests == 0)
			continue;
		e->client(o, &row, first);
		first = 0;
	}
	e->section(o, SEC_CLIENTS, 1);
	e->end(o);
	return o->len + o->slack;
}

static enum health_state route_target_state(const enum health_state *states, unsigned i)
{
	return i < 16 ? states[i] : HEALTH_ST_OPEN;
}

/* Per section: its title, its table id (and JSON key), then its column
 * headers, each led by its class ('0' none, '1' "n", '2' "n opt"); an
 * empty name ends a section. */
static const char sections[] =
	"Targets\0targets\0" "0Target\0" "0State\0" "1Latency\0" "2TTFT\0" "2Requests\0" "2Failures\0"
	"2Tokens in&nbsp;/&nbsp;out\0" "1Spend\0" "\0"
	"Routes\0routes\0" "0Route\0" "0Strategy\0" "0Targets\0" "2Requests\0" "1Spend\0" "\0"
	"Clients\0clients\0" "0Client\0" "1Requests\0" "1Today\0" "1This month\0" "2Total\0";

static const char *next(const char *s)
{
	return s + strlen(s) + 1;
}

static const char *section_at(enum section s)
{
	const char *p = sections;
	for (unsigned k = s; k; k--) {
		for (p = next(next(p)); *p; p = next(p))
			;
		p++;
	}
	return p;
}

/* ---- JSON ---- */

/* Field kinds; a field is kind << 12 | its offset in the row. */
enum { J_STR, J_U64, J_UNS, J_DBL, J_OPT, J_BOOL, J_STATE, J_KINDS, J_PRICES };
#define J(kind, type, field) ((kind) << 12 | offsetof(type, field))

static void j_fields(struct metrics_out *o, const void *row, const uint16_t *spec, const char *keys,
    unsigned n, const char *open);

static const uint16_t price_spec[] = {
	J(J_DBL, struct target_row, ti.in_usd_mtok), J(J_DBL, struct target_row, ti.cached_usd_mtok),
	J(J_DBL, struct target_row, ti.out_usd_mtok)
};

/* One field: ,"key":value (no comma when first). */
static void j_field(struct metrics_out *o, const void *row, unsigned x, const char *key, int first)
{
	const char *p = (const char *)row + (x & 0xfff);

	metrics_out_str(o, first ? "\"" : ",\"");
	metrics_out_str(o, key);
	metrics_out_mem(o, "\":", 2);
	switch (x >> 12) {
	case J_STR:
		metrics_out_mem(o, "\"", 1);
		metrics_out_text(o, *(const char *const *)p, METRICS_ESC_JSON);
		metrics_out_mem(o, "\"", 1);
		break;
	case J_U64:
		metrics_out_u64(o, *(const uint64_t *)p);
		break;
	case J_UNS:
		metrics_out_u64(o, *(const unsigned *)p);
		break;
	case J_OPT:	/* a number, or null when negative (no sample) */
		if (*(const double *)p < 0) {
			metrics_out_var(o, "null", NUM_MAXW);
			break;
		}
		/* fall through */
	case J_DBL:
		metrics_out_double(o, *(const double *)p);
		break;
	case J_BOOL:
		metrics_out_var(o, *(const int *)p ? "true" : "false", 5);
		break;
	case J_STATE:
		metrics_out_mem(o, "\"", 1);
		metrics_out_var(o, health_state_name(*(const enum health_state *)p), STATE_MAXW);
		metrics_out_mem(o, "\"", 1);
		break;
	case J_KINDS:
		for (unsigned k = 0; k < HEALTH_NKINDS; k++) {
			metrics_out_str(o, k ? ",\"" : "{\"");
			metrics_out_str(o, health_kind_name((enum health_kind)k));
			metrics_out_str(o, "\":");
			metrics_out_u64(o, ((const uint64_t *)p)[k]);
		}
		metrics_out_str(o, "}");
		break;
	case J_PRICES:
		if (*(const int *)p) {
			j_fields(o, row, price_spec, "input_usd_per_mtok\0cached_usd_per_mtok\0output_usd_per_mtok", 3, "{");
			metrics_out_str(o, "}");
		} else {
			metrics_out_str(o, "null");
		}
		break;
	}
}

/* The n fields of spec (names in the packed list keys). open "{" or ",{"
 * starts an object (its first field has no comma); "" goes on with one. */
static void j_fields(struct metrics_out *o, const void *row, const uint16_t *spec, const char *keys,
    unsigned n, const char *open)
{
	metrics_out_str(o, open);
	for (unsigned i = 0; i < n; i++, keys = next(keys))
		j_field(o, row, spec[i], keys, i == 0 && *open);
}

static const uint16_t gw_spec[] = {
	J(J_STR, struct gw_row, name), J(J_STR, struct gw_row, version), J(J_STR, struct gw_row, prices_date),
	J(J_OPT, struct gw_row, uptime), J(J_U64, struct gw_row, open_connections),
	J(J_U64, struct gw_row, active_requests), J(J_U64, struct gw_row, upstream_connections),
	J(J_U64, struct gw_row, rss_bytes)
};

static void j_begin(struct metrics_out *o, const struct gw_row *g)
{
	metrics_out_str(o, "{\"gateway\":");
	j_fields(o, g, gw_spec, "name\0version\0prices_date\0uptime_s\0open_connections\0active_requests\0"
	    "upstream_connections\0memory_bytes", sizeof gw_spec / sizeof gw_spec[0], "{");
	metrics_out_str(o, "}");
}

static void j_section(struct metrics_out *o, enum section s, int end)
{
	if (end) {
		metrics_out_str(o, "]");
		return;
	}
	metrics_out_str(o, ",\"");
	metrics_out_str(o, next(section_at(s)));
	metrics_out_str(o, "\":[");
}

static const uint16_t target_spec[] = {
	J(J_U64, struct target_row, id), J(J_STR, struct target_row, ti.name),
	J(J_STR, struct target_row, provider), J(J_STR, struct target_row, ti.model),
	J(J_STATE, struct target_row, hi.state), J(J_BOOL, struct target_row, up),
	J(J_OPT, struct target_row, hi.latency_ms), J(J_OPT, struct target_row, hi.ttft_ms),
	J(J_U64, struct target_row, hi.requests), J(J_U64, struct target_row, failures),
	J(J_KINDS, struct target_row, hi.failures), J(J_UNS, struct target_row, hi.consecutive_failures),
	J(J_U64, struct target_row, back_in_ms), J(J_U64, struct target_row, hi.probes),
	J(J_U64, struct target_row, hi.probe_failures), J(J_BOOL, struct target_row, ti.other),
	J(J_BOOL, struct target_row, ti.priced), J(J_PRICES, struct target_row, ti.priced),
	J(J_U64, struct target_row, quality), J(J_DBL, struct target_row, u.usd),
	J(J_U64, struct target_row, u.requests), J(J_U64, struct target_row, u.unpriced),
	J(J_U64, struct target_row, u.input), J(J_U64, struct target_row, u.cached),
	J(J_U64, struct target_row, u.output)
};

static void j_target(struct metrics_out *o, const struct target_row *t, int first)
{
	j_fields(o, t, target_spec, "id\0name\0provider\0model\0state\0up\0latency_ms\0ttft_ms\0requests\0"
	    "failures\0failures_by_kind\0consecutive_failures\0back_in_ms\0probes\0probe_failures\0other\0"
	    "priced\0prices\0quality\0usd\0billed_requests\0unpriced_requests\0input_tokens\0cached_tokens\0"
	    "output_tokens", sizeof target_spec / sizeof target_spec[0], first ? "{" : ",{");
	metrics_out_str(o, "}");
}

static const uint16_t route_spec[] = {
	J(J_STR, struct route_row, r.name), J(J_STR, struct route_row, strategy),
	J(J_UNS, struct route_row, r.min_quality), J(J_UNS, struct route_row, r.max_attempts),
	J(J_U64, struct route_row, u.requests), J(J_U64, struct route_row, u.unpriced),
	J(J_DBL, struct route_row, u.usd)
};

static void j_route(struct metrics_out *o, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states, int first)
{
	j_fields(o, r, route_spec, "name\0strategy\0min_quality\0max_attempts", 4, first ? "{" : ",{");
	metrics_out_str(o, ",\"targets\":[");
	for (unsigned i = 0; i < r->r.ntargets; i++) {
		unsigned tid = r->r.targets[i].tid;
		metrics_out_str(o, i ? ",{\"name\":\"" : "{\"name\":\"");
		metrics_out_text(o, tid < cfg->ntargets_all ? cfg->targets_all[tid].name : "?", METRICS_ESC_JSON);
		metrics_out_str(o, "\",\"state\":\"");
		metrics_out_var(o, health_state_name(route_target_state(states, i)), STATE_MAXW);
		metrics_out_str(o, "\"}");
	}
	metrics_out_str(o, "]");
	j_fields(o, r, route_spec + 4, "requests\0unpriced_requests\0usd", 3, "");
	metrics_out_str(o, "}");
}

static const uint16_t client_spec[] = {
	J(J_STR, struct client_row, c.name), J(J_BOOL, struct client_row, anonymous),
	J(J_U64, struct client_row, u.requests), J(J_U64, struct client_row, u.unpriced),
	J(J_DBL, struct client_row, usd_today), J(J_DBL, struct client_row, usd_month),
	J(J_DBL, struct client_row, u.usd), J(J_DBL, struct client_row, c.daily_usd),
	J(J_DBL, struct client_row, c.monthly_usd), J(J_UNS, struct client_row, c.rpm),
	J(J_UNS, struct client_row, c.tpm), J(J_U64, struct client_row, u.input),
	J(J_U64, struct client_row, u.cached), J(J_U64, struct client_row, u.output)
};

static void j_client(struct metrics_out *o, const struct client_row *c, int first)
{
	j_fields(o, c, client_spec, "name\0anonymous\0requests\0unpriced_requests\0usd_today\0usd_month\0"
	    "usd_total\0daily_budget_usd\0monthly_budget_usd\0rpm_limit\0tpm_limit\0input_tokens\0"
	    "cached_tokens\0output_tokens", sizeof client_spec / sizeof client_spec[0], first ? "{" : ",{");
	metrics_out_str(o, "}");
}

static void j_end(struct metrics_out *o)
{
	metrics_out_str(o, "}\n");
}

static const struct emitter json_emitter = {
	j_begin, j_section, j_target, j_route, j_client, j_end
};

/* ---- HTML ---- */

/* CSS class per state: the colour key of the page. */
static const char *state_class(enum health_state s)
{
	return fmt_list_nth("ok\0half\0down\0cool\0cred", (unsigned)s <= HEALTH_ST_CRED_BAD ? (unsigned)s : HEALTH_ST_OPEN);
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

/* HTML field kinds; a field is kind << 12 | its offset in the row. */
enum { H_TEXT, H_STATE, H_MS, H_U64, H_COUNT, H_USD, H_BUDGET, H_UNPRICED, H_MINQ, H_UPTIME, H_MIB };
#define H(kind, type, field) ((kind) << 12 | offsetof(type, field))

/* pieces[0], field 0, pieces[1], ..., field n-1, pieces[n]: the n fields
 * of spec between the n + 1 literal pieces of the packed list. A piece
 * may start with CELL or OPT_CELL: the next cell's opening. */
#define CELL "\1"		/* </td><td class="n"> */
#define OPT_CELL "\2"		/* </td><td class="n opt"> */
static void h_fields(struct metrics_out *o, const void *row, const uint16_t *spec, unsigned n, const char *pieces)
{
	for (unsigned i = 0;; i++, pieces = next(pieces)) {
		const char *q = pieces;
		if (*q == *CELL || *q == *OPT_CELL)
			metrics_out_str(o, fmt_list_nth("</td><td class=\"n\">\0</td><td class=\"n opt\">", (unsigned)*q++ - 1));
		metrics_out_str(o, q);
		if (i == n)
			break;
		const char *p = (const char *)row + (spec[i] & 0xfff);
		double d;
		switch (spec[i] >> 12) {
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
}

static const uint16_t gw_html[] = {
	H(H_TEXT, struct gw_row, version), H(H_UPTIME, struct gw_row, uptime_s),
	H(H_U64, struct gw_row, open_connections), H(H_U64, struct gw_row, active_requests),
	H(H_MIB, struct gw_row, rss_bytes), H(H_TEXT, struct gw_row, prices_date)
};

static void h_begin(struct metrics_out *o, const struct gw_row *g)
{
	h_fields(o, g, gw_html, 6,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
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
	    "</style></head><body>\n<h1>llmgw</h1>\n<p class=\"gw\">version \0"
	    " &middot; up \0"
	    " &middot; <span id=\"conns\">\0"
	    "</span> connections &middot; \0"
	    " active &middot; \0"
	    "&nbsp;MiB &middot; prices of \0"
	    "</p>\n");
}

static void h_section(struct metrics_out *o, enum section s, int end)
{
	if (end) {
		metrics_out_str(o, "</tbody></table></div>\n");
		return;
	}
	const char *p = section_at(s);
	metrics_out_str(o, "<h2>");
	metrics_out_str(o, p);
	metrics_out_str(o, "</h2>\n<div class=\"wrap\"><table id=\"");
	p = next(p);
	metrics_out_str(o, p);
	metrics_out_str(o, "\"><thead><tr>");
	for (p = next(p); *p; p = next(p)) {
		metrics_out_str(o, fmt_list_nth("<th>\0<th class=\"n\">\0<th class=\"n opt\">", (unsigned)(*p - '0')));
		metrics_out_str(o, p + 1);
		metrics_out_str(o, "</th>");
	}
	metrics_out_str(o, "</tr></thead><tbody>\n");
}

static const uint16_t target_html[] = {
	H(H_TEXT, struct target_row, ti.name), H(H_TEXT, struct target_row, ti.name),
	H(H_STATE, struct target_row, hi.state), H(H_MS, struct target_row, hi.latency_ms),
	H(H_MS, struct target_row, hi.ttft_ms), H(H_U64, struct target_row, hi.requests),
	H(H_U64, struct target_row, failures), H(H_COUNT, struct target_row, u.input),
	H(H_COUNT, struct target_row, u.output), H(H_USD, struct target_row, u.usd),
	H(H_UNPRICED, struct target_row, ti.priced)
};

static void h_target(struct metrics_out *o, const struct target_row *t, int first)
{
	h_fields(o, t, target_html, 11, "<tr data-target=\"\0\"><td>\0</td><td>\0" CELL "\0"
	    OPT_CELL "\0" OPT_CELL "\0" OPT_CELL "\0" OPT_CELL "\0&nbsp;/&nbsp;\0" CELL "\0\0</td></tr>\n");
}

static const uint16_t route_html[] = {
	H(H_TEXT, struct route_row, r.name), H(H_TEXT, struct route_row, strategy),
	H(H_MINQ, struct route_row, r.min_quality),
	H(H_U64, struct route_row, u.requests), H(H_USD, struct route_row, u.usd)
};

static void h_route(struct metrics_out *o, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states, int first)
{
	h_fields(o, r, route_html, 3, "<tr><td>\0</td><td>\0\0</td><td><ol>");
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
	h_fields(o, r, route_html + 3, 2, "</ol></td><td class=\"n opt\">\0" CELL "\0</td></tr>\n");
}

static const uint16_t client_html[] = {
	H(H_TEXT, struct client_row, c.name), H(H_U64, struct client_row, u.requests),
	H(H_USD, struct client_row, usd_today), H(H_BUDGET, struct client_row, c.daily_usd),
	H(H_USD, struct client_row, usd_month), H(H_BUDGET, struct client_row, c.monthly_usd),
	H(H_USD, struct client_row, u.usd)
};

static void h_client(struct metrics_out *o, const struct client_row *c, int first)
{
	h_fields(o, c, client_html, 7, "<tr><td>\0" CELL "\0" CELL "\0\0" CELL "\0\0" OPT_CELL "\0</td></tr>\n");
}

static void h_end(struct metrics_out *o)
{
	metrics_out_str(o, "</body></html>\n");
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
