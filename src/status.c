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
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "health.h"
#include "metrics.h"
#include "options.h"
#include "prices.h"
#include "status.h"
#include "usage.h"

#define NUM_MAXW 24	/* widest number metrics_out_* writes */
#define STATE_MAXW 20	/* widest health_state_name() / class name */

struct gw_row {
	const char *version, *prices_date;
	int64_t uptime_s;		/* -1: unknown */
	unsigned open_connections, active_requests, upstream_connections;
	unsigned long long rss_bytes;
};

struct target_row {
	unsigned id;
	const char *name, *provider, *model;
	enum health_state state;
	int up;
	double latency_ms, ttft_ms;	/* -1: no sample */
	uint64_t requests, failures, probes, probe_failures;
	uint64_t fail_kind[HEALTH_NKINDS];
	unsigned consecutive_failures;
	int64_t back_in_ms;		/* until a rate-limit cool-down or an open breaker ends; 0: now */
	int priced, quality, other;
	double in_usd_mtok, cached_usd_mtok, out_usd_mtok;
	double usd;
	uint64_t billed, unpriced, input, cached, output;
};

struct route_row {
	const struct cfg_route *r;	/* targets, names */
	const char *strategy;
	uint64_t requests, unpriced;
	double usd;
};

struct client_row {
	const char *name;		/* "(anonymous)" for the anonymous slot */
	int anonymous;
	uint64_t requests, unpriced, input, cached, output;
	double usd, usd_today, usd_month, daily_budget, monthly_budget;
	unsigned rpm, tpm;
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

static const char *const strategy_names[] = { "fallback", "cheapest", "fastest", "weighted" };

/* ---- the walk ---- */

static void target_row(const struct cfg *cfg, unsigned t, int64_t now_ms, struct target_row *row)
{
	const struct cfg_tinfo *ti = &cfg->targets_all[t];
	struct health_info hi;
	const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_TARGET, t) : NULL;

	memset(row, 0, sizeof *row);
	health_get(t, now_ms, &hi);
	row->id = t;
	row->name = ti->name;
	row->provider = ti->provider < cfg->nproviders ? cfg->providers[ti->provider].name : "?";
	row->model = ti->model;
	row->state = health_state(t, now_ms);
	row->up = row->state == HEALTH_ST_CLOSED;
	row->latency_ms = hi.latency_ms;
	row->ttft_ms = hi.ttft_ms;
	row->requests = hi.requests;
	for (unsigned k = 0; k < HEALTH_NKINDS; k++) {
		row->fail_kind[k] = hi.failures[k];
		row->failures += hi.failures[k];
	}
	row->probes = hi.probes;
	row->probe_failures = hi.probe_failures;
	row->consecutive_failures = hi.consecutive_failures;
	int64_t until = hi.cooled_until > hi.open_until ? hi.cooled_until : hi.open_until;
	row->back_in_ms = until > now_ms && row->state != HEALTH_ST_CLOSED ? until - now_ms : 0;
	row->priced = ti->priced;
	row->quality = ti->quality;
	row->other = ti->other;
	row->in_usd_mtok = ti->in_usd_mtok;
	row->cached_usd_mtok = ti->cached_usd_mtok;
	row->out_usd_mtok = ti->out_usd_mtok;
	if (u) {
		row->usd = u->usd;
		row->billed = u->requests;
		row->unpriced = u->unpriced;
		row->input = u->input;
		row->cached = u->cached;
		row->output = u->output;
	}
}

static void client_row(const struct cfg *cfg, unsigned i, int64_t now_unix, struct client_row *row)
{
	const struct usage_totals *u = LLMGW_USAGE ? usage_get(USAGE_CLIENT, i) : NULL;
	int idx = i < cfg->nclients ? (int)i : USAGE_ANON;

	memset(row, 0, sizeof *row);
	row->anonymous = idx == USAGE_ANON;
	row->name = row->anonymous ? "(anonymous)" : cfg->clients[i].name;
	if (!row->anonymous) {
		row->daily_budget = cfg->clients[i].daily_usd;
		row->monthly_budget = cfg->clients[i].monthly_usd;
		row->rpm = cfg->clients[i].rpm;
		row->tpm = cfg->clients[i].tpm;
	}
	if (u) {
		row->requests = u->requests;
		row->unpriced = u->unpriced;
		row->input = u->input;
		row->cached = u->cached;
		row->output = u->output;
		row->usd = u->usd;
	}
	if (!LLMGW_USAGE || usage_spend(idx, now_unix, &row->usd_today, &row->usd_month) != 0)
		row->usd_today = row->usd_month = 0;
}

