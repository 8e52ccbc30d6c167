/*
 * config.c - the UCI-syntax configuration loader. See config.h.
 *
 * Loading runs in two steps. The parser splits the text into lines and
 * tokens (UCI quoting: 'single' takes everything literally, "double" and
 * bare words take a backslash as "the next character, literally", '#'
 * starts a comment outside quotes) and records each `config` section with
 * its options in a list, checking only what can be checked line by line:
 * keywords, known option names, single versus multi-valued options. The
 * builder then walks the sections and fills struct cfg, resolving the
 * references that may point forward in the file (route targets, client
 * allow patterns), and last numbers the targets (build_targets: a dense
 * id per distinct provider/model, prices merged from target sections and
 * the compiled-in table, a hash index for lookups, one "other" bucket per
 * provider). Every problem is reported and counted; nothing stops
 * early, so one `llmgw -t` run shows every mistake. Reports are held until
 * the end and given in line order. Messages quote user text only where it
 * cannot be a secret: never a key value, and unknown words only when they
 * look like option names.
 *
 * Memory: everything, including the parser's scratch lists, lives in one
 * arena owned by struct cfg (a chain of malloc'd chunks; start-up and
 * reload only). cfg_free() wipes the whole arena, which holds the provider
 * keys, before freeing it. Key bytes are never formatted into a report.
 *
 * Blocking: cfg_load_file() and key_file reads use blocking file I/O; this
 * runs before the loop starts or on reload, never per request.
 *
 * Features left out at build time (options.h): a config that uses one is
 * an error naming the switch ("... is not in this build (LLMGW_X=0)"),
 * never a silent change: provider types of a left-out dialect or preset,
 * the options in left_opts[] given a value that turns them on, the
 * `cheapest` strategy without LLMGW_USAGE, an https:// provider without
 * LLMGW_TLS (ca_file is accepted and unused). The options' defaults follow
 * the build (status_page, metrics, probe_interval are off when left out).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fmt.h"
#include "config.h"
#include "options.h"
#include "prices.h"

#define CFG_FILE_MAX	(1u << 20)	/* a config file larger than this is a mistake */
#define KEY_FILE_MAX	16384
#define MAX_TOKENS	4		/* keyword + up to 2 arguments, +1 to detect excess */
#define MAX_SECTIONS	4096
#define SUGGEST_MAX	64		/* longer words get no did-you-mean */
#define ECHO_MAX	64		/* user text quoted in messages is cut here */
#define ECHO_WORD_MAX	24		/* longer unknown keywords are not quoted: could be a pasted key */

/* ---- arena ---- */

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t total;
};

