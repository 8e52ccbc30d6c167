/*
 * health.c - per-target circuit breakers, cool-downs, latency averages and
 * the retry-hint parser. See health.h for the rules.
 *
 * Owns one table of struct target, allocated by health_init() and freed by
 * health_free()/the next health_init(); no other allocation. Pure logic:
 * no clock, no I/O, nothing blocks.
 */
#include "fmt.h"
#include "health.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 10		/* the failure-ratio window, in buckets */
#define NSTATES 3		/* breaker states: CLOSED, HALF_OPEN, OPEN */
#define MAX_VALUE 64		/* longest header value a hint parser reads */

struct bucket {
	int64_t epoch;		/* now / bucket width when last written */
	uint32_t req, fail;
};

struct target {
	enum health_state breaker;	/* CLOSED, HALF_OPEN or OPEN */
	int cred_bad;
	int trial_busy;
	int probe_bad;			/* the last probe failed */
	enum health_kind last_kind;	/* of the last breaker failure */
	unsigned consec;
	unsigned rl_streak;		/* 429s in a row */
	int64_t trial_deadline;
	int64_t open_until;
	int64_t cooldown;		/* current backoff step, 0 = none yet */
	int64_t cooled_until;
	int64_t last_success, last_failure;
	int64_t last_probe, last_outcome;
	double lat, ttft;		/* EWMA, -1 = no sample */
	struct bucket win[NBUCKETS];
	uint64_t requests, successes, failures[HEALTH_NKINDS];
	uint64_t entered[NSTATES];
	uint64_t probes, probe_failures;
};

static struct target *tab;
static unsigned ntab;
static struct health_options opt;

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* now + d without overflow (now may be anything a clock gives). */
static int64_t add_ms(int64_t now, int64_t d)
{
	if (d > 0 && now > INT64_MAX - d)
		return INT64_MAX;
	return now + d;
}

/* Defaults of the unsigned options from min_requests to
 * probe_interval_open_ms, in the order struct health_options declares them
 * (consecutive unsigned members: no padding between them). */
static const uint32_t defaults[] = { 10, 60000, 10000, 300000, 5000, 120000, 60000, 10000 };
#define DEF_FIRST offsetof(struct health_options, min_requests)
_Static_assert(offsetof(struct health_options, probe_interval_open_ms) ==
	       DEF_FIRST + 7 * sizeof(unsigned), "health_options layout");

int health_init(unsigned ntargets, const struct health_options *o)
{
	health_free();
	memset(&opt, 0, sizeof(opt));
	if (o)
		opt = *o;
	if (!opt.failures) opt.failures = 5;
	for (size_t k = 0; k < sizeof(defaults) / sizeof(defaults[0]); k++) {
		unsigned *f = (unsigned *)((char *)&opt + DEF_FIRST + k * sizeof(unsigned));
		if (!*f)
			*f = defaults[k];
	}
	if (!(opt.ratio > 0)) opt.ratio = 0.5;
	if (opt.cooldown_max_ms < opt.cooldown_ms) opt.cooldown_max_ms = opt.cooldown_ms;
	if (!(opt.ewma_alpha > 0 && opt.ewma_alpha <= 1)) opt.ewma_alpha = 0.2;

	if (ntargets) {
		tab = calloc(ntargets, sizeof(*tab));
		if (!tab)
			return -1;
	}
	ntab = ntargets;
	for (unsigned i = 0; i < ntab; i++) {
		struct target *x = &tab[i];
		x->breaker = HEALTH_ST_CLOSED;
		x->cooled_until = HEALTH_NEVER;
		x->last_success = x->last_failure = HEALTH_NEVER;
		x->last_probe = x->last_outcome = HEALTH_NEVER;
		x->lat = x->ttft = -1;
		for (int b = 0; b < NBUCKETS; b++)
			x->win[b].epoch = HEALTH_NEVER;
	}
	return 0;
}

void health_free(void)
{
	free(tab);
	tab = NULL;
	ntab = 0;
}

unsigned health_ntargets(void) { return ntab; }

static struct target *get(unsigned t) { return t < ntab ? &tab[t] : NULL; }

/* ---- the failure-ratio window ---- */

static int64_t bucket_width(void)
{
	int64_t w = opt.window_ms / NBUCKETS;
	return w > 0 ? w : 1;
}

