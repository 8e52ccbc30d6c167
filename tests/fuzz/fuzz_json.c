/*
 * fuzz_json.c - libFuzzer harness for json.c.
 *
 * Parses the input; when it is accepted, checks the token tree is
 * consistent, walks every token with json_skip/json_index/json_get/
 * json_unescape and the number readers, and re-serialises every string
 * with json_str: the result must parse as one JSON string that unescapes
 * to the same bytes. Numbers written back with json_double must read back
 * equal. The token-free readers (json_top_get, json_valid_top) must find
 * the same top-level spans as the token tree, and json_valid_request must
 * refuse exactly the objects with a top-level key given twice. Any
 * inconsistency aborts.
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXTOK 4096
#define MAXIN (1 << 16)

static jsmntok_t toks[MAXTOK], toks2[4];
static char ubuf[MAXIN + 1], ubuf2[MAXIN + 1], wbuf[6 * MAXIN + 2];

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_tree(const struct json_doc *d)
{
	for (int i = 0; i < d->ntok; i++) {
		const jsmntok_t *t = &d->tok[i];
		int p = t->parent, nchild = 0;

		check(t->start >= 0 && t->end >= t->start && (size_t)t->end <= d->len);
		check(i == 0 ? p == -1 : p >= 0 && p < i);
		if (i > 0)
			check(t->start >= d->tok[i - 1].start);
		for (int j = i + 1; j < json_skip(d, i); j++)
			nchild += d->tok[j].parent == i;
		check(nchild == t->size);
		if (p >= 0 && d->tok[p].type == JSMN_OBJECT)
			check(t->type == JSMN_STRING && t->size == 1);
		if (p >= 0 && d->tok[p].type == JSMN_STRING)
			check(d->tok[p].size == 1);
		if (t->type == JSMN_PRIMITIVE)
			check(json_is_number(d, i) || json_is_true(d, i) || json_is_false(d, i) ||
			      json_is_null(d, i));
	}
	check(json_skip(d, 0) == d->ntok);
}

static void check_string(const struct json_doc *d, int i)
{
	struct json_out o;
	struct json_doc d2;
	int n, n2;

	n = json_unescape(d, i, ubuf, sizeof(ubuf));
	/* Unescaping never lengthens: every escape is at least as long as
	 * the UTF-8 it stands for. */
	check(n >= 0 && (size_t)n <= json_raw_len(d, i));
	check(json_unescape(d, i, ubuf2, (size_t)n) == -1);
	if (memchr(ubuf, 0, (size_t)n) == NULL)
		check(json_str_eq(d, i, ubuf));

	json_out_init(&o, wbuf, sizeof(wbuf));
	json_str(&o, ubuf, (size_t)n);
	check(!o.overflow);
	check(json_parse(&d2, wbuf, o.len, toks2, 4) == 1);
	check(json_is_string(&d2, 0));
	n2 = json_unescape(&d2, 0, ubuf2, sizeof(ubuf2));
	check(n2 == n && memcmp(ubuf, ubuf2, (size_t)n) == 0);
}

