/*
 * usage.c - usage totals, per-client rate limits and budgets, persistence.
 *
 * Owns: the tables allocated by usage_init() (one array per kind) and
 * nothing else. The request path (usage_check, usage_record) is plain
 * arithmetic on those tables. Only usage_save()/usage_load() touch files;
 * they are called from start-up, a flush timer and signal handling, never
 * per request (see usage.h). Nothing reads a clock: time comes in.
 *
 * File format (USAGE_FILE in state_dir), one record per line, fields
 * separated by one space, names %XX-escaped (bytes <= 0x20, '%', >= 0x7f):
 *   llmgw-usage 1 <saved-at>
 *   c <client> <req> <in> <cached> <out> <unpriced> <usd> <day> <day_usd> <month> <month_usd> <estimated>
 *   a - <same as c>                         (the anonymous slot)
 *   t <provider/model> <req> <in> <cached> <out> <unpriced> <usd> <estimated>
 *   r <route> <req> <in> <cached> <out> <unpriced> <usd> <estimated>
 *   end <records> <fnv1a-64 of every byte before this line, hex>
 * <estimated> came later: a record without it (an older llmgw's) reads as 0.
 * A text file is easy to inspect on a router, and the trailer makes a
 * truncated or damaged file detectable as a whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "usage.h"
#include "util.h"

#define WIN 60			/* seconds per rate window */
#define DAY 86400
#define MAX_FILE (16u << 20)	/* a bigger state file is not ours */
#define MAX_LINE 4096
#define MAX_ESC_NAME 3000	/* escaped name length we write and accept */

_Static_assert(offsetof(struct usage_totals, unpriced) == 4 * sizeof(uint64_t),
    "usage_totals starts with five uint64_t");

struct client_state {
	struct usage_totals t;
	uint32_t rpm;
	uint64_t tpm;
	double daily, monthly;
	int64_t win;		/* index of the current rate window (now / WIN) */
	uint64_t req_cur, req_prev, tok_cur, tok_prev;
	int64_t day;		/* UTC day number day_usd belongs to */
	double day_usd;
	int64_t month;		/* year * 12 + month - 1 that month_usd belongs to */
	double month_usd;
};

static struct client_state *clients;	/* nclients + 1, last = anonymous */
static struct usage_totals *targets, *routes;
static unsigned nclients, ntargets, nroutes;

/* ---- calendar (UTC, proleptic Gregorian; H. Hinnant's algorithms) ---- */




static int64_t month_key(int64_t now)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(floor_div(now, DAY), &y, &m, &d);
	return y * 12 + (m - 1);
}

/* Seconds from now to 00:00 UTC on the 1st of the next month. */
static int64_t secs_to_next_month(int64_t now)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(floor_div(now, DAY), &y, &m, &d);
	if (m == 12) {
		y++;
		m = 1;
	} else {
		m++;
	}
	return days_from_civil(y, m, 1) * DAY - now;
}

/* ---- tables ---- */

void usage_free(void)
{
	free(clients);
	free(targets);
	free(routes);
	clients = NULL;
	targets = routes = NULL;
	nclients = ntargets = nroutes = 0;
}

int usage_init(unsigned nc, unsigned nt, unsigned nr)
{
	usage_free();
	if (nc >= UINT_MAX / 2)
		return -1;
	clients = calloc((size_t)nc + 1, sizeof *clients);
	targets = calloc(nt ? nt : 1, sizeof *targets);
	routes = calloc(nr ? nr : 1, sizeof *routes);
	if (!clients || !targets || !routes) {
		usage_free();
		return -1;
	}
	for (unsigned i = 0; i <= nc; i++)
		clients[i].day = clients[i].month = INT64_MIN;
	nclients = nc;
	ntargets = nt;
	nroutes = nr;
	return 0;
}

static struct client_state *client_at(int client)
{
	if (!clients)
		return NULL;
	if (client == USAGE_ANON)
		return &clients[nclients];
	if (client < 0 || (unsigned)client >= nclients)
		return NULL;
	return &clients[client];
}