static void walk(const struct emitter *e, struct metrics_out *o, const struct cfg *cfg,
    const struct metrics_runtime *rt, int64_t now_ms, int64_t now_unix)
{
	static const struct metrics_runtime zero_rt;
	struct gw_row g;
	int first;

	if (!rt)
		rt = &zero_rt;
	g.version = LLMGW_VERSION;
	g.prices_date = LLMGW_USAGE ? PRICES_DATE : "(none: built with LLMGW_USAGE=0)";
	g.uptime_s = rt->start_unix > 0 && now_unix >= rt->start_unix ? now_unix - rt->start_unix : -1;
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
		if (row.other && !o->bound && row.requests == 0 && row.billed == 0 && row.probes == 0)
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
		row.r = cr;
		row.strategy = (unsigned)cr->strategy < 4 ? strategy_names[cr->strategy] : "?";
		if (u) {
			row.requests = u->requests;
			row.unpriced = u->unpriced;
			row.usd = u->usd;
		}
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
		if (row.anonymous && !o->bound && !cfg->gw.anonymous && row.requests == 0)
			continue;
		e->client(o, &row, first);
		first = 0;
	}
	e->section(o, SEC_CLIENTS, 1);
	e->end(o);
}

static enum health_state route_target_state(const enum health_state *states, unsigned i)
{
	return i < 16 ? states[i] : HEALTH_ST_OPEN;
}

/* ---- JSON ---- */

static void j_key(struct metrics_out *o, const char *k)
{
	metrics_out_mem(o, ",\"", 2);
	metrics_out_str(o, k);
	metrics_out_mem(o, "\":", 2);
}

static void j_str(struct metrics_out *o, const char *k, const char *v)
{
	j_key(o, k);
	metrics_out_mem(o, "\"", 1);
	metrics_out_text(o, v, METRICS_ESC_JSON);
	metrics_out_mem(o, "\"", 1);
}

static void j_u64(struct metrics_out *o, const char *k, uint64_t v)
{
	j_key(o, k);
	metrics_out_u64(o, v);
}

static void j_dbl(struct metrics_out *o, const char *k, double v)
{
	j_key(o, k);
	metrics_out_double(o, v);
}

/* A number, or null when negative (no sample). */
static void j_opt(struct metrics_out *o, const char *k, double v)
{
	j_key(o, k);
	if (v < 0)
		metrics_out_var(o, "null", NUM_MAXW);
	else
		metrics_out_double(o, v);
}

static void j_bool(struct metrics_out *o, const char *k, int v)
{
	j_key(o, k);
	metrics_out_var(o, v ? "true" : "false", 5);
}

static void j_begin(struct metrics_out *o, const struct gw_row *g)
{
	/* every object starts with a fixed first member so the helpers can
	 * always lead with a comma */
	metrics_out_str(o, "{\"gateway\":{\"name\":\"llmgw\"");
	j_str(o, "version", g->version);
	j_str(o, "prices_date", g->prices_date);
	j_opt(o, "uptime_s", (double)g->uptime_s);
	j_u64(o, "open_connections", g->open_connections);
	j_u64(o, "active_requests", g->active_requests);
	j_u64(o, "upstream_connections", g->upstream_connections);
	j_u64(o, "memory_bytes", g->rss_bytes);
	metrics_out_str(o, "}");
}

static void j_section(struct metrics_out *o, enum section s, int end)
{
	static const char *const names[] = { "targets", "routes", "clients" };
	if (end) {
		metrics_out_str(o, "]");
		return;
	}
	metrics_out_str(o, ",\"");
	metrics_out_str(o, names[s]);
	metrics_out_str(o, "\":[");
}

