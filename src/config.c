/*
 * config.c - builds and checks the runtime configuration (struct cfg) from
 * a UCI file. See config.h.
 *
 * Loading runs in two steps. uci_parse() (uci.h) splits the text into
 * sections and options; the handlers here check what can be checked line
 * by line (section types, known option names, single versus multi-valued
 * options) and record each section with its options in a list. The
 * builder then walks the sections and fills struct cfg, resolving the
 * references that may point forward in the file (route targets, client
 * allow patterns), and last numbers the targets (build_targets: a dense
 * id per distinct provider/model, prices merged from target sections and
 * the compiled-in table, a hash index for lookups, one "other" bucket per
 * provider). Every problem is reported and counted; nothing stops
 * early, so one `llmgw -t` run shows every mistake. Reports are held until
 * the end and given in line order. Messages quote user text only where it
 * cannot be a secret: never a key value, and unknown words only when they
 * look like option names (uci_quoted()).
 *
 * Every option of every section is one row of OPTIONS below: its section,
 * name, how its value is read, whether it may repeat, the field it sets
 * and its limits. Base URLs and addresses are parsed by url.h.
 *
 * Memory: everything, including the section lists, lives in one arena
 * (arena.h) owned by struct cfg; start-up and reload only. cfg_free()
 * wipes the whole arena, which holds the provider keys, before freeing
 * it. Key bytes are never formatted into a report.
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
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "fmt.h"
#include "config.h"
#include "options.h"
#include "prices.h"
#include "suggest.h"
#include "uci.h"
#include "url.h"
#include "util.h"

#define CFG_FILE_MAX	(1u << 20)	/* a config file larger than this is a mistake */
#define KEY_FILE_MAX	16384
#define MAX_SECTIONS	4096
#define NAME_SUGGEST_MAX 64		/* a provider name is cut here for did-you-mean */
#define ECHO_MAX	64		/* user text quoted in messages is cut here */
#define PFX_ALL		511		/* set_pfx(): the whole prefix */
#define PFX_OPT		95		/* set_opt() and left-out messages have always cut it here */

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alnum(char ch)
{
	return is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

/* Index of s in words[0..n), or -1. */
static int word_index(const char *const *words, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(words[i], s) == 0)
			return (int)i;
	return -1;
}

/* ---- option tables ---- */

enum sect_kind { S_GATEWAY, S_PROVIDER, S_ROUTE, S_CLIENT, S_TARGET, S_LISTEN, S_NKINDS };
static const char *const sect_names[S_NKINDS] = {
	[S_GATEWAY] = "gateway",
	[S_PROVIDER] = "provider",
	[S_ROUTE] = "route",
	[S_CLIENT] = "client",
	[S_TARGET] = "target",
	[S_LISTEN] = "listen",
};

/* How set_opt() reads an option's value into its field. V_DEC: a decimal
 * number (digits, one optional '.'; no sign or exponent) stored as a
 * double. V_SPECIAL options are read by the builder itself. */
enum vkind { V_SPECIAL, V_STR, V_PATH, V_BOOL, V_UINT, V_KB, V_MS, V_DEC };
/* What a value of that kind should look like, for messages. */
static const char *const kind_nouns[] = {
	[V_BOOL] = "boolean (use 1 or 0)",
	[V_UINT] = "number",
	[V_KB] = "number",
	[V_MS] = "duration (use e.g. 30, 30s or 500ms)",
	[V_DEC] = "decimal number (use e.g. 0.5 or 12)",
};

#define DAY_MS 86400000u
#define USD_MAX 1000000000u		/* a price or budget above this is a typo */

/* A target section's values before they are merged with the price table. */
struct tvals {
	double in, cached, out;
	unsigned quality, weight;
};

/* Field offsets in the section's struct: cfg_gateway, cfg_route,
 * cfg_client, or tvals for a target section. */
