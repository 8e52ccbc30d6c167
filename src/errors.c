/*
 * errors.c - the one table of the gateway's own errors: each internal error
 * has its HTTP status and the type/code a client SDK understands, and every
 * error body is written here, in OpenAI's shape
 *   {"error":{"message":..,"type":..,"param":..,"code":..}}
 * or, for Anthropic and Gemini clients, through that dialect's error
 * encoder (dialect.h) from the class in this table, so every SDK parses it
 * as its own.
 * Also the response-head writer shared by every answer the gateway makes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "gw.h"

/* The OpenAI-shape type names errs[] picks from. */
enum { T_INVALID, T_PERMISSION, T_SERVER, T_UPSTREAM, T_REQUESTS };
static const char *const err_types[] = {
	[T_INVALID] = "invalid_request_error",
	[T_PERMISSION] = "permission_error",
	[T_SERVER] = "server_error",
	[T_UPSTREAM] = "upstream_error",
	[T_REQUESTS] = "requests",
};
/* Every error's code; NULL (written as null) for none. */
static const char *const err_codes[] = {
	[E_BAD_REQUEST] = NULL,
	[E_BAD_JSON] = "invalid_json",
	[E_NOT_FOUND] = "not_found",
	[E_METHOD] = "method_not_allowed",
	[E_AUTH] = "invalid_api_key",
	[E_FORBIDDEN] = "model_not_allowed",
	[E_MODEL_NOT_FOUND] = "model_not_found",
	[E_NO_PROVIDERS] = "no_providers",
	[E_TOO_LARGE] = "request_too_large",
	[E_HEADERS_TOO_LARGE] = "headers_too_large",
	[E_TIMEOUT] = "request_timeout",
	[E_BUSY] = "gateway_busy",
	[E_UPSTREAM] = "bad_gateway",
	[E_UPSTREAM_TIMEOUT] = "gateway_timeout",
	[E_UNSUPPORTED] = "not_supported",
	[E_SHUTTING_DOWN] = "shutting_down",
	[E_INTERNAL] = "internal_error",
	[E_RATE_LIMITED] = "rate_limit_exceeded",
	[E_NOT_MONITOR] = "monitor_not_allowed",
};

static const struct {
	uint16_t status;
	uint8_t type;
	uint8_t cls;
} errs[] = {
	[E_BAD_REQUEST] = { 400, T_INVALID, IR_ERR_INVALID },
	[E_BAD_JSON] = { 400, T_INVALID, IR_ERR_INVALID },
	[E_NOT_FOUND] = { 404, T_INVALID, IR_ERR_NOT_FOUND },
	[E_METHOD] = { 405, T_INVALID, IR_ERR_INVALID },
	[E_AUTH] = { 401, T_INVALID, IR_ERR_AUTH },
	[E_FORBIDDEN] = { 403, T_PERMISSION, IR_ERR_PERMISSION },
	[E_MODEL_NOT_FOUND] = { 404, T_INVALID, IR_ERR_NOT_FOUND },
	[E_NO_PROVIDERS] = { 503, T_SERVER, IR_ERR_OVERLOADED },
	[E_TOO_LARGE] = { 413, T_INVALID, IR_ERR_TOO_LARGE },
	[E_HEADERS_TOO_LARGE] = { 431, T_INVALID, IR_ERR_TOO_LARGE },
	[E_TIMEOUT] = { 408, T_INVALID, IR_ERR_TIMEOUT },
	[E_BUSY] = { 503, T_SERVER, IR_ERR_OVERLOADED },
	[E_UPSTREAM] = { 502, T_UPSTREAM, IR_ERR_SERVER },
	[E_UPSTREAM_TIMEOUT] = { 504, T_UPSTREAM, IR_ERR_TIMEOUT },
	[E_UNSUPPORTED] = { 501, T_INVALID, IR_ERR_INVALID },
	[E_SHUTTING_DOWN] = { 503, T_SERVER, IR_ERR_OVERLOADED },
	[E_INTERNAL] = { 500, T_SERVER, IR_ERR_SERVER },
	[E_RATE_LIMITED] = { 429, T_REQUESTS, IR_ERR_RATE_LIMIT },
	[E_NOT_MONITOR] = { 403, T_PERMISSION, IR_ERR_PERMISSION },
};

int gw_err_status(enum gw_err e)
{
	return errs[e].status;
}