static int64_t epoch_of(int64_t now)
{
	int64_t w = bucket_width(), e = now / w;
	if (now % w < 0)
		e--;		/* floor, for clocks that start below zero */
	return e;
}

static void win_add(struct target *x, int64_t now, int failed)
{
	int64_t e = epoch_of(now);
	struct bucket *b = &x->win[((e % NBUCKETS) + NBUCKETS) % NBUCKETS];
	if (b->epoch != e) {
		b->epoch = e;
		b->req = b->fail = 0;
	}
	if (b->req < UINT32_MAX) {
		b->req++;
		b->fail += failed != 0;
	}
}

static void win_sum(const struct target *x, int64_t now, uint32_t *req, uint32_t *fail)
{
	int64_t e = epoch_of(now);
	uint64_t r = 0, f = 0;
	for (int i = 0; i < NBUCKETS; i++) {
		const struct bucket *b = &x->win[i];
		if (b->epoch != HEALTH_NEVER && b->epoch <= e && b->epoch > e - NBUCKETS) {
			r += b->req;
			f += b->fail;
		}
	}
	*req = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
	*fail = f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
}

static void win_clear(struct target *x)
{
	for (int b = 0; b < NBUCKETS; b++) {
		x->win[b].epoch = HEALTH_NEVER;
		x->win[b].req = x->win[b].fail = 0;
	}
}

/* ---- breaker transitions ---- */

static void enter(struct target *x, enum health_state s)
{
	x->breaker = s;
	x->entered[s]++;
}

/* Opens the breaker. A reopen (failed trial) doubles the backoff step;
 * an open from CLOSED starts from cooldown_ms. */
static void trip(struct target *x, int64_t now, int reopen)
{
	if (reopen && x->cooldown > 0)
		x->cooldown = min64(x->cooldown * 2, opt.cooldown_max_ms);
	else
		x->cooldown = opt.cooldown_ms;
	x->open_until = add_ms(now, x->cooldown);
	x->trial_busy = 0;
	enter(x, HEALTH_ST_OPEN);
}

static void close_breaker(struct target *x)
{
	x->cooldown = 0;
	x->consec = 0;
	x->trial_busy = 0;
	win_clear(x);
	enter(x, HEALTH_ST_CLOSED);
}

static void cool(struct target *x, int64_t now, int64_t ms)
{
	if (ms < 0)
		return;
	x->cooled_until = max64(x->cooled_until, add_ms(now, min64(ms, HEALTH_RETRY_MAX_MS)));
}

int64_t health_cooled_until(unsigned t, int *rate_limited)
{
	struct target *x = get(t);
	*rate_limited = x && x->rl_streak > 0;
	return x && !x->cred_bad ? x->cooled_until : HEALTH_NEVER;
}

static enum health_state state_of(const struct target *x, int64_t now)
{
	if (x->cred_bad)
		return HEALTH_ST_CRED_BAD;
	if (x->cooled_until > now)
		return HEALTH_ST_COOLING;
	if (x->breaker == HEALTH_ST_OPEN && now >= x->open_until)
		return HEALTH_ST_HALF_OPEN;
	return x->breaker;
}

enum health_state health_state(unsigned t, int64_t now)
{
	struct target *x = get(t);
	return x ? state_of(x, now) : HEALTH_ST_OPEN;
}

static int ready(const struct target *x, int64_t now)
{
	if (x->cred_bad || x->cooled_until > now)
		return 0;
	switch (x->breaker) {
	case HEALTH_ST_CLOSED:
		return 1;
	case HEALTH_ST_OPEN:
		return now >= x->open_until;
	case HEALTH_ST_HALF_OPEN:
		return !x->trial_busy || now >= x->trial_deadline;
	default:
		return 0;
	}
}

int health_ready(unsigned t, int64_t now)
{
	struct target *x = get(t);
	return x && ready(x, now);
}

static void take_trial(struct target *x, int64_t now)
{
	if (x->breaker == HEALTH_ST_OPEN)
		enter(x, HEALTH_ST_HALF_OPEN);
	if (x->breaker == HEALTH_ST_HALF_OPEN) {
		x->trial_busy = 1;
		x->trial_deadline = add_ms(now, opt.trial_timeout_ms);
	}
}