/* A budget limit: 0 (none) unless finite and positive. */
static double budget(double usd)
{
	return isfinite(usd) && usd > 0 ? usd : 0;
}

void usage_set_limits(int client, uint32_t rpm, uint64_t tpm, double daily_usd,
    double monthly_usd)
{
	struct client_state *c = client_at(client);
	if (!c)
		return;
	c->rpm = rpm;
	c->tpm = tpm;
	c->daily = budget(daily_usd);
	c->monthly = budget(monthly_usd);
}

/* ---- rate windows ---- */

struct win {
	int64_t idx;
	uint64_t cur, prev;
};

/* The window state at time t, assuming no events since w was last rolled.
 * A clock that went backwards stays in the newer window. */
static struct win win_at(struct win w, int64_t t)
{
	int64_t idx = floor_div(t, WIN);
	if (idx == w.idx + 1) {
		w.prev = w.cur;
		w.cur = 0;
		w.idx = idx;
	} else if (idx > w.idx + 1) {
		w.prev = w.cur = 0;
		w.idx = idx;
	}
	return w;
}

static double win_estimate(struct win w, int64_t t)
{
	int64_t into = t - w.idx * WIN;
	if (into < 0)
		into = 0;
	if (into >= WIN)
		into = WIN - 1;
	return (double)w.prev * (double)(WIN - into) / WIN + (double)w.cur;
}

static void roll(struct client_state *c, int64_t now)
{
	struct win r = win_at((struct win){ c->win, c->req_cur, c->req_prev }, now);
	struct win k = win_at((struct win){ c->win, c->tok_cur, c->tok_prev }, now);
	c->win = r.idx;
	c->req_cur = r.cur;
	c->req_prev = r.prev;
	c->tok_cur = k.cur;
	c->tok_prev = k.prev;
	int64_t day = floor_div(now, DAY);
	if (day <= c->day)
		return;		/* the same day is the same month */
	c->day = day;
	c->day_usd = 0;
	int64_t month = month_key(now);
	if (month > c->month) {
		c->month = month;
		c->month_usd = 0;
	}
}

/* Seconds (>= 1) until the window lets a request through again: estimate
 * + 1 <= limit for requests, estimate < limit for tokens (strict). Two
 * windows after now both are empty, so the loop ends by 2 * WIN + 1; it
 * runs only when a request is refused. */
static int64_t win_retry(struct win w, int64_t now, double limit, int strict)
{
	for (int64_t t = 1; t <= 2 * WIN + 1; t++) {
		struct win x = win_at(w, now + t);
		double e = win_estimate(x, now + t);
		if (strict ? e < limit : e + 1 <= limit)
			return t;
	}
	return 2 * WIN + 1;
}

int usage_check(int client, int64_t now, int64_t *retry_after_s, const char **which)
{
	struct client_state *c = client_at(client);
	if (!c)
		return 0;
	roll(c, now);
	/* Seconds until each limit lets a request through, 0 when it is not
	 * reached; the longest wins (the first on a tie). */
	static const char *const names[] = { "requests per minute", "tokens per minute", "daily budget",
					     "monthly budget" };
	int64_t r[4] = { 0, 0, 0, 0 }, worst = 0;
	int what = -1;
	struct win rw = { c->win, c->req_cur, c->req_prev };
	struct win tw = { c->win, c->tok_cur, c->tok_prev };

	if (c->rpm && win_estimate(rw, now) + 1 > (double)c->rpm)
		r[0] = win_retry(rw, now, (double)c->rpm, 0);
	/* The new request's tokens are unknown yet: refuse only once the
	 * window is already full, and retry when it is not. */
	if (c->tpm && win_estimate(tw, now) >= (double)c->tpm)
		r[1] = win_retry(tw, now, (double)c->tpm, 1);
	if (c->daily > 0 && c->day_usd >= c->daily)
		r[2] = (floor_div(now, DAY) + 1) * DAY - now;
	if (c->monthly > 0 && c->month_usd >= c->monthly)
		r[3] = secs_to_next_month(now);
	for (int k = 0; k < 4; k++)
		if (r[k] > worst) {
			worst = r[k];
			what = k;
		}
	if (what >= 0) {
		if (retry_after_s)
			*retry_after_s = worst < 1 ? 1 : worst;
		if (which)
			*which = names[what];
		return 1;
	}
	c->req_cur++;
	return 0;
}