#define GW(f) offsetof(struct cfg_gateway, f)
#define RT(f) offsetof(struct cfg_route, f)
#define CL(f) offsetof(struct cfg_client, f)
#define TV(f) offsetof(struct tvals, f)
#define LS(f) offsetof(struct cfg_listen, f)

/* Every option of every section: X(section, name, kind, ONE or LIST
 * (`list` allowed, `option` may repeat), field offset, lowest, highest).
 * The limits are in the field's unit (ms for V_MS, KiB for V_KB); V_SPECIAL
 * rows have none. One list makes the ids (O_SECTION_name) and the rows. */
#define OPTIONS(X) \
	X(GATEWAY, listen, V_SPECIAL, LIST, 0, 0, 0) \
	X(GATEWAY, ca_file, V_PATH, ONE, GW(ca_file), 0, 0) \
	X(GATEWAY, log_level, V_SPECIAL, ONE, 0, 0, 0) \
	X(GATEWAY, syslog, V_BOOL, ONE, GW(syslog), 0, 1) \
	X(GATEWAY, user, V_STR, ONE, GW(user), 0, 0) \
	X(GATEWAY, anonymous, V_BOOL, ONE, GW(anonymous), 0, 1) \
	X(GATEWAY, max_connections, V_UINT, ONE, GW(max_connections), 1, 65535) \
	X(GATEWAY, max_inflight, V_UINT, ONE, GW(max_inflight), 1, 65535) \
	X(GATEWAY, max_upstream, V_UINT, ONE, GW(max_upstream), 1, 65535) \
	X(GATEWAY, max_header_kb, V_KB, ONE, GW(max_header_bytes), 1, 1024) \
	X(GATEWAY, max_body_kb, V_KB, ONE, GW(max_body_bytes), 1, 262144) \
	X(GATEWAY, max_response_kb, V_KB, ONE, GW(max_response_bytes), 1, 262144) \
	X(GATEWAY, max_partial_heads, V_UINT, ONE, GW(max_partial_heads), 1, 65535) \
	X(GATEWAY, max_partial_heads_per_ip, V_UINT, ONE, GW(max_partial_heads_per_ip), 1, 65535) \
	X(GATEWAY, header_timeout, V_MS, ONE, GW(header_timeout_ms), 1, DAY_MS) \
	X(GATEWAY, idle_timeout, V_MS, ONE, GW(idle_timeout_ms), 1, DAY_MS) \
	X(GATEWAY, connect_timeout, V_MS, ONE, GW(connect_timeout_ms), 1, DAY_MS) \
	X(GATEWAY, first_byte_timeout, V_MS, ONE, GW(first_byte_timeout_ms), 1, DAY_MS) \
	X(GATEWAY, stream_idle_timeout, V_MS, ONE, GW(stream_idle_timeout_ms), 1, DAY_MS) \
	X(GATEWAY, upstream_idle, V_MS, ONE, GW(upstream_idle_ms), 1, DAY_MS) \
	X(GATEWAY, shutdown_timeout, V_MS, ONE, GW(shutdown_timeout_ms), 0, DAY_MS) \
	X(GATEWAY, resolv_conf, V_PATH, ONE, GW(resolv_conf), 0, 0) \
	X(GATEWAY, hosts_file, V_PATH, ONE, GW(hosts_file), 0, 0) \
	X(GATEWAY, nameserver, V_SPECIAL, LIST, 0, 0, 0) \
	X(GATEWAY, default_max_tokens, V_UINT, ONE, GW(default_max_tokens), 1, 10000000) \
	X(GATEWAY, state_dir, V_PATH, ONE, GW(state_dir), 0, 0) \
	X(GATEWAY, flush_interval, V_MS, ONE, GW(flush_interval_ms), 1, DAY_MS) \
	X(GATEWAY, probe_interval, V_MS, ONE, GW(probe_interval_ms), 0, DAY_MS) \
	X(GATEWAY, probe_interval_open, V_MS, ONE, GW(probe_interval_open_ms), 1, DAY_MS) \
	X(GATEWAY, breaker_failures, V_UINT, ONE, GW(breaker_failures), 1, 1000000) \
	X(GATEWAY, breaker_ratio, V_DEC, ONE, GW(breaker_ratio), 0, 1) \
	X(GATEWAY, breaker_min_requests, V_UINT, ONE, GW(breaker_min_requests), 1, 1000000) \
	X(GATEWAY, breaker_window, V_MS, ONE, GW(breaker_window_ms), 1, DAY_MS) \
	X(GATEWAY, breaker_cooldown, V_MS, ONE, GW(breaker_cooldown_ms), 1, DAY_MS) \
	X(GATEWAY, breaker_max_cooldown, V_MS, ONE, GW(breaker_max_cooldown_ms), 1, DAY_MS) \
	X(GATEWAY, max_attempts, V_UINT, ONE, GW(max_attempts), 1, 10) \
	X(GATEWAY, request_deadline, V_MS, ONE, GW(request_deadline_ms), 1, DAY_MS) \
	X(GATEWAY, access_log, V_BOOL, ONE, GW(access_log), 0, 1) \
	X(GATEWAY, status_page, V_BOOL, ONE, GW(status_page), 0, 1) \
	X(GATEWAY, metrics, V_BOOL, ONE, GW(metrics), 0, 1) \
	X(GATEWAY, allow_cidr, V_SPECIAL, LIST, 0, 0, 0) \
	X(GATEWAY, max_tls_connections, V_UINT, ONE, GW(max_tls_connections), 1, 65535) \
	X(PROVIDER, type, V_SPECIAL, ONE, 0, 0, 0) \
	X(PROVIDER, base_url, V_SPECIAL, ONE, 0, 0, 0) \
	X(PROVIDER, key_env, V_SPECIAL, ONE, 0, 0, 0) \
	X(PROVIDER, key_file, V_SPECIAL, ONE, 0, 0, 0) \
	X(PROVIDER, key, V_SPECIAL, ONE, 0, 0, 0) \
	X(PROVIDER, model, V_SPECIAL, LIST, 0, 0, 0) \
	X(ROUTE, target, V_SPECIAL, LIST, 0, 0, 0) \
	X(ROUTE, strategy, V_SPECIAL, ONE, 0, 0, 0) \
	X(ROUTE, min_quality, V_UINT, ONE, RT(min_quality), 0, 5) \
	X(ROUTE, max_attempts, V_UINT, ONE, RT(max_attempts), 1, 10) \
	X(ROUTE, connect_timeout, V_MS, ONE, RT(connect_timeout_ms), 0, DAY_MS) \
	X(ROUTE, first_byte_timeout, V_MS, ONE, RT(first_byte_timeout_ms), 0, DAY_MS) \
	X(ROUTE, stream_idle_timeout, V_MS, ONE, RT(stream_idle_timeout_ms), 0, DAY_MS) \
	X(CLIENT, key_sha256, V_SPECIAL, ONE, 0, 0, 0) \
	X(CLIENT, allow, V_SPECIAL, LIST, 0, 0, 0) \
	X(CLIENT, rpm, V_UINT, ONE, CL(rpm), 0, 100000000) \
	X(CLIENT, tpm, V_UINT, ONE, CL(tpm), 0, 4000000000u) \
	X(CLIENT, daily_usd, V_DEC, ONE, CL(daily_usd), 0, USD_MAX) \
	X(CLIENT, monthly_usd, V_DEC, ONE, CL(monthly_usd), 0, USD_MAX) \
	X(CLIENT, allow_unpriced, V_BOOL, ONE, CL(allow_unpriced), 0, 1) \
	X(CLIENT, monitor, V_BOOL, ONE, CL(monitor), 0, 1) \
	X(TARGET, model, V_SPECIAL, ONE, 0, 0, 0) \
	X(TARGET, input_usd_per_mtok, V_DEC, ONE, TV(in), 0, USD_MAX) \
	X(TARGET, cached_usd_per_mtok, V_DEC, ONE, TV(cached), 0, USD_MAX) \
	X(TARGET, output_usd_per_mtok, V_DEC, ONE, TV(out), 0, USD_MAX) \
	X(TARGET, quality, V_UINT, ONE, TV(quality), 1, 5) \
	X(TARGET, weight, V_UINT, ONE, TV(weight), 1, 1000) \
	X(LISTEN, address, V_SPECIAL, ONE, 0, 0, 0) \
	X(LISTEN, tls_cert, V_PATH, ONE, LS(tls_cert), 0, 0) \
	X(LISTEN, tls_key, V_PATH, ONE, LS(tls_key), 0, 0) \
	X(LISTEN, allow_cidr, V_SPECIAL, LIST, 0, 0, 0)

