/*
 * test_golden.c - cross-dialect golden tests. Every directory under
 * tests/golden/ is one case:
 *   kind    request | response | stream | error
 *   from    the dialect of `in` (request: the client's; otherwise the provider's)
 *   to      the dialect of `expect`
 *   in      the input body (stream: raw SSE bytes)
 *   expect  the expected output (JSON, compared structurally: object key
 *           order and whitespace do not matter; stream: SSE events compared
 *           one by one, each data payload structurally), or "ERROR: text"
 *           when translation must fail with a message containing text
 *   model   optional: the target model (request) or client model (default "m")
 *   status  optional (error cases): the provider's HTTP status (default 400)
 *   expect_status  optional (error cases): the status the client must get
 *   sse     optional (stream to gemini): 0 for the JSON-array form
 *   client_usage  optional (stream to openai): 1 when the client asked for usage
 * Streams are fed in random slices (fixed seed) to catch framing bugs.
 * Volatile fields are pinned: created = 1700000000, serial = 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "dialect.h"
#include "test.h"
#include "test_stream.h"

#define MAXTOK 65536
#define BUFSZ (1 << 20)

TEST_HEAP_ARRAY(jsmntok_t, tok_a, MAXTOK)
TEST_HEAP_ARRAY(jsmntok_t, tok_b, MAXTOK)
TEST_HEAP_ARRAY(jsmntok_t, tok_s, MAXTOK)
TEST_HEAP_ARRAY(char, out_buf, BUFSZ)
TEST_HEAP_ARRAY(char, scratch, BUFSZ)
TEST_HEAP_ARRAY(char, in_buf, BUFSZ)
TEST_HEAP_ARRAY(char, exp_buf, BUFSZ)
TEST_HEAP_ARRAY(char, feed, BUFSZ)
static struct ir_part parts[IR_MAX_PARTS];
static struct ir_msg msgs[IR_MAX_MSGS];
static struct ir_tool tools[IR_MAX_TOOLS];
static ir_call_id call_ids[IR_MAX_PARTS];
static char why[512];

static long read_file(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	return (long)n;
}

static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
		s[--n] = 0;
}

static const struct dialect_ops *dialect_named(const char *s)
{
	if (!strcmp(s, "openai"))
		return &dialect_openai;
	if (!strcmp(s, "anthropic"))
		return &dialect_anthropic;
	if (!strcmp(s, "gemini"))
		return &dialect_gemini;
	return NULL;
}

/* ---- structural JSON comparison ---- */

static char ua[65536], ub[65536];

static int tok_eq(const struct json_doc *a, int ia, const struct json_doc *b, int ib, char *path, size_t plen);

static int str_tok_eq(const struct json_doc *a, int ia, const struct json_doc *b, int ib)
{
	int na = json_unescape(a, ia, ua, sizeof ua);
	int nb = json_unescape(b, ib, ub, sizeof ub);
	return na >= 0 && na == nb && memcmp(ua, ub, (size_t)na) == 0;
}