/* ---- recording ---- */

static uint64_t tok(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0;
}

static void add_totals(struct usage_totals *t, uint64_t in, uint64_t cached, uint64_t out,
		       double usd, int priced, int estimated)
{
	t->requests++;
	t->estimated += estimated;
	t->input += in;
	t->cached += cached;
	t->output += out;
	if (priced)
		t->usd += usd;
	else
		t->unpriced++;
}

void usage_record(int client, int target, int route, const struct ir_usage *u,
    double usd, int priced, int estimated, int64_t now)
{
	uint64_t in = 0, cached = 0, out = 0;
	if (u && u->have) {
		in = tok(u->input);
		cached = tok(u->cached);
		out = tok(u->output);
		if (cached > in)
			cached = in;
	}
	if (!isfinite(usd) || usd < 0)
		usd = 0;
	priced = priced != 0;
	estimated = estimated != 0;

	struct client_state *c = client_at(client);
	if (c) {
		roll(c, now);
		add_totals(&c->t, in, cached, out, usd, priced, estimated);
		c->tok_cur += in + out;
		if (priced) {
			c->day_usd += usd;
			c->month_usd += usd;
		}
	}
	if (targets && target >= 0 && (unsigned)target < ntargets)
		add_totals(&targets[target], in, cached, out, usd, priced, estimated);
	if (routes && route >= 0 && (unsigned)route < nroutes)
		add_totals(&routes[route], in, cached, out, usd, priced, estimated);
}

/* ---- getters ---- */

unsigned usage_count(enum usage_kind k)
{
	switch (k) {
	case USAGE_CLIENT: return clients ? nclients + 1 : 0;
	case USAGE_TARGET: return ntargets;
	case USAGE_ROUTE: return nroutes;
	}
	return 0;
}

const struct usage_totals *usage_get(enum usage_kind k, unsigned i)
{
	if (i >= usage_count(k))
		return NULL;
	switch (k) {
	case USAGE_CLIENT: return &clients[i].t;
	case USAGE_TARGET: return &targets[i];
	case USAGE_ROUTE: return &routes[i];
	}
	return NULL;
}

int usage_spend(int client, int64_t now, double *day_usd, double *month_usd)
{
	struct client_state *c = client_at(client);
	if (!c)
		return -1;
	if (day_usd)
		*day_usd = c->day == floor_div(now, DAY) ? c->day_usd : 0;
	if (month_usd)
		*month_usd = c->month == month_key(now) ? c->month_usd : 0;
	return 0;
}

/* ---- persistence ---- */

/* Writes the message (when err has room) and returns -1. */
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		fmt_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

struct writer {
	int fd;
	int failed;
	int err;
	uint64_t sum;
	size_t n;
	char buf[8192];
};

static void w_flush(struct writer *w)
{
	size_t off = 0;
	while (!w->failed && off < w->n) {
		ssize_t k = write(w->fd, w->buf + off, w->n - off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->failed = 1;
			w->err = errno;
		} else {
			off += (size_t)k;
		}
	}
	w->n = 0;
}

static void w_put(struct writer *w, const char *s, size_t len, int summed)
{
	if (summed)
		w->sum = fnv1a(w->sum, s, len);
	while (len && !w->failed) {
		size_t room = sizeof w->buf - w->n;
		size_t k = len < room ? len : room;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s += k;
		len -= k;
		if (w->n == sizeof w->buf)
			w_flush(w);
	}
}

/* Escapes name into out; returns its length, or 0 when it does not fit. */
static size_t escape_name(const char *name, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
			if (n + 3 >= cap)
				return 0;
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		} else {
			if (n + 1 >= cap)
				return 0;
			out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
	return n;
}

