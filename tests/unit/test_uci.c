/*
 * test_uci.c - unit tests for uci.c: sections and options handed over in
 * file order with their line numbers, quoting and comments, every syntax
 * error, words that may not be quoted back, and every prefix of a file
 * parsed at the end of a guard page (no over-read; the lines a prefix
 * holds whole give the same events as in the whole file).
 */
#include <stdarg.h>
#include "test.h"
#include "uci.h"

/* The events of one parse, one line each: "LINE config TYPE [NAME]",
 * "LINE option|list NAME [VALUE]... (N)", "LINE error: MSG". Values are
 * shown in brackets so that spaces and empty values are visible. */
struct events {
	char text[16384];
	size_t len;
};

static void add(struct events *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct events *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->text + e->len, sizeof e->text - e->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->len += (size_t)n < sizeof e->text - e->len ? (size_t)n : sizeof e->text - e->len - 1;
}

/* A word is NUL-terminated at its length and holds no control byte. */
static int word_ok(const struct uci_word *w)
{
	if (w->s[w->len] != '\0' || strlen(w->s) != w->len)
		return 0;
	for (size_t i = 0; i < w->len; i++)
		if ((unsigned char)w->s[i] < 0x20 || w->s[i] == 0x7f)
			return 0;
	return 1;
}

static int bad_words;

static void ev_section(void *ctx, int line, const struct uci_word *type, const struct uci_word *name)
{
	bad_words += !word_ok(type) + (name && !word_ok(name));
	add(ctx, "%d config %s", line, type->s);
	if (name)
		add(ctx, " [%s]", name->s);
	add(ctx, "\n");
}

static void ev_option(void *ctx, int line, int is_list, const struct uci_word *name,
    const struct uci_word *values, unsigned nvalues)
{
	bad_words += !word_ok(name);
	add(ctx, "%d %s %s", line, is_list ? "list" : "option", name->s);
	for (unsigned i = 0; i < nvalues; i++) {
		bad_words += !word_ok(&values[i]);
		add(ctx, " [%s]", values[i].s);
	}
	add(ctx, " (%u)\n", nvalues);
}

static void ev_error(void *ctx, int line, const char *msg)
{
	add(ctx, "%d error: %s\n", line, msg);
}

static const char *parse_n(struct events *e, const char *text, size_t len)
{
	const struct uci_handler h = { ev_section, ev_option, ev_error, e };
	memset(e, 0, sizeof *e);
	bad_words = 0;
	if (uci_parse(text, len, &h) != 0)
		add(e, "failed\n");
	return e->text;
}

static const char *parse(struct events *e, const char *text)
{
	return parse_n(e, text, strlen(text));
}

/* Checks got against want, showing both when they differ. */
#define CHECK_EVENTS(got, want) do { const char *g_ = (got), *w_ = (want); if (strcmp(g_, w_) != 0) { \
	fprintf(stderr, "  %s:%d: events differ\n  got:\n%s  want:\n%s", __FILE__, __LINE__, g_, w_); \
	test_cur_failed = 1; } } while (0)

static const char example[] =
    "# llmgw\n"
    "package llmgw\n"
    "\n"
    "config gateway 'main'\n"
    "\toption listen '127.0.0.1:8080'\n"
    "\tlist nameserver '1.1.1.1'\n"
    "\tlist nameserver \"[::1]:53\"\n"
    "\n"
    "config provider 'openai'   # a comment after a section\n"
    "\toption type openai\n"
    "\toption key_env 'OPENAI_API_KEY'\n"
    "\toption base_url ''\n"
    "\r\n"
    "config target\n"
    "\toption model 'openai/gpt-4.1'\n"
    "  config   route   fast  \r\n"
    "\tlist target 'openai/gpt-4.1-mini'\n"
    "\toption strategy cheapest";	/* no newline at the end */

