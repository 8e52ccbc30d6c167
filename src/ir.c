/*
 * ir.c - writers and small helpers shared by the dialect encoders around
 * the intermediate form (ir.h).
 */
#include <string.h>
#include "ir.h"

void ir_write_string(struct json_out *o, const struct ir_str *s)
{
	if (!s->p) {
		json_lit(o, "\"\"");
		return;
	}
	if (s->kind == IR_RAW) {
		json_lit(o, "\"");
		json_raw_append(o, s->p, s->n);
		json_lit(o, "\"");
	} else {
		json_str(o, s->p, s->n);
	}
}

void ir_write_unescaped(struct json_out *o, const struct ir_str *s)
{
	if (!s->p)
		return;
	if (s->kind == IR_RAW) {
		if (json_unescape_append(o, s->p, s->n) < 0)
			o->overflow = 1;	/* cannot happen on parsed input */
	} else {
		json_raw_append(o, s->p, s->n);
	}
}

int ir_write_value(struct json_out *o, const struct ir_str *s)
{
	if (!s->p || s->n == 0) {
		json_lit(o, "{}");
		return 0;
	}
	if (s->kind == IR_JSON) {
		json_raw_append(o, s->p, s->n);
		return 0;
	}
	size_t start = o->len;
	ir_write_unescaped(o, s);
	if (o->overflow)
		return 0;
	const char *t = o->buf + start;
	size_t n = o->len - start;
	size_t i = 0;
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	if (i == n) {			/* "" or blanks: no arguments */
		o->len = start;
		json_lit(o, "{}");
		return 0;
	}
	if (json_valid(t, n) != 0) {
		o->len = start;
		return -1;
	}
	return 0;
}

int ir_str_eq(const struct ir_str *s, const char *lit)
{
	if (!s->p)
		return 0;
	size_t n = strlen(lit);
	if (s->kind != IR_RAW || !memchr(s->p, '\\', s->n))
		return s->n == n && memcmp(s->p, lit, n) == 0;
	char buf[256];
	struct json_out o;
	json_out_init(&o, buf, sizeof buf);
	if (json_unescape_append(&o, s->p, s->n) < 0 || o.overflow)
		return 0;
	return o.len == n && memcmp(buf, lit, n) == 0;
}

const char *ir_finish_name(uint8_t f)
{
	switch (f) {
	case IR_FIN_STOP: return "stop";
	case IR_FIN_LENGTH: return "length";
	case IR_FIN_TOOL_CALLS: return "tool_calls";
	case IR_FIN_CONTENT_FILTER: return "content_filter";
	case IR_FIN_ERROR: return "error";
	}
	return "none";
}

int ir_err_status(uint8_t cls)
{
	static const int st[] = {
		[IR_ERR_INVALID] = 400, [IR_ERR_AUTH] = 401, [IR_ERR_BILLING] = 402,
		[IR_ERR_PERMISSION] = 403, [IR_ERR_NOT_FOUND] = 404, [IR_ERR_TOO_LARGE] = 413,
		[IR_ERR_RATE_LIMIT] = 429, [IR_ERR_SERVER] = 500, [IR_ERR_OVERLOADED] = 503,
		[IR_ERR_TIMEOUT] = 504,
	};
	return cls < sizeof st / sizeof st[0] ? st[cls] : 500;
}

uint8_t ir_err_class_of_status(int status)
{
	switch (status) {
	case 400: case 422: return IR_ERR_INVALID;
	case 401: return IR_ERR_AUTH;
	case 402: return IR_ERR_BILLING;
	case 403: return IR_ERR_PERMISSION;
	case 404: return IR_ERR_NOT_FOUND;
	case 408: case 504: return IR_ERR_TIMEOUT;
	case 413: return IR_ERR_TOO_LARGE;
	case 429: return IR_ERR_RATE_LIMIT;
	case 503: case 529: return IR_ERR_OVERLOADED;
	}
	return status >= 500 ? IR_ERR_SERVER : IR_ERR_INVALID;
}

/* JSON Schema spells types in lower case; Gemini's OpenAPI-style schemas
 * (and its SDK's Type enum) in upper case ("OBJECT"). Copies the schema
 * text with every string value of a "type" key lowercased. */