static int put_record(struct writer *w, char kind, const char *name,
    const struct usage_totals *t, const struct client_state *c)
{
	char esc[MAX_ESC_NAME + 1], line[MAX_LINE];
	if (kind == 'a') {
		memcpy(esc, "-", 2);
	} else if (!name || !*name || !escape_name(name, esc, sizeof esc)) {
		return 0;	/* unnamed or absurdly long: not saved */
	}
	int n = fmt_snprintf(line, sizeof line, "%c %s %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " %.17g", kind, esc, t->requests, t->input,
	    t->cached, t->output, t->unpriced, t->usd);
	if (n < 0 || (size_t)n >= sizeof line)
		return 0;
	if (c) {
		int m = fmt_snprintf(line + n, sizeof line - (size_t)n,
		    " %" PRId64 " %.17g %" PRId64 " %.17g",
		    c->day, c->day_usd, c->month, c->month_usd);
		if (m < 0 || (size_t)m >= sizeof line - (size_t)n)
			return 0;
		n += m;
	}
	int m = fmt_snprintf(line + n, sizeof line - (size_t)n, " %" PRIu64 "\n", t->estimated);
	if (m < 0 || (size_t)m >= sizeof line - (size_t)n)
		return 0;
	n += m;
	w_put(w, line, (size_t)n, 1);
	return 1;
}

static int path_join(char *out, size_t cap, const char *dir, const char *file)
{
	int n = fmt_snprintf(out, cap, "%s/%s", dir, file);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int usage_save(const char *dir, const struct usage_names *names, int64_t now,
    char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if (!dir || !names || !clients)
		return set_err(err, errlen, "usage: nothing to save");
	if (path_join(path, sizeof path, dir, USAGE_FILE) ||
	    path_join(tmp, sizeof tmp, dir, USAGE_FILE ".tmp"))
		return set_err(err, errlen, "usage: state_dir path too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return set_err(err, errlen, "usage: cannot create %s: %s", tmp, strerror(errno));
	static struct writer w;	/* 8 KB: kept off the stack */
	memset(&w, 0, sizeof w);
	w.fd = fd;
	w.sum = FNV_INIT;

	char line[MAX_LINE];
	int n = fmt_snprintf(line, sizeof line, "llmgw-usage 1 %" PRId64 "\n", now);
	w_put(&w, line, (size_t)n, 1);
	unsigned records = 0;
	/* clients, the anonymous slot, targets, routes */
	for (int k = 0; k < 3; k++) {
		const char *const *arr = k == 0 ? names->clients : k == 1 ? names->targets : names->routes;
		unsigned have = k == 0 ? nclients : k == 1 ? ntargets : nroutes;
		unsigned nn = k == 0 ? names->nclients : k == 1 ? names->ntargets : names->nroutes;
		for (unsigned i = 0; i < nn && i < have; i++)
			records += put_record(&w, "ctr"[k], arr ? arr[i] : NULL,
			    k == 0 ? &clients[i].t : k == 1 ? &targets[i] : &routes[i],
			    k == 0 ? &clients[i] : NULL);
		if (k == 0)
			records += put_record(&w, 'a', NULL, &clients[nclients].t, &clients[nclients]);
	}
	n = fmt_snprintf(line, sizeof line, "end %u %016" PRIx64 "\n", records, w.sum);
	w_put(&w, line, (size_t)n, 0);
	w_flush(&w);

	int e = w.failed ? w.err : 0;
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) != 0)
		e = errno;
	if (e) {
		unlink(tmp);
		return set_err(err, errlen, "usage: writing %s failed: %s", tmp, strerror(e));
	}
	/* Make the rename itself durable; some filesystems refuse fsync on a
	 * directory, which is not worth failing the save over. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

struct record {
	char kind;
	char name[MAX_ESC_NAME + 1];	/* unescaped */
	struct usage_totals t;
	int64_t day, month;
	double day_usd, month_usd;
};