static int tok_eq(const struct json_doc *a, int ia, const struct json_doc *b, int ib, char *path, size_t plen)
{
	const jsmntok_t *ta = &a->tok[ia], *tb = &b->tok[ib];
	size_t pl = strlen(path);
	if (ta->type != tb->type) {
		snprintf(why, sizeof why, "at %s: type differs: got %.*s, expected %.*s", path,
			 (int)(json_raw_len(a, ia) > 80 ? 80 : json_raw_len(a, ia)), json_raw(a, ia),
			 (int)(json_raw_len(b, ib) > 80 ? 80 : json_raw_len(b, ib)), json_raw(b, ib));
		return 0;
	}
	switch (ta->type) {
	case JSMN_STRING:
		if (!str_tok_eq(a, ia, b, ib)) {
			snprintf(why, sizeof why, "at %s: got \"%.*s\", expected \"%.*s\"", path,
				 (int)(json_raw_len(a, ia) > 120 ? 120 : json_raw_len(a, ia)), json_raw(a, ia),
				 (int)(json_raw_len(b, ib) > 120 ? 120 : json_raw_len(b, ib)), json_raw(b, ib));
			return 0;
		}
		return 1;
	case JSMN_PRIMITIVE: {
		double da, db;
		if (json_get_double(a, ia, &da) == 0 && json_get_double(b, ib, &db) == 0) {
			if (da != db) {
				snprintf(why, sizeof why, "at %s: got %g, expected %g", path, da, db);
				return 0;
			}
			return 1;
		}
		if (json_raw_len(a, ia) != json_raw_len(b, ib) || memcmp(json_raw(a, ia), json_raw(b, ib), json_raw_len(a, ia))) {
			snprintf(why, sizeof why, "at %s: got %.*s, expected %.*s", path, (int)json_raw_len(a, ia),
				 json_raw(a, ia), (int)json_raw_len(b, ib), json_raw(b, ib));
			return 0;
		}
		return 1;
	}
	case JSMN_ARRAY:
		if (ta->size != tb->size) {
			snprintf(why, sizeof why, "at %s: array of %d elements, expected %d", path, ta->size, tb->size);
			return 0;
		}
		for (int k = 0; k < ta->size; k++) {
			snprintf(path + pl, plen - pl, "[%d]", k);
			if (!tok_eq(a, json_index(a, ia, k), b, json_index(b, ib, k), path, plen))
				return 0;
		}
		path[pl] = 0;
		return 1;
	case JSMN_OBJECT: {
		/* Every key of b in a with an equal value, and the same count. */
		int i = ib + 1;
		for (int k = 0; k < tb->size; k++) {
			char key[200];
			if (json_unescape(b, i, key, sizeof key) < 0)
				return 0;
			snprintf(path + pl, plen - pl, ".%s", key);
			int va = json_get(a, ia, key);
			if (va < 0) {
				snprintf(why, sizeof why, "at %s: missing", path);
				return 0;
			}
			if (!tok_eq(a, va, b, i + 1, path, plen))
				return 0;
			i = json_skip(b, i + 1);
		}
		path[pl] = 0;
		if (ta->size != tb->size) {
			/* Name an extra key for the message. */
			int j = ia + 1;
			for (int k = 0; k < ta->size; k++) {
				char key[200];
				if (json_unescape(a, j, key, sizeof key) >= 0 && json_get(b, ib, key) < 0) {
					snprintf(why, sizeof why, "at %s: unexpected key \"%s\"", path, key);
					return 0;
				}
				j = json_skip(a, j + 1);
			}
			snprintf(why, sizeof why, "at %s: %d keys, expected %d", path, ta->size, tb->size);
			return 0;
		}
		return 1;
	}
	default:
		return 0;
	}
}

static int json_text_eq(const char *got, size_t gn, const char *exp, size_t en)
{
	struct json_doc a, b;
	if (json_parse(&a, got, gn, tok_a, MAXTOK) < 0) {
		snprintf(why, sizeof why, "output is not valid JSON: %.*s", (int)(gn > 300 ? 300 : gn), got);
		return 0;
	}
	if (json_parse(&b, exp, en, tok_b, MAXTOK) < 0) {
		snprintf(why, sizeof why, "expect file is not valid JSON");
		return 0;
	}
	char path[512] = "$";
	return tok_eq(&a, 0, &b, 0, path, sizeof path);
}

/* ---- the four kinds ---- */

static int expect_error(const char *exp, const char *err, int failed)
{
	if (strncmp(exp, "ERROR:", 6) != 0)
		return -1;
	const char *want = exp + 6;
	while (*want == ' ')
		want++;
	if (!failed) {
		snprintf(why, sizeof why, "expected a failure containing \"%s\", but it succeeded", want);
		return 0;
	}
	if (!strstr(err, want)) {
		snprintf(why, sizeof why, "failure \"%s\" does not contain \"%s\"", err, want);
		return 0;
	}
	return 1;
}

static int run_request(const struct dialect_ops *from, const struct dialect_ops *to, long inlen, const char *model, const char *exp)
{
	struct json_doc d;
	if (json_parse(&d, in_buf, (size_t)inlen, tok_s, MAXTOK) < 0) {
		snprintf(why, sizeof why, "in is not valid JSON");
		return 0;
	}
	struct ir_request ir = { .parts = parts, .msgs = msgs, .tools = tools, .call_ids = call_ids };	/* the decoder empties the rest */
	char err[512] = "";
	int failed = from->decode_request(&d, &ir, err, sizeof err) < 0;
	struct json_out o;
	json_out_init(&o, out_buf, BUFSZ);
	if (!failed)
		failed = to->encode_request(&ir, model, &o, err, sizeof err) < 0 || o.overflow;
	int e = expect_error(exp, err, failed);
	if (e >= 0)
		return e;
	if (failed) {
		snprintf(why, sizeof why, "translation failed: %s", err);
		return 0;
	}
	return json_text_eq(out_buf, o.len, exp, strlen(exp));
}