TEST(test_sections_and_options)
{
	struct events e;
	CHECK_EVENTS(parse(&e, example),
	    "4 config gateway [main]\n"
	    "5 option listen [127.0.0.1:8080] (1)\n"
	    "6 list nameserver [1.1.1.1] (1)\n"
	    "7 list nameserver [[::1]:53] (1)\n"
	    "9 config provider [openai]\n"
	    "10 option type [openai] (1)\n"
	    "11 option key_env [OPENAI_API_KEY] (1)\n"
	    "12 option base_url [] (1)\n"
	    "14 config target\n"
	    "15 option model [openai/gpt-4.1] (1)\n"
	    "16 config route [fast]\n"
	    "17 list target [openai/gpt-4.1-mini] (1)\n"
	    "18 option strategy [cheapest] (1)\n");
	CHECK_EQ_INT(bad_words, 0);
	CHECK_EVENTS(parse(&e, ""), "");
	CHECK_EVENTS(parse(&e, "\n\n# only comments\n   \t\n"), "");
	/* option lines may have no value or one too many: the caller decides */
	CHECK_EVENTS(parse(&e, "config x\noption a\nlist b 'c d' e\n"),
	    "1 config x\n2 option a (0)\n3 list b [c d] [e] (2)\n");
}

TEST(test_quoting)
{
	struct events e;
	CHECK_EVENTS(parse(&e,
	    "config t\n"
	    "option a 'single \\ \"kept\" # too'\n"
	    "option b \"double \\\" \\\\ 'x' # kept\"\n"
	    "option c bare\\ word\\#hash\n"
	    "option d 'a'\"b\"c\\d\n"
	    "option e ''\n"
	    "option f \"\"\n"
	    "option g value#comment right after\n"
	    "option\t'h'\t'tab'\n"),
	    "1 config t\n"
	    "2 option a [single \\ \"kept\" # too] (1)\n"
	    "3 option b [double \" \\ 'x' # kept] (1)\n"
	    "4 option c [bare word#hash] (1)\n"
	    "5 option d [abcd] (1)\n"
	    "6 option e [] (1)\n"
	    "7 option f [] (1)\n"
	    "8 option g [value] (1)\n"
	    "9 option h [tab] (1)\n");
	CHECK_EQ_INT(bad_words, 0);
	/* a keyword may be quoted too: words are words */
	CHECK_EVENTS(parse(&e, "'config' \"t\" n\n"), "1 config t [n]\n");
}

TEST(test_syntax_errors)
{
	struct events e;
	CHECK_EVENTS(parse(&e,
	    "option a b\n"			/* before any section */
	    "list a b\n"
	    "option Key-1 b\n"			/* not echoed: could be a key */
	    "config t 'n'\n"
	    "option a 'open\n"
	    "option a \"open\n"
	    "option a \"ends in \\\n"
	    "option a ends\\\n"
	    "option a 'b' c d\n"
	    "option a 'ctl\x01'\n"
	    "option\n"
	    "list\n"
	    "confg t\n"
	    "optoin a b\n"
	    "Bogus a b\n"
	    "config\n"
	    "config t n extra\n"
	    "option dropped 1\n"		/* the broken config line above owns it */
	    "config t2\n"
	    "option kept 1\n"
	    "config 'broken\n"
	    "option dropped 2\n"
	    "config t3\n"
	    "package anything at all\n"
	    "option kept 2\n"),
	    "1 error: option 'a' outside a section (add a 'config' line above it)\n"
	    "2 error: list 'a' outside a section (add a 'config' line above it)\n"
	    "3 error: option '?' outside a section (add a 'config' line above it)\n"
	    "4 config t [n]\n"
	    "5 error: unterminated single quote\n"
	    "6 error: unterminated double quote\n"
	    "7 error: unterminated double quote\n"
	    "8 error: backslash at the end of the line\n"
	    "9 error: too many words on the line (quote values that contain spaces)\n"
	    "10 error: control character in a value\n"
	    "11 error: 'option' needs a name and a value\n"
	    "12 error: 'list' needs a name and a value\n"
	    "13 error: unknown keyword 'confg' (did you mean 'config'?); expected config, option or list\n"
	    "14 error: unknown keyword 'optoin' (did you mean 'option'?); expected config, option or list\n"
	    "15 error: unknown keyword; expected config, option or list\n"
	    "16 error: 'config' needs a section type\n"
	    "17 error: too many words after 'config' (expected: config TYPE 'NAME')\n"
	    "19 config t2\n"
	    "20 option kept [1] (1)\n"
	    "21 error: unterminated single quote\n"
	    "23 config t3\n"
	    "25 option kept [2] (1)\n");
	/* a NUL byte in a word, and one in a comment (ignored) */
	static const char nul[] = "config t\noption a 'x\0y'\noption b c # \0\n";
	CHECK_EVENTS(parse_n(&e, nul, sizeof nul - 1),
	    "1 config t\n2 error: NUL byte in the file\n3 option b [c] (1)\n");
	/* an option needing a name is an error even where options are dropped */
	CHECK_EVENTS(parse(&e, "config\noption\noption a b\n"),
	    "1 error: 'config' needs a section type\n2 error: 'option' needs a name and a value\n");
	/* "config" glued to a quote is no config line: the section stays */
	CHECK_EVENTS(parse(&e, "config t\nconfig'x\noption a b\n"),
	    "1 config t\n2 error: unterminated single quote\n3 option a [b] (1)\n");
}

