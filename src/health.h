/*
 * health.h - per-target health: a circuit breaker fed by real traffic and
 * by probes, rate-limit cool-downs, bad-credential marks, latency averages,
 * and the parser for the retry hints providers send with 429/503/529.
 *
 * A target is a dense id 0..ntargets-1 (config's target id). All state
 * lives in one table allocated by health_init(); nothing else allocates.
 * The module never reads a clock: every call takes `now`, a monotonic time
 * in milliseconds (loop_now()), and the retry-hint parser takes the unix
 * time in seconds for absolute dates. Nothing blocks; nothing logs (calls
 * that change what health_state() reports return 1 so the caller can log
 * the change once).
 *
 * The breaker, per target:
 *   CLOSED     admits everything. Opens after `failures` consecutive
 *              failures, or when the recent window (`window_ms`, in ten
 *              buckets) holds at least `min_requests` outcomes of which at
 *              least `ratio` failed.
 *   OPEN       admits nothing until the cool-down ends: `cooldown_ms` the
 *              first time, doubled each time a half-open trial fails, up to
 *              `cooldown_max_ms`; a close resets it.
 *   HALF_OPEN  admits exactly one trial request (health_admit() says yes
 *              once). Its success closes the breaker; its failure opens it
 *              again with the doubled cool-down; health_cancel() (no
 *              verdict) or `trial_timeout_ms` without one frees the slot
 *              for another trial.
 * Failure kinds (enum health_kind):
 *   connect, TLS, timeout, 5xx, overloaded (529), bad response (a 200 that
 *   is empty, not JSON, or carries an error) feed the breaker.
 *   Rate limited (429) does NOT feed the breaker: a rate limit is the
 *   provider working and saying when to come back. The target is cooled
 *   (never admitted) until the hint passed to health_failure() (see
 *   health_retry_hint()); without a hint, for `rate_limit_ms`, doubled for
 *   each further 429 in a row up to `cooldown_max_ms`, so a provider that
 *   keeps refusing without saying why is backed off exponentially anyway.
 *   A hint given with any other failure kind (a 503 with Retry-After) also
 *   cools the target until then, besides counting for the breaker.
 *   Auth (401/403) marks the target's credential rejected: never admitted,
 *   never probed, never a fallback, until health_reset_credentials()
 *   (config reload). It does not feed the breaker.
 * A success or failure that arrives while the breaker is OPEN (a request
 * admitted before it opened) is counted but changes nothing: only the
 * half-open trial (or the probe rule below) moves an open breaker.
 *
 * Probes (a free list-models call on a timer). health_probe_due() is the
 * monotonic time the next probe is due: `probe_interval_ms` after the last
 * probe or real outcome, or `probe_interval_open_ms` while the breaker is
 * not closed or the last probe failed; never before a rate-limit cool-down
 * ends; never while the credential is rejected. A failed probe of a closed
 * breaker counts as a failure (so an idle dead provider opens within
 * about probe_interval + (failures - 1) * probe_interval_open); of an open
 * one, it keeps it open for at least the current cool-down; of a half-open
 * one, it opens it again (without doubling). A successful probe of an
 * open breaker whose last failure was a transport failure (connect, TLS,
 * timeout) moves it to HALF_OPEN at once, not straight to CLOSED: the
 * provider answers again, but only a real request proves the model works.
 * After an HTTP-level failure (5xx, 529, bad response) a listing that works
 * proves little (an overloaded model still lists), so the cool-down runs
 * its course. Probes are counted apart from requests.
 *
 * Call protocol for the request path: ask health_admit() only for the
 * target you are about to use (it takes the half-open trial slot); then
 * report exactly one of health_success(), health_failure() or
 * health_cancel() for that attempt, as soon as the verdict is known (for a
 * stream: at the first content token, or the failure before it).
 */
#ifndef LLMGW_HEALTH_H
#define LLMGW_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include "http.h"
#include "json.h"

#define HEALTH_NEVER INT64_MIN		/* last_* times when it never happened */
#define HEALTH_RETRY_MAX_MS 3600000	/* retry hints are capped at one hour */

enum health_kind {
	HEALTH_FAIL_CONNECT,		/* refused, unreachable, DNS failure */
	HEALTH_FAIL_TLS,		/* handshake or certificate failure */
	HEALTH_FAIL_TIMEOUT,		/* connect, first byte or idle timeout */
	HEALTH_FAIL_5XX,		/* 500..599 other than 529 */
	HEALTH_FAIL_OVERLOADED,		/* 529 / overloaded_error */
	HEALTH_FAIL_BAD_RESPONSE,	/* 200 that is empty, non-JSON or an error */
	HEALTH_FAIL_RATE_LIMITED,	/* 429 */
	HEALTH_FAIL_AUTH,		/* 401 / 403: the credential was refused */
	HEALTH_NKINDS
};

