/*
 * uci.h - the syntax of OpenWrt's UCI configuration files.
 *
 * A file is lines of
 *	config TYPE ['NAME']	a section (NAME absent: anonymous)
 *	option NAME 'VALUE'	a value of the section above
 *	list NAME 'VALUE'	one more value of a multi-valued option
 *	package NAME		ignored (`uci export` writes it; a file is a package)
 * Words are split at blanks; '#' outside quotes starts a comment. 'single'
 * quotes take everything literally; inside "double" quotes and in bare
 * words a backslash takes the next character literally. Adjacent quoted
 * and bare parts form one word ('a'"b"c is "abc"). A decoded word may not
 * hold control characters.
 *
 * uci_parse() knows the syntax only, not which section types and option
 * names exist: it hands each section and option to the caller's handler
 * in file order, with its line number, and reports each syntax error
 * (one per line at most) through the handler; it never stops early. The
 * words it hands over are decoded copies in a scratch buffer that lives
 * for the call only: the handler copies what it keeps. The scratch buffer
 * is wiped before it is freed (values may be keys). Nothing blocks.
 *
 * Messages quote a word of the file only when uci_quoted() allows it: a
 * key pasted on the wrong line must not end up in a log.
 */
#ifndef LLMGW_UCI_H
#define LLMGW_UCI_H

#include <stddef.h>

/* A decoded word: s[len] is NUL and s holds no control characters. */
struct uci_word {
	const char *s;
	size_t len;
};

struct uci_handler {
	/* A well-formed `config TYPE ['NAME']` line; name is NULL for an
	 * anonymous section. */
	void (*section)(void *ctx, int line, const struct uci_word *type, const struct uci_word *name);
	/* An `option` or `list` line (is_list) in the section announced
	 * last: its name and the nvalues words after it (0, 1 or 2; more is
	 * a syntax error). Options after a malformed `config` line are
	 * dropped without a word: they belong to no section. */
	void (*option)(void *ctx, int line, int is_list, const struct uci_word *name,
	    const struct uci_word *values, unsigned nvalues);
	/* A syntax error; line 0 for "out of memory". */
	void (*error)(void *ctx, int line, const char *msg);
	void *ctx;
};

/* Parses text[0..len) (it need not end in a newline or a NUL). Returns 0,
 * or -1 when the scratch buffer could not be allocated (after reporting
 * "out of memory"). */
int uci_parse(const char *text, size_t len, const struct uci_handler *h);

/* How a word of the file may appear in a message: " 'word'" when it looks
 * like one of ours (lowercase letters, digits and '_', at most 24 bytes),
 * else "" (or " '?'" when unknown is set). buf has UCI_QUOTE_SIZE bytes. */
#define UCI_QUOTE_SIZE 32
const char *uci_quoted(char *buf, const struct uci_word *w, int unknown);

#endif
