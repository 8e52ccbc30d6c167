/*
 * uci.c - see uci.h.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "suggest.h"
#include "uci.h"
#include "util.h"

#define MAX_WORDS	4	/* keyword + up to 2 arguments, +1 to detect excess */
#define QUOTE_WORD_MAX	24	/* longer words are not quoted: could be a pasted key */

_Static_assert(QUOTE_WORD_MAX + sizeof " ''" <= UCI_QUOTE_SIZE, "a quoted word fits");

enum keyword { KW_CONFIG, KW_OPTION, KW_LIST, KW_PACKAGE, KW_COUNT };
static const char *const keywords[KW_COUNT] = {
	[KW_CONFIG] = "config",
	[KW_OPTION] = "option",
	[KW_LIST] = "list",
	[KW_PACKAGE] = "package",
};

enum tok_err { TE_TOO_MANY, TE_SQUOTE, TE_DQUOTE, TE_BACKSLASH, TE_CONTROL, TE_NUL };
static const char *const tok_errs[] = {
	[TE_TOO_MANY] = "too many words on the line (quote values that contain spaces)",
	[TE_SQUOTE] = "unterminated single quote",
	[TE_DQUOTE] = "unterminated double quote",
	[TE_BACKSLASH] = "backslash at the end of the line",
	[TE_CONTROL] = "control character in a value",
	[TE_NUL] = "NUL byte in the file",
};

/* Where a line's options go. */
enum state {
	BEFORE_SECTIONS,	/* no `config` line yet: an option is an error */
	IN_SECTION,		/* to the section announced last */
	NO_SECTION,		/* after a malformed `config` line: dropped */
};

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

const char *uci_quoted(char *buf, const struct uci_word *w, int unknown)
{
	int shown = w->len > 0 && w->len <= QUOTE_WORD_MAX;
	for (size_t i = 0; shown && i < w->len; i++) {
		char ch = w->s[i];
		shown = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
	}
	if (!shown && !unknown)
		return "";
	fmt_snprintf(buf, UCI_QUOTE_SIZE, " '%s'", shown ? w->s : "?");
	return buf;
}

/* Splits the line p..end into decoded words written to out (which has
 * room for the line and a NUL per word). Returns the word count, or -1
 * with *err set. */
static int tokenize(const char *p, const char *end, char *out, struct uci_word *words, enum tok_err *err)
{
	int n = 0;

	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			return n;
		if (n == MAX_WORDS) {
			*err = TE_TOO_MANY;
			return -1;
		}
		char *start = out;
		while (p < end && !is_blank(*p) && *p != '#') {
			char ch = *p++;
			if (ch == '\'') {
				const char *q = memchr(p, '\'', (size_t)(end - p));
				if (!q) {
					*err = TE_SQUOTE;
					return -1;
				}
				memcpy(out, p, (size_t)(q - p));
				out += q - p;
				p = q + 1;
			} else if (ch == '"') {
				for (;;) {
					if (p == end) {
						*err = TE_DQUOTE;
						return -1;
					}
					ch = *p++;
					if (ch == '"')
						break;
					if (ch == '\\') {
						if (p == end) {
							*err = TE_DQUOTE;
							return -1;
						}
						ch = *p++;
					}
					*out++ = ch;
				}
			} else if (ch == '\\') {
				if (p == end) {
					*err = TE_BACKSLASH;
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
				*err = ch ? TE_CONTROL : TE_NUL;
				return -1;
			}
		}
		words[n].s = start;
		words[n].len = (size_t)(out - start);
		*out++ = '\0';
		n++;
	}
}

/* Whether the line p..end starts with the word "config" (whatever the
 * rest holds). */
static int starts_config(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return end - p > 6 && memcmp(p, "config", 6) == 0 && is_blank(p[6]);
}

static enum keyword keyword_find(const char *s)
{
	for (unsigned k = 0; k < KW_COUNT; k++)
		if (strcmp(keywords[k], s) == 0)
			return (enum keyword)k;
	return KW_COUNT;
}

static void syntax_error(const struct uci_handler *h, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void syntax_error(const struct uci_handler *h, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	h->error(h->ctx, line, msg);
}

/* One line of n > 0 words; returns the state for the next line. */
static enum state parse_line(const struct uci_handler *h, enum state st, int line, const struct uci_word *w, int n)
{
	char qb[UCI_QUOTE_SIZE];
	enum keyword kw = keyword_find(w[0].s);

	switch (kw) {
	case KW_CONFIG:
		if (n < 2) {
			syntax_error(h, line, "'config' needs a section type");
			return NO_SECTION;
		}
		if (n > 3) {
			syntax_error(h, line, "too many words after 'config' (expected: config TYPE 'NAME')");
			return NO_SECTION;
		}
		h->section(h->ctx, line, &w[1], n == 3 ? &w[2] : NULL);
		return IN_SECTION;
	case KW_OPTION:
	case KW_LIST:
		if (n < 2)
			syntax_error(h, line, "'%s' needs a name and a value", keywords[kw]);
		else if (st == BEFORE_SECTIONS)
			syntax_error(h, line, "%s%s outside a section (add a 'config' line above it)", keywords[kw],
			    uci_quoted(qb, &w[1], 1));
		else if (st == IN_SECTION)
			h->option(h->ctx, line, kw == KW_LIST, &w[1], n > 2 ? &w[2] : NULL, (unsigned)n - 2);
		return st;
	case KW_PACKAGE:
		return st;
	case KW_COUNT:
		break;
	}
	const char *q = uci_quoted(qb, &w[0], 0);
	struct suggest sg;
	suggest_init(&sg, w[0].s);
	for (unsigned k = 0; k < KW_COUNT; k++)
		suggest_try(&sg, keywords[k]);
	syntax_error(h, line, "unknown keyword%s%s; expected config, option or list", q, *q ? suggest_text(&sg) : "");
	return st;
}

int uci_parse(const char *text, size_t len, const struct uci_handler *h)
{
	size_t cap = len + MAX_WORDS + 1;
	char *scratch = malloc(cap);
	struct uci_word words[MAX_WORDS];
	enum state st = BEFORE_SECTIONS;
	int line = 0;

	if (!scratch) {
		h->error(h->ctx, 0, "out of memory");
		return -1;
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		enum tok_err err = TE_TOO_MANY;	/* set by tokenize() when it fails */
		line++;
		int n = tokenize(p, le, scratch, words, &err);
		if (n < 0) {
			h->error(h->ctx, line, tok_errs[err]);
			/* A broken `config` line must not leave its options to
			 * the section before it: they would draw unrelated errors. */
			if (starts_config(p, le))
				st = NO_SECTION;
		} else if (n > 0) {
			st = parse_line(h, st, line, words, n);
		}
		p = nl ? nl + 1 : end;
	}
	file_free(scratch, cap);	/* it held the values, keys among them */
	return 0;
}