int health_admit(unsigned t, int64_t now)
{
	struct target *x = get(t);
	if (!x || !ready(x, now))
		return 0;
	take_trial(x, now);
	return 1;
}

static void ewma(double *avg, int64_t sample)
{
	if (sample < 0)
		return;
	if (*avg < 0)
		*avg = (double)sample;
	else
		*avg += opt.ewma_alpha * ((double)sample - *avg);
}

int health_success(unsigned t, int64_t now, int64_t latency_ms, int64_t ttft_ms)
{
	struct target *x = get(t);
	if (!x)
		return 0;
	enum health_state before = state_of(x, now);
	x->requests++;
	x->successes++;
	x->last_success = x->last_outcome = now;
	x->consec = 0;
	x->rl_streak = 0;
	win_add(x, now, 0);
	ewma(&x->lat, latency_ms);
	ewma(&x->ttft, ttft_ms);
	if (x->breaker == HEALTH_ST_HALF_OPEN)
		close_breaker(x);
	return state_of(x, now) != before;
}

/* A failure that feeds the breaker (not 429, not auth). */
static void breaker_failure(struct target *x, int64_t now, enum health_kind kind)
{
	uint32_t req, fail;

	x->last_kind = kind;
	if (x->consec < UINT32_MAX)
		x->consec++;
	win_add(x, now, 1);
	switch (x->breaker) {
	case HEALTH_ST_CLOSED:
		win_sum(x, now, &req, &fail);
		if (x->consec >= opt.failures ||
		    (req >= opt.min_requests && (double)fail >= opt.ratio * (double)req))
			trip(x, now, 0);
		break;
	case HEALTH_ST_HALF_OPEN:
		trip(x, now, 1);
		break;
	default:
		break;		/* OPEN: a straggler admitted before it opened */
	}
}

static void other_failure(struct target *x, int64_t now, enum health_kind kind, int64_t retry_ms)
{
	x->last_failure = now;
	if (kind == HEALTH_FAIL_AUTH) {
		x->cred_bad = 1;
		x->trial_busy = 0;
	} else if (kind == HEALTH_FAIL_RATE_LIMITED) {
		if (x->rl_streak < 32)
			x->rl_streak++;
		if (retry_ms < 0) {
			int64_t d = opt.rate_limit_ms;
			for (unsigned i = 1; i < x->rl_streak && d < opt.cooldown_max_ms; i++)
				d *= 2;
			retry_ms = min64(d, max64(opt.cooldown_max_ms, opt.rate_limit_ms));
		}
		cool(x, now, retry_ms);
		x->trial_busy = 0;	/* the trial proved nothing; the next one may go */
	} else {
		cool(x, now, retry_ms);
		breaker_failure(x, now, kind);
	}
}

int health_failure(unsigned t, int64_t now, enum health_kind kind, int64_t retry_ms)
{
	struct target *x = get(t);
	if (!x || (unsigned)kind >= HEALTH_NKINDS)
		return 0;
	enum health_state before = state_of(x, now);
	x->requests++;
	x->failures[kind]++;
	x->last_outcome = now;
	other_failure(x, now, kind, retry_ms);
	return state_of(x, now) != before;
}

void health_cancel(unsigned t, int64_t now)
{
	struct target *x = get(t);
	if (x && x->breaker == HEALTH_ST_HALF_OPEN)
		x->trial_busy = 0;
}

int health_cool(unsigned t, int64_t now, int64_t ms)
{
	struct target *x = get(t);
	if (!x)
		return 0;
	enum health_state before = state_of(x, now);
	cool(x, now, ms);
	return state_of(x, now) != before;
}

void health_reset_credentials(void)
{
	for (unsigned i = 0; i < ntab; i++)
		tab[i].cred_bad = 0;
}

int health_pick_fallback(const unsigned *targets, size_t n, int64_t now)
{
	int best = -1;
	int64_t best_fail = 0;

	for (size_t i = 0; i < n && i < (size_t)INT32_MAX; i++) {
		struct target *x = get(targets[i]);
		if (!x || x->cred_bad || x->cooled_until > now)
			continue;
		if (ready(x, now)) {
			/* Not a fallback at all: it may go anyway. */
			take_trial(x, now);
			return (int)i;
		}
		if (best < 0 || x->last_failure < best_fail) {
			best = (int)i;
			best_fail = x->last_failure;
		}
	}
	if (best >= 0)
		take_trial(get(targets[best]), now);
	return best;
}

