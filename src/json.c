/*
 * json.c - strict JSON tokenizing, escape-aware lookups and the bounded
 * JSON writer (see json.h).
 *
 * This is the one translation unit that compiles jsmn's implementation:
 * <jsmn.h> is included here without JSMN_HEADER, with the same STRICT and
 * PARENT_LINKS defines json.h uses, before json.h (whose own include of
 * <jsmn.h> then stops at jsmn's include guard).
 *
 * jsmn alone is not a validator, so json_parse() first runs validate(), a
 * complete RFC 8259 scanner with a fixed-size nesting stack, and only then
 * lets jsmn build tokens. Everything works on caller-owned memory; nothing
 * allocates or blocks.
 */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "fmt.h"
#include "json.h"
#include "util.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers shared by the reader and the writer ---- */

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}


/* Checks the UTF-8 sequence at s[0..n), n >= 1, against Unicode's table of
 * well-formed sequences (no overlongs, no surrogates, nothing past
 * U+10FFFF). Returns 1 when valid (*used = its length), 0 when invalid
 * (*used = the maximal subpart, >= 1, to replace with one U+FFFD), -1 when
 * every byte present is a valid prefix but the input ends (*used = n). */
static int utf8_check(const unsigned char *s, size_t n, size_t *used)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c < 0x80) {
		*used = 1;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c == 0xe0) {
		need = 2;
		lo = 0xa0;
	} else if (c >= 0xe1 && c <= 0xef) {
		need = 2;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c == 0xf0) {
		need = 3;
		lo = 0x90;
	} else if (c >= 0xf1 && c <= 0xf3) {
		need = 3;
	} else if (c == 0xf4) {
		need = 3;
		hi = 0x8f;
	} else {
		*used = 1;
		return 0;
	}
	for (k = 1; k <= need; k++) {
		if (k >= n) {
			*used = k;
			return -1;
		}
		if (s[k] < lo || s[k] > hi) {
			*used = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*used = need + 1;
	return 1;
}

/* ---- validation: the RFC 8259 grammar over raw bytes ---- */

/* Each scanner starts at js[*i] and, on success, leaves *i just past the
 * value; it returns 0, -1 (malformed) or -2 (input ended inside). */
/* Eight bytes at a time past what a string holds as it is (printable
 * ASCII other than '"' and '\\'), the bulk of any chat message. Each test
 * is the classic "some byte is zero / below n" bit trick, whose false
 * alarms can only sit in bytes after a true one: on a little-endian CPU the
 * lowest flagged byte is exactly the first that needs a look, so most
 * strings (keys are short) end in one word. Elsewhere a flagged word goes
 * to the byte loop. */
#define JSON_ONES 0x0101010101010101ull
#define JSON_HIGHS 0x8080808080808080ull
static size_t plain_run(const unsigned char *s, size_t p, size_t len)
{
	while (len - p >= 8) {
		uint64_t w, q, b, m;
		memcpy(&w, s + p, 8);
		q = w ^ (JSON_ONES * '"');
		b = w ^ (JSON_ONES * '\\');
		m = (w | ((w - JSON_ONES * 0x20) & ~w) | ((q - JSON_ONES) & ~q) | ((b - JSON_ONES) & ~b)) & JSON_HIGHS;
		if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			p += (size_t)__builtin_ctzll(m) / 8;
#endif
			break;
		}
		p += 8;
	}
	return p;
}

