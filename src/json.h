/*
 * json.h - reading JSON with jsmn tokens, and a bounded JSON writer.
 *
 * Reading: json_parse() tokenizes a document into a caller-owned token
 * array (strict mode, parent links); the helpers walk it by index. Nothing
 * is copied: tokens are offsets into the caller's text. json_str_eq() and
 * json_unescape() handle escapes, so a key or value that arrives as
 * "\u006dodel" still compares equal to "model".
 *
 * json_parse() accepts exactly RFC 8259 JSON: jsmn's strict mode alone lets
 * through things like "tru", 01, 1.2.3, [1 2], {"a"}, trailing commas, raw
 * control bytes in strings and trailing garbage, so a full validating scan
 * runs first and jsmn only builds the tokens of a document already known to
 * be valid. Strings must also be valid UTF-8 (no overlongs, no encoded
 * surrogates). Escaped lone surrogates ("\ud800") are valid JSON grammar and
 * are accepted; json_unescape()/json_str_eq() read them as U+FFFD.
 *
 * Writing: struct json_out appends into a fixed caller-owned buffer. On
 * overflow it sets ->overflow and drops the rest; the caller checks once at
 * the end and answers with an error (a full buffer is never grown).
 *
 * struct jw is the typed writer every encoder uses on top of json_out: the
 * compiler checks each key and value, and commas between members and
 * elements are placed by the writer, never by hand.
 *
 * Nothing here allocates, blocks or keeps global state. Numbers are read
 * and written by fmt.c (fmt_strtod, fmt_snprintf), independent of the C
 * library's locale.
 *
 * jsmn linkage: jsmn is a header-only library. This header includes it with
 * JSMN_HEADER (declarations only) and with JSMN_STRICT and JSMN_PARENT_LINKS,
 * which change jsmntok_t's layout. Exactly one translation unit, json.c,
 * includes <jsmn.h> without JSMN_HEADER (and with the same two defines) to
 * compile jsmn's functions. Every other file must get jsmn only through this
 * header; a second file including <jsmn.h> without JSMN_HEADER would define
 * jsmn_parse/jsmn_init again and the link fails with "multiple definition".
 * The static assertion below catches a file that included <jsmn.h> without
 * the parent links before this header.
 */
#ifndef LLMGW_JSON_H
#define LLMGW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

_Static_assert(sizeof(jsmntok_t) == 4 * sizeof(int) + sizeof(jsmntype_t),
	       "jsmn.h was included without JSMN_PARENT_LINKS before json.h");

/* Deeper nesting than this is refused by json_parse() with -3. */
#define JSON_MAX_DEPTH 1024

struct json_doc {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;		/* tokens used */
};

/* Tokenizes js[0..len) into tok[0..max). Returns the token count (>= 1),
 * or -1 malformed, -2 truncated, -3 too many tokens. A document with
 * trailing non-blank bytes after the first value is malformed.
 * Truncated means every byte is valid but the value is unfinished (this
 * includes empty or all-blank input and a top-level "tr" or "1."); a
 * complete top-level number at the end of the input is accepted as is.
 * -3 also covers len >= INT_MAX (jsmn offsets are int) and nesting deeper
 * than JSON_MAX_DEPTH (reported where the scan reaches it). A malformed or
 * truncated document that would also need too many tokens is -1/-2. Reads
 * only js[0..len); js need not be NUL-terminated. On failure d->ntok is 0. */
int json_parse(struct json_doc *d, const char *js, size_t len, jsmntok_t *tok, int max);
/* json_parse() for a span json_valid() (or json_valid_top()) has already
 * accepted, such as a whole validated body or one member of it: the same
 * tokens without validating a second time. On anything else the result is
 * jsmn's, never an out-of-bounds read. */