int ir_write_schema(struct json_out *o, const struct ir_str *s)
{
	if (!s->p || s->kind != IR_JSON)
		return ir_write_value(o, s);
	const char *p = s->p;
	size_t n = s->n, i = 0, from = 0;
	while (i < n) {
		if (p[i] != '"') {
			i++;
			continue;
		}
		size_t ks = i + 1, j = ks;
		while (j < n && p[j] != '"')
			j += p[j] == '\\' ? 2 : 1;
		size_t ke = j;		/* closing quote of this string */
		i = j + 1;
		if (ke - ks != 4 || memcmp(p + ks, "type", 4) != 0)
			continue;
		size_t k = i;
		while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
			k++;
		if (k >= n || p[k] != ':')
			continue;	/* the string "type" as a value, not a key */
		k++;
		while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
			k++;
		if (k >= n || p[k] != '"')
			continue;
		size_t vs = k + 1, ve = vs;
		while (ve < n && p[ve] != '"')
			ve += p[ve] == '\\' ? 2 : 1;
		json_raw_append(o, p + from, vs - from);
		for (size_t c = vs; c < ve && c < n; c++) {
			char ch = p[c];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			json_raw_append(o, &ch, 1);
		}
		from = ve < n ? ve : n;
		i = ve + 1;
	}
	json_raw_append(o, p + from, n - from);
	return 0;
}

int ir_str_same(const struct ir_str *a, const struct ir_str *b)
{
	if (!a->p || !b->p)
		return 0;
	if (a->kind == b->kind && a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
		return 1;
	/* Without a backslash, either is its own unescaped text. */
	if (!memchr(a->p, '\\', a->n) && !memchr(b->p, '\\', b->n))
		return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
	char ba[256], bb[256];
	struct json_out oa, ob;
	json_out_init(&oa, ba, sizeof ba);
	json_out_init(&ob, bb, sizeof bb);
	ir_write_unescaped(&oa, a);
	ir_write_unescaped(&ob, b);
	return !oa.overflow && !ob.overflow && oa.len == ob.len && memcmp(ba, bb, oa.len) == 0;
}

struct ir_str ir_call_id_make(ir_call_id *slot, unsigned n)
{
	char *d = *slot;
	memcpy(d, "call_", 5);
	for (int i = IR_CALL_ID_LEN - 1; i >= 5; i--, n /= 10)
		d[i] = (char)('0' + n % 10);
	return ir_plain(d, IR_CALL_ID_LEN);
}

void ir_request_init(struct ir_request *ir)
{
	struct ir_part *parts = ir->parts;
	struct ir_msg *msgs = ir->msgs;
	struct ir_tool *tools = ir->tools;
	ir_call_id *call_ids = ir->call_ids;
	memset(ir, 0, sizeof *ir);
	ir->parts = parts;
	ir->msgs = msgs;
	ir->tools = tools;
	ir->call_ids = call_ids;
	ir->tool_choice = IR_TC_UNSET;
	ir->format = IR_FMT_TEXT;
	ir->parallel_tools = -1;
	ir->max_tokens = -1;
	ir->seed = -1;
	ir->thinking_budget = -1;
}

/* The writers below place the separator through an empty jw_raw(), then
 * write the value into the json_out themselves. */

void jw_ir_str(struct jw *w, const struct ir_str *s)
{
	jw_raw(w, "", 0);
	ir_write_string(w->o, s);
}

void jw_ir_chars(struct jw *w, const struct ir_str *s)
{
	jw_str_add(w, "", 0);	/* refuses use outside a string */
	if (!s->p)
		return;
	if (s->kind == IR_RAW)
		json_raw_append(w->o, s->p, s->n);
	else
		jw_str_add(w, s->p, s->n);
}

int jw_ir_value(struct jw *w, const struct ir_str *s)
{
	jw_raw(w, "", 0);
	return ir_write_value(w->o, s);
}

int jw_ir_schema(struct jw *w, const struct ir_str *s)
{
	jw_raw(w, "", 0);
	return ir_write_schema(w->o, s);
}
