/*
 * metrics.h - the gateway's counters and the Prometheus text exposition
 * (format 0.0.4) served at GET /metrics.
 *
 * Two kinds of data end up on the page:
 *   - counters kept here, incremented by the request path (api.c/proxy.c):
 *     client requests by dialect and status class, errors by class,
 *     upstream attempts and failovers, request latency / time-to-first-token
 *     histograms, and per-target latency / TTFT histograms;
 *   - state owned by other modules, read at render time: per-target breaker
 *     state and failures by kind (health_get), tokens and USD per client,
 *     target and route (usage_get, usage_spend), and what the caller passes
 *     in struct metrics_runtime (open connections, memory in use).
 *
 * Names are llmgw_*; durations are exposed in seconds (Prometheus' base
 * unit) with the fixed buckets 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 +Inf
 * (50 ms .. 60 s). Config names (client names, "provider/model" target
 * names, route names) become label values, escaped (\\, \", \n) and forced
 * to valid UTF-8. Every series is written on every render, zero or not, so
 * the page's shape depends only on the config (see metrics_render_bound).
 *
 * Memory: metrics_init() allocates the per-target histograms (the only
 * allocation); the global counters are static and survive a reload (so
 * Prometheus sees no counter reset on SIGHUP), the per-target histograms
 * start again from zero (target ids may mean other targets after a reload).
 * Nothing blocks, nothing reads a clock, nothing logs.
 */
#ifndef LLMGW_METRICS_H
#define LLMGW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "providers.h"

#define METRICS_NDIALECTS 3		/* enum dialect */
#define METRICS_NBUCKETS 11		/* histogram buckets, +Inf included */

/* Status classes of client answers. 1xx-3xx count as 2xx (the gateway
 * answers none but 200 there); anything outside 100..599 (no answer: the
 * client went away) counts as 5xx. */
enum metrics_class { METRICS_2XX, METRICS_4XX, METRICS_5XX, METRICS_NCLASSES };

/* Error classes (label class= of llmgw_errors_total). */
enum metrics_error {
	METRICS_ERR_BAD_REQUEST,	/* 400, 404, 405, 413, 431, 501: the request's fault */
	METRICS_ERR_AUTH,		/* 401/403: missing/bad client key, not allowed */
	METRICS_ERR_LIMIT,		/* 429 from a client budget / rate limit */
	METRICS_ERR_UPSTREAM,		/* the provider failed and no failover helped (502) */
	METRICS_ERR_TIMEOUT,		/* 408 or an upstream timeout (504) */
	METRICS_ERR_UNAVAILABLE,	/* 503: no healthy target, busy, shutting down */
	METRICS_ERR_STREAM,		/* in-band error after the first token was sent */
	METRICS_ERR_INTERNAL,		/* 500: the gateway's own fault */
	METRICS_NERRORS
};

/* Why a connection was closed at accept (label reason= of
 * llmgw_connections_refused_total). */
enum metrics_refused {
	METRICS_REFUSED_ACL,		/* the peer is outside allow_cidr */
	METRICS_REFUSED_MAX_CONNECTIONS,/* max_connections open already (503) */
	METRICS_REFUSED_TLS_POOL,	/* max_tls_connections TLS connections open already */
	METRICS_NREFUSED
};

/* Bucket i holds observations v with bound[i-1] < v <= bound[i] (NOT
 * cumulative: the renderer sums); the last bucket is +Inf. */
struct metrics_hist {
	uint64_t bucket[METRICS_NBUCKETS];
	uint64_t count;
	uint64_t sum_ms;
};

/* The gateway-wide counters (static; survive metrics_init()). */
struct metrics_counters {
	uint64_t requests[METRICS_NDIALECTS][METRICS_NCLASSES];
	uint64_t errors[METRICS_NERRORS];
	uint64_t attempts;		/* upstream attempts, all requests */
	uint64_t failovers;		/* attempts after the first one */
	uint64_t heads_dropped;		/* partial request heads dropped for room (server.c) */
	uint64_t refused[METRICS_NREFUSED];	/* connections closed at accept */
	struct metrics_hist latency;	/* client request, start to last byte */
	struct metrics_hist ttft;	/* client request, start to first token */
};

/* What only the server side knows (api.c fills it), passed at render time. */
struct metrics_runtime {
	unsigned open_connections;	/* client connections (gw.nclients) */
	unsigned active_requests;	/* exchanges in use (gw.nactive) */
	unsigned upstream_connections;	/* provider connections, pooled ones included */
	unsigned long long rss_bytes;	/* memory in use (resident set), 0: unknown */
	int64_t start_unix;		/* when the daemon started (unix s); 0: unknown */
	unsigned long long reloads;	/* successful config reloads */
};

/* Allocates the per-target histograms for ntargets target ids (zeroed),
 * freeing the previous ones. 0, or -1 when out of memory (per-target
 * observations are then dropped and rendered as zero). */
int metrics_init(unsigned ntargets);
void metrics_free(void);
/* Zeroes the gateway-wide counters too (tests). */
void metrics_reset(void);