static void j_target(struct metrics_out *o, const struct target_row *t, int first)
{
	metrics_out_str(o, first ? "{\"id\":" : ",{\"id\":");
	metrics_out_u64(o, t->id);
	j_str(o, "name", t->name);
	j_str(o, "provider", t->provider);
	j_str(o, "model", t->model);
	j_key(o, "state");
	metrics_out_mem(o, "\"", 1);
	metrics_out_var(o, health_state_name(t->state), STATE_MAXW);
	metrics_out_mem(o, "\"", 1);
	j_bool(o, "up", t->up);
	j_opt(o, "latency_ms", t->latency_ms);
	j_opt(o, "ttft_ms", t->ttft_ms);
	j_u64(o, "requests", t->requests);
	j_u64(o, "failures", t->failures);
	j_key(o, "failures_by_kind");
	for (unsigned k = 0; k < HEALTH_NKINDS; k++) {
		metrics_out_str(o, k ? ",\"" : "{\"");
		metrics_out_str(o, health_kind_name((enum health_kind)k));
		metrics_out_str(o, "\":");
		metrics_out_u64(o, t->fail_kind[k]);
	}
	metrics_out_str(o, "}");
	j_u64(o, "consecutive_failures", t->consecutive_failures);
	j_u64(o, "back_in_ms", (uint64_t)t->back_in_ms);
	j_u64(o, "probes", t->probes);
	j_u64(o, "probe_failures", t->probe_failures);
	j_bool(o, "other", t->other);
	j_bool(o, "priced", t->priced);
	j_key(o, "prices");
	if (t->priced) {
		metrics_out_str(o, "{\"input_usd_per_mtok\":");
		metrics_out_double(o, t->in_usd_mtok);
		j_dbl(o, "cached_usd_per_mtok", t->cached_usd_mtok);
		j_dbl(o, "output_usd_per_mtok", t->out_usd_mtok);
		metrics_out_str(o, "}");
	} else {
		metrics_out_str(o, "null");
	}
	j_u64(o, "quality", (uint64_t)(t->quality > 0 ? t->quality : 0));
	j_dbl(o, "usd", t->usd);
	j_u64(o, "billed_requests", t->billed);
	j_u64(o, "unpriced_requests", t->unpriced);
	j_u64(o, "input_tokens", t->input);
	j_u64(o, "cached_tokens", t->cached);
	j_u64(o, "output_tokens", t->output);
	metrics_out_str(o, "}");
}

static void j_route(struct metrics_out *o, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states, int first)
{
	metrics_out_str(o, first ? "{\"name\":\"" : ",{\"name\":\"");
	metrics_out_text(o, r->r->name, METRICS_ESC_JSON);
	metrics_out_str(o, "\"");
	j_str(o, "strategy", r->strategy);
	j_u64(o, "min_quality", r->r->min_quality);
	j_u64(o, "max_attempts", r->r->max_attempts);
	j_key(o, "targets");
	metrics_out_str(o, "[");
	for (unsigned i = 0; i < r->r->ntargets; i++) {
		unsigned tid = r->r->targets[i].tid;
		metrics_out_str(o, i ? ",{\"name\":\"" : "{\"name\":\"");
		metrics_out_text(o, tid < cfg->ntargets_all ? cfg->targets_all[tid].name : "?", METRICS_ESC_JSON);
		metrics_out_str(o, "\",\"state\":\"");
		metrics_out_var(o, health_state_name(route_target_state(states, i)), STATE_MAXW);
		metrics_out_str(o, "\"}");
	}
	metrics_out_str(o, "]");
	j_u64(o, "requests", r->requests);
	j_u64(o, "unpriced_requests", r->unpriced);
	j_dbl(o, "usd", r->usd);
	metrics_out_str(o, "}");
}

static void j_client(struct metrics_out *o, const struct client_row *c, int first)
{
	metrics_out_str(o, first ? "{\"name\":\"" : ",{\"name\":\"");
	metrics_out_text(o, c->name, METRICS_ESC_JSON);
	metrics_out_str(o, "\"");
	j_bool(o, "anonymous", c->anonymous);
	j_u64(o, "requests", c->requests);
	j_u64(o, "unpriced_requests", c->unpriced);
	j_dbl(o, "usd_today", c->usd_today);
	j_dbl(o, "usd_month", c->usd_month);
	j_dbl(o, "usd_total", c->usd);
	j_dbl(o, "daily_budget_usd", c->daily_budget);
	j_dbl(o, "monthly_budget_usd", c->monthly_budget);
	j_u64(o, "rpm_limit", c->rpm);
	j_u64(o, "tpm_limit", c->tpm);
	j_u64(o, "input_tokens", c->input);
	j_u64(o, "cached_tokens", c->cached);
	j_u64(o, "output_tokens", c->output);
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
	switch (s) {
	case HEALTH_ST_CLOSED: return "ok";
	case HEALTH_ST_HALF_OPEN: return "half";
	case HEALTH_ST_OPEN: return "down";
	case HEALTH_ST_COOLING: return "cool";
	case HEALTH_ST_CRED_BAD: return "cred";
	}
	return "down";
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
	else if (ms < 10000)
		metrics_out_fmt(o, 32, "%.0f&nbsp;ms", ms);
	else if (ms < 1e12)
		metrics_out_fmt(o, 32, "%.1f&nbsp;s", ms / 1000);
	else
		metrics_out_fmt(o, 32, "%.3e&nbsp;s", ms / 1000);
}