static int unescape_name(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (*s) {
		int c = (unsigned char)*s;
		if (c == '%') {
			int h = hex_digit((unsigned char)s[1]), l = h < 0 ? -1 : hex_digit((unsigned char)s[2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return -1;
			c = h * 16 + l;
			s += 3;
		} else {
			if (c <= 0x20 || c >= 0x7f)
				return -1;
			s++;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

/* Decimal digits to the end of s, at most max; by hand because strtoull
 * and strtoll bring musl's 2.7 KB integer scanner into a static build. */
static int parse_digits(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (d > 9 || x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	return parse_digits(s, UINT64_MAX, v);
}

/* "-" and digits; -2^63 .. 2^63-1 */
static int parse_i64(const char *s, int64_t *v)
{
	int neg = *s == '-';
	uint64_t x;
	if (parse_digits(s + neg, (uint64_t)INT64_MAX + (unsigned)neg, &x) < 0)
		return -1;
	*v = !neg ? (int64_t)x : x ? -(int64_t)(x - 1) - 1 : 0;
	return 0;
}

static int parse_usd(const char *s, double *v)
{
	if (*s < '0' || *s > '9')
		return -1;
	const char *end;
	double x = fmt_strtod(s, &end);
	if (*end || !isfinite(x) || x < 0)
		return -1;
	*v = x;
	return 0;
}

/* Parses one record line (NUL-terminated, no newline). 0 or -1. */
static int parse_record(char *line, struct record *r)
{
	char *f[14];
	int nf = 0;
	for (char *p = line;;) {
		if (nf == 14)
			return -1;
		f[nf++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	if (strlen(f[0]) != 1)
		return -1;
	r->kind = f[0][0];
	int client = r->kind == 'c' || r->kind == 'a';
	if (!client && r->kind != 't' && r->kind != 'r')
		return -1;
	int nf_old = client ? 12 : 8;	/* without <estimated> */
	if (nf != nf_old && nf != nf_old + 1)
		return -1;
	if (r->kind == 'a') {
		if (strcmp(f[1], "-") != 0)
			return -1;
		r->name[0] = '\0';
	} else if (unescape_name(f[1], r->name, sizeof r->name)) {
		return -1;
	}
	memset(&r->t, 0, sizeof r->t);
	/* requests, input, cached, output, unpriced: the five uint64_t that
	 * start struct usage_totals, in the file's order */
	for (int k = 0; k < 5; k++)
		if (parse_u64(f[2 + k], (uint64_t *)((char *)&r->t + k * sizeof(uint64_t))))
			return -1;
	if (parse_usd(f[7], &r->t.usd))
		return -1;
	if (r->t.cached > r->t.input)
		return -1;
	r->day = r->month = INT64_MIN;
	r->day_usd = r->month_usd = 0;
	if (client && (parse_i64(f[8], &r->day) || parse_usd(f[9], &r->day_usd) ||
	    parse_i64(f[10], &r->month) || parse_usd(f[11], &r->month_usd)))
		return -1;
	if (nf > nf_old && (parse_u64(f[nf_old], &r->t.estimated) || r->t.estimated > r->t.requests))
		return -1;
	return 0;
}

static void add_loaded(struct usage_totals *d, const struct usage_totals *s)
{
	d->requests += s->requests;
	d->input += s->input;
	d->cached += s->cached;
	d->output += s->output;
	d->unpriced += s->unpriced;
	d->estimated += s->estimated;
	d->usd += s->usd;
}

static int find_name(const char *const *arr, unsigned n, const char *name)
{
	if (!arr)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (arr[i] && strcmp(arr[i], name) == 0)
			return (int)i;
	return -1;
}

/* Applies a validated record; returns 1 when its name no longer exists. */
static int apply(const struct record *r, const struct usage_names *names)
{
	int k = r->kind == 't' ? 1 : r->kind == 'r' ? 2 : 0;	/* 'c' and 'a': 0 */
	struct client_state *c = &clients[nclients];
	struct usage_totals *d = &c->t;
	if (r->kind != 'a') {
		const char *const *arr = k == 0 ? names->clients : k == 1 ? names->targets : names->routes;
		unsigned have = k == 0 ? nclients : k == 1 ? ntargets : nroutes;
		unsigned nn = k == 0 ? names->nclients : k == 1 ? names->ntargets : names->nroutes;
		int i = find_name(arr, nn < have ? nn : have, r->name);
		if (i < 0)
			return 1;
		if (k == 0)
			c = &clients[i];
		d = k == 0 ? &c->t : k == 1 ? &targets[i] : &routes[i];
	}
	add_loaded(d, &r->t);
	if (k == 0) {
		if (r->day == c->day)
			c->day_usd += r->day_usd;
		else if (r->day > c->day)
			c->day = r->day, c->day_usd = r->day_usd;
		if (r->month == c->month)
			c->month_usd += r->month_usd;
		else if (r->month > c->month)
			c->month = r->month, c->month_usd = r->month_usd;
	}
	return 0;
}

/* Walks the file's lines; with names == NULL only validates. Returns 0, or
 * -1 with *why set. */
static int walk(const char *buf, size_t len, const struct usage_names *names,
    unsigned *dropped, const char **why)
{
	static char line[MAX_LINE];
	static struct record rec;
	uint64_t sum = FNV_INIT;
	unsigned records = 0;
	size_t off = 0;
	int first = 1;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		*why = "truncated (no end record)";
		if (!nl)
			return -1;
		size_t n = (size_t)(nl - (buf + off));
		*why = "bad line";
		if (n >= sizeof line || memchr(buf + off, '\0', n))
			return -1;
		memcpy(line, buf + off, n);
		line[n] = '\0';
		if (first) {
			int64_t saved;
			*why = "not a usage file (bad header)";
			if (strncmp(line, "llmgw-usage 1 ", 14) != 0 || parse_i64(line + 14, &saved))
				return -1;
			first = 0;
		} else if (strncmp(line, "end ", 4) == 0) {
			char want[40];
			fmt_snprintf(want, sizeof want, "end %u %016" PRIx64, records, sum);
			*why = "checksum or record count mismatch";
			if (strcmp(line, want) != 0)
				return -1;
			*why = "data after the end record";
			return nl + 1 != buf + len ? -1 : 0;
		} else {
			*why = "bad record";
			if (parse_record(line, &rec))
				return -1;
			records++;
			if (names && apply(&rec, names) && dropped)
				(*dropped)++;
		}
		sum = fnv1a(sum, buf + off, n + 1);
		off += n + 1;
	}
	*why = first ? "empty file" : "truncated (no end record)";
	return -1;
}

int usage_load(const char *dir, const struct usage_names *names, unsigned *dropped,
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *msg, *detail = NULL;
	char *buf = NULL;
	int fd = -1;
	if (dropped)
		*dropped = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!dir || !names || !clients)
		return set_err(err, errlen, "usage: not initialised");
	if (path_join(path, sizeof path, dir, USAGE_FILE))
		return set_err(err, errlen, "usage: state_dir path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		msg = "usage: cannot open %s: %s";
		detail = strerror(errno);
		goto fail;
	}
	struct stat st;
	msg = "usage: %s is not a regular file of sane size; ignored";
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > MAX_FILE)
		goto fail;
	size_t cap = (size_t)st.st_size + 1, len = 0;
	buf = malloc(cap);	/* start-up / reload only */
	msg = "usage: out of memory reading %s";
	if (!buf)
		goto fail;
	for (;;) {
		/* grew while we read: not a file we wrote in one go */
		msg = "usage: %s changed while reading; ignored";
		if (len == cap)
			goto fail;
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			msg = "usage: reading %s: %s";
			detail = strerror(errno);
			goto fail;
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	fd = -1;
	int rc = walk(buf, len, NULL, NULL, &detail);
	if (rc == 0)
		rc = walk(buf, len, names, dropped, &detail);
	msg = "usage: %s is corrupt (%s); ignored, totals start at zero";
	if (!rc) {
		free(buf);
		return 0;
	}
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return set_err(err, errlen, msg, path, detail);
}