static void *arena_alloc_quiet(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!a->head || a->head->size - a->head->used < n) {
		size_t sz = n > 16384 ? n : 16384;
		struct chunk *c = malloc(sizeof *c + sz);
		if (!c)
			return NULL;
		c->next = a->head;
		c->size = sz;
		c->used = 0;
		a->head = c;
		a->total += sizeof *c + sz;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

/* explicit_bzero: the memory is about to be freed, which lets a compiler
 * drop a plain memset as dead. */
static void wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

static void arena_free(struct arena *a)
{
	struct chunk *c = a->head;
	while (c) {
		struct chunk *next = c->next;
		wipe(c->data, c->used);	/* the rest was never written */
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}

/* ---- option tables ---- */

enum sect_kind { S_GATEWAY, S_PROVIDER, S_ROUTE, S_CLIENT, S_TARGET, S_NKINDS, S_BAD = -1 };
static const char *const sect_names[S_NKINDS] = { "gateway", "provider", "route", "client", "target" };

/* V_DEC: a decimal number (digits, one optional '.'; no sign or exponent)
 * stored as a double. */
enum vkind { V_SPECIAL, V_STR, V_PATH, V_BOOL, V_UINT, V_KB, V_MS, V_DEC };

struct optdesc {
	const char *name;
	unsigned char multi;		/* `list` allowed; `option` may repeat */
	unsigned char kind;
	size_t off;			/* into the section's struct: cfg_gateway, cfg_route,
					 * cfg_client, or tvals for a target section */
	unsigned min, max;		/* V_UINT/V_KB/V_DEC in their unit; V_MS in ms */
};

/* A target section's values before they are merged with the price table. */
struct tvals {
	double in, cached, out;
	unsigned quality, weight;
};

#define GW(f) offsetof(struct cfg_gateway, f)
#define RT(f) offsetof(struct cfg_route, f)
#define CL(f) offsetof(struct cfg_client, f)
#define TV(f) offsetof(struct tvals, f)
#define DAY_MS 86400000u
#define USD_MAX 1000000000u		/* a price or budget above this is a typo */

static const struct optdesc gateway_opts[] = {
	{ "listen", 1, V_SPECIAL, 0, 0, 0 },
	{ "ca_file", 0, V_PATH, GW(ca_file), 0, 0 },
	{ "log_level", 0, V_SPECIAL, 0, 0, 0 },
	{ "syslog", 0, V_BOOL, GW(syslog), 0, 0 },
	{ "user", 0, V_STR, GW(user), 0, 0 },
	{ "anonymous", 0, V_BOOL, GW(anonymous), 0, 0 },
	{ "max_connections", 0, V_UINT, GW(max_connections), 1, 65535 },
	{ "max_inflight", 0, V_UINT, GW(max_inflight), 1, 65535 },
	{ "max_upstream", 0, V_UINT, GW(max_upstream), 1, 65535 },
	{ "max_header_kb", 0, V_KB, GW(max_header_bytes), 1, 1024 },
	{ "max_body_kb", 0, V_KB, GW(max_body_bytes), 1, 262144 },
	{ "max_response_kb", 0, V_KB, GW(max_response_bytes), 1, 262144 },
	{ "header_timeout", 0, V_MS, GW(header_timeout_ms), 1, DAY_MS },
	{ "idle_timeout", 0, V_MS, GW(idle_timeout_ms), 1, DAY_MS },
	{ "connect_timeout", 0, V_MS, GW(connect_timeout_ms), 1, DAY_MS },
	{ "first_byte_timeout", 0, V_MS, GW(first_byte_timeout_ms), 1, DAY_MS },
	{ "stream_idle_timeout", 0, V_MS, GW(stream_idle_timeout_ms), 1, DAY_MS },
	{ "upstream_idle", 0, V_MS, GW(upstream_idle_ms), 1, DAY_MS },
	{ "shutdown_timeout", 0, V_MS, GW(shutdown_timeout_ms), 0, DAY_MS },
	{ "resolv_conf", 0, V_PATH, GW(resolv_conf), 0, 0 },
	{ "hosts_file", 0, V_PATH, GW(hosts_file), 0, 0 },
	{ "nameserver", 1, V_SPECIAL, 0, 0, 0 },
	{ "default_max_tokens", 0, V_UINT, GW(default_max_tokens), 1, 10000000 },
	{ "state_dir", 0, V_PATH, GW(state_dir), 0, 0 },
	{ "flush_interval", 0, V_MS, GW(flush_interval_ms), 1, DAY_MS },
	{ "probe_interval", 0, V_MS, GW(probe_interval_ms), 0, DAY_MS },
	{ "probe_interval_open", 0, V_MS, GW(probe_interval_open_ms), 1, DAY_MS },
	{ "breaker_failures", 0, V_UINT, GW(breaker_failures), 1, 1000000 },
	{ "breaker_ratio", 0, V_DEC, GW(breaker_ratio), 0, 1 },
	{ "breaker_min_requests", 0, V_UINT, GW(breaker_min_requests), 1, 1000000 },
	{ "breaker_window", 0, V_MS, GW(breaker_window_ms), 1, DAY_MS },
	{ "breaker_cooldown", 0, V_MS, GW(breaker_cooldown_ms), 1, DAY_MS },
	{ "breaker_max_cooldown", 0, V_MS, GW(breaker_max_cooldown_ms), 1, DAY_MS },
	{ "max_attempts", 0, V_UINT, GW(max_attempts), 1, 10 },
	{ "request_deadline", 0, V_MS, GW(request_deadline_ms), 1, DAY_MS },
	{ "access_log", 0, V_BOOL, GW(access_log), 0, 0 },
	{ "status_page", 0, V_BOOL, GW(status_page), 0, 0 },
	{ "metrics", 0, V_BOOL, GW(metrics), 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 }
};

static const struct optdesc provider_opts[] = {
	{ "type", 0, V_SPECIAL, 0, 0, 0 },
	{ "base_url", 0, V_SPECIAL, 0, 0, 0 },
	{ "key_env", 0, V_SPECIAL, 0, 0, 0 },
	{ "key_file", 0, V_SPECIAL, 0, 0, 0 },
	{ "key", 0, V_SPECIAL, 0, 0, 0 },
	{ "model", 1, V_SPECIAL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 }
};

/* Route timeouts and max_attempts: 0 / absent take the gateway's. */
static const struct optdesc route_opts[] = {
	{ "target", 1, V_SPECIAL, 0, 0, 0 },
	{ "strategy", 0, V_SPECIAL, 0, 0, 0 },
	{ "min_quality", 0, V_UINT, RT(min_quality), 0, 5 },
	{ "max_attempts", 0, V_UINT, RT(max_attempts), 1, 10 },
	{ "connect_timeout", 0, V_MS, RT(connect_timeout_ms), 0, DAY_MS },
	{ "first_byte_timeout", 0, V_MS, RT(first_byte_timeout_ms), 0, DAY_MS },
	{ "stream_idle_timeout", 0, V_MS, RT(stream_idle_timeout_ms), 0, DAY_MS },
	{ NULL, 0, 0, 0, 0, 0 }
};

static const struct optdesc client_opts[] = {
	{ "key_sha256", 0, V_SPECIAL, 0, 0, 0 },
	{ "allow", 1, V_SPECIAL, 0, 0, 0 },
	{ "rpm", 0, V_UINT, CL(rpm), 0, 100000000 },
	{ "tpm", 0, V_UINT, CL(tpm), 0, 4000000000u },
	{ "daily_usd", 0, V_DEC, CL(daily_usd), 0, USD_MAX },
	{ "monthly_usd", 0, V_DEC, CL(monthly_usd), 0, USD_MAX },
	{ NULL, 0, 0, 0, 0, 0 }
};

static const struct optdesc target_opts[] = {
	{ "model", 0, V_SPECIAL, 0, 0, 0 },
	{ "input_usd_per_mtok", 0, V_DEC, TV(in), 0, USD_MAX },
	{ "cached_usd_per_mtok", 0, V_DEC, TV(cached), 0, USD_MAX },
	{ "output_usd_per_mtok", 0, V_DEC, TV(out), 0, USD_MAX },
	{ "quality", 0, V_UINT, TV(quality), 1, 5 },
	{ "weight", 0, V_UINT, TV(weight), 1, 1000 },
	{ NULL, 0, 0, 0, 0, 0 }
};

static const struct optdesc *const sect_opts[S_NKINDS] = {
	gateway_opts, provider_opts, route_opts, client_opts, target_opts
};

/* ---- parsed form ---- */

struct opt {
	struct opt *next;
	const struct optdesc *d;
	const char *val;
	size_t len;
	int line;
};

struct sect {
	struct sect *next;
	int kind;
	const char *name;		/* NULL: anonymous */
	int line;
	struct opt *opts, **opt_tail;
};

struct loader {
	struct cfg *c;
	struct arena a;
	const char *name;
	cfg_report_fn report;
	void *ctx;
	int nerr;
	int oom;
	struct sect *sects, **sect_tail;
	struct sect *cur;		/* section options go to; NULL before the first */
	int cur_ignored;		/* current section is unknown: swallow its options */
	unsigned nsects;
	struct rmsg *msgs, **msg_tail;	/* held back to be reported in line order */
	unsigned nmsgs;
};

struct rmsg {
	struct rmsg *next;
	int line;
	unsigned seq;
	char text[];
};


static void report(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	L->nerr++;
	if (!L->report)
		return;
	/* The parser finds some problems and the builder the rest; holding
	 * messages back lets `llmgw -t` list them by line. */
	size_t n = strlen(msg);
	struct rmsg *m = arena_alloc_quiet(&L->a, sizeof *m + n + 1);
	if (!m) {
		L->report(L->ctx, L->name, line, msg);
		return;
	}
	m->line = line;
	m->seq = L->nmsgs++;
	memcpy(m->text, msg, n + 1);
	*L->msg_tail = m;
	L->msg_tail = &m->next;
}

static int rmsg_cmp(const void *a, const void *b)
{
	const struct rmsg *x = *(const struct rmsg *const *)a, *y = *(const struct rmsg *const *)b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void flush_reports(struct loader *L)
{
	if (!L->nmsgs)
		return;
	struct rmsg **v = malloc(L->nmsgs * sizeof *v);
	unsigned i = 0;
	for (struct rmsg *m = L->msgs; m; m = m->next)
		if (v)
			v[i++] = m;
		else
			L->report(L->ctx, L->name, m->line, m->text);
	if (!v)
		return;
	qsort(v, i, sizeof *v, rmsg_cmp);
	for (unsigned j = 0; j < i; j++)
		L->report(L->ctx, L->name, v[j]->line, v[j]->text);
	free(v);
}

static void *lalloc(struct loader *L, size_t n)
{
	void *p = arena_alloc_quiet(&L->a, n);
	if (!p && !L->oom) {
		L->oom = 1;
		report(L, 0, "out of memory");
	}
	return p;
}

static char *lstrdup(struct loader *L, const char *s, size_t n)
{
	char *p = lalloc(L, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* User text quoted in a message: cut to ECHO_MAX, control bytes as '?'.
 * Never used on key values. */
static const char *echo(char *buf, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;
	for (i = 0; i < n && o + 4 < cap && i < ECHO_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (i < n && o + 4 <= cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

#define ECHO(buf, s) echo(buf, sizeof buf, (s), strlen(s))

/* ---- did you mean ---- */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[SUGGEST_MAX + 1];

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

struct suggest {
	const char *best;
	unsigned dist;
	const char *word;
};

static void suggest_init(struct suggest *s, const char *word)
{
	s->best = NULL;
	s->dist = 1000;
	s->word = word;
}

static void suggest_try(struct suggest *s, const char *cand)
{
	size_t l = strlen(cand), wl = strlen(s->word);
	/* close enough to be a typo, not just another short word */
	unsigned limit = l <= 3 ? 1 : l <= 6 ? 2 : 3;
	if ((wl > l ? wl - l : l - wl) > limit)
		return;		/* the distance is at least the length difference */
	unsigned d = edit_distance(s->word, cand);
	if (d <= limit && d < s->dist) {
		s->dist = d;
		s->best = cand;
	}
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest_text(const struct suggest *s, char *buf, size_t cap)
{
	if (!s->best)
		return "";
	fmt_snprintf(buf, cap, " (did you mean '%s'?)", s->best);
	return buf;
}

/* ---- tokenizer and parser ---- */

struct tok {
	const char *s;
	size_t len;
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Unknown keywords and option names are quoted back only when they look
 * like one of ours: lowercase, digits and '_', short. A key pasted on the wrong line has
 * digits or capitals and must not end up in a message. */
static const char *word_shown(const struct tok *t)
{
	if (t->len == 0 || t->len > ECHO_WORD_MAX)
		return NULL;
	for (size_t i = 0; i < t->len; i++)
		if (!(t->s[i] >= 'a' && t->s[i] <= 'z') && !(t->s[i] >= '0' && t->s[i] <= '9') && t->s[i] != '_')
			return NULL;
	return t->s;
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return 0;
	return 1;
}

/* Splits one line into decoded tokens written to out (which has room for
 * the line). Returns the token count, or -1 after reporting an error. */
static int tokenize(struct loader *L, int lineno, const char *p, const char *end, char *out, struct tok *toks)
{
	int n = 0;

	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			return n;
		if (n == MAX_TOKENS) {
			report(L, lineno, "too many words on the line (quote values that contain spaces)");
			return -1;
		}
		char *start = out;
		while (p < end && !is_blank(*p) && *p != '#') {
			char ch = *p++;
			if (ch == '\'') {
				const char *q = memchr(p, '\'', (size_t)(end - p));
				if (!q) {
					report(L, lineno, "unterminated single quote");
					return -1;
				}
				memcpy(out, p, (size_t)(q - p));
				out += q - p;
				p = q + 1;
			} else if (ch == '"') {
				for (;;) {
					if (p == end) {
						report(L, lineno, "unterminated double quote");
						return -1;
					}
					ch = *p++;
					if (ch == '"')
						break;
					if (ch == '\\') {
						if (p == end) {
							report(L, lineno, "unterminated double quote");
							return -1;
						}
						ch = *p++;
					}
					*out++ = ch;
				}
			} else if (ch == '\\') {
				if (p == end) {
					report(L, lineno, "backslash at the end of the line");
					return -1;
				}
				*out++ = *p++;
			} else {
				*out++ = ch;
			}
		}
		for (char *q = start; q < out; q++) {
			unsigned char ch = (unsigned char)*q;
			if (ch < 0x20 || ch == 0x7f) {
				report(L, lineno, ch ? "control character in a value" : "NUL byte in the file");
				return -1;
			}
		}
		toks[n].s = start;
		toks[n].len = (size_t)(out - start);
		*out++ = '\0';
		n++;
	}
}

static int tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

static const struct optdesc *find_opt(const struct optdesc *tab, const char *name)
{
	for (; tab->name; tab++)
		if (strcmp(tab->name, name) == 0)
			return tab;
	return NULL;
}

static void parse_config(struct loader *L, int lineno, struct tok *t, int n)
{
	char sb[96];

	L->cur = NULL;
	L->cur_ignored = 1;	/* until this section proves good */
	if (n < 2) {
		report(L, lineno, "'config' needs a section type");
		return;
	}
	if (n > 3) {
		report(L, lineno, "too many words after 'config' (expected: config TYPE 'NAME')");
		return;
	}
	int kind = S_BAD;
	for (int k = 0; k < S_NKINDS; k++)
		if (strcmp(t[1].s, sect_names[k]) == 0)
			kind = k;
	if (kind == S_BAD) {
		struct suggest sg;
		suggest_init(&sg, t[1].s);
		for (int k = 0; k < S_NKINDS; k++)
			suggest_try(&sg, sect_names[k]);
		const char *shown = word_shown(&t[1]);
		report(L, lineno, "unknown section type%s%s%s%s; expected gateway, provider, route, target or client",
		    shown ? " '" : "", shown ? shown : "", shown ? "'" : "", suggest_text(&sg, sb, sizeof sb));
		return;
	}
	if (++L->nsects > MAX_SECTIONS) {
		if (L->nsects == MAX_SECTIONS + 1)
			report(L, lineno, "too many sections (at most %u)", MAX_SECTIONS);
		return;
	}
	struct sect *s = lalloc(L, sizeof *s);
	if (!s)
		return;
	s->kind = kind;
	s->line = lineno;
	s->opt_tail = &s->opts;
	if (n == 3) {
		s->name = lstrdup(L, t[2].s, t[2].len);
		if (!s->name)
			return;
	}
	*L->sect_tail = s;
	L->sect_tail = &s->next;
	L->cur = s;
	L->cur_ignored = 0;
}

static void parse_option(struct loader *L, int lineno, struct tok *t, int n, int is_list)
{
	const char *kw = is_list ? "list" : "option";
	char sb[96];

	if (n < 2) {
		report(L, lineno, "'%s' needs a name and a value", kw);
		return;
	}
	/* Only identifier-like names are echoed: a stray key pasted on the
	 * wrong line must not end up in a message. */
	const char *shown = word_shown(&t[1]);
	if (!L->cur) {
		if (!L->cur_ignored)
			report(L, lineno, "%s '%s' outside a section (add a 'config' line above it)", kw,
			    shown ? shown : "?");
		return;
	}
	const struct optdesc *d = find_opt(sect_opts[L->cur->kind], t[1].s);
	if (!d) {
		struct suggest sg;
		suggest_init(&sg, t[1].s);
		for (const struct optdesc *o = sect_opts[L->cur->kind]; o->name; o++)
			suggest_try(&sg, o->name);
		if (shown)
			report(L, lineno, "unknown option '%s' in %s section%s", shown,
			    sect_names[L->cur->kind], suggest_text(&sg, sb, sizeof sb));
		else
			report(L, lineno, "unknown option in %s section%s", sect_names[L->cur->kind],
			    suggest_text(&sg, sb, sizeof sb));
		return;
	}
	if (n < 3) {
		report(L, lineno, "%s '%s' has no value", kw, d->name);
		return;
	}
	if (n > 3) {
		report(L, lineno, "%s '%s' has more than one value (quote values that contain spaces)", kw, d->name);
		return;
	}
	if (is_list && !d->multi) {
		report(L, lineno, "'%s' takes a single value: use 'option', not 'list'", d->name);
		return;
	}
	if (!d->multi) {
		for (struct opt *o = L->cur->opts; o; o = o->next) {
			if (o->d == d) {
				report(L, lineno, "option '%s' given twice (first at line %d)", d->name, o->line);
				return;
			}
		}
	}
	struct opt *o = lalloc(L, sizeof *o);
	if (!o)
		return;
	o->d = d;
	o->line = lineno;
	o->len = t[2].len;
	o->val = lstrdup(L, t[2].s, t[2].len);
	if (!o->val)
		return;
	*L->cur->opt_tail = o;
	L->cur->opt_tail = &o->next;
}

static void parse_text(struct loader *L, const char *text, size_t len)
{
	char *scratch = malloc(len + MAX_TOKENS + 1);
	struct tok toks[MAX_TOKENS];
	char sb[96];
	int lineno = 0;

	if (!scratch) {
		L->oom = 1;
		report(L, 0, "out of memory");
		return;
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		int n = tokenize(L, lineno, p, le, scratch, toks);
		if (n < 0) {
			/* A broken `config` line must not leave its options to the
			 * section before it: they would draw unrelated errors. */
			const char *q = p;
			while (q < le && is_blank(*q))
				q++;
			if (le - q > 6 && memcmp(q, "config", 6) == 0 && is_blank(q[6])) {
				L->cur = NULL;
				L->cur_ignored = 1;
			}
		}
		p = nl ? nl + 1 : end;
		if (n <= 0)
			continue;
		if (tok_is(&toks[0], "config")) {
			parse_config(L, lineno, toks, n);
		} else if (tok_is(&toks[0], "option")) {
			parse_option(L, lineno, toks, n, 0);
		} else if (tok_is(&toks[0], "list")) {
			parse_option(L, lineno, toks, n, 1);
		} else if (tok_is(&toks[0], "package")) {
			/* `uci export` writes it; one file is one package */
		} else {
			static const char *const kws[] = { "config", "option", "list", "package" };
			struct suggest sg;
			suggest_init(&sg, toks[0].s);
			for (unsigned i = 0; i < 4; i++)
				suggest_try(&sg, kws[i]);
			if (word_shown(&toks[0]))
				report(L, lineno, "unknown keyword '%s'%s; expected config, option or list",
				    toks[0].s, suggest_text(&sg, sb, sizeof sb));
			else
				report(L, lineno, "unknown keyword; expected config, option or list");
		}
	}
	wipe(scratch, len + MAX_TOKENS + 1);	/* it held inline keys */
	free(scratch);
}

/* ---- value parsers ---- */

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -2;
	}
	*out = v;
	return 0;
}

/* "10" and "10s" are seconds, "500ms" milliseconds, "2m" minutes. */
static int parse_duration_ms(const char *s, unsigned long long *ms)
{
	char num[24];
	size_t i = 0;
	unsigned long long v, mul = 1000;

	while (s[i] >= '0' && s[i] <= '9' && i < sizeof num - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0 || (s[i] >= '0' && s[i] <= '9'))
		return -1;
	const char *suf = s + i;
	if (!*suf || strcmp(suf, "s") == 0)
		mul = 1000;
	else if (strcmp(suf, "ms") == 0)
		mul = 1;
	else if (strcmp(suf, "m") == 0 || strcmp(suf, "min") == 0)
		mul = 60000;
	else if (strcmp(suf, "h") == 0)
		mul = 3600000;
	else
		return -1;
	int r = parse_uint(num, 1000000000000ull, &v);
	if (r < 0)
		return r;
	*ms = v * mul;
	return 0;
}

/* "0.5", "12", "12.", ".25": digits with at most one '.'. No sign,
 * exponent, inf or nan, and no locale (strtod has all of those). -1: not
 * a decimal number; -2: negative or too large. */
static int parse_decimal(const char *s, double max, double *out)
{
	unsigned long long m = 0;
	unsigned frac = 0, ndig = 0;
	int dot = 0, neg = 0, big = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s; s++) {
		if (*s == '.') {
			if (dot)
				return -1;
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		ndig++;
		if (m >= 100000000000000000ull) {
			if (!dot)
				big = 1;
			continue;	/* further fraction digits are below a double's precision */
		}
		m = m * 10 + (unsigned)(*s - '0');
		frac += (unsigned)dot;
	}
	if (ndig == 0)
		return -1;
	if (big || (neg && m))
		return -2;
	double v = (double)m, p10 = 1;
	while (frac--)
		p10 *= 10;	/* exact: at most 10^18 */
	v /= p10;
	if (v > max)
		return -2;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "yes", "on", "true", "enabled" };
	static const char *const no[] = { "0", "no", "off", "false", "disabled" };
	for (unsigned i = 0; i < 5; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int parse_port(const char *s, size_t n, unsigned short *port)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

static int hostname_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

/* An IPv6 literal, optionally with a %zone. */
static int v6_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char addr[16];
	const char *pct = memchr(s, '%', n);
	size_t an = pct ? (size_t)(pct - s) : n;

	if (an == 0 || an >= sizeof buf)
		return 0;
	if (pct) {
		size_t zn = n - an - 1;
		if (zn == 0 || zn > 15 || !hostname_ok(pct + 1, zn))
			return 0;
	}
	memcpy(buf, s, an);
	buf[an] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

int cfg_parse_hostport(const char *s, char *host, size_t hostlen, unsigned short *port)
{
	const char *h, *colon;
	size_t hn;

	if (!s || !host || hostlen == 0)
		return -1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = s + 1;
		hn = (size_t)(rb - h);
		if (!v6_ok(h, hn))
			return -1;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		h = s;
		hn = (size_t)(colon - s);
		if (hn && !hostname_ok(h, hn))
			return -1;	/* also rejects unbracketed IPv6 */
	}
	if (parse_port(colon + 1, strlen(colon + 1), port) < 0)
		return -1;
	if (hn >= hostlen)
		return -1;
	memcpy(host, h, hn);
	host[hn] = '\0';
	return 0;
}

static int seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		fmt_snprintf(err, errlen, "%s", msg);
	return -1;
}

int cfg_parse_url(const char *s, struct cfg_url *u, char *err, size_t errlen)
{
	const char *p;

	memset(u, 0, sizeof *u);
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		u->port = 443;
		p = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		u->port = 80;
		p = s + 7;
	} else if (strstr(s, "://")) {
		return seterr(err, errlen, "unsupported scheme (use http:// or https://)");
	} else {
		return seterr(err, errlen, "missing scheme (use http:// or https://)");
	}
	size_t alen = strcspn(p, "/?#");
	const char *path = p + alen;
	if (memchr(p, '@', alen))
		return seterr(err, errlen, "credentials in the URL are not supported (use key, key_env or key_file)");
	if (alen == 0)
		return seterr(err, errlen, "no host");
	const char *h = p, *portp = NULL;
	size_t hn;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', alen);
		if (!rb)
			return seterr(err, errlen, "unterminated '[' in host");
		h = p + 1;
		hn = (size_t)(rb - h);
		if (!v6_ok(h, hn))
			return seterr(err, errlen, "bad IPv6 address");
		if (rb + 1 < p + alen) {
			if (rb[1] != ':')
				return seterr(err, errlen, "unexpected text after ']'");
			portp = rb + 2;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		hn = colon ? (size_t)(colon - p) : alen;
		if (colon && memchr(colon + 1, ':', (size_t)(p + alen - colon - 1)))
			return seterr(err, errlen, "IPv6 addresses must be in brackets: http://[::1]:8080");
		if (hn == 0)
			return seterr(err, errlen, "no host");
		if (!hostname_ok(h, hn))
			return seterr(err, errlen, "bad character in host name");
		if (colon)
			portp = colon + 1;
	}
	if (hn >= sizeof u->host)
		return seterr(err, errlen, "host name too long");
	if (portp && parse_port(portp, (size_t)(p + alen - portp), &u->port) < 0)
		return seterr(err, errlen, "bad port (1-65535)");
	memcpy(u->host, h, hn);
	u->host[hn] = '\0';

	size_t plen = strlen(path);
	for (size_t i = 0; i < plen; i++) {
		unsigned char ch = (unsigned char)path[i];
		if (ch == '?' || ch == '#')
			return seterr(err, errlen, "a query or fragment is not allowed in a base URL");
		if (ch <= 0x20 || ch >= 0x7f)
			return seterr(err, errlen, "bad character in path (percent-encode it)");
	}
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= 3 && memcmp(path + plen - 3, "/v1", 3) == 0)
		plen -= 3;
	else if (plen >= 7 && memcmp(path + plen - 7, "/v1beta", 7) == 0)
		plen -= 7;	/* Gemini's version, which its dialect adds back */
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= sizeof u->prefix)
		return seterr(err, errlen, "path too long");
	memcpy(u->prefix, path, plen);
	u->prefix[plen] = '\0';
	return 0;
}

/* ---- builder ---- */

static unsigned count_opts(const struct sect *s, const char *name)
{
	unsigned n = 0;
	for (const struct opt *o = s->opts; o; o = o->next)
		n += strcmp(o->d->name, name) == 0;
	return n;
}

static const struct opt *get_opt(const struct sect *s, const char *name)
{
	for (const struct opt *o = s->opts; o; o = o->next)
		if (strcmp(o->d->name, name) == 0)
			return o;
	return NULL;
}

/* A NULL-terminated array of the values of a multi-valued option. */
static const char **collect(struct loader *L, const struct sect *s, const char *name, unsigned *n)
{
	unsigned cnt = count_opts(s, name), i = 0;
	const char **v = lalloc(L, (cnt + 1) * sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (const struct opt *o = s->opts; o; o = o->next)
		if (strcmp(o->d->name, name) == 0)
			v[i++] = o->val;
	v[i] = NULL;
	*n = cnt;
	return v;
}

static void gateway_defaults(struct cfg_gateway *g)
{
	static const char *const def_listen[] = { "127.0.0.1:8080", NULL };
	static const char *const no_ns[] = { NULL };

	g->listen = def_listen;
	g->nlisten = 1;
	g->ca_file = "/etc/ssl/certs/ca-certificates.crt";
	g->log_level = LOG_LVL_INFO;
	g->syslog = 0;
	g->user = NULL;
	g->anonymous = 0;
	g->max_connections = 1024;
	g->max_inflight = 64;
	g->max_upstream = 64;
	g->max_header_bytes = 16 * 1024;
	g->max_body_bytes = 1024 * 1024;
	g->max_response_bytes = 1024 * 1024;
	g->header_timeout_ms = 30000;
	g->idle_timeout_ms = 60000;
	g->connect_timeout_ms = 10000;
	g->first_byte_timeout_ms = 120000;
	g->stream_idle_timeout_ms = 120000;
	g->upstream_idle_ms = 60000;
	g->shutdown_timeout_ms = 10000;
	g->resolv_conf = "/etc/resolv.conf";
	g->hosts_file = "/etc/hosts";
	g->nameservers = no_ns;
	g->nnameservers = 0;
	g->default_max_tokens = 4096;
	g->state_dir = "/var/lib/llmgw";
	g->flush_interval_ms = 300000;
	g->probe_interval_ms = LLMGW_PROBES ? 60000 : 0;
	g->probe_interval_open_ms = 10000;
	g->breaker_failures = 5;
	g->breaker_ratio = 0.5;
	g->breaker_min_requests = 10;
	g->breaker_window_ms = 60000;
	g->breaker_cooldown_ms = 10000;
	g->breaker_max_cooldown_ms = 300000;
	g->max_attempts = 3;
	g->request_deadline_ms = 300000;
	g->access_log = 1;
	g->status_page = LLMGW_STATUS_PAGE;
	g->metrics = LLMGW_METRICS;
}

static void fmt_ms(char *buf, size_t cap, unsigned ms)
{
	if (ms % 1000 == 0)
		fmt_snprintf(buf, cap, "%us", ms / 1000);
	else
		fmt_snprintf(buf, cap, "%ums", ms);
}

/* Sets the field of a table-driven option (any kind but V_SPECIAL) in
 * base, the section's struct; pfx starts messages ("route 'r': "). A value
 * that does not parse or is out of range is reported and leaves the
 * default in place. */
static void set_opt(struct loader *L, const char *pfx, const struct opt *o, void *base)
{
	const struct optdesc *d = o->d;
	void *field = (char *)base + d->off;
	char eb[ECHO_MAX + 8], lo[32], hi[32];
	unsigned long long v = 0;
	double dv = 0;
	int r, b;

	switch (d->kind) {
	case V_STR:
		*(const char **)field = o->len ? o->val : NULL;
		break;
	case V_PATH:
		if (!o->len)
			report(L, o->line, "%s%s: empty path", pfx, d->name);
		else
			*(const char **)field = o->val;
		break;
	case V_BOOL:
		if (parse_bool(o->val, &b) < 0)
			report(L, o->line, "%s%s: '%s' is not a boolean (use 1 or 0)", pfx, d->name, ECHO(eb, o->val));
		else
			*(int *)field = b;
		break;
	case V_UINT:
	case V_KB:
		r = parse_uint(o->val, 0xffffffffull, &v);
		if (r == -1)
			report(L, o->line, "%s%s: '%s' is not a number", pfx, d->name, ECHO(eb, o->val));
		else if (r < 0 || v < d->min || v > d->max)
			report(L, o->line, "%s%s: must be between %u and %u", pfx, d->name, d->min, d->max);
		else
			*(unsigned *)field = (unsigned)(d->kind == V_KB ? v * 1024 : v);
		break;
	case V_MS:
		r = parse_duration_ms(o->val, &v);
		fmt_ms(lo, sizeof lo, d->min);
		fmt_ms(hi, sizeof hi, d->max);
		if (r == -1)
			report(L, o->line, "%s%s: '%s' is not a duration (use e.g. 30, 30s or 500ms)",
			    pfx, d->name, ECHO(eb, o->val));
		else if (r < 0 || v < d->min || v > d->max)
			report(L, o->line, "%s%s: must be between %s and %s", pfx, d->name, lo, hi);
		else
			*(unsigned *)field = (unsigned)v;
		break;
	case V_DEC:
		r = parse_decimal(o->val, (double)d->max, &dv);
		if (r == -1)
			report(L, o->line, "%s%s: '%s' is not a decimal number (use e.g. 0.5 or 12)",
			    pfx, d->name, ECHO(eb, o->val));
		else if (r < 0 || dv < d->min)
			report(L, o->line, "%s%s: must be between %u and %u", pfx, d->name, d->min, d->max);
		else
			*(double *)field = dv;
		break;
	default:
		break;
	}
}

static void build_gateway(struct loader *L, const struct sect *s)
{
	struct cfg_gateway *g = &L->c->gw;
	char eb[ECHO_MAX + 8];

	if (s->name && strcmp(s->name, "main") != 0)
		report(L, s->line, "the gateway section is named 'main' or not named at all");
	for (const struct opt *o = s->opts; o; o = o->next) {
		set_opt(L, "", o, g);
		if (strcmp(o->d->name, "log_level") == 0) {
			enum log_level lvl;
			if (log_level_parse(o->val, &lvl) < 0)
				report(L, o->line, "log_level: '%s' is not one of error, warn, info, debug", ECHO(eb, o->val));
			else
				g->log_level = lvl;
		}
	}
	if (g->breaker_max_cooldown_ms < g->breaker_cooldown_ms) {
		const struct opt *o = get_opt(s, "breaker_max_cooldown");
		char lo[32], hi[32];
		fmt_ms(lo, sizeof lo, g->breaker_max_cooldown_ms);
		fmt_ms(hi, sizeof hi, g->breaker_cooldown_ms);
		report(L, o ? o->line : get_opt(s, "breaker_cooldown")->line,
		    "breaker_max_cooldown (%s) is shorter than breaker_cooldown (%s)", lo, hi);
	}

	unsigned n;
	const char **v;
	if (count_opts(s, "listen")) {
		v = collect(L, s, "listen", &n);
		if (v) {
			g->listen = v;
			g->nlisten = n;
		}
		if (n > CFG_MAX_LISTEN)
			report(L, s->line, "at most %d listen addresses", CFG_MAX_LISTEN);
		for (const struct opt *o = s->opts; o; o = o->next) {
			char host[256];
			unsigned short port;
			unsigned char addr[16];
			if (strcmp(o->d->name, "listen") != 0)
				continue;
			if (cfg_parse_hostport(o->val, host, sizeof host, &port) < 0)
				report(L, o->line, "listen: '%s' is not ip:port, [v6]:port or :port",
				    ECHO(eb, o->val));
			else if (host[0] && inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
				report(L, o->line, "listen: '%s': the address must be a numeric IPv4 or IPv6 address",
				    ECHO(eb, o->val));
		}
	}
	if (count_opts(s, "nameserver")) {
		v = collect(L, s, "nameserver", &n);
		if (v) {
			g->nameservers = v;
			g->nnameservers = n;
		}
		for (const struct opt *o = s->opts; o; o = o->next) {
			char host[256];
			unsigned short port;
			unsigned char addr[16];
			if (strcmp(o->d->name, "nameserver") != 0)
				continue;
			if (inet_pton(AF_INET, o->val, addr) == 1 || inet_pton(AF_INET6, o->val, addr) == 1)
				continue;
			if (cfg_parse_hostport(o->val, host, sizeof host, &port) == 0 &&
			    (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1))
				continue;
			report(L, o->line, "nameserver: '%s' is not an IP address (ip, ip:port or [v6]:port)",
			    ECHO(eb, o->val));
		}
	}
}

/* The known provider types, for messages. */
static void type_list(char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; provider_type_at(i); i++) {
		int n = fmt_snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", provider_type_at(i)->name);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

static int env_name_ok(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* A key goes into an HTTP header: no whitespace or control bytes. */
static int key_bytes_ok(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k[i];
		if (ch <= 0x20 || ch == 0x7f)
			return 0;
	}
	return 1;
}

/* Reads path into the arena as p->key. The file's content is never put in a
 * message, not even in part. */
static void read_key_file(struct loader *L, struct cfg_provider *p, const struct opt *o)
{
	char eb[ECHO_MAX + 8];
	char buf[KEY_FILE_MAX + 1];
	size_t n = 0;
	struct stat st;

	/* O_NONBLOCK: a FIFO named by mistake must not hang start-up */
	int fd = open(o->val, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		report(L, o->line, "provider '%s': cannot read key_file '%s': %s", p->name,
		    ECHO(eb, o->val), strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		report(L, o->line, "provider '%s': key_file '%s' is not a regular file", p->name, ECHO(eb, o->val));
		close(fd);
		return;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof buf - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			report(L, o->line, "provider '%s': cannot read key_file '%s': %s", p->name,
			    ECHO(eb, o->val), strerror(errno));
			close(fd);
			wipe(buf, sizeof buf);
			return;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof buf)
			break;
	}
	close(fd);
	if (n > KEY_FILE_MAX) {
		report(L, o->line, "provider '%s': key_file '%s' is too large for a key", p->name, ECHO(eb, o->val));
	} else {
		size_t b = 0, e = n;
		while (b < e && isspace((unsigned char)buf[b]))
			b++;
		while (e > b && isspace((unsigned char)buf[e - 1]))
			e--;
		if (b == e)
			report(L, o->line, "provider '%s': key_file '%s' is empty", p->name, ECHO(eb, o->val));
		else if (!key_bytes_ok(buf + b, e - b))
			report(L, o->line, "provider '%s': key_file '%s' must hold one key on one line "
			    "(it contains whitespace or control characters)", p->name, ECHO(eb, o->val));
		else if ((p->key = lstrdup(L, buf + b, e - b)) != NULL)
			p->key_len = e - b;
	}
	wipe(buf, sizeof buf);
}

/* OLLAMA_HOST style: "host", "host:port", ":port", or a URL. The port
 * defaults to the type's default base_url port. */
static int parse_host_env(const char *val, const struct provider_type *t, struct cfg_url *u, char *err, size_t errlen)
{
	struct cfg_url def;
	char buf[600];

	if (!t->base_url || cfg_parse_url(t->base_url, &def, NULL, 0) < 0)
		memset(&def, 0, sizeof def);
	int has_scheme = strstr(val, "://") != NULL;
	if (fmt_snprintf(buf, sizeof buf, "%s%s", has_scheme ? "" : "http://", val) >= (int)sizeof buf)
		return seterr(err, errlen, "too long");
	/* ":11434" and "0.0.0.0" are how servers are told to listen; as a
	 * client we reach them on loopback. */
	if (!has_scheme && val[0] == ':')
		fmt_snprintf(buf, sizeof buf, "http://127.0.0.1%s", val);
	if (cfg_parse_url(buf, u, err, errlen) < 0)
		return -1;
	const char *hostpart = strstr(buf, "://") + 3;
	size_t alen = strcspn(hostpart, "/?#");
	const char *rb = memchr(hostpart, ']', alen);
	const char *after = rb ? rb + 1 : hostpart;
	int has_port = memchr(after, ':', (size_t)(hostpart + alen - after)) != NULL;
	if (!has_port && !has_scheme && def.port)
		u->port = def.port;
	if (strcmp(u->host, "0.0.0.0") == 0)
		strcpy(u->host, "127.0.0.1");
	else if (strcmp(u->host, "::") == 0)
		strcpy(u->host, "::1");
	return 0;
}

static void build_provider(struct loader *L, const struct sect *s, struct cfg_provider *p)
{
	char eb[ECHO_MAX + 8], sb[96], types[512], err[128];
	const char *nm = p->name;
	const struct opt *ot = get_opt(s, "type"), *ou = get_opt(s, "base_url");
	const struct opt *oe = get_opt(s, "key_env"), *of = get_opt(s, "key_file"), *ok = get_opt(s, "key");
	const struct provider_type *t = NULL;

	if (!ot) {
		type_list(types, sizeof types);
		report(L, s->line, "provider '%s': option type is required (one of: %s)", nm, types);
	} else if (!(t = provider_type_find(ot->val)) && provider_left_out_find(ot->val)) {
		const struct provider_left_out *lo = provider_left_out_find(ot->val);
		report(L, ot->line, "provider '%s': provider type '%s' is not in this build (%s=0)", nm, lo->name,
		    lo->option);
	} else if (!t) {
		struct suggest sg;
		suggest_init(&sg, ot->val);
		for (unsigned i = 0; provider_type_at(i); i++)
			suggest_try(&sg, provider_type_at(i)->name);
		type_list(types, sizeof types);
		report(L, ot->line, "provider '%s': unknown type '%s'%s; known types: %s", nm,
		    ECHO(eb, ot->val), suggest_text(&sg, sb, sizeof sb), types);
	}
	p->type = t;

	if (ou) {
		if (cfg_parse_url(ou->val, &p->url, err, sizeof err) < 0)
			report(L, ou->line, "provider '%s': base_url: %s", nm, err);
	} else if (t) {
		const char *hv = t->host_env ? getenv(t->host_env) : NULL;
		if (hv && *hv) {
			if (parse_host_env(hv, t, &p->url, err, sizeof err) < 0)
				report(L, s->line, "provider '%s': environment variable %s: %s", nm, t->host_env, err);
		} else if (t->base_url) {
			if (cfg_parse_url(t->base_url, &p->url, err, sizeof err) < 0)
				report(L, s->line, "provider '%s': built-in base URL of type '%s': %s", nm, t->name, err);
		} else {
			report(L, s->line, "provider '%s': type '%s' has no default address; option base_url is required",
			    nm, t->name);
		}
	}
	if (!LLMGW_TLS && p->url.tls)
		report(L, ou ? ou->line : s->line, "provider '%s': https:// is not in this build (LLMGW_TLS=0): "
		    "only http:// providers%s", nm, ou ? "" : " (the type's default address is https://: give an "
		    "http:// base_url)");

	int nsrc = !!oe + !!of + !!ok;
	if (nsrc > 1) {
		report(L, s->line, "provider '%s': give only one of key, key_env and key_file", nm);
	} else if (oe) {
		if (!env_name_ok(oe->val)) {
			report(L, oe->line, "provider '%s': key_env '%s' is not an environment variable name",
			    nm, ECHO(eb, oe->val));
		} else {
			const char *v = getenv(oe->val);
			size_t vn = v ? strlen(v) : 0;
			if (vn == 0) {
				if (!t || !t->key_optional)
					report(L, oe->line, "provider '%s': environment variable %s (key_env) is %s",
					    nm, oe->val, v ? "empty" : "not set");
			} else if (!key_bytes_ok(v, vn)) {
				report(L, oe->line, "provider '%s': environment variable %s (key_env) contains "
				    "whitespace or control characters", nm, oe->val);
			} else if ((p->key = lstrdup(L, v, vn)) != NULL) {
				p->key_len = vn;
			}
		}
	} else if (of) {
		if (!of->len)
			report(L, of->line, "provider '%s': key_file: empty path", nm);
		else
			read_key_file(L, p, of);
	} else if (ok) {
		if (!ok->len)
			report(L, ok->line, "provider '%s': key is empty", nm);
		else if (!key_bytes_ok(ok->val, ok->len))
			report(L, ok->line, "provider '%s': key contains whitespace or control characters", nm);
		else {
			p->key = ok->val;
			p->key_len = ok->len;
		}
	} else if (t && !t->key_optional) {
		if (t->key_env)
			report(L, s->line, "provider '%s': type '%s' needs a key: set key_env (e.g. option key_env '%s'), "
			    "key_file or key", nm, t->name, t->key_env);
		else
			report(L, s->line, "provider '%s': type '%s' needs a key: set key_env, key_file or key", nm, t->name);
	}

	p->models = collect(L, s, "model", &p->nmodels);
	for (const struct opt *o = s->opts; o; o = o->next)
		if (strcmp(o->d->name, "model") == 0 && !o->len)
			report(L, o->line, "provider '%s': empty model name", nm);
}

/* Checks a provider/route/client section name; 0 when usable. */
static int check_name(struct loader *L, const struct sect *s)
{
	char eb[ECHO_MAX + 8];
	const char *what = sect_names[s->kind];

	if (!s->name) {
		if (s->kind == S_TARGET)
			return 0;	/* the model option identifies it */
		report(L, s->line, "%s section needs a name: config %s 'NAME'", what, what);
		return -1;
	}
	if (!name_ok(s->name)) {
		report(L, s->line, "%s name '%s' may only contain letters, digits, '_', '.' and '-'",
		    what, ECHO(eb, s->name));
		return -1;
	}
	for (const struct sect *o = L->sects; o != s; o = o->next) {
		if (o->kind == s->kind && o->name && strcmp(o->name, s->name) == 0) {
			report(L, s->line, "duplicate %s section '%s' (first at line %d)", what, s->name, o->line);
			return -1;
		}
	}
	return 0;
}

static int provider_index_str(const struct cfg *c, const char *name)
{
	return cfg_provider_index(c, name, strlen(name));
}

static void suggest_provider(struct loader *L, struct suggest *sg)
{
	for (unsigned i = 0; i < L->c->nproviders; i++)
		if (L->c->providers[i].name)
			suggest_try(sg, L->c->providers[i].name);
}

static const char *const strategy_names[] = { "fallback", "cheapest", "fastest", "weighted" };

/* Splits "provider/model" at the first '/' and resolves the provider. 0 and
 * *prov, *model set; -1 after reporting (what: "route 'r': target" or
 * "target"). */
static int resolve_target(struct loader *L, const char *what, const struct opt *o, unsigned *prov, const char **model)
{
	char eb[ECHO_MAX + 8], pb[ECHO_MAX + 8], sb[96];
	const char *slash = strchr(o->val, '/');

	if (!slash || slash == o->val || !slash[1]) {
		report(L, o->line, "%s '%s' must be 'provider/model'", what, ECHO(eb, o->val));
		return -1;
	}
	size_t pn = (size_t)(slash - o->val);
	int idx = cfg_provider_index(L->c, o->val, pn);
	if (idx < 0) {
		char pname[SUGGEST_MAX + 1];
		struct suggest sg;
		echo(pb, sizeof pb, o->val, pn);
		fmt_snprintf(pname, sizeof pname, "%.*s", (int)(pn < SUGGEST_MAX ? pn : SUGGEST_MAX), o->val);
		suggest_init(&sg, pname);
		suggest_provider(L, &sg);
		report(L, o->line, "%s '%s': no provider section named '%s'%s", what,
		    ECHO(eb, o->val), pb, suggest_text(&sg, sb, sizeof sb));
		return -1;
	}
	if (strcmp(slash + 1, "*") == 0) {
		report(L, o->line, "%s '%s': '*' is not a model name (it names the provider's bucket for "
		    "models no route or target section lists)", what, ECHO(eb, o->val));
		return -1;
	}
	*prov = (unsigned)idx;
	*model = slash + 1;
	return 0;
}

static void build_route(struct loader *L, const struct sect *s, struct cfg_route *r)
{
	char eb[ECHO_MAX + 8], sb[96], pfx[96], what[96];
	unsigned n = count_opts(s, "target");
	const struct cfg_gateway *g = &L->c->gw;

	fmt_snprintf(pfx, sizeof pfx, "route '%s': ", r->name);
	for (const struct opt *o = s->opts; o; o = o->next)
		set_opt(L, pfx, o, r);
	const struct opt *os = get_opt(s, "strategy");
	if (os) {
		unsigned i;
		for (i = 0; i < 4 && strcmp(os->val, strategy_names[i]) != 0; i++)
			;
		if (i == CFG_STRATEGY_CHEAPEST && !LLMGW_USAGE) {
			report(L, os->line, "route '%s': strategy 'cheapest' is not in this build (LLMGW_USAGE=0): "
			    "it needs the price table", r->name);
		} else if (i < 4) {
			r->strategy = (enum cfg_strategy)i;
		} else {
			struct suggest sg;
			suggest_init(&sg, os->val);
			for (unsigned j = 0; j < 4; j++)
				suggest_try(&sg, strategy_names[j]);
			report(L, os->line, "route '%s': strategy '%s' is not one of fallback, cheapest, fastest, weighted%s",
			    r->name, ECHO(eb, os->val), suggest_text(&sg, sb, sizeof sb));
		}
	}
	if (!r->max_attempts)
		r->max_attempts = g->max_attempts;
	if (!r->connect_timeout_ms)
		r->connect_timeout_ms = g->connect_timeout_ms;
	if (!r->first_byte_timeout_ms)
		r->first_byte_timeout_ms = g->first_byte_timeout_ms;
	if (!r->stream_idle_timeout_ms)
		r->stream_idle_timeout_ms = g->stream_idle_timeout_ms;

	if (provider_index_str(L->c, r->name) >= 0)
		report(L, s->line, "route '%s' has the name of a provider (a model name would be ambiguous)", r->name);
	if (n == 0) {
		report(L, s->line, "route '%s': list target 'provider/model' is required", r->name);
		return;
	}
	r->targets = lalloc(L, n * sizeof *r->targets);
	if (!r->targets)
		return;
	fmt_snprintf(what, sizeof what, "route '%s': target", r->name);
	for (const struct opt *o = s->opts; o; o = o->next) {
		unsigned prov;
		const char *model;
		if (strcmp(o->d->name, "target") != 0 || resolve_target(L, what, o, &prov, &model) < 0)
			continue;
		r->targets[r->ntargets].provider = prov;
		r->targets[r->ntargets].model = model;
		r->targets[r->ntargets].line = o->line;
		r->ntargets++;
	}
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static void build_client(struct loader *L, const struct sect *s, struct cfg_client *cl, int *has_key)
{
	char eb[ECHO_MAX + 8], sb[96];
	const struct opt *oh = get_opt(s, "key_sha256");

	*has_key = 0;
	if (!oh) {
		report(L, s->line, "client '%s': option key_sha256 is required (sha256 of the client's key, 64 hex digits)",
		    cl->name);
	} else if (oh->len != 64) {
		report(L, oh->line, "client '%s': key_sha256 must be 64 hex digits (it has %zu characters)", cl->name, oh->len);
	} else {
		int bad = 0;
		for (unsigned i = 0; i < 32; i++) {
			int hi = hexval(oh->val[2 * i]), lo = hexval(oh->val[2 * i + 1]);
			if (hi < 0 || lo < 0)
				bad = 1;
			else
				cl->key_sha256[i] = (unsigned char)(hi << 4 | lo);
		}
		if (bad)
			report(L, oh->line, "client '%s': key_sha256 must be 64 hex digits", cl->name);
		else
			*has_key = 1;
	}

	char pfx[96];
	fmt_snprintf(pfx, sizeof pfx, "client '%s': ", cl->name);
	for (const struct opt *o = s->opts; o; o = o->next)
		set_opt(L, pfx, o, cl);

	cl->allow = collect(L, s, "allow", &cl->nallow);
	/* Catch typos: a plain word must be a route, a provider part without
	 * '*' must be a provider. */
	for (const struct opt *o = s->opts; o; o = o->next) {
		if (strcmp(o->d->name, "allow") != 0)
			continue;
		const char *slash = strchr(o->val, '/');
		if (!o->len) {
			report(L, o->line, "client '%s': empty allow pattern", cl->name);
		} else if (!slash) {
			if (!strchr(o->val, '*') && !cfg_route_find(L->c, o->val, o->len)) {
				struct suggest sg;
				suggest_init(&sg, o->val);
				for (unsigned i = 0; i < L->c->nroutes; i++)
					if (L->c->routes[i].name)
						suggest_try(&sg, L->c->routes[i].name);
				report(L, o->line, "client '%s': allow '%s' names no route%s (for a provider's model "
				    "write 'provider/model')", cl->name, ECHO(eb, o->val), suggest_text(&sg, sb, sizeof sb));
			}
		} else {
			size_t pn = (size_t)(slash - o->val);
			if (!memchr(o->val, '*', pn) && cfg_provider_index(L->c, o->val, pn) < 0)
				report(L, o->line, "client '%s': allow '%s': no provider section named '%.*s'",
				    cl->name, ECHO(eb, o->val), (int)(pn < ECHO_MAX ? pn : ECHO_MAX), o->val);
		}
	}
}

/* ---- the target table ---- */

/* FNV-1a over the provider index and the model name. */
static uint32_t target_hash(unsigned provider, const char *model, size_t len)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < 4; i++) {
		h ^= (provider >> (8 * i)) & 0xffu;
		h *= 16777619u;
	}
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)model[i];
		h *= 16777619u;
	}
	return h;
}

static int tinfo_is(const struct cfg_tinfo *t, unsigned provider, const char *model, size_t len)
{
	return t->provider == provider && strncmp(t->model, model, len) == 0 && t->model[len] == '\0';
}

/* The tid of (provider, model), adding it when new; -1 when out of memory.
 * The index has at least twice as many slots as entries, so probing ends. */
static int intern(struct loader *L, unsigned *index, unsigned mask, unsigned provider, const char *model, int line)
{
	struct cfg *c = L->c;
	size_t len = strlen(model);
	uint32_t i = target_hash(provider, model, len) & mask;

	for (; index[i]; i = (i + 1) & mask)
		if (tinfo_is(&c->targets_all[index[i] - 1], provider, model, len))
			return (int)(index[i] - 1);
	const char *pn = c->providers[provider].name;
	size_t pl = strlen(pn);
	char *name = lalloc(L, pl + 1 + len + 1);
	if (!name)
		return -1;
	memcpy(name, pn, pl);
	name[pl] = '/';
	memcpy(name + pl + 1, model, len + 1);
	unsigned tid = c->ntargets_all++;
	struct cfg_tinfo *t = &c->targets_all[tid];
	t->provider = provider;
	t->name = name;
	t->model = name + pl + 1;
	t->weight = 1;
	t->line = line;
	index[i] = tid + 1;
	return (int)tid;
}

/* Prices and quality of t: the table's, then the target section's options
 * (s may be NULL) on top, field by field. */
static void price_target(struct loader *L, struct cfg_tinfo *t, const struct sect *s, const struct tvals *v)
{
	const struct provider_type *ty = L->c->providers[t->provider].type;
	struct price p;
	int known = 0;

	memset(&p, 0, sizeof p);
	if (LLMGW_USAGE && ty)		/* no price table in this build otherwise */
		known = prices_lookup(ty->name, t->model, &p) == 1;
	if (known) {
		t->in_usd_mtok = p.in_usd_mtok;
		t->cached_usd_mtok = p.cached_usd_mtok;
		t->out_usd_mtok = p.out_usd_mtok;
		t->quality = p.quality >= 0 && p.quality <= 5 ? p.quality : 0;
		t->priced = 1;
	}
	if (!s)
		return;
	const struct opt *oi = get_opt(s, "input_usd_per_mtok"), *oc = get_opt(s, "cached_usd_per_mtok");
	const struct opt *oo = get_opt(s, "output_usd_per_mtok");
	if (oi)
		t->in_usd_mtok = v->in;
	if (oc)
		t->cached_usd_mtok = v->cached;
	if (oo)
		t->out_usd_mtok = v->out;
	if (!known && (oi || oc || oo)) {
		/* Half a price would count the other half as $0. */
		if (!oi || !oo) {
			report(L, (oi ? oi : oc ? oc : oo)->line, "target '%s': the built-in price table does not know "
			    "this model: give both input_usd_per_mtok and output_usd_per_mtok", t->name);
		} else {
			if (!oc)
				t->cached_usd_mtok = t->in_usd_mtok;	/* never more than uncached */
			t->priced = 1;
		}
	}
	if (get_opt(s, "quality"))
		t->quality = (int)v->quality;
	if (get_opt(s, "weight"))
		t->weight = v->weight;
}

/* Gives every distinct (provider, model) of the routes and target sections
 * a dense id, then one "other" bucket (model "*") per provider, last. */
static void build_targets(struct loader *L, const struct sect *const *tsect, unsigned ntsect)
{
	struct cfg *c = L->c;
	size_t nrt = 0;

	for (unsigned i = 0; i < c->nroutes; i++)
		nrt += c->routes[i].ntargets;
	size_t cap = nrt + ntsect + c->nproviders;
	size_t slots = 16;
	while (slots < 2 * (nrt + ntsect) + 1)
		slots *= 2;
	c->targets_all = lalloc(L, (cap + 1) * sizeof *c->targets_all);
	unsigned *index = lalloc(L, slots * sizeof *index);
	const struct sect **bysect = lalloc(L, (cap + 1) * sizeof *bysect);
	if (!c->targets_all || !index || !bysect)
		return;
	unsigned mask = (unsigned)(slots - 1);
	c->tindex = index;
	c->tindex_mask = mask;

	for (unsigned i = 0; i < c->nroutes; i++) {
		struct cfg_route *r = &c->routes[i];
		for (unsigned j = 0; j < r->ntargets; j++) {
			int tid = intern(L, index, mask, r->targets[j].provider, r->targets[j].model, r->targets[j].line);
			if (tid < 0)
				return;
			r->targets[j].tid = (unsigned)tid;
		}
	}
	for (unsigned i = 0; i < ntsect; i++) {
		const struct sect *s = tsect[i];
		const struct opt *om = get_opt(s, "model");
		struct tvals v = { 0, 0, 0, 0, 1 };
		char pfx[ECHO_MAX + 40], eb[ECHO_MAX + 8];
		unsigned prov;
		const char *model;

		if (om)
			fmt_snprintf(pfx, sizeof pfx, "target '%s': ", ECHO(eb, om->val));
		else
			fmt_snprintf(pfx, sizeof pfx, "target: ");
		for (const struct opt *o = s->opts; o; o = o->next)
			set_opt(L, pfx, o, &v);
		if (!om) {
			report(L, s->line, "target section: option model 'provider/model' is required");
			continue;
		}
		if (resolve_target(L, "target", om, &prov, &model) < 0)
			continue;
		int tid = intern(L, index, mask, prov, model, s->line);
		if (tid < 0)
			return;
		if (bysect[tid]) {
			report(L, s->line, "target '%s' is already described by the target section at line %d",
			    c->targets_all[tid].name, bysect[tid]->line);
			continue;
		}
		bysect[tid] = s;
		c->targets_all[tid].line = s->line;
		price_target(L, &c->targets_all[tid], s, &v);
	}
	for (unsigned tid = 0; tid < c->ntargets_all; tid++)
		if (!bysect[tid])
			price_target(L, &c->targets_all[tid], NULL, NULL);

	for (unsigned p = 0; p < c->nproviders; p++) {
		const char *pn = c->providers[p].name;
		size_t pl = strlen(pn);
		char *name = lalloc(L, pl + 3);
		if (!name)
			return;
		memcpy(name, pn, pl);
		memcpy(name + pl, "/*", 3);
		unsigned tid = c->ntargets_all++;
		struct cfg_tinfo *t = &c->targets_all[tid];
		t->provider = p;
		t->name = name;
		t->model = name + pl + 1;
		t->weight = 1;
		t->other = 1;
		c->providers[p].other_tid = tid;
	}
}

/* Options of features this build was made without (options.h). Giving
 * one is an error naming the switch, unless its value leaves the feature
 * off (syslog 0, rpm 0, ...); `always`: any value is an error (a price). */
struct left_opt {
	int kind;
	const char *name;
	const char *option;
	const char *what;
	int always;
};
static const struct left_opt left_opts[] = {
#if !LLMGW_SYSLOG
	{ S_GATEWAY, "syslog", "LLMGW_SYSLOG", "logging to syslog is", 0 },
#endif
#if !LLMGW_STATUS_PAGE
	{ S_GATEWAY, "status_page", "LLMGW_STATUS_PAGE", "the status page is", 0 },
#endif
#if !LLMGW_METRICS
	{ S_GATEWAY, "metrics", "LLMGW_METRICS", "/metrics is", 0 },
#endif
#if !LLMGW_PROBES
	{ S_GATEWAY, "probe_interval", "LLMGW_PROBES", "active health probes are", 0 },
	{ S_GATEWAY, "probe_interval_open", "LLMGW_PROBES", "active health probes are", 1 },
#endif
#if !LLMGW_USAGE
	{ S_CLIENT, "rpm", "LLMGW_USAGE", "client limits are", 0 },
	{ S_CLIENT, "tpm", "LLMGW_USAGE", "client limits are", 0 },
	{ S_CLIENT, "daily_usd", "LLMGW_USAGE", "client budgets are", 0 },
	{ S_CLIENT, "monthly_usd", "LLMGW_USAGE", "client budgets are", 0 },
	{ S_ROUTE, "min_quality", "LLMGW_USAGE", "the cheapest strategy is", 0 },
	{ S_TARGET, "input_usd_per_mtok", "LLMGW_USAGE", "cost accounting is", 1 },
	{ S_TARGET, "cached_usd_per_mtok", "LLMGW_USAGE", "cost accounting is", 1 },
	{ S_TARGET, "output_usd_per_mtok", "LLMGW_USAGE", "cost accounting is", 1 },
	{ S_TARGET, "quality", "LLMGW_USAGE", "the cheapest strategy is", 1 },
#endif
	{ S_BAD, NULL, NULL, NULL, 0 }
};

/* Whether o's value leaves its feature off: 0, a zero duration or "0". */
static int opt_value_off(const struct opt *o)
{
	unsigned long long v = 1;
	double dv = 1;
	int b = 1;
	switch (o->d->kind) {
	case V_BOOL: return parse_bool(o->val, &b) == 0 && b == 0;
	case V_UINT: case V_KB: return parse_uint(o->val, 0xffffffffull, &v) == 0 && v == 0;
	case V_MS: return parse_duration_ms(o->val, &v) == 0 && v == 0;
	case V_DEC: return parse_decimal(o->val, 1e18, &dv) == 0 && dv == 0;
	default: return 0;
	}
}

static void check_left_out(struct loader *L)
{
	for (const struct sect *s = L->sects; s; s = s->next)
		for (const struct opt *o = s->opts; o; o = o->next)
			for (const struct left_opt *l = left_opts; l->name; l++) {
				if (l->kind != s->kind || strcmp(l->name, o->d->name) != 0 ||
				    (!l->always && opt_value_off(o)))
					continue;
				char pfx[96] = "";
				if (s->kind != S_GATEWAY && s->name)
					fmt_snprintf(pfx, sizeof pfx, "%s '%s': ", sect_names[s->kind], s->name);
				else if (s->kind != S_GATEWAY)
					fmt_snprintf(pfx, sizeof pfx, "%s: ", sect_names[s->kind]);
				report(L, o->line, "%s%s: %s not in this build (%s=0)", pfx, o->d->name, l->what, l->option);
			}
}

static void build(struct loader *L)
{
	struct cfg *c = L->c;
	unsigned counts[S_NKINDS] = { 0 };
	const struct sect *gw = NULL;

	gateway_defaults(&c->gw);
	check_left_out(L);
	for (const struct sect *s = L->sects; s; s = s->next)
		counts[s->kind]++;
	for (const struct sect *s = L->sects; s; s = s->next) {
		if (s->kind != S_GATEWAY)
			continue;
		if (gw) {
			report(L, s->line, "only one gateway section is allowed (first at line %d)", gw->line);
			continue;
		}
		gw = s;
		build_gateway(L, s);
	}

	/* All names first, so routes and clients can refer to any of them. */
	c->providers = lalloc(L, (counts[S_PROVIDER] + 1) * sizeof *c->providers);
	c->routes = lalloc(L, (counts[S_ROUTE] + 1) * sizeof *c->routes);
	c->clients = lalloc(L, (counts[S_CLIENT] + 1) * sizeof *c->clients);
	if (!c->providers || !c->routes || !c->clients)
		return;
	const struct sect **psect = lalloc(L, (counts[S_PROVIDER] + 1) * sizeof *psect);
	const struct sect **rsect = lalloc(L, (counts[S_ROUTE] + 1) * sizeof *rsect);
	const struct sect **csect = lalloc(L, (counts[S_CLIENT] + 1) * sizeof *csect);
	const struct sect **tsect = lalloc(L, (counts[S_TARGET] + 1) * sizeof *tsect);
	unsigned ntsect = 0;
	if (!psect || !rsect || !csect || !tsect)
		return;
	for (const struct sect *s = L->sects; s; s = s->next) {
		if (s->kind == S_GATEWAY || check_name(L, s) < 0)
			continue;
		if (s->kind == S_PROVIDER) {
			psect[c->nproviders] = s;
			c->providers[c->nproviders].name = s->name;
			c->providers[c->nproviders++].line = s->line;
		} else if (s->kind == S_ROUTE) {
			rsect[c->nroutes] = s;
			c->routes[c->nroutes].name = s->name;
			c->routes[c->nroutes++].line = s->line;
		} else if (s->kind == S_TARGET) {
			tsect[ntsect++] = s;
		} else {
			csect[c->nclients] = s;
			c->clients[c->nclients].name = s->name;
			c->clients[c->nclients++].line = s->line;
		}
	}
	for (unsigned i = 0; i < c->nproviders; i++)
		build_provider(L, psect[i], &c->providers[i]);
	for (unsigned i = 0; i < c->nroutes; i++)
		build_route(L, rsect[i], &c->routes[i]);
	build_targets(L, tsect, ntsect);
	unsigned char *has_key = lalloc(L, c->nclients + 1);
	if (!has_key)
		return;
	for (unsigned i = 0; i < c->nclients; i++) {
		int ok;
		build_client(L, csect[i], &c->clients[i], &ok);
		has_key[i] = (unsigned char)ok;
		for (unsigned j = 0; ok && j < i; j++) {
			if (has_key[j] && memcmp(c->clients[j].key_sha256, c->clients[i].key_sha256, 32) == 0) {
				report(L, csect[i]->line, "client '%s' has the same key_sha256 as client '%s'",
				    c->clients[i].name, c->clients[j].name);
				break;
			}
		}
	}
}

/* ---- public entry points ---- */

static int finish(struct loader *L, const char *name)
{
	L->c->path = lstrdup(L, name, strlen(name));
	L->c->arena = L->a.head;
	L->c->arena_size = L->a.total;
	flush_reports(L);
	if (L->nerr) {
		cfg_free(L->c);
		return L->nerr;
	}
	return 0;
}

int cfg_load_text(const char *name, const char *text, size_t len, struct cfg *out, cfg_report_fn rep, void *ctx)
{
	struct loader L;

	memset(out, 0, sizeof *out);
	memset(&L, 0, sizeof L);
	L.c = out;
	L.name = name ? name : "(config)";
	L.report = rep;
	L.ctx = ctx;
	L.sect_tail = &L.sects;
	L.msg_tail = &L.msgs;
	parse_text(&L, text, len);
	if (!L.oom)
		build(&L);
	return finish(&L, L.name);
}

int cfg_load_file(const char *path, struct cfg *out, cfg_report_fn rep, void *ctx)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd;

	memset(out, 0, sizeof *out);
	/* O_NONBLOCK: a FIFO named by mistake must not hang start-up */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		char msg[256];
		fmt_snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
		if (rep)
			rep(ctx, path, 0, msg);
		return 1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)CFG_FILE_MAX) {
		if (rep)
			rep(ctx, path, 0, S_ISREG(st.st_mode) ? "file too large for a configuration" : "not a regular file");
		close(fd);
		return 1;
	}
	buf = malloc(CFG_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		if (rep)
			rep(ctx, path, 0, "out of memory");
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, CFG_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			char msg[256];
			fmt_snprintf(msg, sizeof msg, "cannot read: %s", strerror(errno));
			if (rep)
				rep(ctx, path, 0, msg);
			close(fd);
			wipe(buf, n);
			free(buf);
			return 1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CFG_FILE_MAX)
			break;
	}
	close(fd);
	int ret;
	if (n > CFG_FILE_MAX) {
		if (rep)
			rep(ctx, path, 0, "file too large for a configuration");
		ret = 1;
	} else {
		ret = cfg_load_text(path, buf, n, out, rep, ctx);
	}
	wipe(buf, n < CFG_FILE_MAX + 1 ? n : CFG_FILE_MAX + 1);	/* inline keys */
	free(buf);
	return ret;
}