static void h_usd(struct metrics_out *o, double usd)
{
	if (!(usd >= 0))
		usd = 0;
	if (usd < 100)
		metrics_out_fmt(o, 40, "$%.4f", usd);
	else if (usd < 1e12)
		metrics_out_fmt(o, 40, "$%.2f", usd);
	else
		metrics_out_fmt(o, 40, "$%.3e", usd);	/* keeps the width bounded */
}

/* Budgets are whole amounts in practice: cents are enough. */
static void h_budget(struct metrics_out *o, double usd)
{
	if (!(usd >= 0) || usd >= 1e12)
		metrics_out_fmt(o, 40, "$%.3e", usd >= 0 ? usd : 0);
	else
		metrics_out_fmt(o, 40, "$%.2f", usd);
}

/* Token counts: exact below 100k, then k/M/G with one decimal. */
static void h_count(struct metrics_out *o, uint64_t v)
{
	if (v < 100000)
		metrics_out_fmt(o, 32, "%llu", (unsigned long long)v);
	else if (v < 100000000ULL)
		metrics_out_fmt(o, 32, "%.1fk", (double)v / 1e3);
	else if (v < 100000000000ULL)
		metrics_out_fmt(o, 32, "%.1fM", (double)v / 1e6);
	else
		metrics_out_fmt(o, 32, "%.1fG", (double)v / 1e9);
}

static void h_begin(struct metrics_out *o, const struct gw_row *g)
{
	metrics_out_str(o,
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
	    "</style></head><body>\n<h1>llmgw</h1>\n<p class=\"gw\">version ");
	h_text(o, g->version);
	metrics_out_str(o, " &middot; up ");
	if (g->uptime_s < 0) {
		metrics_out_var(o, "&ndash;", 40);
	} else {
		int64_t s = g->uptime_s;
		metrics_out_fmt(o, 40, "%lldd&nbsp;%02lldh&nbsp;%02lldm", (long long)(s / 86400),
		    (long long)(s / 3600 % 24), (long long)(s / 60 % 60));
	}
	metrics_out_str(o, " &middot; <span id=\"conns\">");
	metrics_out_u64(o, g->open_connections);
	metrics_out_str(o, "</span> connections &middot; ");
	metrics_out_u64(o, g->active_requests);
	metrics_out_str(o, " active &middot; ");
	metrics_out_fmt(o, 40, "%.1f", (double)g->rss_bytes / 1048576.0);
	metrics_out_str(o, "&nbsp;MiB &middot; prices of ");
	h_text(o, g->prices_date);
	metrics_out_str(o, "</p>\n");
}

static void h_section(struct metrics_out *o, enum section s, int end)
{
	if (end) {
		metrics_out_str(o, "</tbody></table></div>\n");
		return;
	}
	switch (s) {
	case SEC_TARGETS:
		metrics_out_str(o, "<h2>Targets</h2>\n<div class=\"wrap\"><table id=\"targets\"><thead><tr>"
		    "<th>Target</th><th>State</th><th class=\"n\">Latency</th><th class=\"n opt\">TTFT</th>"
		    "<th class=\"n opt\">Requests</th><th class=\"n opt\">Failures</th>"
		    "<th class=\"n opt\">Tokens in&nbsp;/&nbsp;out</th><th class=\"n\">Spend</th></tr></thead><tbody>\n");
		break;
	case SEC_ROUTES:
		metrics_out_str(o, "<h2>Routes</h2>\n<div class=\"wrap\"><table id=\"routes\"><thead><tr>"
		    "<th>Route</th><th>Strategy</th><th>Targets</th><th class=\"n opt\">Requests</th>"
		    "<th class=\"n\">Spend</th></tr></thead><tbody>\n");
		break;
	case SEC_CLIENTS:
		metrics_out_str(o, "<h2>Clients</h2>\n<div class=\"wrap\"><table id=\"clients\"><thead><tr>"
		    "<th>Client</th><th class=\"n\">Requests</th><th class=\"n\">Today</th>"
		    "<th class=\"n\">This month</th><th class=\"n opt\">Total</th></tr></thead><tbody>\n");
		break;
	}
}