int json_parse_valid(struct json_doc *d, const char *js, size_t len, jsmntok_t *tok, int max);
/* Index of the token after the whole value at index i (skips nested).
 * For an object key this skips the key and its value, so the members of
 * object o are walked as: k = o + 1, then k = json_skip(d, k), o's size
 * times, with the key at k and its value at k + 1. Returns -1 for an
 * index out of range; the result may equal d->ntok. */
int json_skip(const struct json_doc *d, int i);
/* In object token obj, the index of the value for key, or -1. Keys are
 * compared after unescaping. With duplicate keys the LAST one wins, as in
 * JavaScript, Python and Go (a request's top level has none:
 * json_valid_request). */
int json_get(const struct json_doc *d, int obj, const char *key);
/* The n-th element of array token arr, or -1. */
int json_index(const struct json_doc *d, int arr, int n);
/* Whether token i is a string equal (after unescaping) to s. */
int json_str_eq(const struct json_doc *d, int i, const char *s);
/* The index k in names[0..n) of the name string token i equals (after
 * unescaping), or -1, also when i is not a string. NULL entries match
 * nothing. */
int json_str_index(const struct json_doc *d, int i, const char *const *names, unsigned n);
/* Token type checks; all return 0 for an index out of range. */
int json_is_string(const struct json_doc *d, int i);
int json_is_true(const struct json_doc *d, int i);
int json_is_false(const struct json_doc *d, int i);
int json_is_null(const struct json_doc *d, int i);
int json_is_number(const struct json_doc *d, int i);
int json_is_object(const struct json_doc *d, int i);
int json_is_array(const struct json_doc *d, int i);
/* Number token to integer / double; 0 on success, -1 if not a number.
 * json_get_i64 also takes a non-integer spelling of an integral value
 * (1024.0, 1e3) and fails on fractions and values outside int64_t.
 * json_get_double fails on values that overflow to infinity and on numbers
 * spelled with more than 511 characters. */
int json_get_i64(const struct json_doc *d, int i, int64_t *out);
/* json_get_i64 for the raw text p[0..n) of a value in a valid document
 * (a span from json_top_scan, say): -1 when it is not a number. */
int json_span_i64(const char *p, size_t n, int64_t *out);
/* A token count from the member span js[vs, ve) json_top_scan found (ve 0:
 * absent): 1 when it is a number, with *out its value if a non-negative
 * integer and 0 otherwise; 0 (and *out untouched) for anything else, null
 * included. */
int json_span_count(const char *js, size_t vs, size_t ve, int64_t *out);
int json_get_double(const struct json_doc *d, int i, double *out);
/* A count a client asks for (max_tokens, maxOutputTokens, a thinking
 * budget), from the raw text p[0..n) of a value in a valid document: a
 * JSON number that is an integer in 0..JSON_COUNT_MAX, the providers'
 * 32-bit range. 0 with *out, or -1: not a number, a fraction, negative or
 * larger (a 26-digit count, 1e400). */
#define JSON_COUNT_MAX 2147483647
int json_span_count_strict(const char *p, size_t n, int64_t *out);
/* What a member a decoder reads may be: any of these bits, or null (the
 * providers take null as absent). JT_INT is an integer in int64_t,
 * JT_COUNT one json_span_count_strict() takes, JT_NUMBER a finite one
 * (1e400 is none of them): a member checked to be one reads as such with
 * json_get_i64() or json_get_double(). */
enum { JT_BOOL = 1, JT_NUMBER = 2, JT_INT = 4, JT_COUNT = 8, JT_STRING = 16, JT_ARRAY = 32, JT_OBJECT = 64 };
/* The members v[0..n) of one object (token indices, -1 when absent), named
 * keys[k], checked against want[k] (0: anything): 0, or -1 with
 * "<prefix><key> must be a string or an array" (say: the lowest two of
 * the types wanted) in err. */
int json_check_members(const struct json_doc *d, const int *v, const char *const *keys, const unsigned char *want,
		       unsigned n, const char *prefix, char *err, size_t errlen);
/* json_check_members() for the one member key of obj (nothing to check
 * when obj is no object). */
