/*
 * errors.c - the one table of the gateway's own errors: each internal error
 * has its HTTP status and the type/code a client SDK understands, and every
 * error body is written here, in OpenAI's shape
 *   {"error":{"message":..,"type":..,"param":..,"code":..}}
 * (the other client dialects' shapes join this table in a later change).
 * For Anthropic and Gemini clients the same error goes through that
 * dialect's encoder (dialect.h), so every SDK parses it as its own.
 * Also the response-head writer shared by every answer the gateway makes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "gw.h"

static const struct {
	int status;
	const char *type;
	const char *code;
	uint8_t cls;
} errs[] = {
	[E_BAD_REQUEST] = { 400, "invalid_request_error", NULL, IR_ERR_INVALID },
	[E_BAD_JSON] = { 400, "invalid_request_error", "invalid_json", IR_ERR_INVALID },
	[E_NOT_FOUND] = { 404, "invalid_request_error", "not_found", IR_ERR_NOT_FOUND },
	[E_METHOD] = { 405, "invalid_request_error", "method_not_allowed", IR_ERR_INVALID },
	[E_AUTH] = { 401, "invalid_request_error", "invalid_api_key", IR_ERR_AUTH },
	[E_FORBIDDEN] = { 403, "permission_error", "model_not_allowed", IR_ERR_PERMISSION },
	[E_MODEL_NOT_FOUND] = { 404, "invalid_request_error", "model_not_found", IR_ERR_NOT_FOUND },
	[E_NO_PROVIDERS] = { 503, "server_error", "no_providers", IR_ERR_OVERLOADED },
	[E_TOO_LARGE] = { 413, "invalid_request_error", "request_too_large", IR_ERR_TOO_LARGE },
	[E_HEADERS_TOO_LARGE] = { 431, "invalid_request_error", "headers_too_large", IR_ERR_TOO_LARGE },
	[E_TIMEOUT] = { 408, "invalid_request_error", "request_timeout", IR_ERR_TIMEOUT },
	[E_BUSY] = { 503, "server_error", "gateway_busy", IR_ERR_OVERLOADED },
	[E_UPSTREAM] = { 502, "upstream_error", "bad_gateway", IR_ERR_SERVER },
	[E_UPSTREAM_TIMEOUT] = { 504, "upstream_error", "gateway_timeout", IR_ERR_TIMEOUT },
	[E_UNSUPPORTED] = { 501, "invalid_request_error", "not_supported", IR_ERR_INVALID },
	[E_SHUTTING_DOWN] = { 503, "server_error", "shutting_down", IR_ERR_OVERLOADED },
	[E_INTERNAL] = { 500, "server_error", "internal_error", IR_ERR_SERVER },
	[E_RATE_LIMITED] = { 429, "requests", "rate_limit_exceeded", IR_ERR_RATE_LIMIT },
};

int gw_err_status(enum gw_err e)
{
	return errs[e].status;
}

const char *gw_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Site Overloaded";
	}
	return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
}

void gw_error_body(struct json_out *o, enum gw_err e, const char *msg)
{
	json_lit(o, "{\"error\":{\"message\":");
	json_cstr(o, msg);
	json_lit(o, ",\"type\":");
	json_cstr(o, errs[e].type);
	json_lit(o, ",\"param\":");
	json_lit(o, e == E_MODEL_NOT_FOUND || e == E_FORBIDDEN ? "\"model\"" : "null");
	json_lit(o, ",\"code\":");
	if (errs[e].code)
		json_cstr(o, errs[e].code);
	else
		json_lit(o, "null");
	json_lit(o, "}}");
}

int gw_head(struct exchange *x, int status, const char *ctype, long long len, const char *extra, size_t extra_len)
{
	char h[512];
	struct json_out o;	/* as a plain appender: every request pays for this head */
	x->status = status;
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
	json_lit(&o, x->close_after || !x->bi.keep_alive ? "\r\nConnection: close\r\n" : "\r\nConnection: keep-alive\r\n");
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
	if (!x->cd || x->cd->id == DIALECT_OPENAI) {
		gw_error_body(o, e, msg);
		return;
	}
	struct ir_error ie;
	memset(&ie, 0, sizeof ie);
	ie.cls = errs[e].cls;
	ie.status = errs[e].status;
	ie.message = ir_plain(msg, (uint32_t)strlen(msg));
	x->cd->encode_error(&ie, o);
}

static void error_v(struct exchange *x, enum gw_err e, long long retry_s, const char *fmt, va_list ap)
{
	char msg[1024];
	fmt_vsnprintf(msg, sizeof msg, fmt, ap);
	char body[1400];
	struct json_out o;
	json_out_init(&o, body, sizeof body);
	gw_error_body_for(x, &o, e, msg);
	if (retry_s < 0 && (e == E_BUSY || e == E_SHUTTING_DOWN))
		retry_s = 1;
	char extra[48] = "";
	if (retry_s >= 0)
		fmt_snprintf(extra, sizeof extra, "Retry-After: %lld\r\n", retry_s);
	/* Whatever was queued (a partial head, a held preamble) is dropped:
	 * the error replaces it. */
	x->out_len = x->out_off = 0;
	x->ext = NULL;
	x->ext_len = x->ext_off = 0;
	gw_head(x, errs[e].status, "application/json", (long long)o.len, extra, strlen(extra));
	server_write(x, body, o.len);
	x->resp_done = 1;
}

void gw_error(struct exchange *x, enum gw_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(x, e, -1, fmt, ap);
	va_end(ap);
}

void gw_error_retry(struct exchange *x, enum gw_err e, long long retry_s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_v(x, e, retry_s, fmt, ap);
	va_end(ap);
}