const char *health_state_name(enum health_state s)
{
	static const char *const names[] = {
		[HEALTH_ST_CLOSED] = "closed",
		[HEALTH_ST_HALF_OPEN] = "half-open",
		[HEALTH_ST_OPEN] = "open",
		[HEALTH_ST_COOLING] = "rate-limited",
		[HEALTH_ST_CRED_BAD] = "credential rejected",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *health_kind_name(enum health_kind k)
{
	static const char *const names[HEALTH_NKINDS] = {
		[HEALTH_FAIL_CONNECT] = "connect",
		[HEALTH_FAIL_TLS] = "tls",
		[HEALTH_FAIL_TIMEOUT] = "timeout",
		[HEALTH_FAIL_5XX] = "5xx",
		[HEALTH_FAIL_OVERLOADED] = "overloaded",
		[HEALTH_FAIL_BAD_RESPONSE] = "bad_response",
		[HEALTH_FAIL_RATE_LIMITED] = "rate_limited",
		[HEALTH_FAIL_AUTH] = "auth",
	};
	return (unsigned)k < HEALTH_NKINDS ? names[k] : "unknown";
}

int health_kind_for_status(int status)
{
	if (status == 401 || status == 403)
		return HEALTH_FAIL_AUTH;
	if (status == 408)
		return HEALTH_FAIL_TIMEOUT;
	if (status == 429)
		return HEALTH_FAIL_RATE_LIMITED;
	if (status == 529)
		return HEALTH_FAIL_OVERLOADED;
	if (status >= 500 && status <= 599)
		return HEALTH_FAIL_5XX;
	return -1;
}

double health_latency(unsigned t)
{
	struct target *x = get(t);
	return x ? x->lat : -1;
}

double health_ttft(unsigned t)
{
	struct target *x = get(t);
	return x ? x->ttft : -1;
}

void health_get(unsigned t, int64_t now, struct health_info *out)
{
	struct target *x = get(t);
	memset(out, 0, sizeof(*out));
	if (!x) {
		out->state = out->breaker = HEALTH_ST_OPEN;
		out->last_success = out->last_failure = HEALTH_NEVER;
		out->latency_ms = out->ttft_ms = -1;
		return;
	}
	out->state = state_of(x, now);
	out->breaker = x->breaker == HEALTH_ST_OPEN && now >= x->open_until ? HEALTH_ST_HALF_OPEN : x->breaker;
	out->consecutive_failures = x->consec;
	out->open_until = x->open_until;
	out->cooled_until = x->cooled_until;
	out->cooldown_ms = x->cooldown;
	out->last_success = x->last_success;
	out->last_failure = x->last_failure;
	out->latency_ms = x->lat;
	out->ttft_ms = x->ttft;
	win_sum(x, now, &out->window_requests, &out->window_failures);
	out->requests = x->requests;
	out->successes = x->successes;
	memcpy(out->failures, x->failures, sizeof(out->failures));
	memcpy(out->entered, x->entered, sizeof(out->entered));
	out->probes = x->probes;
	out->probe_failures = x->probe_failures;
}

/* ---- probes ---- */

int64_t health_probe_due(unsigned t, int64_t now)
{
	struct target *x = get(t);
	if (!x || x->cred_bad)
		return INT64_MAX;
	int64_t base = max64(x->last_probe, x->last_outcome);
	if (base == HEALTH_NEVER)
		return max64(now, x->cooled_until);
	int64_t iv = x->breaker != HEALTH_ST_CLOSED || x->probe_bad ?
		opt.probe_interval_open_ms : opt.probe_interval_ms;
	return max64(add_ms(base, iv), x->cooled_until);
}

void health_probe_start(unsigned t, int64_t now)
{
	struct target *x = get(t);
	if (!x)
		return;
	x->last_probe = now;
	x->probes++;
}

static int transport(enum health_kind k)
{
	return k == HEALTH_FAIL_CONNECT || k == HEALTH_FAIL_TLS || k == HEALTH_FAIL_TIMEOUT;
}

int health_probe_ok(unsigned t, int64_t now)
{
	struct target *x = get(t);
	if (!x)
		return 0;
	enum health_state before = state_of(x, now);
	x->probe_bad = 0;
	if (x->breaker == HEALTH_ST_OPEN && transport(x->last_kind) && !x->cred_bad) {
		enter(x, HEALTH_ST_HALF_OPEN);
		x->trial_busy = 0;
	}
	return state_of(x, now) != before;
}

int health_probe_failed(unsigned t, int64_t now, enum health_kind kind, int64_t retry_ms)
{
	struct target *x = get(t);
	if (!x || (unsigned)kind >= HEALTH_NKINDS)
		return 0;
	enum health_state before = state_of(x, now);
	x->probe_failures++;
	x->probe_bad = 1;
	if (kind == HEALTH_FAIL_AUTH || kind == HEALTH_FAIL_RATE_LIMITED ||
	    x->breaker == HEALTH_ST_CLOSED) {
		other_failure(x, now, kind, retry_ms);
	} else {
		/* Not closed: a failed probe is no trial, so no doubling; it
		 * only keeps real requests away for the current step. */
		x->last_failure = now;
		x->last_kind = kind;
		cool(x, now, retry_ms);
		if (x->breaker == HEALTH_ST_HALF_OPEN) {
			enter(x, HEALTH_ST_OPEN);
			x->trial_busy = 0;
		}
		x->open_until = max64(x->open_until, add_ms(now, x->cooldown));
	}
	return state_of(x, now) != before;
}

/* ---- retry hints ---- */

#define NS_PER_MS 1000000LL
/* Durations are summed in ns and saturate just above the cap. */
#define LIMIT_NS ((int64_t)(HEALTH_RETRY_MAX_MS + 1) * NS_PER_MS)

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int64_t ns_to_ms(int64_t ns)
{
	int64_t ms = ns / NS_PER_MS + (ns % NS_PER_MS != 0);
	return min64(ms, HEALTH_RETRY_MAX_MS);
}

/* Reads a decimal number at s[*i..n) and adds it times unit_ns to *acc
 * (saturating at LIMIT_NS). strict: 1*DIGIT ["." 1*DIGIT]; else Go's
 * looser "5.", ".5". Fractions below a nanosecond round up. */
static int read_number(const char *s, size_t n, size_t *i, int64_t unit_ns, int strict, int64_t *acc)
{
	int64_t whole = 0, frac = 0, pow = 1;
	int nint = 0, nfrac = 0, sat = 0, rest = 0;
	size_t p = *i;

	for (; p < n && is_digit(s[p]); p++, nint++) {
		if (whole > LIMIT_NS)
			sat = 1;
		else
			whole = whole * 10 + (s[p] - '0');
	}
	if (p < n && s[p] == '.') {
		p++;
		for (; p < n && is_digit(s[p]); p++, nfrac++) {
			if (nfrac < 9) {
				frac = frac * 10 + (s[p] - '0');
				pow *= 10;
			} else if (s[p] != '0') {
				rest = 1;
			}
		}
		if (strict && (nint == 0 || nfrac == 0))
			return -1;
	}
	if (nint + nfrac == 0)
		return -1;
	*i = p;
	if (sat || whole > (LIMIT_NS - *acc) / unit_ns) {
		*acc = LIMIT_NS;
		return 0;
	}
	int64_t v = whole * unit_ns;
	/* frac < pow <= 1e9: either unit_ns is a multiple of pow (s, m, h)
	 * or small enough (<= 1e6) that frac * unit_ns fits. */
	if (unit_ns % pow == 0)
		v += frac * (unit_ns / pow);
	else
		v += (frac * unit_ns + pow - 1) / pow;
	v += rest;
	*acc = min64(*acc + v, LIMIT_NS);
	return 0;
}

/* A whole strict decimal number of unit_ns units, in ms. */
static int64_t parse_decimal(const char *s, size_t n, int64_t unit_ns)
{
	int64_t ns = 0;
	size_t i = 0;
	if (!s || n == 0 || n > MAX_VALUE || read_number(s, n, &i, unit_ns, 1, &ns) || i != n)
		return -1;
	return ns_to_ms(ns);
}

int64_t health_parse_seconds(const char *s, size_t n)
{
	return parse_decimal(s, n, 1000000000LL);
}

int64_t health_parse_millis(const char *s, size_t n)
{
	return parse_decimal(s, n, NS_PER_MS);
}

/* Go's time.ParseDuration syntax, without a sign: a sequence of
 * decimal numbers each with a unit (ns, us, µs, μs, ms, s, m, h); "0"
 * alone is allowed. */
int64_t health_parse_go_duration(const char *s, size_t n)
{
	/* longer spellings first: "ms" before "m" */
	static const char *const names[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h" };
	static const int64_t units[] = { 1, 1000, 1000, 1000, NS_PER_MS, 1000000000LL,
					 60000000000LL, 3600000000000LL };
	_Static_assert(sizeof names / sizeof names[0] == sizeof units / sizeof units[0], "one unit per name");
	int64_t ns = 0;
	size_t i = 0;

	if (!s || n == 0 || n > MAX_VALUE)
		return -1;
	if (n == 1 && s[0] == '0')
		return 0;
	while (i < n) {
		size_t start = i, k, ulen = 0;
		int64_t unit = 0;
		/* Find the unit after the number first: read_number needs it. */
		while (i < n && (is_digit(s[i]) || s[i] == '.'))
			i++;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			const char *u = names[k];
			size_t l = strlen(u);
			if (n - i >= l && memcmp(s + i, u, l) == 0) {
				unit = units[k];
				ulen = l;
				break;
			}
		}
		if (!unit)
			return -1;
		size_t p = start;
		if (read_number(s, i, &p, unit, 0, &ns) || p != i)
			return -1;
		i += ulen;
	}
	return ns_to_ms(ns);
}


static int days_in_month(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Fixed-width unsigned decimal at s[*i..*i+w); advances *i. */
static int fixed_num(const char *s, size_t n, size_t *i, size_t w, int *out)
{
	int v = 0;
	if (n - *i < w)
		return -1;
	for (size_t k = 0; k < w; k++) {
		if (!is_digit(s[*i + k]))
			return -1;
		v = v * 10 + (s[*i + k] - '0');
	}
	*i += w;
	*out = v;
	return 0;
}

static int to_unix_ms(int y, int mo, int d, int h, int mi, int sec, int64_t *out)
{
	if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	*out = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL;
	return 0;
}

/* Date fields scan() fills, in to_unix_ms() order. */
enum { F_Y, F_MO, F_D, F_H, F_MI, F_S };

/* Matches s[*i..n) against a layout, advancing *i: 'w' a weekday ("Mon"),
 * 'W' a long one ("Monday"), 'b' a month name ("Jan"), 'Y' four digits
 * and 'y' two (year), 'o' two (month), 'd' two (day), 'e' asctime's day
 * (" 6" or "16"), 'h' 'm' 's' two (hour, minute, second), '@' one of "Tt ";
 * any other byte stands for itself. 0, or -1 at the first mismatch. */
static int scan(const char *s, size_t n, size_t *i, const char *lay, int *v)
{
	static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char fields[] = "Yyodhms";
	static const uint8_t slot[] = { F_Y, F_Y, F_MO, F_D, F_H, F_MI, F_S };

	for (; *lay; lay++) {
		char c = *lay;
		const char *f;
		size_t k, l;
		if (c == 'e') {
			/* a space and one digit, or two digits */
			l = 2;
			if (*i < n && s[*i] == ' ') {
				++*i;
				l = 1;
			}
			if (fixed_num(s, n, i, l, &v[F_D]))
				return -1;
			continue;
		}
		if ((f = strchr(fields, c))) {
			k = (size_t)(f - fields);
			if (fixed_num(s, n, i, k ? 2 : 4, &v[slot[k]]))
				return -1;
			continue;
		}
		if (c == 'w' || c == 'W' || c == 'b') {
			for (k = 0; k < (c == 'b' ? 12u : 7u); k++) {
				const char *name = c == 'b' ? months + 3 * k : days[k];
				l = c == 'W' ? strlen(name) : 3;
				if (n - *i >= l && memcmp(s + *i, name, l) == 0)
					break;
			}
			if (k == (c == 'b' ? 12u : 7u))
				return -1;
			if (c == 'b')
				v[F_MO] = (int)k + 1;
			*i += l;
			continue;
		}
		if (*i >= n || (c == '@' ? !memchr("Tt ", s[*i], 3) : s[*i] != c))
			return -1;
		++*i;
	}
	return 0;
}

int health_parse_http_date(const char *s, size_t n, int64_t *unix_ms)
{
	/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", asctime "Sun Nov  6
	 * 08:49:37 1994", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT". Their
	 * first four bytes tell them apart, so the first layout that matches
	 * is the only one that can. */
	static const char *const lays[] = { "w, d b Y h:m:s GMT", "w b e h:m:s Y", "W, d-b-y h:m:s GMT" };
	int v[6];

	if (!s || n > MAX_VALUE)
		return -1;
	for (unsigned k = 0; k < sizeof lays / sizeof lays[0]; k++) {
		size_t i = 0;
		if (scan(s, n, &i, lays[k], v) || i != n)
			continue;
		/* RFC 850: two-digit years below 70 are 20xx (the RFC's "50
		 * years ahead" rule, with a fixed pivot). */
		if (k == 2)
			v[F_Y] += v[F_Y] < 70 ? 2000 : 1900;
		return to_unix_ms(v[F_Y], v[F_MO], v[F_D], v[F_H], v[F_MI], v[F_S], unix_ms);
	}
	return -1;
}

/* "2024-10-08T21:35:12Z", "2024-10-08t21:35:12.25+02:00" */
int health_parse_rfc3339(const char *s, size_t n, int64_t *unix_ms)
{
	int v[6], z[6], frac_ms = 0;
	int64_t t, off = 0;
	size_t i = 0;

	if (!s || n > MAX_VALUE || scan(s, n, &i, "Y-o-d@h:m:s", v))
		return -1;
	if (i < n && s[i] == '.') {
		int nd = 0, up = 0;
		for (i++; i < n && is_digit(s[i]); i++, nd++) {
			if (nd < 3)
				frac_ms = frac_ms * 10 + (s[i] - '0');
			else if (s[i] != '0')
				up = 1;
		}
		if (nd == 0)
			return -1;
		for (int k = nd; k < 3; k++)
			frac_ms *= 10;
		frac_ms += up;	/* round up: never retry early */
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int neg = s[i] == '-';
		i++;
		if (scan(s, n, &i, "h:m", z) || z[F_H] > 23 || z[F_MI] > 59)
			return -1;
		off = (z[F_H] * 60 + z[F_MI]) * 60000LL;
		if (neg)
			off = -off;
	} else {
		return -1;
	}
	if (i != n || to_unix_ms(v[F_Y], v[F_MO], v[F_D], v[F_H], v[F_MI], v[F_S], &t))
		return -1;
	*unix_ms = t + frac_ms - off;
	return 0;
}

static const struct http_header *hdr(const struct http_header *h, size_t nh, const char *name)
{
	const struct http_header *x = h ? http_find_header(h, nh, name) : NULL;
	return x && x->value && x->value_len <= MAX_VALUE ? x : NULL;
}

/* Whether the header is present and exactly the number 0. */
static int is_zero(const struct http_header *h, size_t nh, const char *name)
{
	const struct http_header *x = hdr(h, nh, name);
	size_t k;
	if (!x || x->value_len == 0)
		return 0;
	for (k = 0; k < x->value_len; k++)
		if (x->value[k] != '0')
			return 0;
	return 1;
}

static int64_t delay_until(int64_t when_ms, int64_t now_ms)
{
	if (when_ms <= now_ms)
		return 0;
	return min64(when_ms - now_ms, HEALTH_RETRY_MAX_MS);
}

/* A protobuf Duration in JSON: "37s", "1.5s", or {"seconds","nanos"}. */
static int64_t proto_duration(const struct json_doc *d, int v)
{
	char buf[MAX_VALUE + 1];
	int len;

	if (json_is_string(d, v)) {
		len = json_unescape(d, v, buf, sizeof(buf));
		if (len < 2 || buf[len - 1] != 's')
			return -1;
		return health_parse_seconds(buf, (size_t)len - 1);
	}
	if (json_is_object(d, v)) {
		int64_t sec = 0, nanos = 0;
		int ks = json_get(d, v, "seconds"), kn = json_get(d, v, "nanos");
		if (ks < 0 && kn < 0)
			return -1;
		if (ks >= 0) {
			/* proto3 JSON writes int64 as a string */
			if (json_is_string(d, ks)) {
				len = json_unescape(d, ks, buf, sizeof(buf));
				int64_t ms = len > 0 ? health_parse_seconds(buf, (size_t)len) : -1;
				if (ms < 0 || memchr(buf, '.', (size_t)len))
					return -1;
				sec = ms / 1000;
			} else if (json_get_i64(d, ks, &sec) || sec < 0) {
				return -1;
			}
		}
		if (kn >= 0 && (json_get_i64(d, kn, &nanos) || nanos < 0 || nanos > 999999999))
			return -1;
		if (sec > HEALTH_RETRY_MAX_MS / 1000)
			return HEALTH_RETRY_MAX_MS;
		return ns_to_ms(sec * 1000000000LL + nanos);
	}
	return -1;
}

static int64_t body_hint(const char *body, size_t len, jsmntok_t *tok, int maxtok)
{
	struct json_doc d;
	char ty[128];
	int64_t best = -1;

	if (!body || !tok || maxtok <= 0 || json_parse(&d, body, len, tok, maxtok) < 1)
		return -1;
	int root = 0;
	if (json_is_array(&d, root))
		root = json_index(&d, root, 0);
	if (!json_is_object(&d, root))
		return -1;
	int err = json_get(&d, root, "error");
	if (!json_is_object(&d, err))
		return -1;
	int det = json_get(&d, err, "details");
	if (!json_is_array(&d, det))
		return -1;
	for (int n = 0, k = det + 1; n < d.tok[det].size; n++, k = json_skip(&d, k)) {
		if (!json_is_object(&d, k))
			continue;
		int t = json_get(&d, k, "@type");
		int l = json_is_string(&d, t) ? json_unescape(&d, t, ty, sizeof(ty)) : -1;
		static const char suffix[] = "RetryInfo";
		if (l < (int)sizeof(suffix) - 1 || memcmp(ty + l - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) != 0)
			continue;
		int v = json_get(&d, k, "retryDelay");
		if (v >= 0)
			best = max64(best, proto_duration(&d, v));
	}
	return best;
}

int64_t health_retry_hint(int status, const struct http_header *h, size_t nh,
			  const char *body, size_t body_len, int64_t now_unix,
			  jsmntok_t *tok, int maxtok)
{
	static const char *const limits[] = { "requests", "tokens", "requests", "tokens", "input-tokens", "output-tokens" };
	const struct http_header *x;
	char name[64];
	int64_t best = -1, earliest = -1, now_ms, v, when;

	/* The provider's clock when it has one: hints and Date agree. */
	/* A clock outside 1970..9999 is broken; keep the arithmetic sane. */
	if (now_unix < 0 || now_unix > 253402300800LL)
		now_unix = 0;
	now_ms = now_unix * 1000;
	if ((x = hdr(h, nh, "date")) && health_parse_http_date(x->value, x->value_len, &when) == 0)
		now_ms = when;

	if ((x = hdr(h, nh, "retry-after-ms")))
		best = max64(best, health_parse_millis(x->value, x->value_len));
	if ((x = hdr(h, nh, "retry-after"))) {
		v = health_parse_seconds(x->value, x->value_len);
		if (v < 0 && health_parse_http_date(x->value, x->value_len, &when) == 0)
			v = delay_until(when, now_ms);
		best = max64(best, v);
	}
	/* OpenAI's two resets (Go durations), then Anthropic's four (RFC 3339
	 * times), each counting only when its remaining is 0. */
	for (unsigned k = 0; k < sizeof limits / sizeof limits[0]; k++) {
		const char *w = limits[k];
		int oa = k < 2;
		fmt_snprintf(name, sizeof(name), oa ? "x-ratelimit-reset-%s" : "anthropic-ratelimit-%s-reset", w);
		if (!(x = hdr(h, nh, name)))
			continue;
		if (oa) {
			if ((v = health_parse_go_duration(x->value, x->value_len)) < 0)
				continue;
		} else {
			if (health_parse_rfc3339(x->value, x->value_len, &when))
				continue;
			v = delay_until(when, now_ms);
		}
		earliest = earliest < 0 ? v : min64(earliest, v);
		fmt_snprintf(name, sizeof(name), oa ? "x-ratelimit-remaining-%s" : "anthropic-ratelimit-%s-remaining", w);
		if (is_zero(h, nh, name))
			best = max64(best, v);
	}
	if (status >= 400)
		best = max64(best, body_hint(body, body_len, tok, maxtok));
	if (best < 0 && status == 429)
		best = earliest;
	return best < 0 ? -1 : min64(best, HEALTH_RETRY_MAX_MS);
}