#define OPT_ID(sect, name, kind, multi, at, lo, hi) O_##sect##_##name,
enum opt_id { OPTIONS(OPT_ID) O_COUNT };

enum { ONE, LIST };
/* Small field types: the table has a row per option in every build (24
 * bytes a row on 64-bit instead of 40). */
struct optdesc {
	const char *name;
	unsigned min, max;		/* limits of the value, in the field's unit */
	uint16_t off;			/* of the field set_opt() sets */
	uint8_t sect;			/* enum sect_kind */
	uint8_t kind;			/* enum vkind */
	uint8_t multi;			/* LIST: `list` allowed, `option` may repeat */
};
#define OPT_OFF_FITS(sect_, name_, kind_, multi_, at, lo, hi) \
	_Static_assert((at) <= UINT16_MAX, "option " #name_ ": its field is too far into its struct");
OPTIONS(OPT_OFF_FITS)
#define OPT_ROW(sect_, name_, kind_, multi_, at, lo, hi) \
	[O_##sect_##_##name_] = { .sect = S_##sect_, .name = #name_, .kind = kind_, .multi = multi_, \
	    .off = at, .min = lo, .max = hi },
static const struct optdesc opts[O_COUNT] = { OPTIONS(OPT_ROW) };

/* ---- parsed form ---- */

struct opt {
	struct opt *next;
	const char *val;
	size_t len;
	int line;
	enum opt_id id;
};

struct sect {
	struct sect *next;
	enum sect_kind kind;
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
	struct sect *cur;		/* where options go; NULL: its `config` line was refused */
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
static void set_pfx(struct loader *L, enum sect_kind kind, const char *name, int max)
{
	fmt_snprintf(L->pfx, sizeof L->pfx, name ? "%s '%s': " : "%s: ", sect_names[kind], name);
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

/* ---- sections and options (uci.h hands them over) ---- */

/* The option of section kind named name, or O_COUNT. */
static enum opt_id opt_find(enum sect_kind kind, const char *name)
{
	for (unsigned i = 0; i < O_COUNT; i++)
		if (opts[i].sect == kind && strcmp(opts[i].name, name) == 0)
			return (enum opt_id)i;
	return O_COUNT;
}

static void on_syntax_error(void *ctx, int line, const char *msg)
{
	report(ctx, line, "%s", msg);
}

static void on_section(void *ctx, int line, const struct uci_word *type, const struct uci_word *name)
{
	struct loader *L = ctx;
	char qb[UCI_QUOTE_SIZE];

	L->cur = NULL;		/* until this section proves good */
	int kind = word_index(sect_names, S_NKINDS, type->s);
	if (kind < 0) {
		struct suggest sg;
		suggest_init(&sg, type->s);
		for (unsigned k = 0; k < S_NKINDS; k++)
			suggest_try(&sg, sect_names[k]);
		report(L, line, "unknown section type%s%s; expected gateway, provider, route, target, client or listen",
		    uci_quoted(qb, type, 0), suggest_text(&sg));
		return;
	}
	if (++L->nsects > MAX_SECTIONS) {
		if (L->nsects == MAX_SECTIONS + 1)
			report(L, line, "too many sections (at most %u)", MAX_SECTIONS);
		return;
	}
	struct sect *s = lalloc(L, sizeof *s);
	if (!s)
		return;
	s->kind = (enum sect_kind)kind;
	s->line = line;
	s->opt_tail = &s->opts;
	if (name) {
		s->name = lstrdup(L, name->s, name->len);
		if (!s->name)
			return;
	}
	*L->sect_tail = s;
	L->sect_tail = &s->next;
	L->cur = s;
}

static void on_option(void *ctx, int line, int is_list, const struct uci_word *oname,
    const struct uci_word *values, unsigned nvalues)
{
	struct loader *L = ctx;
	const char *kw = is_list ? "list" : "option";
	char qb[UCI_QUOTE_SIZE];

	if (!L->cur)
		return;		/* its section was refused, and said so */
	enum sect_kind kind = L->cur->kind;
	enum opt_id id = opt_find(kind, oname->s);
	if (id == O_COUNT) {
		struct suggest sg;
		suggest_init(&sg, oname->s);
		for (unsigned i = 0; i < O_COUNT; i++)
			if (opts[i].sect == kind)
				suggest_try(&sg, opts[i].name);
		report(L, line, "unknown option%s in %s section%s", uci_quoted(qb, oname, 0), sect_names[kind],
		    suggest_text(&sg));
		return;
	}
	const char *name = opts[id].name;
	if (nvalues == 0) {
		report(L, line, "%s '%s' has no value", kw, name);
		return;
	}
	if (nvalues > 1) {
		report(L, line, "%s '%s' has more than one value (quote values that contain spaces)", kw, name);
		return;
	}
	if (is_list && opts[id].multi != LIST) {
		report(L, line, "'%s' takes a single value: use 'option', not 'list'", name);
		return;
	}
	if (opts[id].multi != LIST) {
		for (struct opt *o = L->cur->opts; o; o = o->next) {
			if (o->id == id) {
				report(L, line, "option '%s' given twice (first at line %d)", name, o->line);
				return;
			}
		}
	}
	struct opt *o = lalloc(L, sizeof *o);
	if (!o)
		return;
	o->id = id;
	o->line = line;
	o->len = values[0].len;
	o->val = lstrdup(L, values[0].s, values[0].len);
	if (!o->val)
		return;
	*L->cur->opt_tail = o;
	L->cur->opt_tail = &o->next;
}

static void parse_text(struct loader *L, const char *text, size_t len)
{
	const struct uci_handler h = {
		.section = on_section,
		.option = on_option,
		.error = on_syntax_error,
		.ctx = L,
	};
	if (uci_parse(text, len, &h) < 0)
		L->oom = 1;
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
	static const struct {
		const char *suffix;
		unsigned ms;
	} units[] = { { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "min", 60000 }, { "h", 3600000 } };
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
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		if (strcmp(units[k].suffix, s + i) != 0)
			continue;
		int r = parse_uint(num, 1000000000000ull, &v);
		if (r < 0)
			return r;
		*ms = v * units[k].ms;
		return 0;
	}
	return -1;
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
	static const struct {
		const char *word;
		int value;
	} words[] = {
		{ "1", 1 }, { "yes", 1 }, { "on", 1 }, { "true", 1 }, { "enabled", 1 },
		{ "0", 0 }, { "no", 0 }, { "off", 0 }, { "false", 0 }, { "disabled", 0 },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(words[i].word, s) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

/* ---- builder ---- */

static unsigned count_opts(const struct sect *s, enum opt_id id)
{
	unsigned n = 0;
	for (const struct opt *o = s->opts; o; o = o->next)
		n += o->id == id;
	return n;
}

static const struct opt *get_opt(const struct sect *s, enum opt_id id)
{
	for (const struct opt *o = s->opts; o; o = o->next)
		if (o->id == id)
			return o;
	return NULL;
}

/* A NULL-terminated array of the values of a multi-valued option. */
static const char **collect(struct loader *L, const struct sect *s, enum opt_id id, unsigned *n)
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
	.max_partial_heads = 64,
	.max_partial_heads_per_ip = 8,
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
	.max_tls_connections = 32,
};

/* A limit or a duration in messages: "30s" or "500ms" for durations. */
static void fmt_limit(char *buf, enum vkind kind, unsigned v)
{
	if (kind != V_MS)
		fmt_snprintf(buf, 32, "%u", v);
	else if (v % 1000)
		fmt_snprintf(buf, 32, "%ums", v);
	else
		fmt_snprintf(buf, 32, "%us", v / 1000);
}

/* Sets the field of a table-driven option (any kind but V_SPECIAL) in
 * base, the section's struct; messages start with set_pfx()'s prefix (cut
 * to PFX_OPT bytes, as they always were: "route 'r': "). A value
 * that does not parse or is out of range is reported and leaves the
 * default in place. */
static void set_opt(struct loader *L, const struct opt *o, void *base)
{
	const struct optdesc *d = &opts[o->id];
	const char *name = d->name;
	void *field = (char *)base + d->off;
	enum vkind kind = d->kind;
	unsigned min = d->min, max = d->max;
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
	case V_SPECIAL:
	default:
		return;
	}
	if (r == -1) {
		report(L, o->line, "%s: '%s' is not a %s", name, echo(eb, o->val), kind_nouns[kind]);
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

/* The networks of a section's `list allow_cidr`, each one checked; NULL
 * (and *n 0) when it has none. */
static const struct acl_net *collect_cidrs(struct loader *L, const struct sect *s, enum opt_id id, unsigned *n)
{
	unsigned cnt = count_opts(s, id), i = 0;
	struct acl_net *nets = cnt ? lalloc(L, cnt * sizeof *nets) : NULL;
	*n = 0;
	if (!nets)
		return NULL;
	for (const struct opt *o = s->opts; o; o = o->next) {
		if (o->id != id)
			continue;
		echobuf eb;
		char net[64];
		switch (acl_parse(o->val, &nets[i])) {
		case 0:
			i++;
			break;
		case ACL_HOST_BITS:
			report(L, o->line, "allow_cidr '%s' has address bits set past its prefix length "
			    "(the network is %s)", echo(eb, o->val), acl_format(&nets[i], net, sizeof net));
			break;
		case ACL_BAD_PREFIX:
			report(L, o->line, "allow_cidr '%s': the prefix length after '/' must be 0-32 for IPv4, "
			    "0-128 for IPv6", echo(eb, o->val));
			break;
		default:
			report(L, o->line, "allow_cidr '%s' is not an IPv4 or IPv6 network (use e.g. "
			    "192.168.1.0/24, fd00::/8 or 192.168.1.10)", echo(eb, o->val));
		}
	}
	*n = i;
	return nets;
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
		default:	/* read by set_opt() */
			break;
		}
		if (why)
			report(L, o->line, "%s: '%s'%s", opts[o->id].name, echo(eb, o->val), why);
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
	g->allow = collect_cidrs(L, s, O_GATEWAY_allow_cidr, &g->nallow);
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

static const char k_empty[] = "is empty", k_ctl[] = "contains whitespace or control characters";

/* Reads path into the arena as p->key. The file's content is never put in a
 * message, not even in part; the buffer it was read into is wiped. */
static void read_key_file(struct loader *L, struct cfg_provider *p, const struct opt *o)
{
	echobuf eb;
	char *buf, err[256];
	size_t n;
	const char *why = NULL;

	echo(eb, o->val);
	if (file_read(o->val, KEY_FILE_MAX, &buf, &n, err, sizeof err) < 0) {
		int e = errno;
		if (e == EISDIR || e == EINVAL)
			why = "is not a regular file";
		else if (e == EFBIG)
			why = "is too large for a key";
		else
			report(L, o->line, "cannot read key_file '%s': %s", eb, strerror(e));
	} else {
		size_t b = 0, e = n;
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
		file_free(buf, n);
	}
	if (why)
		report(L, o->line, "key_file '%s' %s", eb, why);
}

static void build_provider(struct loader *L, const struct sect *s, struct cfg_provider *p)
{
	echobuf eb;
	char types[512], err[128];
	const struct opt *ot = get_opt(s, O_PROVIDER_type), *ou = get_opt(s, O_PROVIDER_base_url);
	const struct opt *oe = get_opt(s, O_PROVIDER_key_env), *of = get_opt(s, O_PROVIDER_key_file);
	const struct opt *ok = get_opt(s, O_PROVIDER_key);
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
	const char *what = sect_names[s->kind];

	if (!s->name) {
		if (s->kind == S_TARGET || s->kind == S_LISTEN)
			return 0;	/* the model / address option identifies it */
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

static const char *const strategy_names[] = {
	[CFG_STRATEGY_FALLBACK] = "fallback",
	[CFG_STRATEGY_CHEAPEST] = "cheapest",
	[CFG_STRATEGY_FASTEST] = "fastest",
	[CFG_STRATEGY_WEIGHTED] = "weighted",
};
#define NSTRATEGIES (sizeof strategy_names / sizeof strategy_names[0])

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
		char pname[NAME_SUGGEST_MAX + 1];
		struct suggest sg;
		echo_n(pb, o->val, pn);
		fmt_snprintf(pname, sizeof pname, "%.*s", (int)(pn < NAME_SUGGEST_MAX ? pn : NAME_SUGGEST_MAX), o->val);
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
		int i = word_index(strategy_names, NSTRATEGIES, os->val);
		if (i == CFG_STRATEGY_CHEAPEST && !LLMGW_USAGE) {
			report(L, os->line, "strategy 'cheapest' is not in this build (LLMGW_USAGE=0): "
			    "it needs the price table");
		} else if (i >= 0) {
			r->strategy = (enum cfg_strategy)i;
		} else {
			struct suggest sg;
			suggest_init(&sg, os->val);
			for (unsigned k = 0; k < NSTRATEGIES; k++)
				suggest_try(&sg, strategy_names[k]);
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
			int hi = hex_digit((unsigned char)oh->val[2 * i]), lo = hex_digit((unsigned char)oh->val[2 * i + 1]);
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
	const struct opt *oi = get_opt(s, O_TARGET_input_usd_per_mtok), *oc = get_opt(s, O_TARGET_cached_usd_per_mtok);
	const struct opt *oo = get_opt(s, O_TARGET_output_usd_per_mtok);
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
	if (get_opt(s, O_TARGET_quality))
		t->quality = (int)v->quality;
	if (get_opt(s, O_TARGET_weight))
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
		struct tvals v = { .weight = 1 };
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

/* A `config listen` section: its address, TLS files and allow_cidr
 * (the gateway's when it has none). The files are read when the listener
 * starts (and on each reload), not here. */
static void build_listen(struct loader *L, const struct sect *s, struct cfg_listen *l)
{
	const struct cfg *c = L->c;
	const struct opt *oa = get_opt(s, O_LISTEN_address);
	struct url_listen la;
	echobuf eb;

	l->name = s->name;
	l->line = s->line;
	set_pfx(L, S_LISTEN, s->name, PFX_ALL);
	if (!LLMGW_TLS_LISTEN) {
		report(L, s->line, "listen sections (the TLS listener) are not in this build (LLMGW_TLS_LISTEN=0); "
		    "the gateway's option listen serves plain HTTP");
		L->pfxmax = 0;
		return;
	}
	for (const struct opt *o = s->opts; o; o = o->next)
		set_opt(L, o, l);
	if (!oa) {
		report(L, s->line, "option address is required (e.g. option address '0.0.0.0:8443')");
	} else if (url_listen_parse(oa->val, &la) < 0) {
		report(L, oa->line, "address '%s' is not ip:port, [v6]:port or :port with a numeric address",
		    echo(eb, oa->val));
	} else {
		l->address = oa->val;
		unsigned total = c->gw.nlisten + (unsigned)(l - c->listens) + 1;
		int dup = word_index((const char *const *)c->gw.listen, c->gw.nlisten, oa->val) >= 0;
		for (const struct cfg_listen *e = c->listens; e < l; e++)
			dup |= e->address && strcmp(e->address, oa->val) == 0;
		if (dup)
			report(L, oa->line, "address '%s' is listened on twice", echo(eb, oa->val));
		else if (total == CFG_MAX_LISTEN + 1)
			report(L, oa->line, "at most %d listen addresses and listen sections together", CFG_MAX_LISTEN);
	}
	if (!l->tls_cert != !l->tls_key)
		report(L, s->line, "tls_cert and tls_key go together: both for TLS, neither for plain HTTP");
	l->allow = collect_cidrs(L, s, O_LISTEN_allow_cidr, &l->nallow);
	if (!count_opts(s, O_LISTEN_allow_cidr)) {
		l->allow = c->gw.allow;
		l->nallow = c->gw.nallow;
	}
	L->pfxmax = 0;
}

/* Options of features this build was made without (options.h). Giving
 * one is an error naming the switch, unless its value leaves the feature
 * off (syslog 0, rpm 0, ...); `always`: any value is an error (a price). */
struct left_opt {
	enum opt_id id;
	int always;
	const char *option;
	const char *what;
};
static const struct left_opt left_opts[] = {
#if !LLMGW_SYSLOG
	{ O_GATEWAY_syslog, 0, "LLMGW_SYSLOG", "logging to syslog is" },
#endif
#if !LLMGW_TLS_LISTEN
	{ O_GATEWAY_max_tls_connections, 1, "LLMGW_TLS_LISTEN", "the TLS listener is" },
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
	switch (opts[o->id].kind) {
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
				report(L, o->line, "%s: %s not in this build (%s=0)", opts[o->id].name, l->what,
				    l->option);
				L->pfxmax = 0;
			}
}

static void build(struct loader *L)
{
	struct cfg *c = L->c;
	unsigned counts[S_NKINDS] = { 0 };
	const struct sect *gw = NULL;

	c->gw = gw_defaults;
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
	c->listens = lalloc(L, (counts[S_LISTEN] + 1) * sizeof *c->listens);
	unsigned ntsect = 0;
	if (!psect || !rsect || !csect || !tsect || !c->listens)
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
		} else if (s->kind == S_LISTEN) {
			build_listen(L, s, &c->listens[c->nlistens++]);
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
	char *buf, err[256], msg[256];
	size_t n;

	memset(out, 0, sizeof *out);
	if (file_read(path, CFG_FILE_MAX, &buf, &n, err, sizeof err) == 0) {
		int ret = cfg_load_text(path, buf, n, out, rep, ctx);
		file_free(buf, n);	/* inline keys */
		return ret;
	}
	int e = errno;
	const char *why = msg;
	if (e == EISDIR || e == EINVAL)
		why = "not a regular file";
	else if (e == EFBIG)
		why = "file too large for a configuration";
	else if (e == ENOMEM)
		why = "out of memory";
	else	/* a regular file that opened fails to read only with EIO */
		fmt_snprintf(msg, sizeof msg, "cannot %s: %s", e == EIO ? "read" : "open", strerror(e));
	if (rep)
		rep(ctx, path, 0, why);
	return 1;
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

/* Whether the NUL-terminated s is the slice name[0..len). */
static int name_is(const char *s, const char *name, size_t len)
{
	return s && strlen(s) == len && memcmp(s, name, len) == 0;
}

int cfg_provider_index(const struct cfg *c, const char *name, size_t len)
{
	for (unsigned i = 0; i < c->nproviders; i++)
		if (name_is(c->providers[i].name, name, len))
			return (int)i;
	return -1;
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
	for (unsigned i = 0; i < c->nroutes; i++)
		if (name_is(c->routes[i].name, name, len))
			return &c->routes[i];
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
