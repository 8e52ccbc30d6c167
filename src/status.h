/*
 * status.h - the status page: GET /status (a small self-contained HTML
 * page: inline CSS, no scripts, no external assets, readable on a phone)
 * and GET /status.json (the same data as JSON).
 *
 * Both come from one walk over the config and the health/usage tables that
 * builds a row per target, route and client and hands each to the JSON or
 * the HTML writer, so the two never disagree. What is shown:
 *   gateway  version, price table date, uptime, open connections, active
 *            requests, memory in use;
 *   targets  every route/target-section target, plus a provider's "other"
 *            bucket (provider/\*) once it has seen traffic: name, provider,
 *            model, health state, up, latency and TTFT averages (EWMA, ms),
 *            requests and failures (health.c), priced, prices, quality,
 *            USD and tokens (usage.c);
 *   routes   name, strategy, min quality, targets in order, requests, USD;
 *   clients  every client key, plus the anonymous slot when anonymous
 *            access is on or it has seen traffic: requests, USD today /
 *            this month (UTC) / total, budgets, tokens.
 * Every name is escaped for its context (JSON string, HTML text).
 *
 * Nothing allocates, blocks, logs or reads a clock: now_ms is the monotonic
 * time health.c runs on, now_unix the wall clock (uptime, budget periods).
 */
#ifndef LLMGW_STATUS_H
#define LLMGW_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "metrics.h"

#define STATUS_HTML_TYPE "text/html; charset=utf-8"
#define STATUS_JSON_TYPE "application/json"

/* Each writes its document into buf[0..cap) (no NUL terminator) and
 * returns its full length; a return value > cap means it did not fit and
 * buf holds only a prefix that must not be served. buf may be NULL with
 * cap 0 (measure only). rt may be NULL (runtime figures shown as 0 /
 * unknown). */
size_t status_render_json(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix);
size_t status_render_html(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix);
/* An upper bound of both documents' length for this config, whatever the
 * tables hold: size the buffer with it at start-up and after a reload. */
size_t status_render_bound(const struct cfg *cfg);

#endif