static void h_target(struct metrics_out *o, const struct target_row *t, int first)
{
	metrics_out_str(o, "<tr data-target=\"");
	h_text(o, t->name);
	metrics_out_str(o, "\"><td>");
	h_text(o, t->name);
	metrics_out_str(o, "</td><td>");
	h_state(o, t->state);
	metrics_out_str(o, "</td><td class=\"n\">");
	h_ms(o, t->latency_ms);
	metrics_out_str(o, "</td><td class=\"n opt\">");
	h_ms(o, t->ttft_ms);
	metrics_out_str(o, "</td><td class=\"n opt\">");
	metrics_out_u64(o, t->requests);
	metrics_out_str(o, "</td><td class=\"n opt\">");
	metrics_out_u64(o, t->failures);
	metrics_out_str(o, "</td><td class=\"n opt\">");
	h_count(o, t->input);
	metrics_out_str(o, "&nbsp;/&nbsp;");
	h_count(o, t->output);
	metrics_out_str(o, "</td><td class=\"n\">");
	h_usd(o, t->usd);
	if (!t->priced && !t->other)
		metrics_out_var(o, " <span class=\"dim\">unpriced</span>", 40);
	else if (t->unpriced)
		metrics_out_fmt(o, 64, " <span class=\"dim\">+%llu&nbsp;unpriced</span>",
		    (unsigned long long)t->unpriced);
	else if (o->bound)
		o->slack += 64;
	metrics_out_str(o, "</td></tr>\n");
}

static void h_route(struct metrics_out *o, const struct route_row *r, const struct cfg *cfg,
    const enum health_state *states, int first)
{
	metrics_out_str(o, "<tr><td>");
	h_text(o, r->r->name);
	metrics_out_str(o, "</td><td>");
	h_text(o, r->strategy);
	if (r->r->min_quality)
		metrics_out_fmt(o, 32, " &ge;&nbsp;q%u", r->r->min_quality);
	else if (o->bound)
		o->slack += 32;
	metrics_out_str(o, "</td><td><ol>");
	for (unsigned i = 0; i < r->r->ntargets; i++) {
		unsigned tid = r->r->targets[i].tid;
		enum health_state st = route_target_state(states, i);
		metrics_out_str(o, "<li><span class=\"st ");
		metrics_out_var(o, state_class(st), STATE_MAXW);
		metrics_out_str(o, "\" title=\"");
		metrics_out_var(o, health_state_name(st), STATE_MAXW);
		metrics_out_str(o, "\">&nbsp;</span> ");
		h_text(o, tid < cfg->ntargets_all ? cfg->targets_all[tid].name : "?");
		metrics_out_str(o, "</li>");
	}
	metrics_out_str(o, "</ol></td><td class=\"n opt\">");
	metrics_out_u64(o, r->requests);
	metrics_out_str(o, "</td><td class=\"n\">");
	h_usd(o, r->usd);
	metrics_out_str(o, "</td></tr>\n");
}

static void h_client(struct metrics_out *o, const struct client_row *c, int first)
{
	metrics_out_str(o, "<tr><td>");
	h_text(o, c->name);
	metrics_out_str(o, "</td><td class=\"n\">");
	metrics_out_u64(o, c->requests);
	metrics_out_str(o, "</td><td class=\"n\">");
	h_usd(o, c->usd_today);
	if (c->daily_budget > 0) {
		metrics_out_str(o, " <span class=\"dim\">of ");
		h_budget(o, c->daily_budget);
		metrics_out_str(o, "</span>");
	}
	metrics_out_str(o, "</td><td class=\"n\">");
	h_usd(o, c->usd_month);
	if (c->monthly_budget > 0) {
		metrics_out_str(o, " <span class=\"dim\">of ");
		h_budget(o, c->monthly_budget);
		metrics_out_str(o, "</span>");
	}
	metrics_out_str(o, "</td><td class=\"n opt\">");
	h_usd(o, c->usd);
	metrics_out_str(o, "</td></tr>\n");
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
	struct metrics_out o;
	metrics_out_init(&o, buf, cap, 0);
	walk(&json_emitter, &o, cfg, rt, now_ms, now_unix);
	return o.len;
}

size_t status_render_html(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix)
{
	struct metrics_out o;
	metrics_out_init(&o, buf, cap, 0);
	walk(&html_emitter, &o, cfg, rt, now_ms, now_unix);
	return o.len;
}

size_t status_render_bound(const struct cfg *cfg)
{
	struct metrics_out j, h;
	metrics_out_init(&j, NULL, 0, 1);
	walk(&json_emitter, &j, cfg, NULL, 0, 0);
	metrics_out_init(&h, NULL, 0, 1);
	walk(&html_emitter, &h, cfg, NULL, 0, 0);
	size_t a = j.len + j.slack, b = h.len + h.slack;
	return a > b ? a : b;
}