enum health_state {
	HEALTH_ST_CLOSED,
	HEALTH_ST_HALF_OPEN,
	HEALTH_ST_OPEN,
	HEALTH_ST_COOLING,		/* rate-limit (or hinted) cool-down running */
	HEALTH_ST_CRED_BAD		/* credential rejected until reload */
};

/* Zero fields take the defaults. */
struct health_options {
	unsigned failures;		/* consecutive failures that open; default 5 */
	double ratio;			/* failed share of the window that opens; default 0.5; > 1 disables */
	unsigned min_requests;		/* outcomes in the window before the ratio counts; default 10 */
	unsigned window_ms;		/* default 60000 */
	unsigned cooldown_ms;		/* first open; default 10000 */
	unsigned cooldown_max_ms;	/* cap of the doubling; default 300000 */
	unsigned rate_limit_ms;		/* 429 without a hint; default 5000 */
	unsigned trial_timeout_ms;	/* half-open trial without a verdict; default 120000 */
	unsigned probe_interval_ms;	/* default 60000 */
	unsigned probe_interval_open_ms; /* while not closed; default 10000 */
	double ewma_alpha;		/* weight of a new latency sample; default 0.2 */
};

/* A snapshot for /metrics and /status. */
struct health_info {
	enum health_state state;	/* as health_state() */
	enum health_state breaker;	/* CLOSED, HALF_OPEN or OPEN only */
	unsigned consecutive_failures;
	int64_t open_until;		/* end of the open cool-down (monotonic ms) */
	int64_t cooled_until;		/* end of a rate-limit cool-down; <= now when none */
	int64_t cooldown_ms;		/* current backoff step; 0 while closed and never opened since */
	int64_t last_success, last_failure; /* monotonic ms or HEALTH_NEVER */
	double latency_ms, ttft_ms;	/* EWMA; -1 before the first sample */
	uint32_t window_requests, window_failures;
	uint64_t requests, successes, failures[HEALTH_NKINDS];
	uint64_t entered[3];		/* times the breaker entered CLOSED, HALF_OPEN, OPEN */
	uint64_t probes, probe_failures;
};

/* Allocates the table for ntargets targets (all closed, no history) and
 * takes the options (o may be NULL). Frees any previous table first, so a
 * reload with a different target count calls it again. 0, or -1 when the
 * allocation fails (the previous table is gone either way). */
int health_init(unsigned ntargets, const struct health_options *o);
void health_free(void);
unsigned health_ntargets(void);

/* May target t take a request now? Takes the half-open trial slot when it
 * says yes in HALF_OPEN (an expired open cool-down becomes HALF_OPEN here).
 * 0 for an id out of range. */
int health_admit(unsigned t, int64_t now);
/* Whether health_admit() would say yes, without taking anything. */
int health_ready(unsigned t, int64_t now);

/* Outcomes of an admitted request. latency_ms is the whole response time,
 * ttft_ms the time to the first content byte/token; a negative value means
 * "no sample" and leaves that average alone. retry_ms is a provider hint
 * (health_retry_hint()), -1 for none; capped at HEALTH_RETRY_MAX_MS. Each
 * returns 1 when health_state(t, now) changed (log it), else 0. */
int health_success(unsigned t, int64_t now, int64_t latency_ms, int64_t ttft_ms);
int health_failure(unsigned t, int64_t now, enum health_kind kind, int64_t retry_ms);
/* An admitted request that ended without a verdict about the target (the
 * client went away, the request itself was bad: a 400). Frees the trial. */
void health_cancel(unsigned t, int64_t now);
/* Cools t until now + ms without counting a failure (a 2xx whose headers
 * say a limit is exhausted). Returns 1 when the state changed. */
int health_cool(unsigned t, int64_t now, int64_t ms);
/* When t's cool-down ends (monotonic ms; HEALTH_NEVER or a time <= now:
 * none runs), and in *rate_limited whether a 429 started it (else a hinted
 * 5xx). A rejected credential has none: that target is not coming back. */
int64_t health_cooled_until(unsigned t, int *rate_limited);
/* Clears every rejected-credential mark (config reload). */
void health_reset_credentials(void);

