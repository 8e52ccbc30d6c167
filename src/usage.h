/*
 * usage.h - usage accounting, per-client limits and their persistence.
 *
 * Keeps running totals (requests, tokens, USD, unpriced requests) per
 * client key, per target id and per route, and enforces per-client limits:
 * requests per minute, tokens per minute, and a daily and monthly USD
 * budget. Totals and the current day's / month's spend survive restarts
 * through usage_save() / usage_load().
 *
 * Indexes: a client is an index into cfg.clients, or USAGE_ANON (-1) for
 * requests without a client key (one shared slot); a target is the dense
 * id config.c gives each (provider, model) (cfg_target.tid); a route is
 * an index into the config's routes, or -1 for none. Out-of-range indexes
 * are ignored.
 *
 * Time: every function takes the current time as unix seconds (UTC) from
 * the caller; nothing here reads a clock, so tests control time.
 *
 * Rate windows: fixed 60-second windows aligned to the minute (now / 60),
 * with the previous window weighted by the part of it that still overlaps
 * the last 60 seconds: estimate = prev * (60 - s) / 60 + cur, s = seconds
 * into the current window. This is the usual sliding-window approximation:
 * no burst of 2x the limit across a window edge, O(1) memory per client.
 * Budgets: calendar day and month in UTC; the spend resets at 00:00 UTC and
 * on the 1st of the month. The request that crosses a budget completes
 * (its cost is only known afterwards); the next ones are refused.
 * Unpriced requests add no USD, so they cannot trip a budget: they are
 * counted apart (usage_totals.unpriced) and the caller logs them.
 *
 * Memory: usage_init() allocates every table once; nothing else allocates.
 * Blocking: only usage_save() and usage_load() do file I/O (open, write,
 * fsync, rename). main.c calls usage_load() at start-up and usage_save()
 * from a timer at most every flush_interval and on SIGTERM/SIGHUP, never on
 * the request path; everything else is O(1) memory arithmetic.
 *
 * Reload (SIGHUP) with a config that adds, drops or reorders clients,
 * targets or routes: usage_save(dir, old names) -> usage_init(new counts)
 * -> usage_load(dir, new names). Records are matched by name, so totals
 * follow their client/target/route wherever it moved.
 */
#ifndef LLMGW_USAGE_H
#define LLMGW_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

#define USAGE_ANON (-1)		/* the anonymous client slot */
#define USAGE_FILE "usage.state"	/* in state_dir; temp file: USAGE_FILE ".tmp" */

struct usage_totals {
	uint64_t requests;
	uint64_t input;		/* prompt tokens, cached ones included (ir.h) */
	uint64_t cached;	/* of which read from a prompt cache */
	uint64_t output;	/* completion tokens, reasoning included */
	uint64_t unpriced;	/* requests whose cost is unknown (usd not added) */
	uint64_t estimated;	/* requests billed on an estimate (the client left early) */
	double usd;		/* priced requests only */
};

enum usage_kind { USAGE_CLIENT, USAGE_TARGET, USAGE_ROUTE };

/* Allocates the tables for nclients client keys (+1 anonymous slot),
 * ntargets target ids and nroutes routes, all zeroed, no limits. A second
 * call (reload) frees the old tables first: save before, load after.
 * Returns 0, or -1 when out of memory (the old tables are then gone too and
 * every call below is a no-op until a successful init). */
int usage_init(unsigned nclients, unsigned ntargets, unsigned nroutes);
void usage_free(void);

/* Per-client limits; 0 means unlimited. client may be USAGE_ANON. Counts
 * and spend so far are kept, so a reload that lowers a limit applies at
 * once. */
void usage_set_limits(int client, uint32_t rpm, uint64_t tpm, double daily_usd,
    double monthly_usd);

/* Admission: call once per client request, before any upstream attempt.
 * Returns 0 when the request may go, and then counts it toward requests
 * per minute. Returns 1 when a limit is reached: *retry_after_s gets the
 * whole seconds (>= 1) until that limit lets a request through again
 * assuming no further traffic, *which the limit's name: "requests per
 * minute", "tokens per minute", "daily budget" or "monthly budget". When
 * several are reached, the one that lasts longest is reported. Either out
 * pointer may be NULL. */
int usage_check(int client, int64_t now, int64_t *retry_after_s, const char **which);

/* Records one finished request (or a failed one that the provider billed):
 * u's tokens (input includes cached; NULL or !u->have: tokens unknown, the
 * request still counts), its cost usd when priced is nonzero, else it is
 * counted as unpriced; estimated nonzero counts it as billed on an estimate
 * too (an aborted request whose usage the provider never reported). Adds to
 * the client's, target's and route's totals, to the client's
 * tokens-per-minute window and day/month spend. A negative or non-finite
 * usd, or negative token counts, count as 0. */
void usage_record(int client, int target, int route, const struct ir_usage *u,
    double usd, int priced, int estimated, int64_t now);

/* Iteration for /metrics and /status. usage_count(USAGE_CLIENT) is
 * nclients + 1: index nclients is the anonymous slot. usage_get() returns
 * NULL past the end; the pointer stays valid until the next usage_init(). */
unsigned usage_count(enum usage_kind k);
const struct usage_totals *usage_get(enum usage_kind k, unsigned i);

/* The client's spend in the current UTC day and month at `now` (0 when the
 * stored period is over). Returns 0, or -1 for a bad index. */
int usage_spend(int client, int64_t now, double *day_usd, double *month_usd);

/* The names records are saved and matched under: clients[i] for client i,
 * targets[tid] ("provider/model"), routes[i]. The anonymous slot is saved
 * on its own record kind and needs no name. A NULL or empty name is not
 * saved. Names are written escaped, so any bytes are fine. */
struct usage_names {
	const char *const *clients;
	unsigned nclients;
	const char *const *targets;
	unsigned ntargets;
	const char *const *routes;
	unsigned nroutes;
};

/* Writes every total and each client's day/month spend to
 * dir/USAGE_FILE.tmp, fsyncs it, renames it over dir/USAGE_FILE and fsyncs
 * dir: a crash at any point leaves either the old or the new file, never a
 * mix. Returns 0, or -1 with a message in err (errlen bytes, may be 0) and
 * the old file untouched. Blocks on disk I/O: never call it on the request
 * path. */
int usage_save(const char *dir, const struct usage_names *names, int64_t now,
    char *err, size_t errlen);

/* Restores what usage_save() wrote, by name, adding to the current tables
 * (call it right after usage_init()). The whole file is validated first
 * (header, every line, the record count and checksum in the trailer): a
 * truncated or corrupt file is reported in err, nothing is applied, and -1
 * is returned; the caller logs it and runs with zeroed totals. A missing
 * file is not an error (first start): 0, nothing loaded. Records whose name
 * no longer exists are dropped and counted in *dropped (may be NULL). */
int usage_load(const char *dir, const struct usage_names *names, unsigned *dropped,
    char *err, size_t errlen);

#endif