/* 1 for the bytes plain_run() passes: printable ASCII but '"' and '\\'. */
static const unsigned char plain_byte[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The byte at s[*p] inside a string that is neither plain nor the closing
 * quote: an escape, a control byte or UTF-8. Out of line, so the common
 * path of scan_string() stays small enough to inline. 0 with *p past it,
 * or -1 / -2. */
static __attribute__((noinline)) int string_special(const unsigned char *s, size_t len, size_t *pp)
{
	size_t p = *pp, used, k;
	unsigned c = s[p];

	if (c < 0x20)
		return -1;
	if (c == '\\') {
		if (++p >= len)
			return -2;
		switch (s[p]) {
		case '"': case '\\': case '/':
		case 'b': case 'f': case 'n': case 'r': case 't':
			p++;
			break;
		case 'u':
			for (k = 1; k <= 4; k++) {
				if (p + k >= len)
					return -2;
				if (hex_digit(s[p + k]) < 0)
					return -1;
			}
			p += 5;
			break;
		default:
			return -1;
		}
	} else if (c < 0x80) {
		p++;
	} else {
		switch (utf8_check(s + p, len - p, &used)) {
		case 0:
			return -1;
		case -1:
			return -2;
		}
		p += used;
	}
	*pp = p;
	return 0;
}

/* *special is set when the string holds anything but plain bytes (an
 * escape, say), so a key that is plain can be compared byte for byte. */
static inline int scan_string_x(const char *js, size_t len, size_t *i, int *special)
{
	const unsigned char *s = (const unsigned char *)js;
	size_t p = *i + 1;
	int r;

	while (p < len) {
		p = plain_run(s, p, len);
		while (p < len && plain_byte[s[p]])	/* the tail, or short strings */
			p++;
		if (p >= len)
			break;
		if (s[p] == '"') {
			*i = p + 1;
			return 0;
		}
		*special = 1;
		if ((r = string_special(s, len, &p)) != 0)
			return r;
	}
	return -2;
}

static inline int scan_string(const char *js, size_t len, size_t *i)
{
	int special;
	return scan_string_x(js, len, i, &special);
}

static int scan_digits(const char *js, size_t len, size_t *p)
{
	if (*p >= len)
		return -2;
	if (!is_digit((unsigned char)js[*p]))
		return -1;
	while (*p < len && is_digit((unsigned char)js[*p]))
		(*p)++;
	return 0;
}

/* number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ e [ + / - ] 1*DIGIT ].
 * Whatever follows the number is the caller's business: "01" scans as 0
 * and the 1 is then rejected as a missing separator. */
static int scan_number(const char *js, size_t len, size_t *i)
{
	size_t p = *i;
	int r;

	if (js[p] == '-')
		p++;
	if (p >= len)
		return -2;
	if (js[p] == '0')
		p++;
	else if ((r = scan_digits(js, len, &p)) != 0)
		return r;
	if (p < len && js[p] == '.') {
		p++;
		if ((r = scan_digits(js, len, &p)) != 0)
			return r;
	}
	if (p < len && (js[p] == 'e' || js[p] == 'E')) {
		p++;
		if (p < len && (js[p] == '+' || js[p] == '-'))
			p++;
		if ((r = scan_digits(js, len, &p)) != 0)
			return r;
	}
	*i = p;
	return 0;
}

static int scan_literal(const char *js, size_t len, size_t *i, const char *lit)
{
	size_t k, n = strlen(lit);

	for (k = 0; k < n; k++) {
		if (*i + k >= len)
			return -2;
		if (js[*i + k] != lit[k])
			return -1;
	}
	*i += n;
	return 0;
}

static int scan_scalar(const char *js, size_t len, size_t *i)
{
	unsigned char c = (unsigned char)js[*i];

	if (c == '"')
		return scan_string(js, len, i);
	if (c == '-' || is_digit(c))
		return scan_number(js, len, i);
	if (c == 't')
		return scan_literal(js, len, i, "true");
	if (c == 'f')
		return scan_literal(js, len, i, "false");
	if (c == 'n')
		return scan_literal(js, len, i, "null");
	return -1;
}

/* The whole document: one value, blanks around it, nothing else. The
 * container stack is one bit per level (1 = object) in a fixed array, so
 * nesting is bounded by JSON_MAX_DEPTH instead of by memory. When the
 * document is an object, the spans of the top-level members named in keys
 * are recorded on the way (see json_valid_top), so a request or an answer
 * is read once. */
static int raw_eq(const char *p, size_t n, const char *s);

#define JSON_TOP_KEYS_FAST 16	/* key lengths measured once for up to this many */

/* Which of keys the raw key p[0..n) is (the last that matches), or -1.
 * klen: the keys' lengths for the first JSON_TOP_KEYS_FAST, or NULL.
 * esc: whether p holds a backslash (1), not (0), or unknown (-1); it is
 * looked for only when a key could match.
 * Unescaping never lengthens: a raw key as long as the wanted one matches
 * only byte for byte, and a shorter one never does. */
static int which_key(const char *p, size_t n, const char *const *keys, unsigned nkeys, const size_t *klen, int esc)
{
	int found = -1;
	for (unsigned k = 0; k < nkeys; k++) {
		size_t kl = klen && k < JSON_TOP_KEYS_FAST ? klen[k] : strlen(keys[k]);
		if (n == kl) {
			if ((n == 0 || p[0] == keys[k][0]) && memcmp(p, keys[k], n) == 0) {
				if (esc < 0)
					esc = memchr(p, '\\', n) != NULL;
				if (!esc)
					found = (int)k;
			}
		} else if (n > kl && esc && (p[0] == keys[k][0] || p[0] == '\\')) {
			if (esc < 0)
				esc = memchr(p, '\\', n) != NULL;
			if (esc && raw_eq(p, n, keys[k]))
				found = (int)k;
		}
	}
	return found;
}

static int str_next(const char *p, size_t n, size_t *pos, unsigned char out[4]);

/* The top-level keys of a request seen so far, as 64-bit FNV-1a hashes of
 * their unescaped bytes ("model" and "\u006dodel" hash alike). Equal
 * hashes count as the same key: a duplicate is never missed, and two
 * different keys of one honest request collide with a chance below 2^-48
 * even at the limit (a client who crafts a collision only gets its own
 * request refused). The fixed table bounds the work at JSON_MAX_TOP_MEMBERS^2/2
 * comparisons of two integers. */
struct top_seen {
	unsigned n;
	size_t at, len;		/* the repeated key's raw text, for the message */
	uint64_t h[JSON_MAX_TOP_MEMBERS];
};

/* 0 for the key js[at, at + n) not seen before, else -4 (a duplicate) or
 * -5 (one member too many), with its place in s. */
static int top_key_new(struct top_seen *s, const char *js, size_t at, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	unsigned char c[4];
	for (size_t pos = 0; pos < n;) {
		int m = str_next(js + at, n, &pos, c);
		if (m < 0)
			break;	/* cannot happen: the key is valid */
		for (int k = 0; k < m; k++)
			h = (h ^ c[k]) * 1099511628211ull;
	}
	s->at = at;
	s->len = n;
	for (unsigned k = 0; k < s->n; k++)
		if (s->h[k] == h)
			return -4;
	if (s->n == JSON_MAX_TOP_MEMBERS)
		return -5;
	s->h[s->n++] = h;
	return 0;
}

#define WS_SKIP() do { while (i < len && is_ws((unsigned char)js[i])) i++; } while (0)

/* A state machine whose states are labels: each knows what may come next,
 * so nothing is dispatched twice. */
static int validate(const char *js, size_t len, const char *const *keys, unsigned nkeys,
		    size_t *vstart, size_t *vend, struct top_seen *seen)
{
	unsigned char isobj[JSON_MAX_DEPTH / 8];
	size_t depth = 0, i = 0, ks, top_vs = 0;
	/* member: which of keys names the top-level value being read, or -1 */
	int r, member = -1, special;
	unsigned char c;

	size_t klen[JSON_TOP_KEYS_FAST];
	for (unsigned k = 0; k < nkeys; k++) {
		vstart[k] = vend[k] = 0;
		if (k < JSON_TOP_KEYS_FAST)
			klen[k] = strlen(keys[k]);
	}
value:
	WS_SKIP();
	if (i == len)
		return -2;
	c = (unsigned char)js[i];
	if (depth == 1)
		top_vs = i;
	if (c == '{' || c == '[') {
		if (depth == JSON_MAX_DEPTH)
			return -3;
		if (c == '{')
			isobj[depth / 8] |= (unsigned char)(1u << (depth % 8));
		else
			isobj[depth / 8] &= (unsigned char)~(1u << (depth % 8));
		depth++;
		i++;
		WS_SKIP();
		if (i == len)
			return -2;
		if ((unsigned char)js[i] == (c == '{' ? '}' : ']')) {
			i++;
			goto closed;
		}
		if (c == '[')
			goto value;
		goto key;
	}
	if ((r = scan_scalar(js, len, &i)) != 0)
		return r;
	if (depth == 1 && member >= 0) {
		vstart[member] = top_vs;	/* the last duplicate wins */
		vend[member] = i;
	}
	goto after;
key:	/* at the first non-blank byte after '{' or an object's ',' */
	if (js[i] != '"')
		return -1;
	ks = i + 1;
	special = 0;
	if ((r = scan_string_x(js, len, &i, &special)) != 0)
		return r;
	if (depth == 1 && (isobj[0] & 1)) {
		if (nkeys)
			member = which_key(js + ks, i - 1 - ks, keys, nkeys, klen, special ? -1 : 0);
		if (seen && (r = top_key_new(seen, js, ks, i - 1 - ks)) != 0)
			return r;
	}
	WS_SKIP();
	if (i == len)
		return -2;
	if (js[i] != ':')
		return -1;
	i++;
	goto value;
closed:	/* just past the '}' or ']' that ended the container at depth */
	depth--;
	/* a container that was a top-level member's value */
	if (depth == 1 && member >= 0) {
		vstart[member] = top_vs;
		vend[member] = i;
	}
after:	/* just past a whole value */
	WS_SKIP();
	if (i == len)
		return depth == 0 ? 0 : -2;
	if (depth == 0)
		return -1;	/* trailing garbage */
	c = (unsigned char)js[i];
	int obj = isobj[(depth - 1) / 8] >> ((depth - 1) % 8) & 1;
	if (c == ',') {
		i++;
		if (!obj)
			goto value;
		WS_SKIP();
		if (i == len)
			return -2;
		goto key;
	}
	if (c != (obj ? '}' : ']'))
		return -1;
	i++;
	goto closed;
}

/* ---- tokenizing ---- */

/* jsmn over a document already known to be valid: jsmn's own checks are
 * weaker, so it only gets what validate() accepted (in json_parse, or
 * earlier for a caller of json_parse_valid). */
static int tokenize(struct json_doc *d, const char *js, size_t len, jsmntok_t *tok, int max)
{
	jsmn_parser p;
	size_t s, e;
	int r;

	if (len >= INT_MAX || tok == NULL || max < 1)
		return -3;
	for (s = 0; s < len && is_ws((unsigned char)js[s]); s++)
		;
	if (s == len)
		return -2;
	if (js[s] != '{' && js[s] != '[' && js[s] != '"') {
		/* jsmn's strict mode wants a delimiter after a primitive, which
		 * a top-level one ending the input lacks; it is already known to
		 * be valid, so the one token is filled in here. */
		for (e = s; e < len && !is_ws((unsigned char)js[e]); e++)
			;
		tok[0].type = JSMN_PRIMITIVE;
		tok[0].start = (int)s;
		tok[0].end = (int)e;
		tok[0].size = 0;
		tok[0].parent = -1;
		d->ntok = 1;
		return 1;
	}
	jsmn_init(&p);
	r = jsmn_parse(&p, js, len, tok, (unsigned)max);
	if (r == JSMN_ERROR_NOMEM)
		return -3;
	if (r < 1)
		return -1;	/* not reached: jsmn accepts every valid document */
	d->ntok = r;
	return r;
}

int json_parse(struct json_doc *d, const char *js, size_t len, jsmntok_t *tok, int max)
{
	d->js = js;
	d->len = len;
	d->tok = tok;
	d->ntok = 0;
	int r = validate(js, len, NULL, 0, NULL, NULL, NULL);
	return r != 0 ? r : tokenize(d, js, len, tok, max);
}

int json_parse_valid(struct json_doc *d, const char *js, size_t len, jsmntok_t *tok, int max)
{
	d->js = js;
	d->len = len;
	d->tok = tok;
	d->ntok = 0;
	return tokenize(d, js, len, tok, max);
}

static const jsmntok_t *tok_at(const struct json_doc *d, int i)
{
	return i >= 0 && i < d->ntok ? &d->tok[i] : NULL;
}

/* Tokens are in document order, so a subtree is a contiguous run after
 * its root; a token belongs to it exactly when its parent is the root or
 * an earlier member, i.e. when its parent index is >= the root's. */
int json_skip(const struct json_doc *d, int i)
{
	int j;

	if (!tok_at(d, i))
		return -1;
	for (j = i + 1; j < d->ntok && d->tok[j].parent >= i; j++)
		;
	return j;
}

int json_get(const struct json_doc *d, int obj, const char *key)
{
	const jsmntok_t *t = tok_at(d, obj);
	int k, n, found = -1;

	if (!t || t->type != JSMN_OBJECT || !key)
		return -1;
	size_t klen = strlen(key);
	for (k = obj + 1, n = 0; n < t->size && k >= 0 && k + 1 < d->ntok; n++) {
		const jsmntok_t *kt = &d->tok[k];
		const char *p = d->js + kt->start;
		size_t pl = (size_t)(kt->end - kt->start);
		/* which_key()'s test, for one key */
		if (kt->type == JSMN_STRING && which_key(p, pl, &key, 1, &klen, -1) == 0)
			found = k + 1;	/* keep going: the last duplicate wins */
		k = json_skip(d, k);
	}
	return found;
}

int json_index(const struct json_doc *d, int arr, int n)
{
	const jsmntok_t *t = tok_at(d, arr);
	int k, m;

	if (!t || t->type != JSMN_ARRAY || n < 0 || n >= t->size)
		return -1;
	for (k = arr + 1, m = 0; m < n && k >= 0; m++)
		k = json_skip(d, k);
	return tok_at(d, k) ? k : -1;
}

/* ---- strings ---- */

static int utf8_put(unsigned long cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static long hex4(const char *p, size_t n)
{
	long v = 0;
	int k, h;

	if (n < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		if ((h = hex_digit((unsigned char)p[k])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Decodes the character at p[*pos] of a raw string body p[0..n) into out
 * (1 to 4 UTF-8 bytes) and advances *pos. Raw bytes pass through one at a
 * time (json_parse has checked their UTF-8). Returns the byte count, or -1
 * on a malformed escape. This is the one place escapes are interpreted,
 * so comparing and unescaping cannot disagree. */
static int str_next(const char *p, size_t n, size_t *pos, unsigned char out[4])
{
	size_t i = *pos;
	long cp, lo;

	if (p[i] != '\\') {
		out[0] = (unsigned char)p[i];
		*pos = i + 1;
		return 1;
	}
	if (i + 1 >= n)
		return -1;
	*pos = i + 2;
	switch (p[i + 1]) {
	case '"': out[0] = '"'; return 1;
	case '\\': out[0] = '\\'; return 1;
	case '/': out[0] = '/'; return 1;
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u':
		break;
	default:
		return -1;
	}
	if ((cp = hex4(p + i + 2, n - (i + 2))) < 0)
		return -1;
	i += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* A high surrogate pairs only with an immediately following
		 * \u low surrogate; anything else leaves it lone, and the next
		 * escape is decoded on its own by the next call. */
		if (i + 6 <= n && p[i] == '\\' && p[i + 1] == 'u' &&
		    (lo = hex4(p + i + 2, 4)) >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else {
			cp = 0xfffd;
		}
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		cp = 0xfffd;
	}
	*pos = i;
	return utf8_put((unsigned long)cp, out);
}

int json_str_eq(const struct json_doc *d, int i, const char *s)
{
	const jsmntok_t *t = tok_at(d, i);

	if (!t || t->type != JSMN_STRING || !s)
		return 0;
	return raw_eq(json_raw(d, i), json_raw_len(d, i), s);
}

int json_unescape(const struct json_doc *d, int i, char *out, size_t outlen)
{
	const jsmntok_t *t = tok_at(d, i);
	struct json_out o;

	if (!t || t->type != JSMN_STRING || !out || outlen == 0)
		return -1;
	/* one byte kept for the NUL; a character that does not fit whole
	 * fails it */
	json_out_init(&o, out, outlen - 1);
	if (json_unescape_append(&o, json_raw(d, i), json_raw_len(d, i)) < 0 || o.overflow)
		return -1;
	out[o.len] = '\0';
	return (int)o.len;
}

/* ---- types and numbers ---- */

static int prim_is(const struct json_doc *d, int i, const char *lit)
{
	const jsmntok_t *t = tok_at(d, i);
	size_t n = strlen(lit);

	return t && t->type == JSMN_PRIMITIVE && json_raw_len(d, i) == n &&
	       memcmp(json_raw(d, i), lit, n) == 0;
}

int json_str_index(const struct json_doc *d, int i, const char *const *names, unsigned n)
{
	if (!json_is_string(d, i))
		return -1;
	const char *p = json_raw(d, i);
	size_t len = json_raw_len(d, i);
	/* A name as it stands is compared byte for byte; only a token with a
	 * backslash (an escaped spelling) needs unescaping. */
	for (unsigned k = 0; k < n; k++) {
		const char *s = names[k];
		if (s && (len == 0 || s[0] == p[0]) && strncmp(s, p, len) == 0 && s[len] == '\0')
			return (int)k;
	}
	if (!memchr(p, '\\', len))
		return -1;
	for (unsigned k = 0; k < n; k++)
		if (names[k] && json_str_eq(d, i, names[k]))
			return (int)k;
	return -1;
}

int json_is_string(const struct json_doc *d, int i)
{
	const jsmntok_t *t = tok_at(d, i);
	return t && t->type == JSMN_STRING;
}

int json_is_object(const struct json_doc *d, int i)
{
	const jsmntok_t *t = tok_at(d, i);
	return t && t->type == JSMN_OBJECT;
}

int json_is_array(const struct json_doc *d, int i)
{
	const jsmntok_t *t = tok_at(d, i);
	return t && t->type == JSMN_ARRAY;
}

int json_is_true(const struct json_doc *d, int i)
{
	return prim_is(d, i, "true");
}

int json_is_false(const struct json_doc *d, int i)
{
	return prim_is(d, i, "false");
}

int json_is_null(const struct json_doc *d, int i)
{
	return prim_is(d, i, "null");
}

int json_is_number(const struct json_doc *d, int i)
{
	const jsmntok_t *t = tok_at(d, i);
	unsigned char c;

	if (!t || t->type != JSMN_PRIMITIVE || t->end <= t->start)
		return 0;
	c = (unsigned char)d->js[t->start];
	return c == '-' || is_digit(c);
}

/* Both readers below take the raw text p[0..n) of one JSON number. */
static int num_double(const char *p, size_t n, double *out)
{
	char buf[512];
	const char *end;
	double v;

	if (n >= sizeof(buf))
		return -1;
	/* The token is not NUL-terminated (a top-level number may end the
	 * buffer), so fmt_strtod gets a bounded copy. */
	memcpy(buf, p, n);
	buf[n] = '\0';
	v = fmt_strtod(buf, &end);
	if (end != buf + n || isinf(v) || isnan(v))
		return -1;
	*out = v;
	return 0;
}

static int num_i64(const char *p, size_t n, int64_t *out)
{
	size_t k;
	uint64_t v = 0, lim;
	int neg;
	double dv;

	neg = p[0] == '-';
	for (k = neg; k < n && is_digit((unsigned char)p[k]); k++)
		;
	if (k == n && k > (size_t)neg) {
		/* Plain integer: exact, with overflow checked digit by digit. */
		lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (k = neg; k < n; k++) {
			unsigned dig = (unsigned)(p[k] - '0');
			if (v > (lim - dig) / 10)
				return -1;
			v = v * 10 + dig;
		}
		if (neg)
			*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		else
			*out = (int64_t)v;
		return 0;
	}
	if (num_double(p, n, &dv) != 0)
		return -1;
	if (!(dv >= -9223372036854775808.0 && dv < 9223372036854775808.0))
		return -1;
	if ((double)(int64_t)dv != dv)
		return -1;
	*out = (int64_t)dv;
	return 0;
}

int json_get_double(const struct json_doc *d, int i, double *out)
{
	if (!json_is_number(d, i))
		return -1;
	return num_double(json_raw(d, i), json_raw_len(d, i), out);
}

int json_get_i64(const struct json_doc *d, int i, int64_t *out)
{
	if (!json_is_number(d, i))
		return -1;
	return num_i64(json_raw(d, i), json_raw_len(d, i), out);
}

int json_span_i64(const char *p, size_t n, int64_t *out)
{
	if (n == 0 || !(p[0] == '-' || is_digit((unsigned char)p[0])))
		return -1;
	return num_i64(p, n, out);
}

int json_span_count_strict(const char *p, size_t n, int64_t *out)
{
	int64_t v;
	if (json_span_i64(p, n, &v) < 0 || v < 0 || v > JSON_COUNT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The JT_* bits the value p[0..n) of a valid document has; every bit for
 * null, which stands for absent. */
static unsigned span_kind(const char *p, size_t n)
{
	int64_t x;
	double f;
	switch (p[0]) {
	case '"': return JT_STRING;
	case '[': return JT_ARRAY;
	case '{': return JT_OBJECT;
	case 't': case 'f': return JT_BOOL;
	case 'n': return ~0u;
	}
	return (num_double(p, n, &f) == 0 ? JT_NUMBER : 0) | (num_i64(p, n, &x) == 0 ? JT_INT : 0) |
	       (json_span_count_strict(p, n, &x) == 0 ? JT_COUNT : 0);
}

/* 0 when the value p[0..n) is null or has a type in want (0: any), else
 * -1 with "<prefix><key> must be a ... or a ..." (the lowest two of
 * want's types) in err. */
static int check_span(const char *p, size_t n, unsigned want, const char *prefix, const char *key, char *err,
		      size_t errlen)
{
	static const char *const names[] = {
		"a boolean", "a number", "an integer", "an integer from 0 to 2147483647", "a string", "an array", "an object",
	};
	if (!want || span_kind(p, n) & want)
		return 0;
	unsigned rest = want & (want - 1);
	fmt_snprintf(err, errlen, "%s%s must be %s%s%s", prefix, key, names[__builtin_ctz(want)], rest ? " or " : "",
		     rest ? names[__builtin_ctz(rest)] : "");
	return -1;
}

int json_check_members(const struct json_doc *d, const int *v, const char *const *keys, const unsigned char *want,
		       unsigned n, const char *prefix, char *err, size_t errlen)
{
	for (unsigned k = 0; k < n; k++) {
		const jsmntok_t *t = tok_at(d, v[k]);
		int q = t && t->type == JSMN_STRING;	/* a string's span without its quotes */
		if (t && check_span(d->js + t->start - q, (size_t)(t->end - t->start + 2 * q), want[k], prefix, keys[k],
				    err, errlen))
			return -1;
	}
	return 0;
}

int json_check_member(const struct json_doc *d, int obj, const char *key, unsigned char want, const char *prefix,
		      char *err, size_t errlen)
{
	int v = json_get(d, obj, key);
	return json_check_members(d, &v, &key, &want, 1, prefix, err, errlen);
}

int json_check_spans(const char *js, const size_t *vs, const size_t *ve, const char *const *keys,
		     const unsigned char *want, unsigned n, char *err, size_t errlen)
{
	for (unsigned k = 0; k < n; k++)
		if (ve[k] && check_span(js + vs[k], ve[k] - vs[k], want[k], "", keys[k], err, errlen))
			return -1;
	return 0;
}

int json_span_count(const char *js, size_t vs, size_t ve, int64_t *out)
{
	int64_t x;
	if (ve <= vs || !(js[vs] == '-' || is_digit((unsigned char)js[vs])))
		return 0;
	*out = json_span_i64(js + vs, ve - vs, &x) == 0 && x >= 0 ? x : 0;
	return 1;
}

/* ---- writer ---- */

void json_raw_append(struct json_out *o, const char *s, size_t n)
{
	if (o->overflow)
		return;
	if (n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	if (n) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

void json_lit(struct json_out *o, const char *s)
{
	json_raw_append(o, s, strlen(s));
}

/* The escaped form of s[0..n) without quotes (see json_str). */
static void str_chars(struct json_out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u;
	size_t run = 0, i = 0, used;
	char esc[6];
	size_t elen;

	if (!s)
		s = "";	/* keeps s + run defined when n is 0 */
	u = (const unsigned char *)s;
	while (i < n) {
		unsigned c = u[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			if (utf8_check(u + i, n - i, &used) == 1) {
				i += used;
				continue;
			}
			json_raw_append(o, s + run, i - run);
			json_raw_append(o, "\xef\xbf\xbd", 3);
			i += used;
			run = i;
			continue;
		}
		esc[0] = '\\';
		elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		json_raw_append(o, s + run, i - run);
		json_raw_append(o, esc, elen);
		i++;
		run = i;
	}
	json_raw_append(o, s + run, n - run);
}

void json_str(struct json_out *o, const char *s, size_t n)
{
	size_t start = o->len, i = 0;

	if (o->overflow)
		return;
	/* The usual string, printable ASCII only: copied in one piece. */
	while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
		i++;
	if (i == n && n + 2 <= o->cap - o->len) {
		char *p = o->buf + o->len;
		*p = '"';
		if (n)
			memcpy(p + 1, s, n);
		p[n + 1] = '"';
		o->len += n + 2;
		return;
	}
	/* The plain ASCII prefix as it is, the rest byte by byte. */
	json_raw_append(o, "\"", 1);
	json_raw_append(o, s, i);
	str_chars(o, s + i, n - i);
	json_raw_append(o, "\"", 1);
	if (o->overflow)
		o->len = start;	/* all of the string or none of it */
}

void json_str_chars(struct json_out *o, const char *s, size_t n)
{
	size_t start = o->len;

	if (o->overflow)
		return;
	str_chars(o, s, n);
	if (o->overflow)
		o->len = start;
}

void json_cstr(struct json_out *o, const char *s)
{
	if (!s)
		json_raw_append(o, "null", 4);
	else
		json_str(o, s, strlen(s));
}

void json_i64(struct json_out *o, int64_t v)
{
	/* by hand: it writes every Content-Length and status line */
	char b[24], *e = b + sizeof b, *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*--p = '-';
	json_raw_append(o, p, (size_t)(e - p));
}

void json_double(struct json_out *o, double v)
{
	char b[40];
	int prec, n = 0;

	if (isnan(v) || isinf(v)) {
		json_raw_append(o, "0", 1);
		return;
	}
	/* %g never writes "inf"/"nan" here, and its exponent form (1e+20,
	 * 1e-05) is valid JSON; the first precision that reads back exactly
	 * gives the shortest faithful spelling of the three. */
	for (prec = 15; prec <= 17; prec++) {
		n = fmt_snprintf(b, sizeof(b), "%.*g", prec, v);
		if (fmt_strtod(b, NULL) == v)
			break;
	}
	json_raw_append(o, b, (size_t)n);
}

int json_valid(const char *js, size_t len)
{
	return validate(js, len, NULL, 0, NULL, NULL, NULL);
}

int json_valid_top(const char *js, size_t len, const char *const *keys, unsigned nkeys,
		   size_t *vstart, size_t *vend)
{
	return validate(js, len, keys, nkeys, vstart, vend, NULL);
}

int json_valid_request(const char *js, size_t len, const char *const *keys, unsigned nkeys,
		       size_t *vstart, size_t *vend, size_t *dup_at, size_t *dup_len)
{
	struct top_seen seen;
	seen.n = 0;
	seen.at = seen.len = 0;
	int r = validate(js, len, keys, nkeys, vstart, vend, &seen);
	*dup_at = seen.at;
	*dup_len = seen.len;
	return r;
}

int json_unescape_append(struct json_out *o, const char *p, size_t n)
{
	size_t pos = 0;
	unsigned char b[4];
	while (pos < n) {
		int k = str_next(p, n, &pos, b);
		if (k < 0)
			return -1;
		json_raw_append(o, (const char *)b, (size_t)k);
	}
	return 0;
}

/* ---- token-free access to a validated document's top level ---- */

/* The index just past the string whose opening quote is at js[i]. */
static size_t skip_string(const char *js, size_t len, size_t i)
{
	/* memchr to each quote; a quote after an odd run of backslashes is
	 * escaped. The run cannot reach back past i: js[i - 1] is a quote. */
	for (i++; i < len;) {
		const char *q = memchr(js + i, '"', len - i);
		if (!q)
			return len;
		size_t k = (size_t)(q - js), b = k;
		while (b > i && js[b - 1] == '\\')
			b--;
		if (((k - b) & 1) == 0)
			return k + 1;
		i = k + 1;
	}
	return len;
}

/* The index just past the value starting at js[i] (input already valid). */
static size_t skip_value(const char *js, size_t len, size_t i)
{
	if (i >= len)
		return len;
	if (js[i] == '"')
		return skip_string(js, len, i);
	if (js[i] == '{' || js[i] == '[') {
		size_t depth = 0;
		while (i < len) {
			char c = js[i];
			if (c == '"') {
				i = skip_string(js, len, i);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return len;
	}
	while (i < len && js[i] != ',' && js[i] != '}' && js[i] != ']' && !is_ws((unsigned char)js[i]))
		i++;
	return i;
}

static size_t skip_ws(const char *js, size_t len, size_t i)
{
	while (i < len && is_ws((unsigned char)js[i]))
		i++;
	return i;
}

/* Whether raw string content p[0..n) unescapes to s. */
static int raw_eq(const char *p, size_t n, const char *s)
{
	if (!memchr(p, '\\', n)) {	/* the usual key: no escapes */
		size_t sl = strlen(s);
		return sl == n && memcmp(p, s, n) == 0;
	}
	size_t pos = 0, k = 0, slen = strlen(s);
	unsigned char ch[4];
	while (pos < n) {
		int r = str_next(p, n, &pos, ch);
		if (r < 0 || (size_t)r > slen - k || memcmp(s + k, ch, (size_t)r) != 0)
			return 0;
		k += (size_t)r;
	}
	return k == slen;
}

int json_top_scan(const char *js, size_t len, const char *const *keys, unsigned nkeys, size_t *vstart, size_t *vend)
{
	size_t i = skip_ws(js, len, 0), klen[JSON_TOP_KEYS_FAST];
	int found = 0;
	for (unsigned k = 0; k < nkeys; k++) {
		vstart[k] = vend[k] = 0;
		if (k < JSON_TOP_KEYS_FAST)
			klen[k] = strlen(keys[k]);
	}
	if (i >= len || js[i] != '{')
		return -1;
	i = skip_ws(js, len, i + 1);
	while (i < len && js[i] == '"') {
		size_t ks = i + 1, ke = skip_string(js, len, i);
		i = skip_ws(js, len, ke);
		if (i >= len || js[i] != ':')
			return -1;
		i = skip_ws(js, len, i + 1);
		size_t vs = i, ve = skip_value(js, len, i);
		int k = ke > ks ? which_key(js + ks, ke - 1 - ks, keys, nkeys, klen, -1) : -1;
		if (k >= 0) {
			found += vend[k] == 0;
			vstart[k] = vs;	/* the last duplicate wins */
			vend[k] = ve;
		}
		i = skip_ws(js, len, ve);
		if (i < len && js[i] == ',')
			i = skip_ws(js, len, i + 1);
	}
	return found;
}

int json_top_get(const char *js, size_t len, const char *key, size_t *vstart, size_t *vend)
{
	size_t vs, ve;
	if (json_top_scan(js, len, &key, 1, &vs, &ve) <= 0)
		return -1;
	*vstart = vs;
	*vend = ve;
	return 0;
}

/* ---- typed writer ---- */

void jw_init(struct jw *w, struct json_out *o)
{
	memset(w, 0, sizeof *w);
	w->o = o;
}

/* Marks misuse (a value where a key is due, a close that does not match,
 * nesting past JW_MAX_DEPTH): the output is refused as if it had
 * overflowed, so broken JSON never leaves the gateway. */
static void jw_misuse(struct jw *w)
{
	w->misused = 1;
	w->o->overflow = 1;
}

static int in_object(const struct jw *w)
{
	return w->depth > 0 && (w->is_obj >> (w->depth - 1) & 1);
}

/* One byte appended (the writer's punctuation). */
static inline void put_byte(struct json_out *o, char c)
{
	if (o->overflow)
		return;
	if (o->len == o->cap) {
		o->overflow = 1;
		return;
	}
	o->buf[o->len++] = c;
}

/* Before any value: the comma that separates it from the previous one. */
static void before_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (in_object(w)) {
		jw_misuse(w);
		return;
	}
	if (w->depth > 0) {
		uint32_t bit = (uint32_t)1 << (w->depth - 1);
		if (w->has_elem & bit)
			put_byte(w->o, ',');
		w->has_elem |= bit;
	}
}

static void open_level(struct jw *w, int obj)
{
	before_value(w);
	if (w->depth >= JW_MAX_DEPTH) {
		jw_misuse(w);
		return;
	}
	put_byte(w->o, obj ? '{' : '[');
	uint32_t bit = (uint32_t)1 << w->depth;
	w->has_elem &= ~bit;
	w->is_obj = obj ? w->is_obj | bit : w->is_obj & ~bit;
	w->depth++;
}

static void close_level(struct jw *w, int obj)
{
	if (w->depth == 0 || w->after_key || in_object(w) != obj) {
		jw_misuse(w);
		return;
	}
	w->depth--;
	put_byte(w->o, obj ? '}' : ']');
}

void jw_obj(struct jw *w) { open_level(w, 1); }
void jw_obj_end(struct jw *w) { close_level(w, 1); }
void jw_arr(struct jw *w) { open_level(w, 0); }
void jw_arr_end(struct jw *w) { close_level(w, 0); }

void jw_key_n(struct jw *w, const char *key, size_t n)
{
	if (!in_object(w) || w->after_key) {
		jw_misuse(w);
		return;
	}
	uint32_t bit = (uint32_t)1 << (w->depth - 1);
	size_t comma = (w->has_elem & bit) != 0;
	struct json_out *o = w->o;
	w->has_elem |= bit;
	w->after_key = 1;
	/* ,"key": in one piece, as it stands (json.h: keys are names from
	 * the code, nothing to escape). */
	if (o->overflow)
		return;
	if (n + comma + 3 > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	char *p = o->buf + o->len;
	*p = ',';
	p += comma;
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	o->len = (size_t)(p - o->buf);
}

void jw_str(struct jw *w, const char *s, size_t n)
{
	before_value(w);
	json_str(w->o, s, n);
}

void jw_cstr(struct jw *w, const char *s)
{
	before_value(w);
	json_cstr(w->o, s);
}

void jw_i64(struct jw *w, int64_t v)
{
	before_value(w);
	json_i64(w->o, v);
}

void jw_double(struct jw *w, double v)
{
	before_value(w);
	json_double(w->o, v);
}

void jw_bool(struct jw *w, int v)
{
	before_value(w);
	json_lit(w->o, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	before_value(w);
	json_lit(w->o, "null");
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	before_value(w);
	json_raw_append(w->o, json, n);
}

void jw_str_begin(struct jw *w)
{
	before_value(w);
	json_raw_append(w->o, "\"", 1);
	w->in_str = 1;
}

void jw_str_add(struct jw *w, const char *s, size_t n)
{
	if (!w->in_str) {
		jw_misuse(w);
		return;
	}
	json_str_chars(w->o, s, n);
}

void jw_str_end(struct jw *w)
{
	if (!w->in_str) {
		jw_misuse(w);
		return;
	}
	w->in_str = 0;
	json_raw_append(w->o, "\"", 1);
}

int jw_done(const struct jw *w)
{
	return !w->o->overflow && !w->misused && w->depth == 0 && !w->after_key && !w->in_str;
}