enum metrics_class metrics_class_of(int status);
/* The error class of a client answer's status (0 for 2xx/3xx: none);
 * a stream's in-band error is METRICS_ERR_STREAM, counted by the caller. */
int metrics_error_of_status(int status, enum metrics_error *out);
/* "bad_request", "auth", "limit", "upstream", "timeout", "unavailable",
 * "stream", "internal". */
const char *metrics_error_name(enum metrics_error e);

/* One client request, counted when its answer is complete: the client's
 * dialect, the status sent (0: none, the client went away), upstream
 * attempts made (0 when none: an error before routing), failovers (attempts
 * beyond the first), whole-request latency and time to the first content
 * byte (negative: no sample; TTFT only for answers that had content).
 * A status of 400 or more also counts an error of its class; an in-band
 * stream error goes through metrics_count_error(METRICS_ERR_STREAM). */
void metrics_count_request(enum dialect d, int status, unsigned attempts, unsigned failovers,
    int64_t latency_ms, int64_t ttft_ms);
void metrics_count_error(enum metrics_error e);
/* A connection closed while its request head was still arriving, to make
 * room for another (max_partial_heads, max_partial_heads_per_ip). */
void metrics_count_head_dropped(void);
/* A connection closed at accept, for that reason. */
void metrics_count_refused(enum metrics_refused r);
/* One upstream attempt's timings on target tid (negative: no sample).
 * Call it for attempts that got an answer (success or HTTP error);
 * failures by kind come from health.c. */
void metrics_observe_target(unsigned tid, int64_t latency_ms, int64_t ttft_ms);
void metrics_hist_observe(struct metrics_hist *h, int64_t ms);

const struct metrics_counters *metrics_counters(void);
/* Target tid's latency (ttft == 0) or TTFT histogram; NULL out of range. */
const struct metrics_hist *metrics_target_hist(unsigned tid, int ttft);
/* The bucket bounds in ms (METRICS_NBUCKETS - 1 of them; +Inf is last). */
extern const unsigned metrics_bucket_ms[METRICS_NBUCKETS - 1];

/*
 * Writes the exposition into buf[0..cap) (no NUL terminator) and returns
 * its full length. A return value > cap means it did not fit: buf holds
 * only a prefix (cut anywhere) and must not be served; retry with a buffer
 * of at least the returned size (or metrics_render_bound()). buf may be
 * NULL when cap is 0 (measure only). rt may be NULL (runtime gauges 0).
 * now_ms is the monotonic clock (health), now_unix the wall clock (budget
 * periods). Content-Type: "text/plain; version=0.0.4; charset=utf-8".
 */
size_t metrics_render(char *buf, size_t cap, const struct cfg *cfg, const struct metrics_runtime *rt,
    int64_t now_ms, int64_t now_unix);
/* An upper bound of metrics_render()'s length for this config, whatever
 * the counters hold (every number at its widest): size the /metrics
 * buffer with it at start-up and after each reload. */
size_t metrics_render_bound(const struct cfg *cfg);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * The bounded writer metrics.c and status.c render with. It never writes
 * past cap but keeps counting, so len ends as the full length wanted
 * (len > cap: it did not fit). In bound mode (buf NULL) every variable
 * piece also adds to slack what it could grow to at most, so len + slack
 * bounds any later render of the same config.
 */
struct metrics_out {
	char *buf;
	size_t cap, len, slack;
	int bound;
};
enum metrics_esc {
	METRICS_ESC_NONE,		/* bytes as they are (valid UTF-8 enforced) */
	METRICS_ESC_LABEL,		/* Prometheus label value: \\ \" \n */
	METRICS_ESC_JSON,		/* JSON string body (no quotes) */
	METRICS_ESC_HTML		/* & < > " ' as entities */
};
void metrics_out_init(struct metrics_out *o, char *buf, size_t cap, int bound);
void metrics_out_mem(struct metrics_out *o, const char *p, size_t n);
void metrics_out_str(struct metrics_out *o, const char *s);
/* Text from the config or a client: escaped for esc, invalid UTF-8 bytes
 * replaced by U+FFFD, control bytes other than \n dropped for LABEL/HTML
 * (JSON escapes them). NULL writes nothing. */
void metrics_out_text(struct metrics_out *o, const char *s, enum metrics_esc esc);
void metrics_out_u64(struct metrics_out *o, uint64_t v);
void metrics_out_i64(struct metrics_out *o, int64_t v);
/* Shortest %.15g/%.16g/%.17g that reads back as v; NaN and infinities as 0. */
void metrics_out_double(struct metrics_out *o, double v);
/* printf into the writer; maxw is the widest this piece can ever be
 * (bound mode adds maxw - its length to slack). */
void metrics_out_fmt(struct metrics_out *o, size_t maxw, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A string that varies at run time (a state name): maxw as above. */
void metrics_out_var(struct metrics_out *o, const char *s, size_t maxw);

#endif
