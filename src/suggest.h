/*
 * suggest.h - "did you mean": the candidate closest to a mistyped word,
 * for configuration messages.
 *
 * The caller owns the struct (on its stack) and the strings it offers;
 * the struct points at them until the text is made. No allocation, no
 * blocking. Comparison ignores ASCII case; words over 64 bytes get no
 * suggestion.
 */
#ifndef LLMGW_SUGGEST_H
#define LLMGW_SUGGEST_H

struct suggest {
	const char *word;		/* what the file said */
	const char *best;		/* closest candidate so far, or NULL */
	unsigned dist;			/* its edit distance */
	char text[96];			/* suggest_text()'s result */
};

void suggest_init(struct suggest *s, const char *word);
/* Offers one candidate: kept when it is close enough to be a typo of the
 * word (1 edit for up to 3 letters, 2 up to 6, else 3) and closer than
 * any before it (on a tie the first offered wins). */
void suggest_try(struct suggest *s, const char *candidate);
/* " (did you mean 'x'?)", or "" when no candidate was close. The text
 * lives in s. */
const char *suggest_text(struct suggest *s);

#endif