int cfg_load_default(struct cfg *out, cfg_report_fn rep, void *ctx)
{
	/* Written as UCI text so that the default goes through exactly the
	 * checks a file gets. Only names and variable names go in here, never
	 * key values: those are read by the loader from the environment. */
	char text[8192];
	size_t o = 0;

	for (unsigned i = 0; provider_type_at(i); i++) {
		const struct provider_type *t = provider_type_at(i);
		const char *kv = t->key_env ? getenv(t->key_env) : NULL;
		const char *hv = t->host_env ? getenv(t->host_env) : NULL;
		int use_key = kv && *kv;
		if (!use_key && !(hv && *hv && t->key_optional))
			continue;
		if (!LLMGW_TLS && !(hv && *hv) && t->base_url && strncmp(t->base_url, "https:", 6) == 0) {
			log_warnx("%s is set, but https:// providers are not in this build (LLMGW_TLS=0)",
			    use_key ? t->key_env : t->host_env);
			continue;
		}
		int n = fmt_snprintf(text + o, sizeof text - o, "config provider '%s'\n\toption type '%s'\n%s%s%s",
		    t->name, t->name, use_key ? "\toption key_env '" : "", use_key ? t->key_env : "",
		    use_key ? "'\n" : "");
		if (n < 0 || (size_t)n >= sizeof text - o)
			break;
		o += (size_t)n;
	}
	/* A key set for a type this build was made without is said once, not
	 * dropped silently (it is not an error: the default has no file to fix). */
	for (unsigned i = 0; provider_left_out_at(i); i++) {
		const struct provider_left_out *lo = provider_left_out_at(i);
		const char *kv = lo->key_env ? getenv(lo->key_env) : NULL;
		if (kv && *kv)
			log_warnx("%s is set, but provider type '%s' is not in this build (%s=0)", lo->key_env,
			    lo->name, lo->option);
	}
	int ret = cfg_load_text("(embedded default)", text, o, out, rep, ctx);
	return ret;
}