/* Reason phrases. 200 first: nearly every answer is one. */
static const struct {
	uint16_t status;
	const char *text;
} reasons[] = {
	{ 200, "OK" }, { 100, "Continue" }, { 201, "Created" }, { 204, "No Content" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 408, "Request Timeout" }, { 409, "Conflict" },
	{ 413, "Content Too Large" }, { 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Gateway Timeout" }, { 529, "Site Overloaded" },
};

const char *gw_reason(int status)
{
	for (unsigned i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].text;
	return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
}

void gw_error_body(struct json_out *o, enum gw_err e, const char *msg)
{
	json_lit(o, "{\"error\":{\"message\":");
	json_cstr(o, msg);
	json_lit(o, ",\"type\":");
	json_cstr(o, err_types[errs[e].type]);
	json_lit(o, ",\"param\":");
	json_lit(o, e == E_MODEL_NOT_FOUND || e == E_FORBIDDEN ? "\"model\"" : "null");
	json_lit(o, ",\"code\":");
	json_cstr(o, err_codes[e]);	/* NULL: null */
	json_lit(o, "}}");
}

int gw_head(struct exchange *x, int status, const char *ctype, long long len, const char *extra, size_t extra_len)
{
	char h[512];
	struct json_out o;	/* as a plain appender: every request pays for this head */
	x->writing.status = status;
	json_out_init(&o, h, sizeof h);
	json_lit(&o, "HTTP/1.1 ");
	json_i64(&o, status);
	json_lit(&o, " ");
	json_lit(&o, gw_reason(status));
	json_lit(&o, "\r\nContent-Type: ");
	json_lit(&o, ctype);
	if (len >= 0) {
		json_lit(&o, "\r\nContent-Length: ");
		json_i64(&o, len);
	} else {
		json_lit(&o, "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache");
	}
	json_lit(&o, x->writing.close_after || !x->reading.bi.keep_alive ? "\r\nConnection: close\r\n" : "\r\nConnection: keep-alive\r\n");
	if (o.overflow)
		return -1;
	if (server_write(x, h, o.len) < 0)
		return -1;
	if (extra_len && server_write(x, extra, extra_len) < 0)
		return -1;
	return server_write(x, "\r\n", 2);
}

void gw_error_body_for(struct exchange *x, struct json_out *o, enum gw_err e, const char *msg)
{
	if (!x->chat.cd || x->chat.cd->id == DIALECT_OPENAI) {
		gw_error_body(o, e, msg);
		return;
	}
	struct ir_error ie;
	memset(&ie, 0, sizeof ie);
	ie.cls = errs[e].cls;
	ie.status = errs[e].status;
	ie.message = ir_plain(msg, (uint32_t)strlen(msg));
	x->chat.cd->encode_error(&ie, o);
}

static void error_v(struct exchange *x, enum gw_err e, long long retry_ms, const char *fmt, va_list ap)
{
	char msg[1024];
	fmt_vsnprintf(msg, sizeof msg, fmt, ap);
	char body[1400];
	struct json_out o;
	json_out_init(&o, body, sizeof body);
	gw_error_body_for(x, &o, e, msg);
	/* A time that is known goes in retry-after-ms too, which the OpenAI
	 * and Anthropic SDKs read first (Gemini's knows no such header); a
	 * busy gateway's "soon" is one second, said only as Retry-After. */
	int known = retry_ms >= 0 && !(x->chat.cd && x->chat.cd->id == DIALECT_GEMINI);
	if (retry_ms < 0 && (e == E_BUSY || e == E_SHUTTING_DOWN))
		retry_ms = 1000;
	char extra[96] = "";
	int n = 0;
	if (retry_ms >= 0)	/* whole seconds, rounded up */
		n = fmt_snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", (retry_ms + 999) / 1000);
	if (known)
		fmt_snprintf(extra + n, sizeof extra - (size_t)n, "retry-after-ms: %lld\r\n", retry_ms);
	/* Whatever was queued (a partial head, a held preamble) is dropped:
	 * the error replaces it. */
	server_discard(x);
	gw_head(x, errs[e].status, "application/json", (long long)o.len, extra, strlen(extra));
	server_write(x, body, o.len);
	x->writing.resp_done = 1;
}

void gw_error(struct exchange *x, enum gw_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(x, e, -1, fmt, ap);
	va_end(ap);
}

void gw_error_retry_ms(struct exchange *x, enum gw_err e, long long retry_ms, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(x, e, retry_ms, fmt, ap);
	va_end(ap);
}
