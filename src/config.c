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
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arena.h"
#include "fmt.h"
#include "config.h"
#include "options.h"
#include "prices.h"
#include "url.h"

#define CFG_FILE_MAX	(1u << 20)	/* a config file larger than this is a mistake */
#define KEY_FILE_MAX	16384
#define MAX_TOKENS	4		/* keyword + up to 2 arguments, +1 to detect excess */
#define MAX_SECTIONS	4096
#define SUGGEST_MAX	64		/* longer words get no did-you-mean */
#define ECHO_MAX	64		/* user text quoted in messages is cut here */
#define ECHO_WORD_MAX	24		/* longer unknown keywords are not quoted: could be a pasted key */
#define PFX_ALL		511		/* set_pfx(): the whole prefix */
#define PFX_OPT		95		/* set_opt() and left-out messages have always cut it here */

/* ---- word lists ---- */

/* Fixed vocabularies are packed word lists (fmt_list_nth). */

/* Index of s in the list w, or -1. */
static int word_find(const char *w, const char *s)
{
	for (int i = 0; *w; i++, w += strlen(w) + 1)
		if (strcmp(w, s) == 0)
			return i;
	return -1;
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alnum(char ch)
{
	return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

/* ---- option tables ---- */

enum sect_kind { S_GATEWAY, S_PROVIDER, S_ROUTE, S_CLIENT, S_TARGET, S_NKINDS };
static const char sect_names[] = "gateway\0provider\0route\0client\0target\0";
#define SECT_NAME(k) fmt_list_nth(sect_names, (unsigned)(k))

/* V_DEC: a decimal number (digits, one optional '.'; no sign or exponent)
 * stored as a double. The four value kinds from V_BOOL on are parsed by
 * set_opt and named in its messages by kind_nouns, in this order. */
enum vkind { V_SPECIAL, V_STR, V_PATH, V_BOOL, V_UINT, V_KB, V_MS, V_DEC, V_KIND = 15, MULTI = 16 };
static const char kind_nouns[] = "boolean (use 1 or 0)\0number\0number\0duration (use e.g. 30, 30s or 500ms)\0"
	"decimal number (use e.g. 0.5 or 12)\0";

/* Upper limits, by index; LIM() adds the lower limit (0 or 1). V_UINT/V_KB/
 * V_DEC in their unit; V_MS in ms. */
#define DAY_MS 86400000u
#define USD_MAX 1000000000u		/* a price or budget above this is a typo */
enum { M_0, M_65535, M_1024, M_262144, M_DAY, M_10M, M_1M, M_1, M_10, M_5, M_100M, M_4G, M_USD, M_1000 };
static const unsigned maxes[] = { 0, 65535, 1024, 262144, DAY_MS, 10000000, 1000000, 1, 10, 5, 100000000,
	4000000000u, USD_MAX, 1000 };
#define LIM(min, m) ((min) << 7 | (m))

/* A target section's values before they are merged with the price table. */
struct tvals {
	double in, cached, out;
	unsigned quality, weight;
};

/* Offsets into the section's struct: cfg_gateway, cfg_route, cfg_client,
 * or tvals for a target section. */
#define GW(f) offsetof(struct cfg_gateway, f)
#define RT(f) offsetof(struct cfg_route, f)
#define CL(f) offsetof(struct cfg_client, f)
#define TV(f) offsetof(struct tvals, f)

/* Every option of every section: X(section, name, kind [| MULTI: `list`
 * allowed, `option` may repeat], field offset, limits). One table makes
 * the names (optnames), the rows (opts) and the ids (O_SECTION_name). */
#define OPTIONS(X) \
	X(GATEWAY, listen, V_SPECIAL | MULTI, 0, 0) \
	X(GATEWAY, ca_file, V_PATH, GW(ca_file), 0) \
	X(GATEWAY, log_level, V_SPECIAL, 0, 0) \
	X(GATEWAY, syslog, V_BOOL, GW(syslog), 0) \
	X(GATEWAY, user, V_STR, GW(user), 0) \
	X(GATEWAY, anonymous, V_BOOL, GW(anonymous), 0) \
	X(GATEWAY, max_connections, V_UINT, GW(max_connections), LIM(1, M_65535)) \
	X(GATEWAY, max_inflight, V_UINT, GW(max_inflight), LIM(1, M_65535)) \
	X(GATEWAY, max_upstream, V_UINT, GW(max_upstream), LIM(1, M_65535)) \
	X(GATEWAY, max_header_kb, V_KB, GW(max_header_bytes), LIM(1, M_1024)) \
	X(GATEWAY, max_body_kb, V_KB, GW(max_body_bytes), LIM(1, M_262144)) \
	X(GATEWAY, max_response_kb, V_KB, GW(max_response_bytes), LIM(1, M_262144)) \
	X(GATEWAY, header_timeout, V_MS, GW(header_timeout_ms), LIM(1, M_DAY)) \
	X(GATEWAY, idle_timeout, V_MS, GW(idle_timeout_ms), LIM(1, M_DAY)) \
	X(GATEWAY, connect_timeout, V_MS, GW(connect_timeout_ms), LIM(1, M_DAY)) \
	X(GATEWAY, first_byte_timeout, V_MS, GW(first_byte_timeout_ms), LIM(1, M_DAY)) \
	X(GATEWAY, stream_idle_timeout, V_MS, GW(stream_idle_timeout_ms), LIM(1, M_DAY)) \
	X(GATEWAY, upstream_idle, V_MS, GW(upstream_idle_ms), LIM(1, M_DAY)) \
	X(GATEWAY, shutdown_timeout, V_MS, GW(shutdown_timeout_ms), LIM(0, M_DAY)) \
	X(GATEWAY, resolv_conf, V_PATH, GW(resolv_conf), 0) \
	X(GATEWAY, hosts_file, V_PATH, GW(hosts_file), 0) \
	X(GATEWAY, nameserver, V_SPECIAL | MULTI, 0, 0) \
	X(GATEWAY, default_max_tokens, V_UINT, GW(default_max_tokens), LIM(1, M_10M)) \
	X(GATEWAY, state_dir, V_PATH, GW(state_dir), 0) \
	X(GATEWAY, flush_interval, V_MS, GW(flush_interval_ms), LIM(1, M_DAY)) \
	X(GATEWAY, probe_interval, V_MS, GW(probe_interval_ms), LIM(0, M_DAY)) \
	X(GATEWAY, probe_interval_open, V_MS, GW(probe_interval_open_ms), LIM(1, M_DAY)) \
	X(GATEWAY, breaker_failures, V_UINT, GW(breaker_failures), LIM(1, M_1M)) \
	X(GATEWAY, breaker_ratio, V_DEC, GW(breaker_ratio), LIM(0, M_1)) \
	X(GATEWAY, breaker_min_requests, V_UINT, GW(breaker_min_requests), LIM(1, M_1M)) \
	X(GATEWAY, breaker_window, V_MS, GW(breaker_window_ms), LIM(1, M_DAY)) \
	X(GATEWAY, breaker_cooldown, V_MS, GW(breaker_cooldown_ms), LIM(1, M_DAY)) \
	X(GATEWAY, breaker_max_cooldown, V_MS, GW(breaker_max_cooldown_ms), LIM(1, M_DAY)) \
	X(GATEWAY, max_attempts, V_UINT, GW(max_attempts), LIM(1, M_10)) \
	X(GATEWAY, request_deadline, V_MS, GW(request_deadline_ms), LIM(1, M_DAY)) \
	X(GATEWAY, access_log, V_BOOL, GW(access_log), 0) \
	X(GATEWAY, status_page, V_BOOL, GW(status_page), 0) \
	X(GATEWAY, metrics, V_BOOL, GW(metrics), 0) \
	X(PROVIDER, type, V_SPECIAL, 0, 0) \
	X(PROVIDER, base_url, V_SPECIAL, 0, 0) \
	X(PROVIDER, key_env, V_SPECIAL, 0, 0) \
	X(PROVIDER, key_file, V_SPECIAL, 0, 0) \
	X(PROVIDER, key, V_SPECIAL, 0, 0) \
	X(PROVIDER, model, V_SPECIAL | MULTI, 0, 0) \
	X(ROUTE, target, V_SPECIAL | MULTI, 0, 0) \
	X(ROUTE, strategy, V_SPECIAL, 0, 0) \
	X(ROUTE, min_quality, V_UINT, RT(min_quality), LIM(0, M_5)) \
	X(ROUTE, max_attempts, V_UINT, RT(max_attempts), LIM(1, M_10)) \
	X(ROUTE, connect_timeout, V_MS, RT(connect_timeout_ms), LIM(0, M_DAY)) \
	X(ROUTE, first_byte_timeout, V_MS, RT(first_byte_timeout_ms), LIM(0, M_DAY)) \
	X(ROUTE, stream_idle_timeout, V_MS, RT(stream_idle_timeout_ms), LIM(0, M_DAY)) \
	X(CLIENT, key_sha256, V_SPECIAL, 0, 0) \
	X(CLIENT, allow, V_SPECIAL | MULTI, 0, 0) \
	X(CLIENT, rpm, V_UINT, CL(rpm), LIM(0, M_100M)) \
	X(CLIENT, tpm, V_UINT, CL(tpm), LIM(0, M_4G)) \
	X(CLIENT, daily_usd, V_DEC, CL(daily_usd), LIM(0, M_USD)) \
	X(CLIENT, monthly_usd, V_DEC, CL(monthly_usd), LIM(0, M_USD)) \
	X(TARGET, model, V_SPECIAL, 0, 0) \
	X(TARGET, input_usd_per_mtok, V_DEC, TV(in), LIM(0, M_USD)) \
	X(TARGET, cached_usd_per_mtok, V_DEC, TV(cached), LIM(0, M_USD)) \
	X(TARGET, output_usd_per_mtok, V_DEC, TV(out), LIM(0, M_USD)) \
	X(TARGET, quality, V_UINT, TV(quality), LIM(1, M_5)) \
	X(TARGET, weight, V_UINT, TV(weight), LIM(1, M_1000))

#define OPT_ID(s, n, k, off, lim) O_##s##_##n,
enum { OPTIONS(OPT_ID) O_COUNT };
#define OPT_NAME(s, n, k, off, lim) #n "\0"
static const char optnames[] = OPTIONS(OPT_NAME);
#define OPT_ROW(s, n, k, off, lim) { S_##s, k, off, lim },
static const struct optdesc {
	unsigned char sect, kind, off, lim;
} opts[] = { OPTIONS(OPT_ROW) };
_Static_assert(sizeof(struct cfg_gateway) < 256 && sizeof(struct cfg_route) < 256 &&
    sizeof(struct cfg_client) < 256, "field offsets are kept in a byte");

#define OPT_NAME_OF(id) fmt_list_nth(optnames, (id))

/* ---- parsed form ---- */

struct opt {
	struct opt *next;
	const char *val;
	size_t len;
	int line;
	unsigned char id;		/* O_... */
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
	int pfxmax;			/* messages start with up to this much of pfx */
	char pfx[512];			/* "provider 'p': ", "route 'r': ", ... (set_pfx) */
};

struct rmsg {
	struct rmsg *next;
	int line;
	char text[];
};


static void report(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void report(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t k = (size_t)fmt_snprintf(msg, sizeof msg, "%.*s", L->pfxmax, L->pfx);

	va_start(ap, fmt);
	fmt_vsnprintf(msg + k, sizeof msg - k, fmt, ap);
	va_end(ap);
	L->nerr++;
	if (!L->report)
		return;
	/* The parser finds some problems and the builder the rest; holding
	 * messages back lets `llmgw -t` list them by line. */
	size_t n = strlen(msg);
	struct rmsg *m = arena_alloc(&L->a, sizeof *m + n + 1);
	if (!m) {
		L->report(L->ctx, L->name, line, msg);
		return;
	}
	m->line = line;
	L->nmsgs++;
	memcpy(m->text, msg, n + 1);
	*L->msg_tail = m;
	L->msg_tail = &m->next;
}

/* Stable merge sort of the first n messages of list h by line (equal
 * lines keep the order they were found in); no allocation. */
static struct rmsg *sort_msgs(struct rmsg *h, unsigned n)
{
	if (n < 2) {
		if (h)
			h->next = NULL;
		return h;
	}
	struct rmsg *mid = h, *out, **t = &out;
	for (unsigned i = 0; i < n / 2; i++)
		mid = mid->next;
	struct rmsg *y = sort_msgs(mid, n - n / 2), *x = sort_msgs(h, n / 2);
	while (x && y) {
		struct rmsg **from = y->line < x->line ? &y : &x;
		*t = *from;
		t = &(*from)->next;
		*from = (*from)->next;
	}
	*t = x ? x : y;
	return out;
}

static void flush_reports(struct loader *L)
{
	for (struct rmsg *m = sort_msgs(L->msgs, L->nmsgs); m; m = m->next)
		L->report(L->ctx, L->name, m->line, m->text);
}

static void *lalloc(struct loader *L, size_t n)
{
	void *p = arena_alloc(&L->a, n);
	if (!p && !L->oom) {
		int keep = L->pfxmax;
		L->oom = 1;
		L->pfxmax = 0;
		report(L, 0, "out of memory");
		L->pfxmax = keep;
	}
	return p;
}

static char *lstrdup(struct loader *L, const char *s, size_t n)
{
	char *p = lalloc(L, n + 1);
	if (p)
		memcpy(p, s, n);	/* the arena zeroed the terminator */
	return p;
}

/* The prefix of the messages that follow, up to max bytes of it:
 * "KIND 'name': ", "KIND: " without a name, nothing for the gateway. */
static void set_pfx(struct loader *L, int kind, const char *name, int max)
{
	fmt_snprintf(L->pfx, sizeof L->pfx, name ? "%s '%s': " : "%s: ", SECT_NAME(kind), name);
	L->pfxmax = kind == S_GATEWAY ? 0 : max;
}

/* User text quoted in a message: cut to ECHO_MAX, control bytes as '?'.
 * Never used on key values. buf has ECHO_MAX + 8 bytes. */
typedef char echobuf[ECHO_MAX + 8];
static const char *echo_n(char *buf, const char *s, size_t n)
{
	size_t i, o = 0;
	for (i = 0; i < n && i < ECHO_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *echo(char *buf, const char *s)
{
	return echo_n(buf, s, strlen(s));
}

/* ---- did you mean ---- */

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

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
			unsigned best = diag + (lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]));
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
	char text[96];
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

/* Each word of a list, in order. */
static void suggest_words(struct suggest *s, const char *w)
{
	for (; *w; w += strlen(w) + 1)
		suggest_try(s, w);
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest_text(struct suggest *s)
{
	if (!s->best)
		return "";
	fmt_snprintf(s->text, sizeof s->text, " (did you mean '%s'?)", s->best);
	return s->text;
}

/* The option of section kind named name (its id), or -1; with sg, offers
 * every option of the section to it instead. */
static int scan_opts(int kind, const char *name, struct suggest *sg)
{
	const char *w = optnames;
	for (int i = 0; i < O_COUNT; i++, w += strlen(w) + 1) {
		if (opts[i].sect != kind)
			continue;
		if (sg)
			suggest_try(sg, w);
		else if (strcmp(w, name) == 0)
			return i;
	}
	return -1;
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
		if (!(t->s[i] >= 'a' && t->s[i] <= 'z') && !is_digit(t->s[i]) && t->s[i] != '_')
			return NULL;
	return t->s;
}

/* " 'word'" when word_shown(t), else "" (or " '?'" with unk). */
typedef char quotebuf[ECHO_WORD_MAX + 4];
static const char *quoted(char *buf, const struct tok *t, int unk)
{
	const char *w = word_shown(t);
	if (!w && !unk)
		return "";
	fmt_snprintf(buf, sizeof(quotebuf), " '%s'", w ? w : "?");
	return buf;
}

/* Splits one line into decoded tokens written to out (which has room for
 * the line). Returns the token count, or -1 after reporting an error. */
static int tokenize(struct loader *L, int lineno, const char *p, const char *end, char *out, struct tok *toks)
{
	static const char errs[] = "too many words on the line (quote values that contain spaces)\0"
		"unterminated single quote\0unterminated double quote\0backslash at the end of the line\0"
		"control character in a value\0NUL byte in the file\0";
	int n = 0, e;

	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			return n;
		e = 0;
		if (n == MAX_TOKENS)
			goto fail;
		char *start = out;
		while (p < end && !is_blank(*p) && *p != '#') {
			char ch = *p++;
			if (ch == '\'') {
				const char *q = memchr(p, '\'', (size_t)(end - p));
				e = 1;
				if (!q)
					goto fail;
				memcpy(out, p, (size_t)(q - p));
				out += q - p;
				p = q + 1;
			} else if (ch == '"') {
				e = 2;
				for (;;) {
					if (p == end)
						goto fail;
					ch = *p++;
					if (ch == '"')
						break;
					if (ch == '\\') {
						if (p == end)
							goto fail;
						ch = *p++;
					}
					*out++ = ch;
				}
			} else if (ch == '\\') {
				e = 3;
				if (p == end)
					goto fail;
				*out++ = *p++;
			} else {
				*out++ = ch;
			}
		}
		for (char *q = start; q < out; q++) {
			unsigned char ch = (unsigned char)*q;
			if (ch < 0x20 || ch == 0x7f) {
				e = ch ? 4 : 5;
				goto fail;
			}
		}
		toks[n].s = start;
		toks[n].len = (size_t)(out - start);
		*out++ = '\0';
		n++;
	}
fail:
	report(L, lineno, "%s", fmt_list_nth(errs, (unsigned)e));
	return -1;
}

static void parse_config(struct loader *L, int lineno, struct tok *t, int n)
{
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
	int kind = word_find(sect_names, t[1].s);
	if (kind < 0) {
		struct suggest sg;
		suggest_init(&sg, t[1].s);
		suggest_words(&sg, sect_names);
		quotebuf qb;
		report(L, lineno, "unknown section type%s%s; expected gateway, provider, route, target or client",
		    quoted(qb, &t[1], 0), suggest_text(&sg));
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

	if (n < 2) {
		report(L, lineno, "'%s' needs a name and a value", kw);
		return;
	}
	/* Only identifier-like names are echoed: a stray key pasted on the
	 * wrong line must not end up in a message. */
	quotebuf qb;
	if (!L->cur) {
		if (!L->cur_ignored)
			report(L, lineno, "%s%s outside a section (add a 'config' line above it)", kw,
			    quoted(qb, &t[1], 1));
		return;
	}
	int kind = L->cur->kind, id = scan_opts(kind, t[1].s, NULL);
	if (id < 0) {
		struct suggest sg;
		suggest_init(&sg, t[1].s);
		scan_opts(kind, NULL, &sg);
		report(L, lineno, "unknown option%s in %s section%s", quoted(qb, &t[1], 0), SECT_NAME(kind),
		    suggest_text(&sg));
		return;
	}
	const char *name = OPT_NAME_OF((unsigned)id);
	int multi = opts[id].kind & MULTI;
	if (n < 3) {
		report(L, lineno, "%s '%s' has no value", kw, name);
		return;
	}
	if (n > 3) {
		report(L, lineno, "%s '%s' has more than one value (quote values that contain spaces)", kw, name);
		return;
	}
	if (is_list && !multi) {
		report(L, lineno, "'%s' takes a single value: use 'option', not 'list'", name);
		return;
	}
	if (!multi) {
		for (struct opt *o = L->cur->opts; o; o = o->next) {
			if (o->id == id) {
				report(L, lineno, "option '%s' given twice (first at line %d)", name, o->line);
				return;
			}
		}
	}
	struct opt *o = lalloc(L, sizeof *o);
	if (!o)
		return;
	o->id = (unsigned char)id;
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
	static const char kws[] = "config\0option\0list\0package\0";
	char *scratch = malloc(len + MAX_TOKENS + 1);
	struct tok toks[MAX_TOKENS];
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
		switch (word_find(kws, toks[0].s)) {
		case 0:
			parse_config(L, lineno, toks, n);
			break;
		case 1:
		case 2:
			parse_option(L, lineno, toks, n, toks[0].s[0] == 'l');
			break;
		case 3:
			break;	/* `uci export` writes it; one file is one package */
		default: {
			struct suggest sg;
			suggest_init(&sg, toks[0].s);
			suggest_words(&sg, kws);
			quotebuf qb;
			const char *q = quoted(qb, &toks[0], 0);
			report(L, lineno, "unknown keyword%s%s; expected config, option or list", q,
			    *q ? suggest_text(&sg) : "");
		}
		}
	}
	explicit_bzero(scratch, len + MAX_TOKENS + 1);	/* it held inline keys */
	free(scratch);
}

/* ---- value parsers ---- */

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!is_digit(*s))
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
	static const unsigned muls[] = { 1000, 1, 60000, 60000, 3600000 };
	char num[24];
	size_t i = 0;
	unsigned long long v;

	while (is_digit(s[i]) && i < sizeof num - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	if (i == 0 || is_digit(s[i]))
		return -1;
	int k = s[i] ? word_find("s\0ms\0m\0min\0h\0", s + i) : 0;
	if (k < 0)
		return -1;
	int r = parse_uint(num, 1000000000000ull, &v);
	if (r < 0)
		return r;
	*ms = v * muls[k];
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
		if (!is_digit(*s))
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
	int i = word_find("1\0yes\0on\0true\0enabled\0" "0\0no\0off\0false\0disabled\0", s);
	if (i < 0)
		return -1;
	*out = i < 5;
	return 0;
}

/* ---- builder ---- */

static unsigned count_opts(const struct sect *s, int id)
{
	unsigned n = 0;
	for (const struct opt *o = s->opts; o; o = o->next)
		n += o->id == id;
	return n;
}

static const struct opt *get_opt(const struct sect *s, int id)
{
	for (const struct opt *o = s->opts; o; o = o->next)
		if (o->id == id)
			return o;
	return NULL;
}

/* The options with ids first .. first + n - 1 (single-valued: given once
 * at most) into out[0 .. n-1], NULL when absent. */
static void get_opts(const struct sect *s, int first, unsigned n, const struct opt **out)
{
	memset(out, 0, n * sizeof *out);
	for (const struct opt *o = s->opts; o; o = o->next)
		if ((unsigned)(o->id - first) < n)
			out[o->id - first] = o;
}

/* A NULL-terminated array of the values of a multi-valued option. */
static const char **collect(struct loader *L, const struct sect *s, int id, unsigned *n)
{
	unsigned cnt = count_opts(s, id), i = 0;
	const char **v = lalloc(L, (cnt + 1) * sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (const struct opt *o = s->opts; o; o = o->next)
		if (o->id == id)
			v[i++] = o->val;
	v[i] = NULL;
	*n = cnt;
	return v;
}

static const char *const def_listen[] = { "127.0.0.1:8080", NULL };
static const char *const no_ns[] = { NULL };
static const struct cfg_gateway gw_defaults = {
	.listen = def_listen,
	.nlisten = 1,
	.ca_file = "/etc/ssl/certs/ca-certificates.crt",
	.log_level = LOG_LVL_INFO,
	.max_connections = 1024,
	.max_inflight = 64,
	.max_upstream = 64,
	.max_header_bytes = 16 * 1024,
	.max_body_bytes = 1024 * 1024,
	.max_response_bytes = 1024 * 1024,
	.header_timeout_ms = 30000,
	.idle_timeout_ms = 60000,
	.connect_timeout_ms = 10000,
	.first_byte_timeout_ms = 120000,
	.stream_idle_timeout_ms = 120000,
	.upstream_idle_ms = 60000,
	.shutdown_timeout_ms = 10000,
	.resolv_conf = "/etc/resolv.conf",
	.hosts_file = "/etc/hosts",
	.nameservers = no_ns,
	.default_max_tokens = 4096,
	.state_dir = "/var/lib/llmgw",
	.flush_interval_ms = 300000,
	.probe_interval_ms = LLMGW_PROBES ? 60000 : 0,
	.probe_interval_open_ms = 10000,
	.breaker_failures = 5,
	.breaker_ratio = 0.5,
	.breaker_min_requests = 10,
	.breaker_window_ms = 60000,
	.breaker_cooldown_ms = 10000,
	.breaker_max_cooldown_ms = 300000,
	.max_attempts = 3,
	.request_deadline_ms = 300000,
	.access_log = 1,
	.status_page = LLMGW_STATUS_PAGE,
	.metrics = LLMGW_METRICS,
};

/* A limit or a duration in messages: "30s" or "500ms" for durations. */
static void fmt_limit(char *buf, unsigned kind, unsigned v)
{
	fmt_snprintf(buf, 32, kind != V_MS ? "%u" : v % 1000 ? "%ums" : "%us", kind != V_MS || v % 1000 ? v : v / 1000);
}

/* Sets the field of a table-driven option (any kind but V_SPECIAL) in
 * base, the section's struct; messages start with set_pfx()'s prefix (cut
 * to PFX_OPT bytes, as they always were: "route 'r': "). A value
 * that does not parse or is out of range is reported and leaves the
 * default in place. */
static void set_opt(struct loader *L, const struct opt *o, void *base)
{
	const struct optdesc *d = &opts[o->id];
	const char *name = OPT_NAME_OF(o->id);
	void *field = (char *)base + d->off;
	unsigned kind = d->kind & V_KIND, min = d->lim >> 7, max = maxes[d->lim & 127];
	echobuf eb;
	char lo[32], hi[32];
	unsigned long long v = 0;
	double dv = 0;
	int r, b = 0;

	switch (kind) {
	case V_STR:
		*(const char **)field = o->len ? o->val : NULL;
		return;
	case V_PATH:
		if (!o->len)
			report(L, o->line, "%s: empty path", name);
		else
			*(const char **)field = o->val;
		return;
	case V_BOOL:
		r = parse_bool(o->val, &b);
		break;
	case V_UINT:
	case V_KB:
		r = parse_uint(o->val, 0xffffffffull, &v);
		dv = (double)v;
		break;
	case V_MS:
		r = parse_duration_ms(o->val, &v);
		dv = (double)v;
		break;
	case V_DEC:
		r = parse_decimal(o->val, (double)max, &dv);
		break;
	default:
		return;
	}
	if (r == -1) {
		report(L, o->line, "%s: '%s' is not a %s", name, echo(eb, o->val),
		    fmt_list_nth(kind_nouns, kind - V_BOOL));
	} else if (r < 0 || dv < min || dv > max) {
		fmt_limit(lo, kind, min);
		fmt_limit(hi, kind, max);
		report(L, o->line, "%s: must be between %s and %s", name, lo, hi);
	} else if (kind == V_DEC) {
		*(double *)field = dv;
	} else {
		*(unsigned *)field = kind == V_BOOL ? (unsigned)b : (unsigned)(kind == V_KB ? v * 1024 : v);
	}
}

static void build_gateway(struct loader *L, const struct sect *s)
{
	struct cfg_gateway *g = &L->c->gw;
	echobuf eb;

	if (s->name && strcmp(s->name, "main") != 0)
		report(L, s->line, "the gateway section is named 'main' or not named at all");
	for (const struct opt *o = s->opts; o; o = o->next) {
		char host[256];
		unsigned short port;
		struct url_listen la;
		enum log_level lvl;
		const char *why = NULL;
		set_opt(L, o, g);
		switch (o->id) {
		case O_GATEWAY_log_level:
			if (log_level_parse(o->val, &lvl) < 0)
				why = " is not one of error, warn, info, debug";
			else
				g->log_level = lvl;
			break;
		case O_GATEWAY_listen:
			switch (url_listen_parse(o->val, &la)) {
			case URL_LISTEN_NOT_HOSTPORT:
				why = " is not ip:port, [v6]:port or :port";
				break;
			case URL_LISTEN_NOT_NUMERIC:
				why = ": the address must be a numeric IPv4 or IPv6 address";
				break;
			}
			break;
		case O_GATEWAY_nameserver:
			if (!url_is_ip(o->val) && (url_hostport(o->val, host, sizeof host, &port) < 0 || !url_is_ip(host)))
				why = " is not an IP address (ip, ip:port or [v6]:port)";
			break;
		}
		if (why)
			report(L, o->line, "%s: '%s'%s", OPT_NAME_OF(o->id), echo(eb, o->val), why);
	}
	if (g->breaker_max_cooldown_ms < g->breaker_cooldown_ms) {
		const struct opt *o = get_opt(s, O_GATEWAY_breaker_max_cooldown);
		char lo[32], hi[32];
		fmt_limit(lo, V_MS, g->breaker_max_cooldown_ms);
		fmt_limit(hi, V_MS, g->breaker_cooldown_ms);
		report(L, (o ? o : get_opt(s, O_GATEWAY_breaker_cooldown))->line,
		    "breaker_max_cooldown (%s) is shorter than breaker_cooldown (%s)", lo, hi);
	}

	unsigned n;
	const char **v;
	if (count_opts(s, O_GATEWAY_listen)) {
		v = collect(L, s, O_GATEWAY_listen, &n);
		if (v) {
			g->listen = v;
			g->nlisten = n;
		}
		if (n > CFG_MAX_LISTEN)
			report(L, s->line, "at most %d listen addresses", CFG_MAX_LISTEN);
	}
	if (count_opts(s, O_GATEWAY_nameserver)) {
		v = collect(L, s, O_GATEWAY_nameserver, &n);
		if (v) {
			g->nameservers = v;
			g->nnameservers = n;
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
	if (is_digit(*s))
		return 0;
	for (const char *q = s; *q; q++)
		if (!is_alnum(*q) && *q != '_')
			return 0;
	return *s != 0;
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

static int is_space(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

/* Reads the regular file path into buf, at most cap bytes (a file that
 * fills buf is larger than the caller takes): 0 and *n; -1 cannot be
 * opened, -3 read error (*err: errno); -2 not a regular file. O_NONBLOCK:
 * a FIFO named by mistake must not hang start-up. */
static int slurp(const char *path, char *buf, size_t cap, size_t *n, int *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r = -1;

	*n = 0;
	*err = errno;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = -2;
	} else {
		for (r = 0; *n < cap;) {
			ssize_t k = read(fd, buf + *n, cap - *n);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				*err = errno;
				r = -3;
			}
			if (k <= 0)
				break;
			*n += (size_t)k;
		}
	}
	close(fd);
	return r;
}

static const char k_empty[] = "is empty", k_ctl[] = "contains whitespace or control characters";

/* Reads path into the arena as p->key. The file's content is never put in a
 * message, not even in part. */
static void read_key_file(struct loader *L, struct cfg_provider *p, const struct opt *o)
{
	echobuf eb;
	char buf[KEY_FILE_MAX + 1];
	size_t n, b = 0, e;
	int err, r = slurp(o->val, buf, sizeof buf, &n, &err);
	const char *why = NULL;

	echo(eb, o->val);
	e = n;
	if (r == -2) {
		why = "is not a regular file";
	} else if (r < 0) {
		report(L, o->line, "cannot read key_file '%s': %s", eb, strerror(err));
	} else if (n > KEY_FILE_MAX) {
		why = "is too large for a key";
	} else {
		while (b < e && is_space(buf[b]))
			b++;
		while (e > b && is_space(buf[e - 1]))
			e--;
		if (b == e)
			why = k_empty;
		else if (!key_bytes_ok(buf + b, e - b))
			why = "must hold one key on one line (it contains whitespace or control characters)";
		else if ((p->key = lstrdup(L, buf + b, e - b)) != NULL)
			p->key_len = e - b;
	}
	if (why)
		report(L, o->line, "key_file '%s' %s", eb, why);
	explicit_bzero(buf, sizeof buf);
}

static void build_provider(struct loader *L, const struct sect *s, struct cfg_provider *p)
{
	echobuf eb;
	char types[512], err[128];
	const struct opt *po[5];
	get_opts(s, O_PROVIDER_type, 5, po);
	const struct opt *ot = po[0], *ou = po[1], *oe = po[2], *of = po[3], *ok = po[4];
	const struct provider_type *t = NULL;

	set_pfx(L, S_PROVIDER, p->name, PFX_ALL);	/* every message below starts "provider 'NAME': " */
	const struct provider_left_out *lo = NULL;
	if (ot && !(t = provider_type_find(ot->val)) && (lo = provider_left_out_find(ot->val)) != NULL) {
		report(L, ot->line, "provider type '%s' is not in this build (%s=0)", lo->name, lo->option);
	} else if (!t) {
		type_list(types, sizeof types);
		if (!ot) {
			report(L, s->line, "option type is required (one of: %s)", types);
		} else {
			struct suggest sg;
			suggest_init(&sg, ot->val);
			for (unsigned i = 0; provider_type_at(i); i++)
				suggest_try(&sg, provider_type_at(i)->name);
			report(L, ot->line, "unknown type '%s'%s; known types: %s", echo(eb, ot->val), suggest_text(&sg),
			    types);
		}
	}
	p->type = t;

	if (ou) {
		if (url_parse(ou->val, &p->url, err, sizeof err) < 0)
			report(L, ou->line, "base_url: %s", err);
	} else if (t) {
		const char *hv = t->host_env ? getenv(t->host_env) : NULL;
		if (hv && *hv) {
			struct cfg_url def;
			unsigned short def_port = t->base_url && url_parse(t->base_url, &def, NULL, 0) == 0 ? def.port : 0;
			if (url_parse_host_env(hv, def_port, &p->url, err, sizeof err) < 0)
				report(L, s->line, "environment variable %s: %s", t->host_env, err);
		} else if (t->base_url) {
			if (url_parse(t->base_url, &p->url, err, sizeof err) < 0)
				report(L, s->line, "built-in base URL of type '%s': %s", t->name, err);
		} else {
			report(L, s->line, "type '%s' has no default address; option base_url is required",
			    t->name);
		}
	}
	if (!LLMGW_TLS && p->url.tls)
		report(L, ou ? ou->line : s->line, "https:// is not in this build (LLMGW_TLS=0): "
		    "only http:// providers%s", ou ? "" : " (the type's default address is https://: give an "
		    "http:// base_url)");

	int nsrc = !!oe + !!of + !!ok;
	if (nsrc > 1) {
		report(L, s->line, "give only one of key, key_env and key_file");
	} else if (oe) {
		if (!env_name_ok(oe->val)) {
			report(L, oe->line, "key_env '%s' is not an environment variable name", echo(eb, oe->val));
		} else {
			const char *v = getenv(oe->val), *why = NULL;
			size_t vn = v ? strlen(v) : 0;
			if (vn == 0) {
				if (!t || !t->key_optional)
					why = v ? k_empty : "is not set";
			} else if (!key_bytes_ok(v, vn)) {
				why = k_ctl;
			} else if ((p->key = lstrdup(L, v, vn)) != NULL) {
				p->key_len = vn;
			}
			if (why)
				report(L, oe->line, "environment variable %s (key_env) %s", oe->val, why);
		}
	} else if (of) {
		if (!of->len)
			report(L, of->line, "key_file: empty path");
		else
			read_key_file(L, p, of);
	} else if (ok) {
		if (!ok->len || !key_bytes_ok(ok->val, ok->len))
			report(L, ok->line, "key %s", ok->len ? k_ctl : k_empty);
		else {
			p->key = ok->val;
			p->key_len = ok->len;
		}
	} else if (t && !t->key_optional) {
		report(L, s->line, "type '%s' needs a key: set key_env%s%s%s, key_file or key", t->name,
		    t->key_env ? " (e.g. option key_env '" : "", t->key_env ? t->key_env : "", t->key_env ? "')" : "");
	}

	p->models = collect(L, s, O_PROVIDER_model, &p->nmodels);
	for (const struct opt *o = s->opts; o; o = o->next)
		if (o->id == O_PROVIDER_model && !o->len)
			report(L, o->line, "empty model name");
	L->pfxmax = 0;
}

/* Checks a provider/route/client section name; 0 when usable. */
static int check_name(struct loader *L, const struct sect *s)
{
	echobuf eb;
	const char *what = SECT_NAME(s->kind);

	if (!s->name) {
		if (s->kind == S_TARGET)
			return 0;	/* the model option identifies it */
		report(L, s->line, "%s section needs a name: config %s 'NAME'", what, what);
		return -1;
	}
	if (!url_name_chars_ok(s->name, strlen(s->name))) {
		report(L, s->line, "%s name '%s' may only contain letters, digits, '_', '.' and '-'",
		    what, echo(eb, s->name));
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

static const char strategy_names[] = "fallback\0cheapest\0fastest\0weighted\0";

/* Splits "provider/model" at the first '/' and resolves the provider. 0 and
 * *prov, *model set; -1 after reporting (what: "route 'r': target" or
 * "target"). */
static int resolve_target(struct loader *L, const char *what, const struct opt *o, unsigned *prov, const char **model)
{
	echobuf eb, pb;
	const char *slash = strchr(o->val, '/');

	echo(eb, o->val);
	if (!slash || slash == o->val || !slash[1]) {
		report(L, o->line, "%s '%s' must be 'provider/model'", what, eb);
		return -1;
	}
	size_t pn = (size_t)(slash - o->val);
	int idx = cfg_provider_index(L->c, o->val, pn);
	if (idx < 0) {
		char pname[SUGGEST_MAX + 1];
		struct suggest sg;
		echo_n(pb, o->val, pn);
		fmt_snprintf(pname, sizeof pname, "%.*s", (int)(pn < SUGGEST_MAX ? pn : SUGGEST_MAX), o->val);
		suggest_init(&sg, pname);
		for (unsigned i = 0; i < L->c->nproviders; i++)
			if (L->c->providers[i].name)
				suggest_try(&sg, L->c->providers[i].name);
		report(L, o->line, "%s '%s': no provider section named '%s'%s", what, eb, pb, suggest_text(&sg));
		return -1;
	}
	if (strcmp(slash + 1, "*") == 0) {
		report(L, o->line, "%s '%s': '*' is not a model name (it names the provider's bucket for "
		    "models no route or target section lists)", what, eb);
		return -1;
	}
	*prov = (unsigned)idx;
	*model = slash + 1;
	return 0;
}

static void build_route(struct loader *L, const struct sect *s, struct cfg_route *r)
{
	echobuf eb;
	char what[96];
	unsigned n = count_opts(s, O_ROUTE_target);
	const struct cfg_gateway *g = &L->c->gw;

	/* first: the one section-line message before "list target" that has no prefix */
	if (cfg_provider_index(L->c, r->name, strlen(r->name)) >= 0)
		report(L, s->line, "route '%s' has the name of a provider (a model name would be ambiguous)", r->name);
	set_pfx(L, S_ROUTE, r->name, PFX_OPT);
	for (const struct opt *o = s->opts; o; o = o->next)
		set_opt(L, o, r);
	L->pfxmax = PFX_ALL;
	const struct opt *os = get_opt(s, O_ROUTE_strategy);
	if (os) {
		int i = word_find(strategy_names, os->val);
		if (i == CFG_STRATEGY_CHEAPEST && !LLMGW_USAGE) {
			report(L, os->line, "strategy 'cheapest' is not in this build (LLMGW_USAGE=0): "
			    "it needs the price table");
		} else if (i >= 0) {
			r->strategy = (enum cfg_strategy)i;
		} else {
			struct suggest sg;
			suggest_init(&sg, os->val);
			suggest_words(&sg, strategy_names);
			report(L, os->line, "strategy '%s' is not one of fallback, cheapest, fastest, weighted%s",
			    echo(eb, os->val), suggest_text(&sg));
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

	if (n == 0)
		report(L, s->line, "list target 'provider/model' is required");
	L->pfxmax = 0;
	if (n == 0)
		return;
	r->targets = lalloc(L, n * sizeof *r->targets);
	if (!r->targets)
		return;
	fmt_snprintf(what, sizeof what, "route '%s': target", r->name);
	for (const struct opt *o = s->opts; o; o = o->next) {
		unsigned prov;
		const char *model;
		if (o->id != O_ROUTE_target || resolve_target(L, what, o, &prov, &model) < 0)
			continue;
		r->targets[r->ntargets].provider = prov;
		r->targets[r->ntargets].model = model;
		r->targets[r->ntargets].line = o->line;
		r->ntargets++;
	}
}

static int hexval(char ch)
{
	if (is_digit(ch))
		return ch - '0';
	ch |= 0x20;
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* 1 when the client's key_sha256 is good. */
static int build_client(struct loader *L, const struct sect *s, struct cfg_client *cl)
{
	echobuf eb;
	const struct opt *oh = get_opt(s, O_CLIENT_key_sha256);

	/* set_opt() leaves key_sha256 and allow alone, so its messages may
	 * come first: no message of another option shares their lines */
	set_pfx(L, S_CLIENT, cl->name, PFX_OPT);
	for (const struct opt *o = s->opts; o; o = o->next)
		set_opt(L, o, cl);
	L->pfxmax = PFX_ALL;
	int has_key = 0;
	if (!oh) {
		report(L, s->line, "option key_sha256 is required (sha256 of the client's key, 64 hex digits)");
	} else if (oh->len != 64) {
		report(L, oh->line, "key_sha256 must be 64 hex digits (it has %zu characters)", oh->len);
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
			report(L, oh->line, "key_sha256 must be 64 hex digits");
		else
			has_key = 1;
	}

	cl->allow = collect(L, s, O_CLIENT_allow, &cl->nallow);
	/* Catch typos: a plain word must be a route, a provider part without
	 * '*' must be a provider. */
	for (const struct opt *o = s->opts; o; o = o->next) {
		if (o->id != O_CLIENT_allow)
			continue;
		const char *slash = strchr(o->val, '/');
		if (!o->len) {
			report(L, o->line, "empty allow pattern");
		} else if (!slash) {
			if (!strchr(o->val, '*') && !cfg_route_find(L->c, o->val, o->len)) {
				struct suggest sg;
				suggest_init(&sg, o->val);
				for (unsigned i = 0; i < L->c->nroutes; i++)
					if (L->c->routes[i].name)
						suggest_try(&sg, L->c->routes[i].name);
				report(L, o->line, "allow '%s' names no route%s (for a provider's model "
				    "write 'provider/model')", echo(eb, o->val), suggest_text(&sg));
			}
		} else {
			size_t pn = (size_t)(slash - o->val);
			if (!memchr(o->val, '*', pn) && cfg_provider_index(L->c, o->val, pn) < 0)
				report(L, o->line, "allow '%s': no provider section named '%.*s'",
				    echo(eb, o->val), (int)(pn < ECHO_MAX ? pn : ECHO_MAX), o->val);
		}
	}
	L->pfxmax = 0;
	return has_key;
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

/* The slot of (provider, model) in the target index: its entry (tid + 1)
 * or the empty slot where it goes. The index has at least twice as many
 * slots as entries, so probing ends. */
static unsigned *target_slot(const struct cfg *c, unsigned provider, const char *model, size_t len)
{
	unsigned *index = (unsigned *)c->tindex;	/* the loader's own array */
	uint32_t i = target_hash(provider, model, len) & c->tindex_mask;
	for (; index[i]; i = (i + 1) & c->tindex_mask)
		if (tinfo_is(&c->targets_all[index[i] - 1], provider, model, len))
			break;
	return &index[i];
}

/* A new target id for provider/model ("*": the other bucket); -1 when out
 * of memory. */
static int new_target(struct loader *L, unsigned provider, const char *model, size_t len)
{
	struct cfg *c = L->c;
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
	return (int)tid;
}

/* The tid of (provider, model), adding it when new; -1 when out of memory. */
static int intern(struct loader *L, unsigned provider, const char *model, int line)
{
	size_t len = strlen(model);
	unsigned *slot = target_slot(L->c, provider, model, len);
	if (*slot)
		return (int)(*slot - 1);
	int tid = new_target(L, provider, model, len);
	if (tid >= 0) {
		L->c->targets_all[tid].line = line;
		*slot = (unsigned)tid + 1;
	}
	return tid;
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
	const struct opt *to[5];
	get_opts(s, O_TARGET_input_usd_per_mtok, 5, to);
	const struct opt *oi = to[0], *oc = to[1], *oo = to[2];
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
	if (to[3])
		t->quality = (int)v->quality;
	if (to[4])
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
	c->tindex = index;
	c->tindex_mask = (unsigned)(slots - 1);

	for (unsigned i = 0; i < c->nroutes; i++) {
		struct cfg_route *r = &c->routes[i];
		for (unsigned j = 0; j < r->ntargets; j++) {
			int tid = intern(L, r->targets[j].provider, r->targets[j].model, r->targets[j].line);
			if (tid < 0)
				return;
			r->targets[j].tid = (unsigned)tid;
		}
	}
	for (unsigned i = 0; i < ntsect; i++) {
		const struct sect *s = tsect[i];
		const struct opt *om = get_opt(s, O_TARGET_model);
		struct tvals v = { 0, 0, 0, 0, 1 };
		echobuf eb;
		unsigned prov;
		const char *model;

		set_pfx(L, S_TARGET, om ? echo(eb, om->val) : NULL, PFX_OPT);
		for (const struct opt *o = s->opts; o; o = o->next)
			set_opt(L, o, &v);
		L->pfxmax = 0;
		if (!om) {
			report(L, s->line, "target section: option model 'provider/model' is required");
			continue;
		}
		if (resolve_target(L, "target", om, &prov, &model) < 0)
			continue;
		int tid = intern(L, prov, model, s->line);
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
		int tid = new_target(L, p, "*", 1);
		if (tid < 0)
			return;
		c->targets_all[tid].other = 1;
		c->providers[p].other_tid = (unsigned)tid;
	}
}

/* Options of features this build was made without (options.h). Giving
 * one is an error naming the switch, unless its value leaves the feature
 * off (syslog 0, rpm 0, ...); `always`: any value is an error (a price). */
struct left_opt {
	unsigned char id, always;
	const char *option;
	const char *what;
};
static const struct left_opt left_opts[] = {
#if !LLMGW_SYSLOG
	{ O_GATEWAY_syslog, 0, "LLMGW_SYSLOG", "logging to syslog is" },
#endif
#if !LLMGW_STATUS_PAGE
	{ O_GATEWAY_status_page, 0, "LLMGW_STATUS_PAGE", "the status page is" },
#endif
#if !LLMGW_METRICS
	{ O_GATEWAY_metrics, 0, "LLMGW_METRICS", "/metrics is" },
#endif
#if !LLMGW_PROBES
	{ O_GATEWAY_probe_interval, 0, "LLMGW_PROBES", "active health probes are" },
	{ O_GATEWAY_probe_interval_open, 1, "LLMGW_PROBES", "active health probes are" },
#endif
#if !LLMGW_USAGE
	{ O_CLIENT_rpm, 0, "LLMGW_USAGE", "client limits are" },
	{ O_CLIENT_tpm, 0, "LLMGW_USAGE", "client limits are" },
	{ O_CLIENT_daily_usd, 0, "LLMGW_USAGE", "client budgets are" },
	{ O_CLIENT_monthly_usd, 0, "LLMGW_USAGE", "client budgets are" },
	{ O_ROUTE_min_quality, 0, "LLMGW_USAGE", "the cheapest strategy is" },
	{ O_TARGET_input_usd_per_mtok, 1, "LLMGW_USAGE", "cost accounting is" },
	{ O_TARGET_cached_usd_per_mtok, 1, "LLMGW_USAGE", "cost accounting is" },
	{ O_TARGET_output_usd_per_mtok, 1, "LLMGW_USAGE", "cost accounting is" },
	{ O_TARGET_quality, 1, "LLMGW_USAGE", "the cheapest strategy is" },
#endif
	{ O_COUNT, 0, NULL, NULL }
};

/* Whether o's value leaves its feature off: 0, a zero duration or "0". */
static int opt_value_off(const struct opt *o)
{
	unsigned long long v = 1;
	double dv = 1;
	int b = 1;
	switch (opts[o->id].kind & V_KIND) {
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
			for (const struct left_opt *l = left_opts; l->option; l++) {
				if (l->id != o->id || (!l->always && opt_value_off(o)))
					continue;
				set_pfx(L, s->kind, s->name, PFX_OPT);
				report(L, o->line, "%s: %s not in this build (%s=0)", OPT_NAME_OF(o->id), l->what,
				    l->option);
				L->pfxmax = 0;
			}
}

static void build(struct loader *L)
{
	struct cfg *c = L->c;
	unsigned counts[S_NKINDS] = { 0 };
	const struct sect *gw = NULL;

	/* a copy, not ~60 stores the compiler would make of the constants */
	const struct cfg_gateway *def = &gw_defaults;
	__asm__("" : "+r"(def));
	c->gw = *def;
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
		int ok = build_client(L, csect[i], &c->clients[i]);
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
	char msg[256], *buf = malloc(CFG_FILE_MAX + 1);
	const char *why = msg;
	size_t n = 0;
	int ret = 1, err = 0, r = buf ? slurp(path, buf, CFG_FILE_MAX + 1, &n, &err) : -4;

	memset(out, 0, sizeof *out);
	if (r == -1 || r == -3)
		fmt_snprintf(msg, sizeof msg, "cannot %s: %s", r == -1 ? "open" : "read", strerror(err));
	else if (r == -2)
		why = "not a regular file";
	else if (r < 0)
		why = "out of memory";
	else if (n > CFG_FILE_MAX)
		why = "file too large for a configuration";
	else
		why = NULL, ret = cfg_load_text(path, buf, n, out, rep, ctx);
	if (why && rep)
		rep(ctx, path, 0, why);
	if (buf)
		explicit_bzero(buf, n);	/* inline keys */
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
	if (!c)
		return;
	struct arena a = { c->arena, c->arena_size };
	arena_free(&a);
	memset(c, 0, sizeof *c);
}

/* ---- lookups ---- */

/* Index of the entry named name (a slice) in an array of structs that
 * start with their name, or -1. */
static int find_named(const void *v, unsigned n, size_t stride, const char *name, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		const char *s = *(const char *const *)(const void *)((const char *)v + i * stride);
		if (s && strlen(s) == len && memcmp(s, name, len) == 0)
			return (int)i;
	}
	return -1;
}
_Static_assert(offsetof(struct cfg_provider, name) == 0 && offsetof(struct cfg_route, name) == 0,
    "find_named reads the name first");

int cfg_provider_index(const struct cfg *c, const char *name, size_t len)
{
	return find_named(c->providers, c->nproviders, sizeof *c->providers, name, len);
}

int cfg_target_id(const struct cfg *c, unsigned provider, const char *model, size_t len)
{
	if (provider >= c->nproviders || !c->tindex)
		return -1;
	unsigned slot = *target_slot(c, provider, model, len);
	return slot ? (int)(slot - 1) : (int)c->providers[provider].other_tid;
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
	int i = find_named(c->routes, c->nroutes, sizeof *c->routes, name, len);
	return i < 0 ? NULL : &c->routes[i];
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
