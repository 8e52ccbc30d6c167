/*
 * suggest.c - see suggest.h.
 */
#include <string.h>
#include "fmt.h"
#include "suggest.h"
#include "util.h"

#define SUGGEST_MAX 64		/* longer words get no did-you-mean */

/* Levenshtein distance ignoring ASCII case, one row at a time. */
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
			unsigned best = diag + (ascii_lower((unsigned char)a[i - 1]) != ascii_lower((unsigned char)b[j - 1]));
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

void suggest_init(struct suggest *s, const char *word)
{
	s->best = NULL;
	s->dist = 1000;
	s->word = word;
}

void suggest_try(struct suggest *s, const char *cand)
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

const char *suggest_text(struct suggest *s)
{
	if (!s->best)
		return "";
	fmt_snprintf(s->text, sizeof s->text, " (did you mean '%s'?)", s->best);
	return s->text;
}