TEST(test_quoted_words)
{
	char qb[UCI_QUOTE_SIZE];
	struct uci_word w = { "max_inflight", 12 };
	CHECK(strcmp(uci_quoted(qb, &w, 0), " 'max_inflight'") == 0);
	w = (struct uci_word){ "sk-Proj1", 8 };
	CHECK(strcmp(uci_quoted(qb, &w, 0), "") == 0);
	CHECK(strcmp(uci_quoted(qb, &w, 1), " '?'") == 0);
	w = (struct uci_word){ "abcdefghijklmnopqrstuvwx", 24 };
	CHECK(strcmp(uci_quoted(qb, &w, 0), " 'abcdefghijklmnopqrstuvwx'") == 0);
	w = (struct uci_word){ "abcdefghijklmnopqrstuvwxy", 25 };
	CHECK(strcmp(uci_quoted(qb, &w, 0), "") == 0);
	w = (struct uci_word){ "", 0 };
	CHECK(strcmp(uci_quoted(qb, &w, 1), " '?'") == 0);
	/* through the parser: a pasted key never comes back */
	struct events e;
	parse(&e, "sk-SECRET123 x\nconfig t\nsk_live_0123456789abcdefghijklmnop\n");
	CHECK(strstr(e.text, "SECRET") == NULL && strstr(e.text, "sk_live") == NULL);
}

/* Only the events of lines 1..last. */
static void events_upto(const char *all, int last, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (const char *p = all; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (atoi(p) <= last && o + n < cap) {
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p += n;
	}
}

TEST(test_every_prefix)
{
	static const char *const files[] = {
		example,
		"config t 'n'\noption a \"x\\\"y\" # c\nlist b 'p q'\nbogus\noption a 'unterminated\nconfig\n",
	};
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		static struct events whole, part;
		static char want[sizeof whole.text], got[sizeof whole.text];
		size_t len = strlen(files[f]);
		parse_n(&whole, files[f], len);
		for (size_t k = 0; k <= len; k++) {
			char *g = test_guard_copy(files[f], k);
			REQUIRE(g != NULL);
			parse_n(&part, g, k);
			CHECK_EQ_INT(bad_words, 0);
			int last = 0;	/* lines the prefix holds whole */
			for (size_t i = 0; i < k; i++)
				last += files[f][i] == '\n';
			events_upto(whole.text, last, want, sizeof want);
			events_upto(part.text, last, got, sizeof got);
			if (strcmp(want, got) != 0) {
				fprintf(stderr, "  file %zu, prefix of %zu bytes:\n", f, k);
				CHECK_EVENTS(got, want);
				return;
			}
		}
	}
}

int main(void)
{
	test_suite = "uci";
	RUN(test_sections_and_options);
	RUN(test_quoting);
	RUN(test_syntax_errors);
	RUN(test_quoted_words);
	RUN(test_every_prefix);
	return test_summary();
}