static void check_number(const struct json_doc *d, int i)
{
	double v, back;
	int64_t iv;
	char b[64];
	struct json_out o;
	struct json_doc d2;

	(void)json_get_i64(d, i, &iv);
	if (json_get_double(d, i, &v) != 0)
		return;
	json_out_init(&o, b, sizeof(b));
	json_double(&o, v);
	check(!o.overflow);
	check(json_parse(&d2, b, o.len, toks2, 4) == 1);
	check(json_get_double(&d2, 0, &back) == 0 && back == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d;
	int r;

	if (size > MAXIN)
		return 0;
	{	/* json_valid_top judges exactly as json_valid does */
		const char *k1[1] = { "model" };
		size_t vs1, ve1;
		check(json_valid_top((const char *)data, size, k1, 1, &vs1, &ve1) == json_valid((const char *)data, size));
	}
	size_t dup_at = 0, dup_len = 0;
	int req;
	{	/* json_valid_request: json_valid's verdict, or a duplicate (-4) or
		 * one member too many (-5) found on the way, which may stop it
		 * before a later fault */
		const char *k1[1] = { "model" };
		size_t vs1, ve1;
		req = json_valid_request((const char *)data, size, k1, 1, &vs1, &ve1, &dup_at, &dup_len);
		int v = json_valid((const char *)data, size);
		check(req == v || req == -4 || req == -5);
		if (req <= -4)
			check(dup_at + dup_len < size && dup_at > 0 && data[dup_at - 1] == '"');
	}
	/* A tiny token budget exercises the -3 path on the same input. */
	r = json_parse(&d, (const char *)data, size, toks, 3);
	check(r == -1 || r == -2 || r == -3 || (r >= 1 && r <= 3));
	r = json_parse(&d, (const char *)data, size, toks, MAXTOK);
	check(r == -1 || r == -2 || r == -3 || r >= 1);
	if (r < 1) {
		check(d.ntok == 0);
		return 0;
	}
	check(d.ntok == r);
	check_tree(&d);
	/* On a valid document the request check says -4 exactly when a
	 * top-level key comes twice (json_get finds the last copy, so a key
	 * whose value is not its own has a later twin). Keys holding a NUL
	 * cannot be looked up by name: then only a found duplicate is checked. */
	if (d.tok[0].type == JSMN_OBJECT && d.tok[0].size <= JSON_MAX_TOP_MEMBERS) {
		int dup = 0, unknown = 0;
		for (int n = 0, k = 1; n < d.tok[0].size; n++, k = json_skip(&d, k)) {
			int len = json_unescape(&d, k, ubuf, sizeof(ubuf));
			check(len >= 0);
			if (memchr(ubuf, 0, (size_t)len))
				unknown = 1;
			else if (json_get(&d, 0, ubuf) != k + 1)
				dup = 1;
		}
		if (dup || !unknown)
			check(req == (dup ? -4 : 0));
	} else if (d.tok[0].type != JSMN_OBJECT) {
		check(req == 0);
	}
	/* The token-free top-level reader agrees with the token tree. */
	if (d.tok[0].type == JSMN_OBJECT) {
		for (int k = 1; k < d.ntok && k > 0; k = json_skip(&d, k + 1)) {
			char key[64];
			int kl = json_unescape(&d, k, key, sizeof key);
			size_t vs, ve;
			if (kl < 0 || memchr(key, 0, (size_t)kl))
				continue;
			int vi = json_get(&d, 0, key);
			check(json_top_get(d.js, d.len, key, &vs, &ve) == 0);
			{	/* the one-pass validator records the same span */
				const char *k2[2] = { "model", key };
				size_t vs2[2], ve2[2];
				check(json_valid_top(d.js, d.len, k2, 2, vs2, ve2) == 0);
				check(vs2[1] == vs && ve2[1] == ve);
			}
			size_t ts = (size_t)d.tok[vi].start, te = (size_t)d.tok[vi].end;
			if (d.tok[vi].type == JSMN_STRING) {
				ts--;
				te++;
			}
			check(vs == ts && ve == te);
			if (d.tok[0].size > 0 && json_skip(&d, k + 1) >= d.ntok)
				break;
		}
	}
	for (int i = 0; i < d.ntok; i++) {
		const jsmntok_t *t = &d.tok[i];

		check(json_skip(&d, i) > i);
		if (t->type == JSMN_STRING)
			check_string(&d, i);
		else if (t->type == JSMN_PRIMITIVE)
			check_number(&d, i);
		else if (t->type == JSMN_ARRAY)
			for (int n = 0, k = i + 1; n < t->size; n++, k = json_skip(&d, k))
				check(json_index(&d, i, n) == k);
		else if (t->type == JSMN_OBJECT)
			for (int n = 0, k = i + 1; n < t->size; n++, k = json_skip(&d, k)) {
				int len = json_unescape(&d, k, ubuf, sizeof(ubuf));
				check(len >= 0);
				if (memchr(ubuf, 0, (size_t)len) == NULL) {
					int v = json_get(&d, i, ubuf);
					/* The last duplicate wins, so it is this value or a later one. */
					check(v >= k + 1 && json_str_eq(&d, v - 1, ubuf));
				}
			}
	}
	return 0;
}