static int run_response(const struct dialect_ops *from, const struct dialect_ops *to, long inlen, const char *model, const char *exp)
{
	struct json_doc d;
	if (json_parse(&d, in_buf, (size_t)inlen, tok_s, MAXTOK) < 0) {
		snprintf(why, sizeof why, "in is not valid JSON");
		return 0;
	}
	struct ir_response r;
	memset(&r, 0, sizeof r);
	r.parts = parts;
	char err[512] = "";
	int failed = from->decode_response(&d, &r, err, sizeof err) < 0;
	int e = expect_error(exp, err, failed);
	if (e >= 0)
		return e;
	if (failed) {
		snprintf(why, sizeof why, "decode failed: %s", err);
		return 0;
	}
	if (!r.created)
		r.created = 1700000000;
	struct json_out o;
	json_out_init(&o, out_buf, BUFSZ);
	to->encode_response(&r, model, &o);
	return json_text_eq(out_buf, o.len, exp, strlen(exp));
}

static int run_error(const char *dir, const struct dialect_ops *from, const struct dialect_ops *to, long inlen, const char *exp)
{
	char st[32] = "400", est[32] = "";
	if (read_file(dir, "status", st, sizeof st) < 0)
		strcpy(st, "400");
	read_file(dir, "expect_status", est, sizeof est);
	struct json_doc d;
	int isjson = json_parse(&d, in_buf, (size_t)inlen, tok_s, MAXTOK) > 0;
	struct ir_error e;
	memset(&e, 0, sizeof e);
	from->decode_error(isjson ? &d : NULL, atoi(st), &e);
	if (est[0] && e.status != atoi(est) && !(to->id == DIALECT_ANTHROPIC && e.cls == IR_ERR_OVERLOADED && atoi(est) == 529)) {
		snprintf(why, sizeof why, "status %d, expected %d", e.status, atoi(est));
		return 0;
	}
	struct json_out o;
	json_out_init(&o, out_buf, BUFSZ);
	to->encode_error(&e, &o);
	return json_text_eq(out_buf, o.len, exp, strlen(exp));
}

static int sse_events_eq(const char *got, size_t gn, const char *exp, size_t en)
{
	size_t gp = 0, ep = 0;
	int k = 0;
	for (;; k++) {
		struct sse_event g, e;
		int gr = gp < gn ? sse_next(got + gp, gn - gp, &g) : HTTP_INCOMPLETE;
		int er = ep < en ? sse_next(exp + ep, en - ep, &e) : HTTP_INCOMPLETE;
		if (gr < 0 && er < 0)
			break;
		if (gr < 0 || er < 0) {
			snprintf(why, sizeof why, "event %d: %s", k, gr < 0 ? "missing in output" : "unexpected extra event in output");
			if (gr >= 0)
				snprintf(why + strlen(why), sizeof why - strlen(why), ": %.*s", gr > 200 ? 200 : gr, got + gp);
			else
				snprintf(why + strlen(why), sizeof why - strlen(why), ": expected %.*s", er > 200 ? 200 : er, exp + ep);
			return 0;
		}
		if ((g.event == NULL) != (e.event == NULL) ||
		    (g.event && (g.event_len != e.event_len || memcmp(g.event, e.event, g.event_len)))) {
			snprintf(why, sizeof why, "event %d: name %.*s, expected %.*s", k, (int)g.event_len,
				 g.event ? g.event : "", (int)e.event_len, e.event ? e.event : "");
			return 0;
		}
		if (g.data_lines != e.data_lines) {
			snprintf(why, sizeof why, "event %d: %u data lines, expected %u", k, g.data_lines, e.data_lines);
			return 0;
		}
		if (g.data_lines == 1) {
			struct json_doc a;
			int isjson = e.data_len > 0 && json_valid(e.data, e.data_len) == 0;
			if (isjson) {
				if (!json_text_eq(g.data, g.data_len, e.data, e.data_len)) {
					char w[512];
					snprintf(w, sizeof w, "event %d: %s", k, why);
					memcpy(why, w, sizeof why);
					return 0;
				}
			} else if (g.data_len != e.data_len || memcmp(g.data, e.data, g.data_len)) {
				snprintf(why, sizeof why, "event %d: data %.*s, expected %.*s", k, (int)g.data_len, g.data,
					 (int)e.data_len, e.data);
				return 0;
			}
			(void)a;
		}
		gp += (size_t)gr;
		ep += (size_t)er;
	}
	return 1;
}