int json_check_member(const struct json_doc *d, int obj, const char *key, unsigned char want, const char *prefix,
		      char *err, size_t errlen);
/* The same for the spans json_valid_top() found in js (ve 0: absent). */
int json_check_spans(const char *js, const size_t *vs, const size_t *ve, const char *const *keys,
		     const unsigned char *want, unsigned n, char *err, size_t errlen);
/* Unescapes string token i into out (NUL-terminated). Returns the length,
 * or -1 if not a string, invalid escapes, or it does not fit. \uXXXX
 * escapes become UTF-8, surrogate pairs one 4-byte character, a lone
 * surrogate U+FFFD. "\u0000" yields a NUL byte inside the result: use the
 * returned length, not strlen, when that matters. */
int json_unescape(const struct json_doc *d, int i, char *out, size_t outlen);
/* Raw span of token i (for strings, inside the quotes). */
static inline const char *json_raw(const struct json_doc *d, int i) { return d->js + d->tok[i].start; }
static inline size_t json_raw_len(const struct json_doc *d, int i) { return (size_t)(d->tok[i].end - d->tok[i].start); }

/* The writer. buf[0..len) is the output; it is not NUL-terminated. An
 * append that does not fit writes nothing of itself (len stays where it
 * was), sets overflow, and every later append is dropped, so on overflow
 * buf[0..len) still ends at an append boundary. */
struct json_out {
	char *buf;
	size_t cap;
	size_t len;
	int overflow;
};
static inline void json_out_init(struct json_out *o, char *buf, size_t cap) { o->buf = buf; o->cap = cap; o->len = 0; o->overflow = 0; }
void json_raw_append(struct json_out *o, const char *s, size_t n);	/* verbatim */
/* 0 when js[0..len) is one valid JSON document; -1 malformed, -2 truncated,
 * -3 nested too deep. No tokens needed. */
int json_valid(const char *js, size_t len);
/* json_valid() and json_top_scan() in one pass: the validity as
 * json_valid() returns it, and, when 0 and the document is an object, the
 * spans of the top-level members named in keys (both 0 when absent; the
 * last duplicate wins). What a request or an answer needs, read once. */
int json_valid_top(const char *js, size_t len, const char *const *keys, unsigned nkeys,
		   size_t *vstart, size_t *vend);
/* json_valid_top() for a client's request body, which also refuses a
 * top-level key given twice (compared unescaped, so "model" and
 * "\u006dodel" are one key): a gateway that reads one of them and a
 * provider that reads the other must never disagree on the model or a
 * parameter. -4: a duplicate; -5: more than JSON_MAX_TOP_MEMBERS top-level
 * members (no API has a tenth as many). Either way js[*dup_at, +*dup_len)
 * is that key's raw text. Nested objects are not checked: see api.c. */
#define JSON_MAX_TOP_MEMBERS 256
int json_valid_request(const char *js, size_t len, const char *const *keys, unsigned nkeys,
		       size_t *vstart, size_t *vend, size_t *dup_at, size_t *dup_len);
/* For a document json_valid() accepted: the span js[*vstart, *vend) of the
 * value of top-level key `key` (strings with their quotes), without
 * tokens. 0 when found (the last duplicate wins), -1 when absent or the
 * document is not an object. */
int json_top_get(const char *js, size_t len, const char *key, size_t *vstart, size_t *vend);
/* The same for several keys in one pass: vstart[k]/vend[k] for keys[k]
 * (both 0 when absent). Returns how many keys were found, -1 when the
 * document is not an object. */
int json_top_scan(const char *js, size_t len, const char *const *keys, unsigned nkeys, size_t *vstart, size_t *vend);
/* Appends the unescaped bytes of raw string content p[0..n) (as between
 * the quotes of a string token). 0, or -1 on a malformed escape. */