/* When no target of a route is admitted: the position in targets[0..n) of
 * the one that failed longest ago (ties to the earlier position), skipping
 * rejected credentials, running cool-downs and ids out of range; -1 when
 * none is left. A target that health_admit() would take wins outright (the
 * first such, admitted as by health_admit()). Otherwise the chosen target
 * is treated as a half-open trial (an open breaker becomes HALF_OPEN with
 * the trial taken), so its success closes it; report its outcome as usual. */
int health_pick_fallback(const unsigned *targets, size_t n, int64_t now);

/* The reported state: CRED_BAD, else COOLING while a cool-down runs, else
 * the breaker (OPEN reads HALF_OPEN once its cool-down has ended). */
enum health_state health_state(unsigned t, int64_t now);
/* "closed", "half-open", "open", "rate-limited", "credential rejected". */
const char *health_state_name(enum health_state s);
/* "connect", "tls", "timeout", "5xx", "overloaded", "bad_response",
 * "rate_limited", "auth": stable metric labels. */
const char *health_kind_name(enum health_kind k);
/* The failure kind an upstream HTTP status stands for: 401/403 auth, 408
 * timeout, 429 rate limited, 529 overloaded, other 5xx 5xx; -1 for the
 * rest (2xx needs a body check; other 4xx are the request's fault). */
int health_kind_for_status(int status);

/* EWMA of latency / time to first token in ms, -1 before any sample. */
double health_latency(unsigned t);
double health_ttft(unsigned t);
void health_get(unsigned t, int64_t now, struct health_info *out);

/* Probing: see the top of this file. health_probe_due() returns the
 * monotonic ms when the next probe is due (<= now: probe now; INT64_MAX:
 * never, credential rejected). health_probe_start() records that one was
 * sent; health_probe_ok()/health_probe_failed() feed its result (retry_ms
 * as for health_failure()). They return 1 when health_state() changed. */
int64_t health_probe_due(unsigned t, int64_t now);
void health_probe_start(unsigned t, int64_t now);
int health_probe_ok(unsigned t, int64_t now);
int health_probe_failed(unsigned t, int64_t now, enum health_kind kind, int64_t retry_ms);

/*
 * Retry hints. Returns the delay in ms a response asks for before the next
 * request, capped at HEALTH_RETRY_MAX_MS, 0 for "now" (a date in the past),
 * or -1 when it carries no usable hint. The largest applicable hint wins:
 *   retry-after-ms        decimal milliseconds ("1500", "1500.5")
 *   retry-after           decimal seconds ("30", "1.5") or an HTTP-date
 *                         (IMF-fixdate, RFC 850 or asctime form)
 *   x-ratelimit-reset-{requests,tokens}  (OpenAI) Go durations ("12ms",
 *                         "6m0s", "1h2m3.5s"), when the matching
 *                         x-ratelimit-remaining-* is 0
 *   anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset
 *                         RFC 3339 times, when the matching -remaining is 0
 *   body error.details[] with "@type" ending in "RetryInfo": "retryDelay"
 *                         ("37s", "1.5s", or {"seconds":..,"nanos":..});
 *                         the body is read only for status >= 400, as a
 *                         JSON object or an array whose first element is one.
 * On a 429 that has none of these, the earliest reset header present (any
 * remaining) is used: the earliest moment a limit refills.
 * Absolute times are measured against the response's Date header when it
 * has a valid one (both are the provider's clock, so a router whose clock
 * is wrong still gets the right delay), else against now_unix.
 * Values fractional below a millisecond round up. Anything malformed
 * (signs, missing units, trailing bytes, impossible dates, values longer
 * than 64 bytes) is no hint, never an error. body may be NULL; tok/maxtok
 * is the caller's token array for json_parse() (a body needing more tokens
 * gives no body hint). Nothing allocated; reads only the given bytes.
 */
int64_t health_retry_hint(int status, const struct http_header *h, size_t nh,
			  const char *body, size_t body_len, int64_t now_unix,
			  jsmntok_t *tok, int maxtok);

/* The pieces, exported for tests and fuzzing. Durations return ms (rounded
 * up, capped at HEALTH_RETRY_MAX_MS) or -1. */
int64_t health_parse_seconds(const char *s, size_t n);		/* "30", "1.5" */
int64_t health_parse_millis(const char *s, size_t n);		/* "1500", "1500.5" */
int64_t health_parse_go_duration(const char *s, size_t n);	/* "1h2m3.5s", "0" */
/* Absolute times to unix milliseconds; 0 or -1. */
int health_parse_http_date(const char *s, size_t n, int64_t *unix_ms);
int health_parse_rfc3339(const char *s, size_t n, int64_t *unix_ms);

#endif