void cfg_free(struct cfg *c)
{
	struct arena a;

	if (!c)
		return;
	a.head = c->arena;
	a.total = c->arena_size;
	arena_free(&a);
	memset(c, 0, sizeof *c);
}

/* ---- lookups ---- */

int cfg_provider_index(const struct cfg *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->nproviders; i++) {
		const char *n = c->providers[i].name;
		if (n && strlen(n) == len && memcmp(n, name, len) == 0)
			return (int)i;
	}
	return -1;
}

int cfg_target_id(const struct cfg *c, unsigned provider, const char *model, size_t len)
{
	if (provider >= c->nproviders || !c->tindex)
		return -1;
	for (uint32_t i = target_hash(provider, model, len) & c->tindex_mask; c->tindex[i];
	    i = (i + 1) & c->tindex_mask)
		if (tinfo_is(&c->targets_all[c->tindex[i] - 1], provider, model, len))
			return (int)(c->tindex[i] - 1);
	return (int)c->providers[provider].other_tid;
}

int cfg_target_find(const struct cfg *c, const char *name, size_t len)
{
	const char *slash = memchr(name, '/', len);
	if (!slash || slash == name || slash == name + len - 1)
		return -1;
	size_t pn = (size_t)(slash - name);
	int p = cfg_provider_index(c, name, pn);
	if (p < 0)
		return -1;
	return cfg_target_id(c, (unsigned)p, slash + 1, len - pn - 1);
}

const struct cfg_route *cfg_route_find(const struct cfg *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->nroutes; i++) {
		const char *n = c->routes[i].name;
		if (n && strlen(n) == len && memcmp(n, name, len) == 0)
			return &c->routes[i];
	}
	return NULL;
}

/* '*' matches any run of characters, '/' included. Iterative with one
 * backtrack point, so it is linear-ish and cannot blow up. */
static int glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

int cfg_client_allows(const struct cfg_client *cl, const char *model, size_t len)
{
	if (cl->nallow == 0)
		return 1;
	for (unsigned i = 0; i < cl->nallow; i++)
		if (glob_match(cl->allow[i], strlen(cl->allow[i]), model, len))
			return 1;
	return 0;
}
