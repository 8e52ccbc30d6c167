/*
 * fuzz_uci.c - libFuzzer harness for the UCI syntax (uci.c): any text must
 * parse without a crash, hang, leak or over-read, and what it hands over
 * must keep the parser's promises: at most one event per line, lines in
 * order and within the text, options only after a section, words
 * NUL-terminated at their length with no control bytes, at most two
 * values after an option's name.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "uci.h"

struct seen {
	int last_line;		/* of the last event */
	int max_line;		/* lines in the input */
	int sections;
};

static void check_word(const struct uci_word *w)
{
	if (strlen(w->s) != w->len)
		__builtin_trap();
	for (size_t i = 0; i < w->len; i++)
		if ((unsigned char)w->s[i] < 0x20 || w->s[i] == 0x7f)
			__builtin_trap();
}

static void check_line(struct seen *s, int line)
{
	if (line <= s->last_line || line > s->max_line)
		__builtin_trap();	/* one event per line, in order */
	s->last_line = line;
}

static void on_section(void *ctx, int line, const struct uci_word *type, const struct uci_word *name)
{
	struct seen *s = ctx;
	check_line(s, line);
	check_word(type);
	if (name)
		check_word(name);
	s->sections++;
}

static void on_option(void *ctx, int line, int is_list, const struct uci_word *name,
    const struct uci_word *values, unsigned nvalues)
{
	struct seen *s = ctx;
	check_line(s, line);
	if (s->sections == 0 || (is_list != 0 && is_list != 1) || nvalues > 2 || (nvalues && !values))
		__builtin_trap();
	check_word(name);
	for (unsigned i = 0; i < nvalues; i++)
		check_word(&values[i]);
}

static void on_error(void *ctx, int line, const char *msg)
{
	struct seen *s = ctx;
	if (line == 0 && strcmp(msg, "out of memory") == 0)
		return;
	check_line(s, line);
	if (!*msg)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0, 1, 0 };
	for (size_t i = 0; i < size; i++)
		s.max_line += data[i] == '\n';
	const struct uci_handler h = { on_section, on_option, on_error, &s };
	(void)uci_parse((const char *)data, size, &h);
	return 0;
}