static unsigned rng = 12345;	/* slices: one sequence across all cases */

static int run_stream(const char *dir, const struct dialect_ops *from, const struct dialect_ops *to, long inlen,
		      const char *model, const char *exp)
{
	char v[16] = "";
	int sse = 1, client_usage = 0;
	if (read_file(dir, "sse", v, sizeof v) >= 0)
		sse = atoi(v) != 0;
	if (read_file(dir, "client_usage", v, sizeof v) >= 0)
		client_usage = atoi(v) != 0;
	/* The same input fed whole and in random slices must give the same
	 * output; the first pass is compared with expect. */
	size_t first_len = 0;
	for (int pass = 0; pass < 3; pass++) {
		struct xlate_stream *s = calloc(1, sizeof *s);
		xlate_begin(s, from, to, tok_s, MAXTOK, scratch, BUFSZ, model, sse);
		s->created = 1700000000;
		s->serial = 1;
		s->client_usage = client_usage;
		struct json_out o;
		json_out_init(&o, out_buf, BUFSZ);
		int bad = test_feed_sse(s, in_buf, (size_t)inlen, feed, BUFSZ, pass == 0 ? 0 : 97, &rng, &o) < 0;
		free(s);
		if (o.overflow) {
			snprintf(why, sizeof why, "output overflow");
			return 0;
		}
		if (pass == 0) {
			int e = expect_error(exp, "decode failed", bad);
			if (e >= 0)
				return e;
			if (bad) {
				snprintf(why, sizeof why, "a provider event failed to decode");
				return 0;
			}
			int ok = sse ? sse_events_eq(out_buf, o.len, exp, strlen(exp))
				     : json_text_eq(out_buf, o.len, exp, strlen(exp));
			if (!ok)
				return 0;
			first_len = o.len;
			memcpy(scratch + BUFSZ / 2, out_buf, o.len < BUFSZ / 2 ? o.len : BUFSZ / 2);
		} else if (o.len != first_len || memcmp(out_buf, scratch + BUFSZ / 2, o.len)) {
			snprintf(why, sizeof why, "output differs when the input is fed in slices (pass %d)", pass);
			return 0;
		}
	}
	return 1;
}

static int run_case(const char *dir)
{
	char kind[32], from[32], to[32], model[256] = "m";
	if (read_file(dir, "kind", kind, sizeof kind) < 0 || read_file(dir, "from", from, sizeof from) < 0 ||
	    read_file(dir, "to", to, sizeof to) < 0) {
		snprintf(why, sizeof why, "missing kind/from/to");
		return 0;
	}
	trim(kind);
	trim(from);
	trim(to);
	if (read_file(dir, "model", model, sizeof model) < 0)
		strcpy(model, "m");
	trim(model);
	const struct dialect_ops *f = dialect_named(from), *t = dialect_named(to);
	long inlen = read_file(dir, "in", in_buf, BUFSZ);
	if (!f || !t || inlen < 0 || read_file(dir, "expect", exp_buf, BUFSZ) < 0) {
		snprintf(why, sizeof why, "bad from/to or missing in/expect");
		return 0;
	}
	if (!strcmp(kind, "request"))
		return run_request(f, t, inlen, model, exp_buf);
	if (!strcmp(kind, "response"))
		return run_response(f, t, inlen, model, exp_buf);
	if (!strcmp(kind, "error"))
		return run_error(dir, f, t, inlen, exp_buf);
	if (!strcmp(kind, "stream"))
		return run_stream(dir, f, t, inlen, model, exp_buf);
	snprintf(why, sizeof why, "unknown kind '%s'", kind);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	test_suite = "golden";
	const char *root = getenv("GOLDEN_DIR") ? getenv("GOLDEN_DIR") : "tests/golden";
	const char *only = argc > 1 ? argv[1] : NULL;
	DIR *d = opendir(root);
	if (!d) {
		printf("FAIL golden: cannot open %s: %s\n", root, strerror(errno));
		test_failed++;
		return test_summary();
	}
	char *names[4096];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp);
	for (int i = 0; i < n; i++) {
		if (only && !strstr(names[i], only)) {
			free(names[i]);
			continue;
		}
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
		why[0] = 0;
		if (run_case(dir)) {
			test_passed++;
			printf("ok   %s\n", names[i]);
		} else {
			test_failed++;
			printf("FAIL %s: %s\n", names[i], why);
		}
		free(names[i]);
	}
	return test_summary();
}