int json_unescape_append(struct json_out *o, const char *p, size_t n);
void json_lit(struct json_out *o, const char *s);			/* verbatim C string */
/* Quoted and escaped: " \ and control bytes are escaped (\n \r \t \b \f,
 * \u00xx with lowercase hex for the rest); valid UTF-8 passes through;
 * each maximal invalid UTF-8 subsequence becomes U+FFFD. */
void json_str(struct json_out *o, const char *s, size_t n);
void json_cstr(struct json_out *o, const char *s);			/* as json_str; NULL writes null */
void json_i64(struct json_out *o, int64_t v);
/* Shortest of %.15g/%.16g/%.17g that reads back as v; NaN/Inf written as 0. */
void json_double(struct json_out *o, double v);
/* The escaped characters of json_str() without the quotes, all or none. */
void json_str_chars(struct json_out *o, const char *s, size_t n);

/* The typed writer: one JSON value written through a json_out, with the
 * commas between members and elements placed by the writer. Inside an
 * object every value follows a jw_key(); misuse (a value where a key is
 * due, a close that does not match the open, nesting deeper than
 * JW_MAX_DEPTH) sets the json_out's overflow flag, so the caller's one
 * overflow check refuses the output instead of sending broken JSON.
 * The json_out may be written directly between complete values (SSE
 * framing around one event's object, say). The struct is small and lives
 * on the caller's stack. */
#define JW_MAX_DEPTH 32
struct jw {
	struct json_out *o;
	uint32_t has_elem;	/* bit d: level d has a member or element */
	uint32_t is_obj;	/* bit d: level d is an object */
	uint8_t depth;
	uint8_t after_key;	/* a key was written: its value is due */
	uint8_t in_str;		/* between jw_str_begin and jw_str_end */
	uint8_t misused;
};
void jw_init(struct jw *w, struct json_out *o);
void jw_obj(struct jw *w);				/* { */
void jw_obj_end(struct jw *w);				/* } */
void jw_arr(struct jw *w);				/* [ */
void jw_arr_end(struct jw *w);				/* ] */
/* "key": with the comma before it. key is a name from the code (a
 * literal or a table entry: printable ASCII without " or \), written as
 * it stands, never text from a request or the configuration. */
void jw_key_n(struct jw *w, const char *key, size_t n);
static inline void jw_key(struct jw *w, const char *key) { jw_key_n(w, key, strlen(key)); }	/* strlen of a literal is folded */
void jw_str(struct jw *w, const char *s, size_t n);	/* a string (json_str) */
void jw_cstr(struct jw *w, const char *s);		/* a C string; NULL: null */
void jw_i64(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);			/* json_double */
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* json[0..n) verbatim as one value: the caller vouches it is valid JSON
 * (a span of a validated document, a literal). */
void jw_raw(struct jw *w, const char *json, size_t n);
/* A string written in pieces: begin, any number of adds (escaped like
 * json_str), end. */
void jw_str_begin(struct jw *w);
void jw_str_add(struct jw *w, const char *s, size_t n);
void jw_str_end(struct jw *w);
/* A constant JSON value from a string literal, its length known at
 * compile time: JW_CONST(w, "null"), JW_CONST(w, "{\"type\":\"text\"}"). */
#define JW_CONST(w, json) jw_raw((w), "" json, sizeof(json) - 1)
/* Whether the output is one complete value, without overflow or misuse. */
int jw_done(const struct jw *w);
/* Key and value in one call, for the common members. */
static inline void jw_kstr(struct jw *w, const char *k, const char *s, size_t n) { jw_key(w, k); jw_str(w, s, n); }
static inline void jw_kcstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_cstr(w, s); }
static inline void jw_ki64(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_i64(w, v); }
static inline void jw_kdouble(struct jw *w, const char *k, double v) { jw_key(w, k); jw_double(w, v); }
static inline void jw_kbool(struct jw *w, const char *k, int v) { jw_key(w, k); jw_bool(w, v); }
static inline void jw_kraw(struct jw *w, const char *k, const char *json, size_t n) { jw_key(w, k); jw_raw(w, json, n); }

#endif
