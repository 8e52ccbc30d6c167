/*
 * mockprov.c - a mock LLM provider (OpenAI Chat Completions, Anthropic
 * Messages, Google Gemini generateContent) for llmgw's integration tests
 * and benchmarks.
 *
 * One process, one thread, llmgw's own poll() loop (loop.h). Every
 * connection comes from a pool allocated at start-up (--max-conns) with a
 * fixed 32 KB input and 16 KB output buffer; a request larger than the input
 * buffer borrows one of 8 shared large buffers (--max-body-kb, default 8192),
 * so nothing is allocated per request. Requests are parsed with http.h,
 * bodies with json.h, https is served through tls.h. Pipelined requests are
 * answered in order; the next one is parsed once the previous answer is
 * queued. Delays and stream pacing use loop timers: nothing blocks or sleeps.
 *
 * mockprov --listen HOST:PORT [--port-file F] [--tls-cert F --tls-key F]
 *          [--key SECRET] [--fault SPEC] [--chunks N] [--interval-ms N]
 *          [--max-conns N] [--max-body-kb N] [--quiet] [--verbose]
 * Port 0 picks a free port; --port-file gets "PORT\n" (written atomically)
 * once the socket listens. SIGTERM/SIGINT: exit 0. Bad arguments: exit 2.
 *
 * Common to the three APIs. Reply text: "mock reply to: " + the text of the
 * last user turn (its text parts joined by one space), or "tool said: " +
 * the tool result (see each API), cut to 200 bytes on a UTF-8 boundary.
 * With tools, when the last turn is the user's and carries no tool result:
 * a call to the first tool with arguments {"city":"Paris"}; TWO calls when
 * the first tool is named "two_calls" or the fault SPEC has calls=2 (the
 * second to the second tool, or the first again if there is one tool, with
 * {"city":"Rome"}; calls=1 forces one). Tokens: prompt P = max(1, body
 * bytes / 4); completion = words in the reply text or in the arguments (1
 * per call). Fault item cached=N adds N cached prompt tokens: OpenAI
 * prompt_tokens P+N with prompt_tokens_details.cached_tokens N; Anthropic
 * input_tokens P and cache_read_input_tokens N; Gemini promptTokenCount P+N
 * and cachedContentTokenCount N (absent when 0). Message ids count up across
 * all APIs (N below); request ids req_mock_R count every API request.
 * "stream": --chunks pieces of the text (empty pieces when it is shorter),
 * --interval-ms before each piece and before the finish; tool arguments are
 * cut into --chunks pieces per call. Chunked encoding, one SSE event (or
 * group) per chunk; HTTP/1.0 clients get the stream unchunked, ended by
 * close. Every response has x-request-id: req_mock_R.
 *
 * OpenAI (auth with --key: "Authorization: Bearer SECRET", else 401
 * authentication_error / invalid_api_key):
 *   POST /v1/chat/completions  last message role "tool": "tool said: " +
 *     its content. Tool calls: ids call_mock_1/call_mock_2, finish_reason
 *     tool_calls. id chatcmpl-mock-N. Stream: role chunk (carrying call 1's
 *     id and name), pieces, a header chunk for call 2 before its pieces,
 *     finish chunk, usage chunk (choices []) when
 *     stream_options.include_usage (then every other chunk has
 *     "usage":null), data: [DONE].
 *   GET /v1/models             mock-1, mock-2 (OpenAI list shape).
 *   Errors {"error":{"message","type","param","code"}}: 400 bad JSON /
 *   missing model or messages / unknown fault item, 404 unknown path, 405
 *   wrong method, 413 body over --max-body-kb (or all large buffers busy),
 *   431 head over 32 KB.
 *
 * Anthropic (auth with --key: "x-api-key: SECRET" or "Authorization: Bearer
 * SECRET"; missing: 401 "x-api-key header is required", wrong: 401 "invalid
 * x-api-key"; then anthropic-version is required: 400 "anthropic-version:
 * header is required", and must look like YYYY-MM-DD and appear once):
 *   POST /v1/messages  validated like the API: top-level keys outside the
 *     Messages API's ("X: Extra inputs are not permitted"), model,
 *     max_tokens (integer >= 1), messages (non-empty; roles user/assistant
 *     only, "system" gets the API's message), content string or blocks;
 *     tool_use.input must be an object; every tool_result must answer a
 *     tool_use of the previous (assistant) message and every tool_use must
 *     be answered in the next message. Reply text: the last user turn's
 *     text; if that turn has only tool_result blocks, "tool said: " + their
 *     content text (joined by one space). Tool calls (tools given, the last
 *     message is the user's with no tool_result, tool_choice not "none"):
 *     tool_use blocks toolu_mock_1/2, stop_reason tool_use; else end_turn.
 *     {"id":"msg_mock_N","type":"message","role":"assistant","model",
 *     "content","stop_reason","stop_sequence":null,"usage":{input_tokens,
 *     output_tokens,cache_creation_input_tokens:0,cache_read_input_tokens}}.
 *     Stream (event: lines): message_start (usage with output_tokens 1),
 *     content_block_start, ping, [tool: an empty input_json_delta],
 *     content_block_delta per piece (text_delta / input_json_delta), for a
 *     second call content_block_stop + content_block_start(index 1) + empty
 *     delta, then content_block_stop, message_delta {stop_reason,
 *     usage.output_tokens}, message_stop.
 *   POST /v1/messages/count_tokens  {"input_tokens":P} (max_tokens is an
 *     extra input here, as in the API).
 *   GET /v1/models with anthropic-version: {"data":[{"type":"model",
 *     "id":"mock-1","display_name":"Mock 1","created_at":...},...],
 *     "has_more":false,"first_id":"mock-1","last_id":"mock-2"}.
 *   Errors {"type":"error","error":{"type","message"},"request_id":
 *   "req_mock_R"} plus a request-id header; type by status: 400
 *   invalid_request_error, 401 authentication_error, 402 billing_error, 403
 *   permission_error, 404 not_found_error, 413 request_too_large, 429
 *   rate_limit_error, 504 timeout_error, 529 overloaded_error, other 5xx
 *   api_error.
 *
 * Gemini (auth with --key: "x-goog-api-key: SECRET" or ?key=SECRET;
 * missing: 403 PERMISSION_DENIED, wrong: 400 INVALID_ARGUMENT with details
 * ErrorInfo reason API_KEY_INVALID, as the real API):
 *   POST /v1beta/models/{model}:generateContent, :streamGenerateContent
 *     (?alt=sse: "data: {...}\r\n\r\n" events; without: one JSON array
 *     "[{...}\n,\r\n{...}]" streamed element by element), :countTokens
 *     ({"totalTokens":P}); also under /v1/models/. The model is the
 *     percent-decoded path between "models/" and the last ':' (slashes
 *     allowed: .../models/prov/model:generateContent is "prov/model"; a
 *     fault model is "fault:SPEC" or "fault%3ASPEC"). Validated like the
 *     API: unknown top-level names (camelCase or snake_case accepted),
 *     contents non-empty with roles user/model ("Please use a valid role:
 *     user, model."), parts non-empty, functionCall.args and
 *     functionResponse.response objects, systemInstruction an object.
 *     Reply text: the last non-model turn's text parts; if it has only
 *     functionResponse parts, "tool said: " + each response object as
 *     compact JSON. Function calls (a functionDeclaration in tools, the
 *     last turn is the user's with no functionResponse, mode not NONE):
 *     functionCall parts (no ids), finishReason "STOP" all the same.
 *     {"candidates":[{"content":{"role":"model","parts"},"finishReason":
 *     "STOP","index":0}],"usageMetadata":{promptTokenCount,
 *     candidatesTokenCount,totalTokenCount},"modelVersion":model,
 *     "responseId":"mock-N"}. Stream: max(1, --chunks) chunks with one text
 *     part each (function calls come whole in one chunk); chunks before the
 *     last carry usageMetadata {promptTokenCount,totalTokenCount} only, the
 *     last has finishReason and the full usageMetadata. No [DONE].
 *   GET /v1beta/models, and GET /v1/models with x-goog-api-key or ?key=
 *     (but no anthropic-version): {"models":[{"name":"models/mock-1",
 *     ...},...]}. (@google/genai 3.x defaults to API version v1.)
 *   Errors {"error":{"code","message","status"[,"details"]}}: status by
 *   code (400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
 *   404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE,
 *   504 DEADLINE_EXCEEDED). A 429 has no Retry-After header (Gemini never
 *   sends retry headers) but details QuotaFailure + RetryInfo retryDelay
 *   "<retry_after>s" ("1.500s" from retry_after_ms, default "7s").
 *
 * Control (no auth, not counted): GET /mock/stats -> {"requests",
 * "connections" (TCP connections that carried an API request), "chat"
 * (generation requests of any API), "models", "tls_handshakes" (full),
 * "tls_resumed", "accepted", "active", "anthropic" and "gemini" (their
 * generation requests), "count_tokens"}; GET /mock/last ->
 * {"method","target","headers" (lowercased, repeats joined by ", "),
 * "body","body_len","truncated"} of the last generation or count request
 * (any API), head+body kept up to 256 KB (404 before any); POST
 * /mock/reset zeroes the counters and forgets the last request.
 *
 * Faults: --fault SPEC for every API request, or per generation request
 * with model "fault:SPEC" (replaces the run's SPEC). SPEC items,
 * comma-separated:
 *   status=N (error body in the API's shape, type by status),
 *   retry_after=S, retry_after_ms=MS (headers; Gemini: RetryInfo only),
 *   reset_s=N (rate-limit reset headers N s ahead: OpenAI x-ratelimit-*-requests,
 *   Anthropic anthropic-ratelimit-requests-*),
 *   delay_ms=N (before the head), chunks=N, interval_ms=N, close,
 *   calls=N (1 or 2 tool calls), cached=N (cached prompt tokens),
 *   stall_after=N / truncate_after=N / reset_after=N / error_event_after=N
 *   (stream: after min(N, pieces) content events, before the finish; on
 *   Gemini at most before the last chunk, which carries finishReason;
 *   non-stream: the first three send the head and half the body, then
 *   stall / FIN / RST), reset (RST instead of a response), html502, html200 (the same page with 200),
 *   error200 (the API's error body with status 200), empty200.
 *   Mid-stream errors: OpenAI data: {"error":{...server_error}}; Anthropic
 *   "event: error" overloaded_error; Gemini {"error":{"code":503,...,
 *   "status":"UNAVAILABLE"}} as the next event or array element.
 * Precedence: reset > html502 > status > empty200 > error200 > normal.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "json.h"
#include "loop.h"
#include "tls.h"

#define IN_SMALL	(32 * 1024)	/* per-connection request buffer */
#define OUT_CAP		(16 * 1024)	/* per-connection response buffer */
#define OUT_GATE	(4 * 1024)	/* parse the next request only below this backlog */
#define EV_ROOM		(6 * 1024)	/* room kept free for the largest single response/event */
#define N_BIG		8		/* large request buffers shared by all connections */
#define LAST_CAP	(256 * 1024)	/* /mock/last keeps this much head+body */
#define MODEL_MAX	256
#define REPLY_MAX	200
#define TOOL_MAX	128
#define MSG_MAX		256
#define LINGER_MS	1000

static const char TOOL_ARGS[] = "{\"city\":\"Paris\"}";
static const char TOOL_ARGS2[] = "{\"city\":\"Rome\"}";
static const char *const TOOL_ARGV[2] = { TOOL_ARGS, TOOL_ARGS2 };
static const size_t TOOL_ARGL[2] = { sizeof TOOL_ARGS - 1, sizeof TOOL_ARGS2 - 1 };

/* The three wire dialects. */
enum { API_OAI, API_ANT, API_GEM };

/* ---- fault injection --------------------------------------------------- */

struct fault {
	int status;			/* 0: none */
	long long retry_after;		/* -1: none */
	long long retry_after_ms;	/* -1: none */
	long long delay_ms;
	long long chunks, interval_ms;	/* -1: the run's defaults */
	long long stall_after, truncate_after, reset_after, error_event_after;	/* -1: off */
	long long calls;		/* -1: the request decides (1, or 2 for a tool "two_calls") */
	long long cached;		/* cached prompt tokens to report */
	long long reset_s;		/* -1: none; else rate-limit reset headers, N s ahead */
	bool reset, html502, html200, error200, empty200, close;
};

static void fault_clear(struct fault *f)
{
	memset(f, 0, sizeof *f);
	f->retry_after = f->retry_after_ms = -1;
	f->chunks = f->interval_ms = -1;
	f->stall_after = f->truncate_after = f->reset_after = f->error_event_after = -1;
	f->calls = -1;
	f->reset_s = -1;
}

static int parse_num(const char *s, size_t n, long long max, long long *out)
{
	long long v = 0;
	if (n == 0 || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses "a=1,b,c=2". On error writes a message naming the item into err. */
static int fault_parse(const char *s, size_t n, struct fault *f, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
		long long max;
	} nums[] = {
		{ "retry_after", offsetof(struct fault, retry_after), 1000000000 },
		{ "retry_after_ms", offsetof(struct fault, retry_after_ms), 1000000000 },
		{ "delay_ms", offsetof(struct fault, delay_ms), 100000000 },
		{ "chunks", offsetof(struct fault, chunks), 100000 },
		{ "interval_ms", offsetof(struct fault, interval_ms), 100000000 },
		{ "stall_after", offsetof(struct fault, stall_after), 100000 },
		{ "truncate_after", offsetof(struct fault, truncate_after), 100000 },
		{ "reset_after", offsetof(struct fault, reset_after), 100000 },
		{ "error_event_after", offsetof(struct fault, error_event_after), 100000 },
		{ "calls", offsetof(struct fault, calls), 2 },
		{ "cached", offsetof(struct fault, cached), 1000000000 },
		{ "reset_s", offsetof(struct fault, reset_s), 86400 },
	};
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "reset", offsetof(struct fault, reset) },
		{ "html502", offsetof(struct fault, html502) },
		{ "html200", offsetof(struct fault, html200) },
		{ "error200", offsetof(struct fault, error200) },
		{ "empty200", offsetof(struct fault, empty200) },
		{ "close", offsetof(struct fault, close) },
	};
	fault_clear(f);
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && s[e] != ',')
			e++;
		const char *it = s + i;
		size_t il = e - i;
		i = e + 1;
		while (il && (*it == ' ' || *it == '\t'))
			it++, il--;
		while (il && (it[il - 1] == ' ' || it[il - 1] == '\t'))
			il--;
		if (!il)
			continue;
		const char *eq = memchr(it, '=', il);
		size_t kl = eq ? (size_t)(eq - it) : il;
		const char *v = eq ? eq + 1 : NULL;
		size_t vl = eq ? il - kl - 1 : 0;
		bool known = false, bad = false;
		if (kl == 6 && !memcmp(it, "status", 6)) {
			long long x;
			known = true;
			if (!v || parse_num(v, vl, 599, &x) || x < 100)
				bad = true;
			else
				f->status = (int)x;
		}
		for (size_t k = 0; !known && k < sizeof nums / sizeof nums[0]; k++) {
			if (strlen(nums[k].name) != kl || memcmp(nums[k].name, it, kl))
				continue;
			known = true;
			if (!v || parse_num(v, vl, nums[k].max, (long long *)(void *)((char *)f + nums[k].off)))
				bad = true;
		}
		for (size_t k = 0; !known && k < sizeof flags / sizeof flags[0]; k++) {
			if (strlen(flags[k].name) != kl || memcmp(flags[k].name, it, kl))
				continue;
			known = true;
			if (v)
				bad = true;
			else
				*(bool *)(void *)((char *)f + flags[k].off) = true;
		}
		if (!known || bad) {
			int w = il > 64 ? 64 : (int)il;
			snprintf(err, errlen, "%s fault item '%.*s'", known ? "bad value in" : "unknown", w, it);
			return -1;
		}
	}
	return 0;
}

/* ---- configuration and global state ------------------------------------ */

static struct {
	const char *listen;
	const char *port_file;
	const char *cert, *key_file;
	const char *key;
	size_t key_len;
	struct fault fault;
	int chunks;
	int interval_ms;
	unsigned max_conns;
	size_t max_body;
	bool quiet, verbose;
} opt = { .chunks = 5, .max_conns = 4096, .max_body = 8u << 20 };

static struct {
	unsigned long long requests, connections, chat, models, tls_handshakes, tls_resumed, accepted;
	unsigned long long anthropic, gemini, count_tokens;
} st;
static unsigned long long seq_req, seq_chat;	/* ids: never reset */
static unsigned active_conns;

enum { PS_IDLE, PS_DELAY, PS_STREAM, PS_STALLED, PS_CLOSING, PS_LINGER };
enum { AFTER_NONE, AFTER_CLOSE, AFTER_RST };
enum { RS_HEAD, RS_BODY };
enum { K_CHAT, K_MODELS, K_COUNT, K_ERROR, K_HTML502, K_HTML200, K_EMPTY200, K_ERROR200, K_RESET };

struct conn {
	struct loop_fd w;
	struct loop_timer t;
	struct tls *tls;
	int fd;
	bool used, counted, hs_counted, eof, waited;
	bool notify;			/* send TLS close_notify before closing */
	int ps, after;

	/* Input: the current request starts at in_off; bytes up to in_len. */
	char *in, *small;		/* in is small or a borrowed large buffer */
	size_t in_cap, in_off, in_len;
	int big;			/* borrowed large buffer, -1 */
	int rstate;
	int head_api;			/* dialect guessed from the head, for early errors */
	size_t head_len, last_len, body_len;
	bool sent_continue;
	struct http_body_info bi;
	struct http_chunked ck;

	/* Output: out[out_off..out_len) then ext[ext_off..ext_len). */
	char *out;
	size_t out_off, out_len;
	const char *ext;
	size_t ext_off, ext_len;

	/* The response being produced. */
	int kind, status, api;
	bool stream, keep_alive, http10, include_usage, tool;
	bool sse;			/* Gemini stream: SSE (alt=sse) rather than a JSON array */
	bool key_invalid;		/* Gemini error: add the API_KEY_INVALID details */
	struct fault f;
	int nchunks, interval, step;
	int ncalls;			/* tool calls in the reply (1 or 2) when tool */
	int npieces;			/* content events in the stream */
	unsigned long long reqid, chatid;
	long long created;
	unsigned ptok, ctok, cached;
	size_t model_len, reply_len, msg_len;
	size_t tool_len[2];
	char model[MODEL_MAX];
	char reply[REPLY_MAX + 1];
	char toolname[2][TOOL_MAX];
	char msg[MSG_MAX];
};

static struct conn *conns;
static unsigned *free_list, n_free;
static char *big_bufs[N_BIG];
static bool big_used[N_BIG];
static int listen_fd = -1;
static struct loop_fd listen_w;
static bool listen_paused;
static int sig_pipe[2] = { -1, -1 };
static struct loop_fd sig_w;

static char *g_scratch;			/* one response body or event, OUT_CAP */
static char *g_text;			/* unescaped strings, max_body + 1 */
static size_t g_text_cap;
static jsmntok_t *g_tok;
static int g_ntok;
static struct http_request g_req;

static char *g_last;			/* head then body of the last chat request */
static size_t g_last_head, g_last_body, g_last_body_full;
static bool g_have_last;
static char *g_lastr;			/* rendered /mock/last body */
static size_t g_lastr_cap;
static struct conn *g_lastr_busy;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char b[512];
	va_list ap;
	if (opt.quiet)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof b - 2)
		n = sizeof b - 2;
	b[n++] = '\n';
	ssize_t w = write(2, b, (size_t)n);
	(void)w;
}

/* ---- output helpers ----------------------------------------------------- */

static size_t out_pending(const struct conn *c)
{
	return (c->out_len - c->out_off) + (c->ext ? c->ext_len - c->ext_off : 0);
}

/* Free space at the end of out, compacting first. */
static size_t out_room(struct conn *c)
{
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
	} else if (c->out_off > 0 && OUT_CAP - c->out_len < EV_ROOM) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return OUT_CAP - c->out_len;
}

static void out_append(struct conn *c, const char *s, size_t n)
{
	if (out_room(c) < n)
		return;	/* sizes are bounded by EV_ROOM; callers checked */
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
}

static void put_u(struct json_out *o, unsigned long long v)
{
	char b[24];
	int i = sizeof b;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	json_raw_append(o, b + i, sizeof b - (size_t)i);
}

static const char *reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 529: return "Overloaded";
	default: return "Status";
	}
}

/* clen >= 0: Content-Length; -1: chunked; -2: body until close. */
static void put_head(struct conn *c, struct json_out *o, int status, const char *ctype, long long clen)
{
	json_lit(o, "HTTP/1.1 ");
	put_u(o, (unsigned)status);
	json_lit(o, " ");
	json_lit(o, reason(status));
	if (ctype) {
		json_lit(o, "\r\nContent-Type: ");
		json_lit(o, ctype);
	}
	if (clen >= 0) {
		json_lit(o, "\r\nContent-Length: ");
		put_u(o, (unsigned long long)clen);
	} else if (clen == -1) {
		json_lit(o, "\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked");
	} else {
		json_lit(o, "\r\nCache-Control: no-cache");
	}
	json_lit(o, "\r\nx-request-id: req_mock_");
	put_u(o, c->reqid);
	if (c->api == API_ANT) {
		json_lit(o, "\r\nrequest-id: req_mock_");
		put_u(o, c->reqid);
	}
	/* Gemini never sends Retry-After: its delay is RetryInfo in the body. */
	if (c->f.retry_after >= 0 && c->api != API_GEM) {
		json_lit(o, "\r\nRetry-After: ");
		put_u(o, (unsigned long long)c->f.retry_after);
	}
	if (c->f.retry_after_ms >= 0 && c->api != API_GEM) {
		json_lit(o, "\r\nretry-after-ms: ");
		put_u(o, (unsigned long long)c->f.retry_after_ms);
	}
	/* Rate-limit reset headers, each API its own way: OpenAI a duration,
	 * Anthropic an RFC 3339 time (Gemini has none: RetryInfo only). */
	if (c->f.reset_s >= 0 && c->api == API_OAI) {
		json_lit(o, "\r\nx-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: 0"
			    "\r\nx-ratelimit-reset-requests: ");
		put_u(o, (unsigned long long)c->f.reset_s);
		json_lit(o, "s");
	} else if (c->f.reset_s >= 0 && c->api == API_ANT) {
		char ts[40];
		time_t at = time(NULL) + (time_t)c->f.reset_s;
		struct tm tm;
		gmtime_r(&at, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_lit(o, "\r\nanthropic-ratelimit-requests-limit: 60\r\nanthropic-ratelimit-requests-remaining: 0"
			    "\r\nanthropic-ratelimit-requests-reset: ");
		json_lit(o, ts);
	}
	if (!c->keep_alive)
		json_lit(o, "\r\nConnection: close");
	else if (c->http10)
		json_lit(o, "\r\nConnection: keep-alive");
	json_lit(o, "\r\n\r\n");
}

/* Queues head + body (body_len bytes of body, which may be less than the
 * announced clen for truncation faults). */
static void send_resp(struct conn *c, int status, const char *ctype, const char *body, size_t clen, size_t body_len)
{
	struct json_out o;
	out_room(c);
	json_out_init(&o, c->out + c->out_len, OUT_CAP - c->out_len);
	put_head(c, &o, status, ctype, (long long)clen);
	json_raw_append(&o, body, body_len);
	if (o.overflow) {
		/* Cannot happen with the fixed size bounds; fail loudly but safely. */
		say("mockprov: response does not fit the output buffer");
		c->after = AFTER_RST;
		return;
	}
	c->out_len += o.len;
}

static const char *err_type(int status)
{
	if (status == 401)
		return "authentication_error";
	if (status == 429)
		return "rate_limit_exceeded";
	if (status >= 500)
		return "server_error";
	return "invalid_request_error";
}

static const char *ant_err_type(int status)
{
	switch (status) {
	case 401: return "authentication_error";
	case 402: return "billing_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 413: return "request_too_large";
	case 429: return "rate_limit_error";
	case 504: return "timeout_error";
	case 529: return "overloaded_error";
	default: return status >= 500 ? "api_error" : "invalid_request_error";
	}
}

static const char *gem_status(int code)
{
	switch (code) {
	case 401: return "UNAUTHENTICATED";
	case 403: return "PERMISSION_DENIED";
	case 404: return "NOT_FOUND";
	case 409: return "ABORTED";
	case 429: return "RESOURCE_EXHAUSTED";
	case 499: return "CANCELLED";
	case 501: return "UNIMPLEMENTED";
	case 502: case 503: return "UNAVAILABLE";
	case 504: return "DEADLINE_EXCEEDED";
	default: return code >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
	}
}

/* Google's Duration JSON: "7s", "1.500s" (0, 3, 6 or 9 fraction digits). */
static void put_retry_delay(struct json_out *o, const struct fault *f)
{
	unsigned long long ms = f->retry_after >= 0 ? (unsigned long long)f->retry_after * 1000 :
				f->retry_after_ms >= 0 ? (unsigned long long)f->retry_after_ms : 7000;
	json_lit(o, "\"");
	put_u(o, ms / 1000);
	if (ms % 1000) {
		char b[5] = { '.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10), (char)('0' + ms % 10), 0 };
		json_lit(o, b);
	}
	json_lit(o, "s\"");
}

static size_t error_body(const struct conn *c, char *buf, size_t cap, int status, const char *msg, size_t msg_len)
{
	struct json_out o;
	json_out_init(&o, buf, cap);
	if (c->api == API_ANT) {
		json_lit(&o, "{\"type\":\"error\",\"error\":{\"type\":\"");
		json_lit(&o, ant_err_type(status));
		json_lit(&o, "\",\"message\":");
		json_str(&o, msg, msg_len);
		json_lit(&o, "},\"request_id\":\"req_mock_");
		put_u(&o, c->reqid);
		json_lit(&o, "\"}");
		return o.overflow ? 0 : o.len;
	}
	if (c->api == API_GEM) {
		json_lit(&o, "{\"error\":{\"code\":");
		put_u(&o, (unsigned)status);
		json_lit(&o, ",\"message\":");
		json_str(&o, msg, msg_len);
		json_lit(&o, ",\"status\":\"");
		json_lit(&o, gem_status(status));
		json_lit(&o, "\"");
		if (status == 429) {
			json_lit(&o, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
				 "\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
				 "\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\",\"quotaValue\":\"10\"}]},"
				 "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":");
			put_retry_delay(&o, &c->f);
			json_lit(&o, "}]");
		} else if (c->key_invalid) {
			json_lit(&o, ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
				 "\"reason\":\"API_KEY_INVALID\",\"domain\":\"googleapis.com\","
				 "\"metadata\":{\"service\":\"generativelanguage.googleapis.com\"}},"
				 "{\"@type\":\"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\":\"en-US\","
				 "\"message\":\"API key not valid. Please pass a valid API key.\"}]");
		}
		json_lit(&o, "}}");
		return o.overflow ? 0 : o.len;
	}
	json_lit(&o, "{\"error\":{\"message\":");
	json_str(&o, msg, msg_len);
	json_lit(&o, ",\"type\":\"");
	json_lit(&o, err_type(status));
	json_lit(&o, "\",\"param\":null,\"code\":");
	if (status == 429)
		json_lit(&o, "\"rate_limit_exceeded\"");
	else if (status == 401)
		json_lit(&o, "\"invalid_api_key\"");
	else
		json_lit(&o, "null");
	json_lit(&o, "}}");
	return o.overflow ? 0 : o.len;
}

static const char *json_ctype(const struct conn *c)
{
	return c->api == API_GEM ? "application/json; charset=UTF-8" : "application/json";
}

static void send_error(struct conn *c, int status, const char *msg, size_t msg_len)
{
	size_t n = error_body(c, g_scratch, OUT_CAP, status, msg, msg_len);
	send_resp(c, status, json_ctype(c), g_scratch, n, n);
}

static void send_errorf(struct conn *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void send_errorf(struct conn *c, int status, const char *fmt, ...)
{
	char m[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof m)
		n = sizeof m - 1;
	send_error(c, status, m, (size_t)n);
}

/* ---- connection lifetime ------------------------------------------------ */

static void listen_resume(void);
static void conn_pump(struct conn *c);

static void conn_close(struct conn *c, bool rst)
{
	if (!c->used)
		return;
	if (rst) {
		struct linger l = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	}
	loop_del(&c->w);
	loop_timer_stop(&c->t);
	if (c->tls)
		tls_close(c->tls);
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
	if (c->big >= 0) {
		big_used[c->big] = false;
		c->big = -1;
		c->in = c->small;
		c->in_cap = IN_SMALL;
	}
	if (g_lastr_busy == c)
		g_lastr_busy = NULL;
	c->used = false;
	free_list[n_free++] = (unsigned)(c - conns);
	active_conns--;
	if (listen_paused)
		listen_resume();
}

static void linger_timeout(struct loop_timer *t)
{
	conn_close(container_of(t, struct conn, t), false);
}

/* Graceful close: FIN after the last byte, then read and drop whatever the
 * peer still sends, so unread input does not turn our close into an RST
 * that could destroy the response in flight. */
static void conn_linger(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->ps = PS_LINGER;
	loop_set(&c->w, LOOP_IN);
	loop_timer_set(&c->t, LINGER_MS, linger_timeout);
}

static void linger_read(struct conn *c)
{
	char b[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(c->fd, b, sizeof b);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		conn_close(c, false);
		return;
	}
}

/* Ends the current response: back to reading requests, or closing. */
static void resp_done(struct conn *c)
{
	if (!c->keep_alive && c->after == AFTER_NONE) {
		c->after = AFTER_CLOSE;
		c->notify = true;
	}
	c->ps = c->after != AFTER_NONE ? PS_CLOSING : PS_IDLE;
}

/* ---- chat responses ----------------------------------------------------- */

/* The text streamed as piece i of npieces: the reply, or with tool calls
 * each call's arguments cut into nchunks pieces one call after the other. */
static void piece_src(const struct conn *c, int i, int *call, int *sub, const char **s, size_t *len)
{
	int n = c->nchunks > 0 ? c->nchunks : 1;
	if (!c->tool) {
		*call = 0;
		*sub = i;
		*s = c->reply;
		*len = c->reply_len;
		return;
	}
	*call = i / n;
	*sub = i % n;
	*s = TOOL_ARGV[*call];
	*len = TOOL_ARGL[*call];
}

/* Piece i of the stream, cut on UTF-8 character boundaries. */
static void piece(const struct conn *c, int i, int *call, const char **p, size_t *len)
{
	int sub, n;
	size_t L;
	const char *s;
	piece_src(c, i, call, &sub, &s, &L);
	n = c->tool ? (c->nchunks > 0 ? c->nchunks : 1) : c->npieces;
	size_t a = (size_t)sub * L / (size_t)n, b = (size_t)(sub + 1) * L / (size_t)n;
	while (a > 0 && a < L && ((unsigned char)s[a] & 0xC0) == 0x80)
		a--;
	while (b > 0 && b < L && ((unsigned char)s[b] & 0xC0) == 0x80)
		b--;
	if (b < a)
		b = a;
	*p = s + a;
	*len = b - a;
}

static unsigned count_words(const char *s, size_t n)
{
	unsigned w = 0;
	bool in = false;
	for (size_t i = 0; i < n; i++) {
		bool sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if (!sp && !in)
			w++;
		in = !sp;
	}
	return w;
}

/* ---- OpenAI ---- */

static void put_usage(struct json_out *o, const struct conn *c)
{
	/* OpenAI counts cached tokens inside prompt_tokens. */
	json_lit(o, "{\"prompt_tokens\":");
	put_u(o, (unsigned long long)c->ptok + c->cached);
	json_lit(o, ",\"completion_tokens\":");
	put_u(o, c->ctok);
	json_lit(o, ",\"total_tokens\":");
	put_u(o, (unsigned long long)c->ptok + c->cached + c->ctok);
	json_lit(o, ",\"prompt_tokens_details\":{\"cached_tokens\":");
	put_u(o, c->cached);
	json_lit(o, "},\"completion_tokens_details\":{\"reasoning_tokens\":0}}");
}

static void put_id_model(struct json_out *o, const struct conn *c, const char *object)
{
	json_lit(o, "{\"id\":\"chatcmpl-mock-");
	put_u(o, c->chatid);
	json_lit(o, "\",\"object\":\"");
	json_lit(o, object);
	json_lit(o, "\",\"created\":");
	put_u(o, (unsigned long long)c->created);
	json_lit(o, ",\"model\":");
	json_str(o, c->model, c->model_len);
}

/* One entry of a tool_calls array (the stream form carries "index"). */
static void put_tool_call1(struct json_out *o, const struct conn *c, int k, bool stream, const char *args, size_t args_len)
{
	json_lit(o, "{");
	if (stream) {
		json_lit(o, "\"index\":");
		put_u(o, (unsigned)k);
		json_lit(o, ",");
	}
	json_lit(o, k ? "\"id\":\"call_mock_2\"" : "\"id\":\"call_mock_1\"");
	json_lit(o, ",\"type\":\"function\",\"function\":{\"name\":");
	json_str(o, c->toolname[k], c->tool_len[k]);
	json_lit(o, ",\"arguments\":");
	json_str(o, args, args_len);
	json_lit(o, "}}");
}

static size_t chat_body(const struct conn *c, char *buf, size_t cap)
{
	struct json_out o;
	json_out_init(&o, buf, cap);
	put_id_model(&o, c, "chat.completion");
	json_lit(&o, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
	if (c->tool) {
		json_lit(&o, "null,\"tool_calls\":[");
		for (int k = 0; k < c->ncalls; k++) {
			if (k)
				json_lit(&o, ",");
			put_tool_call1(&o, c, k, false, TOOL_ARGV[k], TOOL_ARGL[k]);
		}
		json_lit(&o, "]");
	} else {
		json_str(&o, c->reply, c->reply_len);
	}
	json_lit(&o, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"");
	json_lit(&o, c->tool ? "tool_calls" : "stop");
	json_lit(&o, "\"}],\"usage\":");
	put_usage(&o, c);
	json_lit(&o, "}");
	return o.overflow ? 0 : o.len;
}

/* Frames g_scratch[0..n) as one chunk (or raw for HTTP/1.0) into out. */
static void put_event(struct conn *c, size_t len)
{
	size_t n = len;
	if (!c->http10) {
		char h[24];
		int i = 20;
		h[20] = '\r';
		h[21] = '\n';
		do {
			h[--i] = "0123456789abcdef"[n & 15];
			n >>= 4;
		} while (n);
		out_append(c, h + i, (size_t)(22 - i));
	}
	out_append(c, g_scratch, len);
	if (!c->http10)
		out_append(c, "\r\n", 2);
}

/* Queues the event built in o (or drops the connection if it overflowed). */
static void put_built(struct conn *c, const struct json_out *o)
{
	if (o->overflow) {
		c->after = AFTER_RST;
		c->ps = PS_CLOSING;
		return;
	}
	put_event(c, o->len);
}

/* Stream event kinds. */
enum { EV_ROLE, EV_PIECE, EV_FINISH, EV_USAGE, EV_ERROR, EV_CALL };

/* OpenAI: one "data:" event; i is the piece (EV_PIECE) or call (EV_CALL). */
static void stream_event(struct conn *c, int kind, int i)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	json_lit(&o, "data: ");
	if (kind == EV_ERROR) {
		json_lit(&o, "{\"error\":{\"message\":\"mock mid-stream error\",\"type\":\"server_error\",\"code\":null}}");
	} else {
		put_id_model(&o, c, "chat.completion.chunk");
		if (kind == EV_USAGE) {
			json_lit(&o, ",\"choices\":[],\"usage\":");
			put_usage(&o, c);
			json_lit(&o, "}");
		} else {
			json_lit(&o, ",\"choices\":[{\"index\":0,\"delta\":");
			if (kind == EV_ROLE) {
				if (c->tool) {
					json_lit(&o, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[");
					put_tool_call1(&o, c, 0, true, "", 0);
					json_lit(&o, "],\"refusal\":null}");
				} else {
					json_lit(&o, "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}");
				}
			} else if (kind == EV_CALL) {
				json_lit(&o, "{\"tool_calls\":[");
				put_tool_call1(&o, c, i, true, "", 0);
				json_lit(&o, "]}");
			} else if (kind == EV_PIECE) {
				const char *p;
				size_t pl;
				int call;
				piece(c, i, &call, &p, &pl);
				if (c->tool) {
					json_lit(&o, "{\"tool_calls\":[{\"index\":");
					put_u(&o, (unsigned)call);
					json_lit(&o, ",\"function\":{\"arguments\":");
					json_str(&o, p, pl);
					json_lit(&o, "}}]}");
				} else {
					json_lit(&o, "{\"content\":");
					json_str(&o, p, pl);
					json_lit(&o, "}");
				}
			} else {
				json_lit(&o, "{}");
			}
			json_lit(&o, ",\"logprobs\":null,\"finish_reason\":");
			if (kind == EV_FINISH)
				json_lit(&o, c->tool ? "\"tool_calls\"" : "\"stop\"");
			else
				json_lit(&o, "null");
			json_lit(&o, "}]");
			if (c->include_usage)
				json_lit(&o, ",\"usage\":null");
			json_lit(&o, "}");
		}
	}
	json_lit(&o, "\n\n");
	put_built(c, &o);
}

static void oai_piece(struct conn *c, int i)
{
	int call, sub;
	const char *s;
	size_t L;
	piece_src(c, i, &call, &sub, &s, &L);
	if (c->tool && call > 0 && sub == 0)
		stream_event(c, EV_CALL, call);	/* the next call starts */
	if (c->ps == PS_STREAM)
		stream_event(c, EV_PIECE, i);
}

static void oai_finish(struct conn *c)
{
	/* Calls that got no piece (chunks=0) still announce themselves. */
	for (int k = 1; c->tool && k < c->ncalls && c->npieces == 0; k++)
		stream_event(c, EV_CALL, k);
	stream_event(c, EV_FINISH, 0);
}

/* ---- Anthropic ---- */

static void ant_usage(struct json_out *o, const struct conn *c, unsigned out_tokens)
{
	json_lit(o, "{\"input_tokens\":");
	put_u(o, c->ptok);
	json_lit(o, ",\"output_tokens\":");
	put_u(o, out_tokens);
	json_lit(o, ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":");
	put_u(o, c->cached);
	json_lit(o, "}");
}

static void ant_head(struct json_out *o, const struct conn *c)
{
	json_lit(o, "{\"id\":\"msg_mock_");
	put_u(o, c->chatid);
	json_lit(o, "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	json_str(o, c->model, c->model_len);
}

static void ant_tool_use(struct json_out *o, const struct conn *c, int k, bool with_input)
{
	json_lit(o, k ? "{\"type\":\"tool_use\",\"id\":\"toolu_mock_2\",\"name\":" :
			"{\"type\":\"tool_use\",\"id\":\"toolu_mock_1\",\"name\":");
	json_str(o, c->toolname[k], c->tool_len[k]);
	json_lit(o, ",\"input\":");
	if (with_input)
		json_raw_append(o, TOOL_ARGV[k], TOOL_ARGL[k]);
	else
		json_lit(o, "{}");
	json_lit(o, "}");
}

static size_t ant_body(const struct conn *c, char *buf, size_t cap)
{
	struct json_out o;
	json_out_init(&o, buf, cap);
	ant_head(&o, c);
	json_lit(&o, ",\"content\":[");
	if (c->tool) {
		for (int k = 0; k < c->ncalls; k++) {
			if (k)
				json_lit(&o, ",");
			ant_tool_use(&o, c, k, true);
		}
	} else {
		json_lit(&o, "{\"type\":\"text\",\"text\":");
		json_str(&o, c->reply, c->reply_len);
		json_lit(&o, "}");
	}
	json_lit(&o, "],\"stop_reason\":\"");
	json_lit(&o, c->tool ? "tool_use" : "end_turn");
	json_lit(&o, "\",\"stop_sequence\":null,\"usage\":");
	ant_usage(&o, c, c->ctok);
	json_lit(&o, "}");
	return o.overflow ? 0 : o.len;
}

static void ant_ev(struct json_out *o, const char *name)
{
	json_lit(o, "event: ");
	json_lit(o, name);
	json_lit(o, "\ndata: ");
}

/* The API opens every tool input with an empty fragment. */
static void ant_empty_input(struct json_out *o, const struct conn *c, int k)
{
	if (!c->tool)
		return;
	ant_ev(o, "content_block_delta");
	json_lit(o, "{\"type\":\"content_block_delta\",\"index\":");
	put_u(o, (unsigned)k);
	json_lit(o, ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n");
}

static void ant_block_start(struct json_out *o, const struct conn *c, int k, bool then_empty)
{
	ant_ev(o, "content_block_start");
	json_lit(o, "{\"type\":\"content_block_start\",\"index\":");
	put_u(o, (unsigned)k);
	json_lit(o, ",\"content_block\":");
	if (c->tool) {
		ant_tool_use(o, c, k, false);
		json_lit(o, "}\n\n");
	} else {
		json_lit(o, "{\"type\":\"text\",\"text\":\"\"}}\n\n");
	}
	if (then_empty)
		ant_empty_input(o, c, k);
}

static void ant_block_stop(struct json_out *o, int k)
{
	ant_ev(o, "content_block_stop");
	json_lit(o, "{\"type\":\"content_block_stop\",\"index\":");
	put_u(o, (unsigned)k);
	json_lit(o, "}\n\n");
}

static void ant_preamble(struct conn *c)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	ant_ev(&o, "message_start");
	json_lit(&o, "{\"type\":\"message_start\",\"message\":");
	ant_head(&o, c);
	json_lit(&o, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
	ant_usage(&o, c, 1);
	json_lit(&o, "}}\n\n");
	ant_block_start(&o, c, 0, false);
	ant_ev(&o, "ping");
	json_lit(&o, "{\"type\": \"ping\"}\n\n");
	ant_empty_input(&o, c, 0);
	put_built(c, &o);
}

static void ant_piece(struct conn *c, int i)
{
	struct json_out o;
	const char *p;
	size_t pl;
	int call, sub;
	const char *s;
	size_t L;
	json_out_init(&o, g_scratch, OUT_CAP);
	piece_src(c, i, &call, &sub, &s, &L);
	if (c->tool && call > 0 && sub == 0) {
		ant_block_stop(&o, call - 1);
		ant_block_start(&o, c, call, true);
	}
	piece(c, i, &call, &p, &pl);
	ant_ev(&o, "content_block_delta");
	json_lit(&o, "{\"type\":\"content_block_delta\",\"index\":");
	put_u(&o, (unsigned)call);
	json_lit(&o, c->tool ? ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":" :
			       ",\"delta\":{\"type\":\"text_delta\",\"text\":");
	json_str(&o, p, pl);
	json_lit(&o, "}}\n\n");
	put_built(c, &o);
}

static void ant_finish(struct conn *c)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	ant_block_stop(&o, c->npieces == 0 || !c->tool ? 0 : c->ncalls - 1);
	/* chunks=0: the later calls never started; open and close them now. */
	for (int k = 1; c->tool && c->npieces == 0 && k < c->ncalls; k++) {
		ant_block_start(&o, c, k, true);
		ant_block_stop(&o, k);
	}
	ant_ev(&o, "message_delta");
	json_lit(&o, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
	json_lit(&o, c->tool ? "tool_use" : "end_turn");
	json_lit(&o, "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
	put_u(&o, c->ctok);
	json_lit(&o, "}}\n\n");
	ant_ev(&o, "message_stop");
	json_lit(&o, "{\"type\":\"message_stop\"}\n\n");
	put_built(c, &o);
}

/* ---- Gemini ---- */

static void gem_usage(struct json_out *o, const struct conn *c, bool final)
{
	/* promptTokenCount includes the cached tokens; chunks before the last
	 * carry a partial count, as the real API does. */
	json_lit(o, "\"usageMetadata\":{\"promptTokenCount\":");
	put_u(o, (unsigned long long)c->ptok + c->cached);
	if (final) {
		json_lit(o, ",\"candidatesTokenCount\":");
		put_u(o, c->ctok);
	}
	json_lit(o, ",\"totalTokenCount\":");
	put_u(o, (unsigned long long)c->ptok + c->cached + (final ? c->ctok : 0));
	if (c->cached) {
		json_lit(o, ",\"cachedContentTokenCount\":");
		put_u(o, c->cached);
	}
	json_lit(o, "}");
}

/* One GenerateContentResponse; piece < 0: the whole reply. */
static void gem_response(struct json_out *o, const struct conn *c, int piece_i, bool final)
{
	json_lit(o, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
	if (c->tool) {
		for (int k = 0; k < c->ncalls; k++) {
			json_lit(o, k ? ",{\"functionCall\":{\"name\":" : "{\"functionCall\":{\"name\":");
			json_str(o, c->toolname[k], c->tool_len[k]);
			json_lit(o, ",\"args\":");
			json_raw_append(o, TOOL_ARGV[k], TOOL_ARGL[k]);
			json_lit(o, "}}");
		}
	} else {
		const char *p = c->reply;
		size_t pl = c->reply_len;
		int call;
		if (piece_i >= 0)
			piece(c, piece_i, &call, &p, &pl);
		json_lit(o, "{\"text\":");
		json_str(o, p, pl);
		json_lit(o, "}");
	}
	json_lit(o, "]},");
	if (final)
		json_lit(o, "\"finishReason\":\"STOP\",");	/* STOP even for function calls */
	json_lit(o, "\"index\":0}],");
	gem_usage(o, c, final);
	json_lit(o, ",\"modelVersion\":");
	json_str(o, c->model, c->model_len);
	json_lit(o, ",\"responseId\":\"mock-");
	put_u(o, c->chatid);
	json_lit(o, "\"}");
}

static size_t gem_body(const struct conn *c, char *buf, size_t cap)
{
	struct json_out o;
	json_out_init(&o, buf, cap);
	gem_response(&o, c, -1, true);
	return o.overflow ? 0 : o.len;
}

/* Opens stream element i: SSE "data: ", or the JSON array's separator. */
static void gem_open(struct json_out *o, const struct conn *c, int i)
{
	if (c->sse)
		json_lit(o, "data: ");
	else
		json_lit(o, i == 0 ? "[" : "\n,\r\n");
}

static void gem_piece(struct conn *c, int i)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	gem_open(&o, c, i);
	gem_response(&o, c, c->tool ? -1 : i, i == c->npieces - 1);
	if (c->sse)
		json_lit(&o, "\r\n\r\n");
	put_built(c, &o);
}

static void gem_error_event(struct conn *c, int i)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	gem_open(&o, c, i);
	json_lit(&o, "{\"error\":{\"code\":503,\"message\":\"mock mid-stream error\",\"status\":\"UNAVAILABLE\"}}");
	json_lit(&o, c->sse ? "\r\n\r\n" : "]");
	put_built(c, &o);
}

/* ---- streaming, all dialects ---- */

static void put_raw_event(struct conn *c, const char *s)
{
	size_t n = strlen(s);
	memcpy(g_scratch, s, n);
	put_event(c, n);
}

static void stream_end(struct conn *c)
{
	if (c->http10) {
		c->after = AFTER_CLOSE;
	} else {
		out_append(c, "0\r\n\r\n", 5);
	}
	resp_done(c);
}

static void on_timer(struct loop_timer *t);

static long long trig(long long v, int n)
{
	return v < 0 ? -1 : (v > n ? n : v);
}

/* Produces stream events while there is room and no pacing timer pending.
 * Steps 1..n are the content pieces; OpenAI and Anthropic then have a
 * finish step (n+1), Gemini folds the finish into piece n. After that:
 * OpenAI usage and [DONE], Gemini the closing "]" of a JSON array; then
 * the end. A fault "after N pieces" fires before the step that would send
 * piece N+1 (or the finish); on Gemini at most before the last piece, so
 * the stream never looks complete. */
static void stream_advance(struct conn *c)
{
	int n = c->npieces;
	int paced = c->api == API_GEM ? n : n + 1;
	int lim = paced - 1;
	while (c->ps == PS_STREAM) {
		if (loop_timer_armed(&c->t) || out_room(c) < EV_ROOM)
			return;
		if (c->step <= paced) {
			int i = c->step - 1;
			if (i == trig(c->f.stall_after, lim)) {
				c->ps = PS_STALLED;
				return;
			}
			if (i == trig(c->f.truncate_after, lim)) {
				c->after = AFTER_CLOSE;
				c->ps = PS_CLOSING;
				return;
			}
			if (i == trig(c->f.reset_after, lim)) {
				c->after = AFTER_RST;
				c->ps = PS_CLOSING;
				return;
			}
			if (i == trig(c->f.error_event_after, lim)) {
				if (c->api == API_ANT)
					put_raw_event(c, "event: error\ndata: {\"type\":\"error\",\"error\":"
						      "{\"type\":\"overloaded_error\",\"message\":\"mock mid-stream error\"}}\n\n");
				else if (c->api == API_GEM)
					gem_error_event(c, i);
				else
					stream_event(c, EV_ERROR, 0);
				stream_end(c);
				return;
			}
			if (c->interval > 0 && !c->waited) {
				c->waited = true;
				loop_timer_set(&c->t, c->interval, on_timer);
				return;
			}
			c->waited = false;
			if (c->api == API_GEM)
				gem_piece(c, i);
			else if (c->api == API_ANT)
				i < n ? ant_piece(c, i) : ant_finish(c);
			else
				i < n ? oai_piece(c, i) : oai_finish(c);
		} else if (c->step == paced + 1 && c->api == API_OAI) {
			if (c->include_usage)
				stream_event(c, EV_USAGE, 0);
		} else if (c->step == paced + 1 && c->api == API_GEM) {
			if (!c->sse)
				put_raw_event(c, "]");
		} else if (c->step == paced + 2 && c->api == API_OAI) {
			put_raw_event(c, "data: [DONE]\n\n");
		} else {
			stream_end(c);
			return;
		}
		c->step++;
	}
}

static const char HTML502[] =
	"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

static const char MODELS_BODY[] =
	"{\"object\":\"list\",\"data\":["
	"{\"id\":\"mock-1\",\"object\":\"model\",\"created\":0,\"owned_by\":\"mockprov\"},"
	"{\"id\":\"mock-2\",\"object\":\"model\",\"created\":0,\"owned_by\":\"mockprov\"}]}";

static const char ANT_MODELS_BODY[] =
	"{\"data\":["
	"{\"type\":\"model\",\"id\":\"mock-1\",\"display_name\":\"Mock 1\",\"created_at\":\"2025-01-01T00:00:00Z\"},"
	"{\"type\":\"model\",\"id\":\"mock-2\",\"display_name\":\"Mock 2\",\"created_at\":\"2025-01-01T00:00:00Z\"}],"
	"\"has_more\":false,\"first_id\":\"mock-1\",\"last_id\":\"mock-2\"}";

#define GEM_MODEL(n) \
	"{\"name\":\"models/mock-" n "\",\"version\":\"001\",\"displayName\":\"Mock " n "\"," \
	"\"description\":\"mockprov model " n "\",\"inputTokenLimit\":1048576,\"outputTokenLimit\":8192," \
	"\"supportedGenerationMethods\":[\"generateContent\",\"countTokens\"]}"
static const char GEM_MODELS_BODY[] = "{\"models\":[" GEM_MODEL("1") "," GEM_MODEL("2") "]}";

/* Queues a complete (non-stream) body, applying the body-level faults:
 * truncate_after/reset_after/stall_after send only the first half. */
static void send_faulted(struct conn *c, int status, const char *ctype, const char *body, size_t n)
{
	bool cut = c->f.truncate_after >= 0 || c->f.reset_after >= 0 || c->f.stall_after >= 0;
	send_resp(c, status, ctype, body, n, cut ? n / 2 : n);
	if (c->f.stall_after >= 0) {
		c->ps = PS_STALLED;
		return;
	}
	if (c->f.reset_after >= 0)
		c->after = AFTER_RST;
	else if (c->f.truncate_after >= 0)
		c->after = AFTER_CLOSE;
	resp_done(c);
}

/* Sends the response prepared in c (after the fault delay, if any). */
static void emit_response(struct conn *c)
{
	size_t n;
	const char *ct = json_ctype(c);
	switch (c->kind) {
	case K_RESET:
		c->after = AFTER_RST;
		c->ps = PS_CLOSING;
		return;
	case K_HTML502:
		send_faulted(c, 502, "text/html", HTML502, sizeof HTML502 - 1);
		return;
	case K_HTML200:	/* a captive portal or a misrouted proxy answering 200 */
		send_faulted(c, 200, "text/html", HTML502, sizeof HTML502 - 1);
		return;
	case K_ERROR:
		if (c->msg_len == 0)
			c->msg_len = (size_t)snprintf(c->msg, sizeof c->msg, "mock error %d", c->status);
		n = error_body(c, g_scratch, OUT_CAP, c->status, c->msg, c->msg_len);
		send_faulted(c, c->status, ct, g_scratch, n);
		return;
	case K_EMPTY200:
		send_faulted(c, 200, ct, "", 0);
		return;
	case K_ERROR200:
		n = error_body(c, g_scratch, OUT_CAP, 500, "mock error in a 200 response", 28);
		send_faulted(c, 200, ct, g_scratch, n);
		return;
	case K_MODELS:
		if (c->api == API_ANT)
			send_faulted(c, 200, ct, ANT_MODELS_BODY, sizeof ANT_MODELS_BODY - 1);
		else if (c->api == API_GEM)
			send_faulted(c, 200, ct, GEM_MODELS_BODY, sizeof GEM_MODELS_BODY - 1);
		else
			send_faulted(c, 200, ct, MODELS_BODY, sizeof MODELS_BODY - 1);
		return;
	case K_COUNT: {
		struct json_out o;
		json_out_init(&o, g_scratch, OUT_CAP);
		json_lit(&o, c->api == API_GEM ? "{\"totalTokens\":" : "{\"input_tokens\":");
		put_u(&o, c->ptok);
		json_lit(&o, "}");
		send_faulted(c, 200, ct, g_scratch, o.len);
		return;
	}
	case K_CHAT:
		break;
	}
	if (!c->stream) {
		if (c->api == API_ANT)
			n = ant_body(c, g_scratch, OUT_CAP);
		else if (c->api == API_GEM)
			n = gem_body(c, g_scratch, OUT_CAP);
		else
			n = chat_body(c, g_scratch, OUT_CAP);
		send_faulted(c, 200, ct, g_scratch, n);
		return;
	}
	/* HTTP/1.0 has no chunked encoding: the stream ends with the connection. */
	if (c->http10)
		c->keep_alive = false;
	struct json_out o;
	out_room(c);
	json_out_init(&o, c->out + c->out_len, OUT_CAP - c->out_len);
	put_head(c, &o, 200, c->api == API_GEM && !c->sse ? ct : "text/event-stream", c->http10 ? -2 : -1);
	if (o.overflow) {
		c->after = AFTER_RST;
		c->ps = PS_CLOSING;
		return;
	}
	c->out_len += o.len;
	c->ps = PS_STREAM;
	if (c->api == API_ANT)
		ant_preamble(c);
	else if (c->api == API_OAI)
		stream_event(c, EV_ROLE, 0);
	if (c->ps != PS_STREAM)
		return;
	c->step = 1;
	c->waited = false;
	stream_advance(c);
}

static void on_timer(struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, t);
	if (c->ps == PS_DELAY)
		emit_response(c);
	conn_pump(c);
}

/* ---- request handling --------------------------------------------------- */

static void reply_add(struct conn *c, const char *s, size_t n, bool *full)
{
	if (*full)
		return;
	size_t room = REPLY_MAX - c->reply_len;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		*full = true;
	}
	memcpy(c->reply + c->reply_len, s, n);
	c->reply_len += n;
}

static void reply_add_tok(struct conn *c, const struct json_doc *d, int i, bool *full)
{
	int n = json_unescape(d, i, g_text, g_text_cap);
	if (n > 0)
		reply_add(c, g_text, (size_t)n, full);
}

/* Appends the text of a message's content: a string, or the "text" parts
 * of an array joined with single spaces. */
static void reply_add_content(struct conn *c, const struct json_doc *d, int msg, bool *full)
{
	int ct = json_get(d, msg, "content");
	if (ct < 0)
		return;
	if (json_is_string(d, ct)) {
		reply_add_tok(c, d, ct, full);
		return;
	}
	if (d->tok[ct].type != JSMN_ARRAY)
		return;
	int p = ct + 1, parts = 0;
	for (int k = 0; k < d->tok[ct].size; k++, p = json_skip(d, p)) {
		if (d->tok[p].type != JSMN_OBJECT)
			continue;
		int ty = json_get(d, p, "type"), tx = json_get(d, p, "text");
		if (ty < 0 || !json_str_eq(d, ty, "text") || tx < 0 || !json_is_string(d, tx))
			continue;
		if (parts++)
			reply_add(c, " ", 1, full);
		reply_add_tok(c, d, tx, full);
	}
}

/* Sets c->f from the model name ("fault:SPEC") or the run's SPEC. */
static int model_fault(struct conn *c)
{
	char err[160];
	if (c->model_len > 6 && !memcmp(c->model, "fault:", 6)) {
		if (fault_parse(c->model + 6, c->model_len - 6, &c->f, err, sizeof err)) {
			fault_clear(&c->f);
			send_errorf(c, 400, "%s", err);
			return -1;
		}
	} else {
		c->f = opt.fault;
	}
	return 0;
}

/* Copies string token i into tool name slot k; false if not a usable name. */
static bool take_tool_name(struct conn *c, const struct json_doc *d, int i, int k)
{
	int tl = i >= 0 && json_is_string(d, i) ? json_unescape(d, i, c->toolname[k], sizeof c->toolname[k]) : -1;
	if (tl <= 0)
		return false;
	c->tool_len[k] = (size_t)tl;
	return true;
}

/* Everything the three dialects share once the reply is chosen. */
static void prep_finish(struct conn *c, size_t blen)
{
	if (c->tool) {
		bool two = c->tool_len[0] == 9 && !memcmp(c->toolname[0], "two_calls", 9);
		c->ncalls = c->f.calls >= 0 ? (c->f.calls == 2 ? 2 : 1) : (two ? 2 : 1);
		if (c->tool_len[1] == 0) {
			memcpy(c->toolname[1], c->toolname[0], c->tool_len[0]);
			c->tool_len[1] = c->tool_len[0];
		}
		c->ctok = 0;
		for (int k = 0; k < c->ncalls; k++)
			c->ctok += count_words(TOOL_ARGV[k], TOOL_ARGL[k]);
	} else {
		c->ctok = count_words(c->reply, c->reply_len);
	}
	c->reply[c->reply_len] = 0;
	c->ptok = blen / 4 > 0 ? (unsigned)(blen / 4) : 1;
	c->cached = (unsigned)c->f.cached;
	c->chatid = ++seq_chat;
	c->created = (long long)time(NULL);
	c->nchunks = c->f.chunks >= 0 ? (int)c->f.chunks : opt.chunks;
	c->interval = c->f.interval_ms >= 0 ? (int)c->f.interval_ms : opt.interval_ms;
	if (c->api == API_GEM)
		/* Gemini sends function calls whole, and the last chunk carries
		 * finishReason: at least one chunk. */
		c->npieces = c->tool || c->nchunks < 1 ? 1 : c->nchunks;
	else
		c->npieces = c->tool ? c->ncalls * c->nchunks : c->nchunks;
}

static void prep_reset(struct conn *c)
{
	c->tool = false;
	c->ncalls = 0;
	c->reply_len = 0;
	c->tool_len[0] = c->tool_len[1] = 0;
	c->include_usage = false;
	c->stream = false;
}

static int chat_prepare(struct conn *c, const char *body, size_t blen)
{
	struct json_doc d;
	int n = json_parse(&d, body, blen, g_tok, g_ntok);
	prep_reset(c);
	if (n == -3) {
		send_errorf(c, 400, "request body has too many JSON tokens");
		return -1;
	}
	if (n < 0 || d.tok[0].type != JSMN_OBJECT) {
		send_errorf(c, 400, "We could not parse the JSON body of your request.");
		return -1;
	}
	int m = json_get(&d, 0, "model");
	int ml = m >= 0 && json_is_string(&d, m) ? json_unescape(&d, m, c->model, sizeof c->model) : -1;
	if (ml <= 0) {
		send_errorf(c, 400, m < 0 ? "Missing required parameter: 'model'." :
			    "Invalid 'model': expected a non-empty string of at most 255 bytes.");
		return -1;
	}
	c->model_len = (size_t)ml;
	if (model_fault(c))
		return -1;
	int msgs = json_get(&d, 0, "messages");
	if (msgs < 0 || d.tok[msgs].type != JSMN_ARRAY || d.tok[msgs].size < 1) {
		fault_clear(&c->f);
		send_errorf(c, 400, msgs < 0 ? "Missing required parameter: 'messages'." :
			    "Invalid 'messages': expected a non-empty array.");
		return -1;
	}
	int last = -1, last_user = -1, p = msgs + 1;
	for (int k = 0; k < d.tok[msgs].size; k++, p = json_skip(&d, p)) {
		int r = d.tok[p].type == JSMN_OBJECT ? json_get(&d, p, "role") : -1;
		if (r < 0 || !json_is_string(&d, r)) {
			fault_clear(&c->f);
			send_errorf(c, 400, "Invalid 'messages[%d]': missing 'role'.", k);
			return -1;
		}
		if (json_str_eq(&d, r, "user"))
			last_user = p;
		last = p;
	}
	int s = json_get(&d, 0, "stream");
	c->stream = s >= 0 && json_is_true(&d, s);
	int so = json_get(&d, 0, "stream_options");
	int iu = so >= 0 && d.tok[so].type == JSMN_OBJECT ? json_get(&d, so, "include_usage") : -1;
	c->include_usage = c->stream && iu >= 0 && json_is_true(&d, iu);

	int tools = json_get(&d, 0, "tools");
	bool full = false;
	if (tools >= 0 && d.tok[tools].type == JSMN_ARRAY && d.tok[tools].size > 0 && last == last_user) {
		int fn = d.tok[tools + 1].type == JSMN_OBJECT ? json_get(&d, tools + 1, "function") : -1;
		int nm = fn >= 0 && d.tok[fn].type == JSMN_OBJECT ? json_get(&d, fn, "name") : -1;
		if (!take_tool_name(c, &d, nm, 0)) {
			fault_clear(&c->f);
			send_errorf(c, 400, "Invalid 'tools[0].function.name'.");
			return -1;
		}
		int t1 = json_index(&d, tools, 1);
		fn = t1 >= 0 && d.tok[t1].type == JSMN_OBJECT ? json_get(&d, t1, "function") : -1;
		nm = fn >= 0 && d.tok[fn].type == JSMN_OBJECT ? json_get(&d, fn, "name") : -1;
		take_tool_name(c, &d, nm, 1);
		c->tool = true;
	} else {
		int r = json_get(&d, last, "role");
		if (json_str_eq(&d, r, "tool")) {
			reply_add(c, "tool said: ", 11, &full);
			reply_add_content(c, &d, last, &full);
		} else {
			reply_add(c, "mock reply to: ", 15, &full);
			if (last_user >= 0)
				reply_add_content(c, &d, last_user, &full);
		}
	}
	prep_finish(c, blen);
	return 0;
}

/* ---- Anthropic requests ---- */

static bool key_in(const struct json_doc *d, int k, const char *const *keys)
{
	for (; *keys; keys++)
		if (json_str_eq(d, k, *keys))
			return true;
	return false;
}

/* The first top-level key not in keys, or -1. */
static int unknown_key(const struct json_doc *d, const char *const *keys)
{
	int k = 1;
	for (int i = 0; i < d->tok[0].size; i++, k = json_skip(d, k))
		if (!key_in(d, k, keys))
			return k;
	return -1;
}

static bool raw_eq(const struct json_doc *d, int a, int b)
{
	return json_raw_len(d, a) == json_raw_len(d, b) && !memcmp(json_raw(d, a), json_raw(d, b), json_raw_len(d, a));
}

/* Whether message msg has a content block of type `type` whose string
 * member `key` is spelled exactly as string token id. */
static bool has_block_id(const struct json_doc *d, int msg, const char *type, const char *key, int id)
{
	int ct = json_get(d, msg, "content");
	if (ct < 0 || d->tok[ct].type != JSMN_ARRAY)
		return false;
	int b = ct + 1;
	for (int j = 0; j < d->tok[ct].size; j++, b = json_skip(d, b)) {
		if (d->tok[b].type != JSMN_OBJECT)
			continue;
		int ty = json_get(d, b, "type"), v = json_get(d, b, key);
		if (ty >= 0 && json_str_eq(d, ty, type) && v >= 0 && json_is_string(d, v) && raw_eq(d, v, id))
			return true;
	}
	return false;
}

static int ant_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ant_fail(struct conn *c, const char *fmt, ...)
{
	char m[2 * MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof m)
		n = sizeof m - 1;
	fault_clear(&c->f);
	send_error(c, 400, m, (size_t)n);
	return -1;
}

static int idlen(const struct json_doc *d, int i)
{
	size_t n = json_raw_len(d, i);
	return n > 64 ? 64 : (int)n;
}

/* Checks one message's blocks, and the tool_use/tool_result pairing with
 * the message before it, as the API does. */
static int ant_check_msg(struct conn *c, const struct json_doc *d, int k, int msg, int prev, bool prev_asst)
{
	int ct = json_get(d, msg, "content");
	if (ct < 0)
		return ant_fail(c, "messages.%d.content: Field required", k);
	if (json_is_string(d, ct))
		ct = -1;
	else if (d->tok[ct].type != JSMN_ARRAY)
		return ant_fail(c, "messages.%d.content: Input should be a valid list", k);
	int b = ct + 1;
	for (int j = 0; ct >= 0 && j < d->tok[ct].size; j++, b = json_skip(d, b)) {
		int ty = d->tok[b].type == JSMN_OBJECT ? json_get(d, b, "type") : -1;
		if (ty < 0 || !json_is_string(d, ty))
			return ant_fail(c, "messages.%d.content.%d.type: Field required", k, j);
		if (json_str_eq(d, ty, "text")) {
			int tx = json_get(d, b, "text");
			if (tx < 0 || !json_is_string(d, tx))
				return ant_fail(c, "messages.%d.content.%d.text.text: Field required", k, j);
		} else if (json_str_eq(d, ty, "tool_use")) {
			int id = json_get(d, b, "id"), nm = json_get(d, b, "name"), in = json_get(d, b, "input");
			if (id < 0 || !json_is_string(d, id) || nm < 0 || !json_is_string(d, nm))
				return ant_fail(c, "messages.%d.content.%d.tool_use: 'id' and 'name' are required", k, j);
			if (in < 0 || d->tok[in].type != JSMN_OBJECT)
				return ant_fail(c, "messages.%d.content.%d.tool_use.input: Input should be a valid dictionary", k, j);
		} else if (json_str_eq(d, ty, "tool_result")) {
			int id = json_get(d, b, "tool_use_id");
			if (id < 0 || !json_is_string(d, id))
				return ant_fail(c, "messages.%d.content.%d.tool_result.tool_use_id: Field required", k, j);
			if (!prev_asst || !has_block_id(d, prev, "tool_use", "id", id))
				return ant_fail(c, "messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %.*s. "
						"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
						k, j, idlen(d, id), json_raw(d, id));
		}
	}
	/* Every tool_use of the assistant turn before needs its result here. */
	int pc = prev_asst ? json_get(d, prev, "content") : -1;
	if (pc >= 0 && d->tok[pc].type == JSMN_ARRAY) {
		b = pc + 1;
		for (int j = 0; j < d->tok[pc].size; j++, b = json_skip(d, b)) {
			int ty = d->tok[b].type == JSMN_OBJECT ? json_get(d, b, "type") : -1;
			int id = ty >= 0 && json_str_eq(d, ty, "tool_use") ? json_get(d, b, "id") : -1;
			if (id >= 0 && !has_block_id(d, msg, "tool_result", "tool_use_id", id))
				return ant_fail(c, "messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %.*s. "
						"Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
						k - 1, idlen(d, id), json_raw(d, id));
		}
	}
	return 0;
}

/* Counts the text and tool_result blocks of a user turn. */
static void ant_turn_kinds(const struct json_doc *d, int msg, int *texts, int *results)
{
	int ct = json_get(d, msg, "content");
	*texts = *results = 0;
	if (json_is_string(d, ct)) {
		*texts = 1;
		return;
	}
	if (ct < 0 || d->tok[ct].type != JSMN_ARRAY)
		return;
	int b = ct + 1;
	for (int j = 0; j < d->tok[ct].size; j++, b = json_skip(d, b)) {
		int ty = d->tok[b].type == JSMN_OBJECT ? json_get(d, b, "type") : -1;
		if (ty >= 0 && json_str_eq(d, ty, "text"))
			(*texts)++;
		else if (ty >= 0 && json_str_eq(d, ty, "tool_result"))
			(*results)++;
	}
}

static const char *const ANT_KEYS[] = {
	"model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream",
	"temperature", "top_p", "top_k", "tools", "tool_choice", "thinking", "service_tier",
	"container", "mcp_servers", "context_management", "output_config", "output_format",
	"inference_geo", NULL
};
static const char *const ANT_COUNT_KEYS[] = {
	"model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers",
	"context_management", "output_config", "output_format", NULL
};

static int ant_prepare(struct conn *c, const char *body, size_t blen, bool count)
{
	struct json_doc d;
	int n = json_parse(&d, body, blen, g_tok, g_ntok);
	prep_reset(c);
	if (n < 0 || d.tok[0].type != JSMN_OBJECT)
		return ant_fail(c, n == -3 ? "request body has too many JSON tokens" :
				"There was an error parsing the body of your request: it is not a valid JSON object.");
	int uk = unknown_key(&d, count ? ANT_COUNT_KEYS : ANT_KEYS);
	if (uk >= 0)
		return ant_fail(c, "%.*s: Extra inputs are not permitted", idlen(&d, uk), json_raw(&d, uk));
	int m = json_get(&d, 0, "model");
	int ml = m >= 0 && json_is_string(&d, m) ? json_unescape(&d, m, c->model, sizeof c->model) : -1;
	if (ml <= 0)
		return ant_fail(c, m < 0 ? "model: Field required" : "model: Input should be a valid string of at most 255 bytes");
	c->model_len = (size_t)ml;
	if (model_fault(c))
		return -1;
	int mt = json_get(&d, 0, "max_tokens");
	int64_t mtv = 0;
	if (!count && mt < 0)
		return ant_fail(c, "max_tokens: Field required");
	if (!count && json_get_i64(&d, mt, &mtv))
		return ant_fail(c, "max_tokens: Input should be a valid integer");
	if (!count && mtv < 1)
		return ant_fail(c, "max_tokens: Input should be greater than or equal to 1");
	int sy = json_get(&d, 0, "system");
	if (sy >= 0 && !json_is_string(&d, sy) && d.tok[sy].type != JSMN_ARRAY)
		return ant_fail(c, "system: Input should be a valid string or a list of text blocks");
	int msgs = json_get(&d, 0, "messages");
	if (msgs < 0)
		return ant_fail(c, "messages: Field required");
	if (d.tok[msgs].type != JSMN_ARRAY)
		return ant_fail(c, "messages: Input should be a valid list");
	if (d.tok[msgs].size < 1)
		return ant_fail(c, "messages: at least one message is required");
	int last = -1, last_user = -1, prev = -1, p = msgs + 1;
	bool prev_asst = false;
	for (int k = 0; k < d.tok[msgs].size; k++, p = json_skip(&d, p)) {
		int r = d.tok[p].type == JSMN_OBJECT ? json_get(&d, p, "role") : -1;
		if (r < 0 || !json_is_string(&d, r))
			return ant_fail(c, "messages.%d.role: Field required", k);
		bool user = json_str_eq(&d, r, "user"), asst = json_str_eq(&d, r, "assistant");
		if (!user && !asst)
			return ant_fail(c, "messages: Unexpected role \"%.*s\". The Messages API accepts a top-level `system` "
					"parameter, not \"system\" as an input message role; allowed roles are \"user\" and \"assistant\".",
					idlen(&d, r), json_raw(&d, r));
		if (ant_check_msg(c, &d, k, p, prev, prev_asst))
			return -1;
		if (user)
			last_user = p;
		last = prev = p;
		prev_asst = asst;
	}
	int s = json_get(&d, 0, "stream");
	c->stream = !count && s >= 0 && json_is_true(&d, s);

	int tools = json_get(&d, 0, "tools");
	if (tools >= 0 && d.tok[tools].type != JSMN_ARRAY)
		return ant_fail(c, "tools: Input should be a valid list");
	int ntools = tools >= 0 ? d.tok[tools].size : 0;
	for (int k = 0; k < ntools && k < 2; k++) {
		int t = json_index(&d, tools, k);
		int nm = d.tok[t].type == JSMN_OBJECT ? json_get(&d, t, "name") : -1;
		if (!take_tool_name(c, &d, nm, k))
			return ant_fail(c, "tools.%d.name: Field required", k);
	}
	int tc = json_get(&d, 0, "tool_choice");
	int tct = tc >= 0 && d.tok[tc].type == JSMN_OBJECT ? json_get(&d, tc, "type") : -1;
	bool choice_none = tct >= 0 && json_str_eq(&d, tct, "none");

	int texts = 0, results = 0;
	if (last_user >= 0)
		ant_turn_kinds(&d, last_user, &texts, &results);
	bool full = false;
	if (ntools > 0 && last == last_user && results == 0 && !choice_none) {
		c->tool = true;
	} else if (texts == 0 && results > 0) {
		reply_add(c, "tool said: ", 11, &full);
		int ct = json_get(&d, last_user, "content"), b = ct + 1, done = 0;
		for (int j = 0; j < d.tok[ct].size; j++, b = json_skip(&d, b)) {
			int ty = d.tok[b].type == JSMN_OBJECT ? json_get(&d, b, "type") : -1;
			if (ty < 0 || !json_str_eq(&d, ty, "tool_result"))
				continue;
			if (done++)
				reply_add(c, " ", 1, &full);
			reply_add_content(c, &d, b, &full);
		}
	} else {
		reply_add(c, "mock reply to: ", 15, &full);
		if (last_user >= 0)
			reply_add_content(c, &d, last_user, &full);
	}
	prep_finish(c, blen);
	return 0;
}

/* ---- Gemini requests ---- */

/* json_get under the proto JSON name or the proto field name: the API
 * accepts both spellings. */
static int json_get2(const struct json_doc *d, int obj, const char *camel, const char *snake)
{
	if (obj < 0 || d->tok[obj].type != JSMN_OBJECT)
		return -1;
	int v = json_get(d, obj, camel);
	return v >= 0 ? v : json_get(d, obj, snake);
}

static int gem_fail(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gem_fail(struct conn *c, const char *fmt, ...)
{
	char m[2 * MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof m)
		n = sizeof m - 1;
	fault_clear(&c->f);
	send_error(c, 400, m, (size_t)n);
	return -1;
}

/* Appends JSON value token i with the blanks outside strings removed. */
static void reply_add_compact(struct conn *c, const struct json_doc *d, int i, bool *full)
{
	const char *s = json_raw(d, i);
	size_t n = json_raw_len(d, i), o = 0;
	bool in = false, esc = false;
	for (size_t k = 0; k < n && o < g_text_cap; k++) {
		char ch = s[k];
		if (in) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in = false;
		} else if (ch == '"') {
			in = true;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			continue;
		}
		g_text[o++] = ch;
	}
	reply_add(c, g_text, o, full);
}

static const char *const GEM_KEYS[] = {
	"contents", "tools", "toolConfig", "tool_config", "safetySettings", "safety_settings",
	"systemInstruction", "system_instruction", "generationConfig", "generation_config",
	"cachedContent", "cached_content", "model", "labels", "serviceTier", "service_tier", "store", NULL
};

/* Checks one content's parts; counts its text and functionResponse parts. */
static int gem_check_content(struct conn *c, const struct json_doc *d, int k, int ct, int *texts, int *responses)
{
	int parts = json_get(d, ct, "parts");
	*texts = *responses = 0;
	if (parts < 0 || d->tok[parts].type != JSMN_ARRAY || d->tok[parts].size < 1)
		return gem_fail(c, "* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.\n", k);
	int p = parts + 1;
	for (int j = 0; j < d->tok[parts].size; j++, p = json_skip(d, p)) {
		if (d->tok[p].type != JSMN_OBJECT)
			return gem_fail(c, "Invalid JSON payload received. Expected an object for contents[%d].parts[%d].", k, j);
		int tx = json_get(d, p, "text");
		int fc = json_get2(d, p, "functionCall", "function_call");
		int fr = json_get2(d, p, "functionResponse", "function_response");
		if (tx >= 0 && !json_is_string(d, tx))
			return gem_fail(c, "Invalid value at 'contents[%d].parts[%d].text' (TYPE_STRING)", k, j);
		if (fc >= 0) {
			int a = json_get(d, fc, "args"), nm = json_get(d, fc, "name");
			if (d->tok[fc].type != JSMN_OBJECT || nm < 0 || !json_is_string(d, nm))
				return gem_fail(c, "* GenerateContentRequest.contents[%d].parts[%d].function_call.name: Name cannot be empty.\n", k, j);
			if (a >= 0 && d->tok[a].type != JSMN_OBJECT)
				return gem_fail(c, "Invalid value at 'contents[%d].parts[%d].function_call.args' (type.googleapis.com/google.protobuf.Struct)", k, j);
		}
		if (fr >= 0) {
			int r = json_get(d, fr, "response"), nm = json_get(d, fr, "name");
			if (d->tok[fr].type != JSMN_OBJECT || nm < 0 || !json_is_string(d, nm))
				return gem_fail(c, "* GenerateContentRequest.contents[%d].parts[%d].function_response.name: Name cannot be empty.\n", k, j);
			if (r >= 0 && d->tok[r].type != JSMN_OBJECT)
				return gem_fail(c, "Invalid value at 'contents[%d].parts[%d].function_response.response' (type.googleapis.com/google.protobuf.Struct)", k, j);
			(*responses)++;
		}
		if (tx >= 0)
			(*texts)++;
	}
	return 0;
}

static int gem_prepare(struct conn *c, const char *body, size_t blen, bool count)
{
	struct json_doc d;
	int n = json_parse(&d, body, blen, g_tok, g_ntok);
	/* prep_reset() ran in the caller: stream and sse come from the URL. */
	if (n < 0 || d.tok[0].type != JSMN_OBJECT)
		return gem_fail(c, n == -3 ? "request body has too many JSON tokens" :
				"Invalid JSON payload received. Unexpected token.");
	if (count) {
		prep_finish(c, blen);
		return 0;
	}
	int uk = unknown_key(&d, GEM_KEYS);
	if (uk >= 0)
		return gem_fail(c, "Invalid JSON payload received. Unknown name \"%.*s\": Cannot find field.",
				idlen(&d, uk), json_raw(&d, uk));
	int si = json_get2(&d, 0, "systemInstruction", "system_instruction");
	if (si >= 0 && d.tok[si].type != JSMN_OBJECT)
		return gem_fail(c, "Invalid value at 'system_instruction' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content)");
	int gc = json_get2(&d, 0, "generationConfig", "generation_config");
	if (gc >= 0 && d.tok[gc].type != JSMN_OBJECT)
		return gem_fail(c, "Invalid value at 'generation_config' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig)");
	int cs = json_get(&d, 0, "contents");
	if (cs < 0 || d.tok[cs].type != JSMN_ARRAY || d.tok[cs].size < 1)
		return gem_fail(c, "* GenerateContentRequest.contents: contents is not specified\n");
	int last = -1, last_user = -1, texts = 0, responses = 0, p = cs + 1;
	for (int k = 0; k < d.tok[cs].size; k++, p = json_skip(&d, p)) {
		if (d.tok[p].type != JSMN_OBJECT)
			return gem_fail(c, "Invalid JSON payload received. Expected an object for contents[%d].", k);
		int r = json_get(&d, p, "role");
		bool model = r >= 0 && json_str_eq(&d, r, "model");
		if (r >= 0 && !model && !json_str_eq(&d, r, "user"))
			return gem_fail(c, "Please use a valid role: user, model.");
		int t, fr;
		if (gem_check_content(c, &d, k, p, &t, &fr))
			return -1;
		if (!model) {
			last_user = p;
			texts = t;
			responses = fr;
		}
		last = p;
	}
	/* The first two function declarations, across all tools. */
	int tools = json_get(&d, 0, "tools"), nfn = 0;
	if (tools >= 0 && d.tok[tools].type != JSMN_ARRAY)
		return gem_fail(c, "Invalid value at 'tools' (type.googleapis.com/google.ai.generativelanguage.v1beta.Tool)");
	p = tools + 1;
	for (int k = 0; tools >= 0 && k < d.tok[tools].size && nfn < 2; k++, p = json_skip(&d, p)) {
		int fd = json_get2(&d, p, "functionDeclarations", "function_declarations");
		if (fd < 0 || d.tok[fd].type != JSMN_ARRAY)
			continue;
		int q = fd + 1;
		for (int j = 0; j < d.tok[fd].size && nfn < 2; j++, q = json_skip(&d, q)) {
			int nm = json_get(&d, q, "name");
			if (!take_tool_name(c, &d, nm, nfn))
				return gem_fail(c, "* GenerateContentRequest.tools[%d].function_declarations[%d].name: Name cannot be empty.\n", k, j);
			nfn++;
		}
	}
	int tc = json_get2(&d, 0, "toolConfig", "tool_config");
	int fcc = json_get2(&d, tc, "functionCallingConfig", "function_calling_config");
	int mode = fcc >= 0 && d.tok[fcc].type == JSMN_OBJECT ? json_get(&d, fcc, "mode") : -1;
	bool mode_none = mode >= 0 && json_str_eq(&d, mode, "NONE");

	bool full = false;
	if (nfn > 0 && last == last_user && responses == 0 && !mode_none) {
		c->tool = true;
	} else if (texts == 0 && responses > 0) {
		reply_add(c, "tool said: ", 11, &full);
		int parts = json_get(&d, last_user, "parts"), q = parts + 1, done = 0;
		for (int j = 0; j < d.tok[parts].size; j++, q = json_skip(&d, q)) {
			int fr = json_get2(&d, q, "functionResponse", "function_response");
			int r = fr >= 0 ? json_get(&d, fr, "response") : -1;
			if (fr < 0)
				continue;
			if (done++)
				reply_add(c, " ", 1, &full);
			if (r >= 0)
				reply_add_compact(c, &d, r, &full);
		}
	} else {
		reply_add(c, "mock reply to: ", 15, &full);
		int parts = last_user >= 0 ? json_get(&d, last_user, "parts") : -1, q = parts + 1, done = 0;
		for (int j = 0; parts >= 0 && j < d.tok[parts].size; j++, q = json_skip(&d, q)) {
			int tx = json_get(&d, q, "text");
			if (tx < 0)
				continue;
			if (done++)
				reply_add(c, " ", 1, &full);
			reply_add_tok(c, &d, tx, &full);
		}
	}
	prep_finish(c, blen);
	return 0;
}

/* Picks the response kind from the fault and queues it now or after the
 * fault's delay. */
static void respond(struct conn *c)
{
	const struct fault *f = &c->f;
	if (f->reset)
		c->kind = K_RESET;
	else if (f->html502)
		c->kind = K_HTML502;
	else if (f->html200)
		c->kind = K_HTML200;
	else if (f->status) {
		c->kind = K_ERROR;
		c->status = f->status;
		c->msg_len = 0;
	} else if (f->empty200)
		c->kind = K_EMPTY200;
	else if (f->error200)
		c->kind = K_ERROR200;
	if (f->close)
		c->keep_alive = false;
	if (f->delay_ms > 0) {
		c->ps = PS_DELAY;
		loop_timer_set(&c->t, f->delay_ms, on_timer);
		return;
	}
	emit_response(c);
}

static void store_last(const char *head, size_t hl, const char *body, size_t bl)
{
	if (hl > LAST_CAP)
		return;
	memcpy(g_last, head, hl);
	g_last_head = hl;
	g_last_body_full = bl;
	g_last_body = bl > LAST_CAP - hl ? LAST_CAP - hl : bl;
	memcpy(g_last + hl, body, g_last_body);
	g_have_last = true;
}

static void send_stats(struct conn *c)
{
	struct json_out o;
	json_out_init(&o, g_scratch, OUT_CAP);
	json_lit(&o, "{\"requests\":");
	put_u(&o, st.requests);
	json_lit(&o, ",\"connections\":");
	put_u(&o, st.connections);
	json_lit(&o, ",\"chat\":");
	put_u(&o, st.chat);
	json_lit(&o, ",\"models\":");
	put_u(&o, st.models);
	json_lit(&o, ",\"tls_handshakes\":");
	put_u(&o, st.tls_handshakes);
	json_lit(&o, ",\"tls_resumed\":");
	put_u(&o, st.tls_resumed);
	json_lit(&o, ",\"accepted\":");
	put_u(&o, st.accepted);
	json_lit(&o, ",\"active\":");
	put_u(&o, active_conns);
	json_lit(&o, ",\"anthropic\":");
	put_u(&o, st.anthropic);
	json_lit(&o, ",\"gemini\":");
	put_u(&o, st.gemini);
	json_lit(&o, ",\"count_tokens\":");
	put_u(&o, st.count_tokens);
	json_lit(&o, "}");
	send_resp(c, 200, "application/json", g_scratch, o.len, o.len);
}

/* Lowercased copy of a header name, quoted. */
static void put_lower(struct json_out *o, const char *s, size_t n)
{
	size_t k = n < g_text_cap ? n : g_text_cap;
	for (size_t i = 0; i < k; i++)
		g_text[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	json_str(o, g_text, k);
}

static void send_last(struct conn *c)
{
	struct http_request r;
	if (!g_have_last || http_parse_request(g_last, g_last_head, 0, &r) != (int)g_last_head) {
		send_errorf(c, 404, "no chat request received yet");
		return;
	}
	if (g_lastr_busy) {
		send_errorf(c, 503, "/mock/last is being sent on another connection");
		return;
	}
	struct json_out o;
	json_out_init(&o, g_lastr, g_lastr_cap);
	json_lit(&o, "{\"method\":");
	json_str(&o, r.method, r.method_len);
	json_lit(&o, ",\"target\":");
	json_str(&o, r.target, r.target_len);
	json_lit(&o, ",\"headers\":{");
	bool first = true;
	for (size_t i = 0; i < r.num_headers; i++) {
		const struct http_header *h = &r.headers[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = r.headers[j].name_len == h->name_len &&
			      strncasecmp(r.headers[j].name, h->name, h->name_len) == 0;
		if (dup)
			continue;
		if (!first)
			json_lit(&o, ",");
		first = false;
		put_lower(&o, h->name, h->name_len);
		json_lit(&o, ":");
		/* Repeated headers are joined with ", " as RFC 9110 allows. */
		size_t vl = 0;
		for (size_t k = i; k < r.num_headers; k++) {
			const struct http_header *x = &r.headers[k];
			if (x->name_len != h->name_len || strncasecmp(x->name, h->name, h->name_len))
				continue;
			if (vl + x->value_len + 2 > g_text_cap)
				break;
			if (vl) {
				memcpy(g_text + vl, ", ", 2);
				vl += 2;
			}
			memcpy(g_text + vl, x->value, x->value_len);
			vl += x->value_len;
		}
		json_str(&o, g_text, vl);
	}
	json_lit(&o, "},\"body\":");
	json_str(&o, g_last + g_last_head, g_last_body);
	json_lit(&o, ",\"body_len\":");
	put_u(&o, g_last_body_full);
	json_lit(&o, ",\"truncated\":");
	json_lit(&o, g_last_body < g_last_body_full ? "true" : "false");
	json_lit(&o, "}");
	if (o.overflow) {
		send_errorf(c, 500, "/mock/last does not fit its buffer");
		return;
	}
	send_resp(c, 200, "application/json", "", o.len, 0);
	c->ext = g_lastr;
	c->ext_off = 0;
	c->ext_len = o.len;
	g_lastr_busy = c;
}

/* Constant-time comparison with --key. */
static bool key_eq(const char *v, size_t vl)
{
	if (vl != opt.key_len)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < opt.key_len; i++)
		diff |= (unsigned char)(v[i] ^ opt.key[i]);
	return diff == 0;
}

static bool bearer_ok(const struct http_header *h)
{
	return h && h->value_len == 7 + opt.key_len && http_token_prefix(h->value, h->value_len, "bearer ") &&
	       key_eq(h->value + 7, opt.key_len);
}

static bool auth_ok(const struct http_request *r)
{
	if (!opt.key)
		return true;
	return bearer_ok(http_find_header(r->headers, r->num_headers, "authorization"));
}

/* Anthropic: x-api-key, or Authorization: Bearer. 0 ok, 1 missing, 2 wrong. */
static int ant_auth(const struct http_request *r)
{
	if (!opt.key)
		return 0;
	const struct http_header *x = http_find_header(r->headers, r->num_headers, "x-api-key");
	if (x)
		return key_eq(x->value, x->value_len) ? 0 : 2;
	const struct http_header *a = http_find_header(r->headers, r->num_headers, "authorization");
	if (a)
		return bearer_ok(a) ? 0 : 2;
	return 1;
}

/* Decodes %XX escapes of s[0..n) into out (NUL-terminated). Returns the
 * length, or -1 on a bad escape or when it does not fit. */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '%') {
			int v = 0;
			for (int k = 1; k <= 2; k++) {
				char h = i + (size_t)k < n ? s[i + (size_t)k] : 0;
				int x = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 :
					h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
				if (x < 0)
					return -1;
				v = v * 16 + x;
			}
			ch = (char)v;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = ch;
	}
	out[o] = 0;
	return (int)o;
}

/* The value of query parameter name in target t (raw, still escaped). */
static bool query_param(const char *t, size_t tl, const char *name, const char **v, size_t *vl)
{
	const char *q = memchr(t, '?', tl);
	size_t nl = strlen(name);
	if (!q)
		return false;
	const char *e = t + tl;
	for (const char *p = q + 1; p < e;) {
		const char *amp = memchr(p, '&', (size_t)(e - p));
		const char *end = amp ? amp : e;
		if ((size_t)(end - p) > nl && !memcmp(p, name, nl) && p[nl] == '=') {
			*v = p + nl + 1;
			*vl = (size_t)(end - *v);
			return true;
		}
		p = end + 1;
	}
	return false;
}

/* Gemini: x-goog-api-key header, else ?key=. 0 ok, 1 missing, 2 wrong. */
static int gem_auth(const struct http_request *r)
{
	if (!opt.key)
		return 0;
	const struct http_header *x = http_find_header(r->headers, r->num_headers, "x-goog-api-key");
	if (x)
		return key_eq(x->value, x->value_len) ? 0 : 2;
	const char *v;
	size_t vl;
	char buf[512];
	if (!query_param(r->target, r->target_len, "key", &v, &vl))
		return 1;
	int n = pct_decode(v, vl, buf, sizeof buf);
	return n >= 0 && key_eq(buf, (size_t)n) ? 0 : 2;
}

static bool path_is(const char *t, size_t tl, const char *p)
{
	size_t pl = strlen(p);
	return tl >= pl && !memcmp(t, p, pl) && (tl == pl || t[pl] == '?');
}

static bool has_prefix(const char *t, size_t tl, const char *p)
{
	size_t pl = strlen(p);
	return tl >= pl && !memcmp(t, p, pl);
}

/* The dialect a target belongs to, for errors sent before the request is
 * complete. /v1/models is OpenAI unless anthropic-version says otherwise. */
static int target_api(const char *t, size_t tl)
{
	size_t pl = tl;
	const char *q = memchr(t, '?', tl);
	if (q)
		pl = (size_t)(q - t);
	if (has_prefix(t, pl, "/v1/messages") && (pl == 12 || t[12] == '/'))
		return API_ANT;
	if (has_prefix(t, pl, "/v1beta/") || path_is(t, pl, "/v1beta"))
		return API_GEM;
	if (has_prefix(t, pl, "/v1/models/") && memchr(t, ':', pl))
		return API_GEM;
	return API_OAI;
}

static void send_404(struct conn *c, const struct http_request *r)
{
	send_errorf(c, 404, "Invalid URL (%.*s %.*s)", (int)r->method_len, r->method,
		    (int)(r->target_len > 100 ? 100 : r->target_len), r->target);
}

static void send_405(struct conn *c, const struct http_request *r)
{
	send_errorf(c, 405, "Method %.*s not allowed for %.*s", (int)r->method_len, r->method,
		    (int)(r->target_len > 100 ? 100 : r->target_len), r->target);
}

/* /v1/messages, /v1/messages/count_tokens, and /v1/models with anthropic-version. */
static void handle_anthropic(struct conn *c, const struct http_request *r, const char *body, size_t blen, bool get, bool post)
{
	const char *t = r->target;
	size_t tl = r->target_len;
	bool is_msgs = path_is(t, tl, "/v1/messages");
	bool is_count = path_is(t, tl, "/v1/messages/count_tokens");
	bool is_models = path_is(t, tl, "/v1/models");
	if (is_msgs || is_count)
		store_last(c->in + c->in_off, c->head_len, body, blen);
	if (!is_msgs && !is_count && !is_models) {
		send_404(c, r);
		return;
	}
	if (((is_msgs || is_count) && !post) || (is_models && !get)) {
		send_405(c, r);
		return;
	}
	int a = ant_auth(r);
	if (a) {
		send_errorf(c, 401, a == 1 ? "x-api-key header is required" : "invalid x-api-key");
		return;
	}
	const struct http_header *v = http_find_header(r->headers, r->num_headers, "anthropic-version");
	if (!v) {
		send_errorf(c, 400, "anthropic-version: header is required");
		return;
	}
	/* A repeated header (a proxy adding its own) is one joined value to
	 * the API, and no valid version. */
	bool ok = v->value_len == 10;
	for (size_t i = 0; ok && i < 10; i++)
		ok = i == 4 || i == 7 ? v->value[i] == '-' : v->value[i] >= '0' && v->value[i] <= '9';
	for (size_t i = 0; ok && i < r->num_headers; i++)
		ok = &r->headers[i] == v || r->headers[i].name_len != 17 ||
		     strncasecmp(r->headers[i].name, "anthropic-version", 17);
	if (!ok) {
		char all[128];
		size_t n = 0;
		for (size_t i = 0; i < r->num_headers; i++) {
			const struct http_header *h = &r->headers[i];
			if (h->name_len != 17 || strncasecmp(h->name, "anthropic-version", 17))
				continue;
			if (n + 2 + h->value_len >= sizeof all)
				break;
			if (n) {
				memcpy(all + n, ", ", 2);
				n += 2;
			}
			memcpy(all + n, h->value, h->value_len);
			n += h->value_len;
		}
		send_errorf(c, 400, "anthropic-version: \"%.*s\" is not a valid version", (int)n, all);
		return;
	}
	if (is_models) {
		st.models++;
		c->kind = K_MODELS;
		c->f = opt.fault;
		c->stream = false;
		respond(c);
		return;
	}
	if (is_count) {
		st.count_tokens++;
		c->kind = K_COUNT;
	} else {
		st.chat++;
		st.anthropic++;
	}
	if (ant_prepare(c, body, blen, is_count) == 0) {
		if (is_count)
			c->stream = false;
		respond(c);
	}
}

/* /v1beta/models, /v1beta/models/{model}:{generateContent,streamGenerateContent,countTokens}. */
static void handle_gemini(struct conn *c, const struct http_request *r, const char *body, size_t blen, bool get, bool post)
{
	const char *t = r->target;
	size_t tl = r->target_len, pl = tl;
	const char *q = memchr(t, '?', tl);
	if (q)
		pl = (size_t)(q - t);
	size_t pre = has_prefix(t, pl, "/v1beta/models/") ? 15 : has_prefix(t, pl, "/v1/models/") ? 11 : 0;
	const char *colon = NULL;
	for (size_t i = pre; pre && i < pl; i++)
		if (t[i] == ':')
			colon = t + i;
	if (path_is(t, tl, "/v1beta/models") || path_is(t, tl, "/v1/models")) {
		if (!get) {
			send_405(c, r);
		} else if (gem_auth(r)) {
			c->key_invalid = gem_auth(r) == 2;
			if (c->key_invalid)
				send_errorf(c, 400, "API key not valid. Please pass a valid API key.");
			else
				send_errorf(c, 403, "Method doesn't allow unregistered callers (callers without established "
					    "identity). Please use API Key or other form of API consumer identity to call this API.");
		} else {
			st.models++;
			c->kind = K_MODELS;
			c->f = opt.fault;
			c->stream = false;
			respond(c);
			return;
		}
		return;
	}
	const char *meth = colon ? colon + 1 : NULL;
	size_t ml = colon ? (size_t)(t + pl - meth) : 0;
	bool gen = ml == 15 && !memcmp(meth, "generateContent", 15);
	bool sgen = ml == 21 && !memcmp(meth, "streamGenerateContent", 21);
	bool count = ml == 11 && !memcmp(meth, "countTokens", 11);
	if (!gen && !sgen && !count) {
		send_404(c, r);
		return;
	}
	store_last(c->in + c->in_off, c->head_len, body, blen);
	if (!post) {
		send_405(c, r);
		return;
	}
	int a = gem_auth(r);
	if (a) {
		c->key_invalid = a == 2;
		if (c->key_invalid)
			send_errorf(c, 400, "API key not valid. Please pass a valid API key.");
		else
			send_errorf(c, 403, "Method doesn't allow unregistered callers (callers without established "
				    "identity). Please use API Key or other form of API consumer identity to call this API.");
		return;
	}
	prep_reset(c);
	int n = pct_decode(t + pre, (size_t)(colon - (t + pre)), c->model, sizeof c->model);
	if (n <= 0) {
		send_errorf(c, n == 0 ? 404 : 400, "model name in the URL is empty, too long or badly escaped");
		return;
	}
	c->model_len = (size_t)n;
	if (model_fault(c))
		return;
	if (count) {
		st.count_tokens++;
		c->kind = K_COUNT;
	} else {
		st.chat++;
		st.gemini++;
		c->stream = sgen;
		const char *v;
		size_t vl;
		c->sse = sgen && query_param(t, tl, "alt", &v, &vl) && vl == 3 && !memcmp(v, "sse", 3);
	}
	if (gem_prepare(c, body, blen, count) == 0)
		respond(c);
}

static void handle_request(struct conn *c, const struct http_request *r, const char *body, size_t blen)
{
	const char *t = r->target;
	size_t tl = r->target_len;
	bool get = r->method_len == 3 && !memcmp(r->method, "GET", 3);
	bool post = r->method_len == 4 && !memcmp(r->method, "POST", 4);

	c->reqid = ++seq_req;
	c->kind = K_CHAT;
	c->status = 200;
	c->msg_len = 0;
	c->api = API_OAI;
	c->sse = c->key_invalid = false;
	c->http10 = r->minor_version == 0;
	c->keep_alive = c->bi.keep_alive;
	fault_clear(&c->f);

	if (tl >= 6 && !memcmp(t, "/mock/", 6)) {
		if (path_is(t, tl, "/mock/stats") && get)
			send_stats(c);
		else if (path_is(t, tl, "/mock/last") && get)
			send_last(c);
		else if (path_is(t, tl, "/mock/reset") && post) {
			memset(&st, 0, sizeof st);
			g_have_last = false;
			/* Open connections stay counted: "connections" is new TCP
			 * connections since the reset. Only the caller's own is
			 * counted again if it goes on to send API requests. */
			c->counted = false;
			static const char ok[] = "{\"ok\":true}";
			send_resp(c, 200, "application/json", ok, sizeof ok - 1, sizeof ok - 1);
		} else
			send_404(c, r);
		resp_done(c);
		return;
	}

	st.requests++;
	if (!c->counted) {
		c->counted = true;
		st.connections++;
	}
	c->api = target_api(t, tl);
	if (c->api == API_OAI && path_is(t, tl, "/v1/models")) {
		/* One path, three list shapes: the headers say who asks (the
		 * Google GenAI SDK defaults to API version v1). */
		const char *v;
		size_t vl;
		if (http_find_header(r->headers, r->num_headers, "anthropic-version"))
			c->api = API_ANT;
		else if (http_find_header(r->headers, r->num_headers, "x-goog-api-key") ||
			 query_param(t, tl, "key", &v, &vl))
			c->api = API_GEM;
	}
	if (c->api == API_ANT) {
		handle_anthropic(c, r, body, blen, get, post);
		if (c->ps == PS_IDLE)
			resp_done(c);
		return;
	}
	if (c->api == API_GEM) {
		handle_gemini(c, r, body, blen, get, post);
		if (c->ps == PS_IDLE)
			resp_done(c);
		return;
	}
	bool is_chat = path_is(t, tl, "/v1/chat/completions");
	bool is_models = path_is(t, tl, "/v1/models");
	if (is_chat)
		store_last(c->in + c->in_off, c->head_len, body, blen);
	if (!is_chat && !is_models) {
		send_404(c, r);
	} else if ((is_chat && !post) || (is_models && !get)) {
		send_405(c, r);
	} else if (!auth_ok(r)) {
		send_errorf(c, 401, "Incorrect API key provided.");
	} else if (is_models) {
		st.models++;
		c->kind = K_MODELS;
		c->f = opt.fault;
		c->stream = false;
		respond(c);
		return;
	} else {
		st.chat++;
		if (chat_prepare(c, body, blen) == 0) {
			respond(c);
			return;
		}
	}
	resp_done(c);
}

/* ---- input -------------------------------------------------------------- */

static void fail_request(struct conn *c, int status, const char *msg)
{
	c->reqid = ++seq_req;
	c->keep_alive = false;
	c->http10 = false;
	c->api = c->head_api;
	c->key_invalid = false;
	fault_clear(&c->f);
	send_errorf(c, status, "%s", msg);
	c->in_off = c->in_len = 0;
	c->after = AFTER_CLOSE;
	c->ps = PS_CLOSING;
}

/* Moves the input into a large buffer; false when none is free or the body
 * cannot fit even there. */
static bool big_take(struct conn *c, size_t need)
{
	if (c->big >= 0 || need > opt.max_body + IN_SMALL)
		return false;
	for (int i = 0; i < N_BIG; i++) {
		if (big_used[i])
			continue;
		big_used[i] = true;
		memcpy(big_bufs[i], c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
		c->in = big_bufs[i];
		c->in_cap = opt.max_body + IN_SMALL;
		c->big = i;
		return true;
	}
	return false;
}

/* After a request on a large buffer: move what is left back to the small one. */
static void big_return(struct conn *c)
{
	size_t left = c->in_len - c->in_off;
	if (c->big < 0 || left > IN_SMALL)
		return;
	memcpy(c->small, c->in + c->in_off, left);
	big_used[c->big] = false;
	c->big = -1;
	c->in = c->small;
	c->in_cap = IN_SMALL;
	c->in_off = 0;
	c->in_len = left;
}

/* Parses and answers the requests waiting in the input buffer, one at a
 * time. Returns whether anything changed. */
static bool process_input(struct conn *c)
{
	bool progress = false, fresh = false;
	while (c->ps == PS_IDLE && !c->ext && out_pending(c) <= OUT_GATE) {
		size_t avail = c->in_len - c->in_off;
		if (c->rstate == RS_HEAD) {
			if (avail == 0)
				return progress;
			int n = http_parse_request(c->in + c->in_off, avail, c->last_len, &g_req);
			c->head_api = n > 0 ? target_api(g_req.target, g_req.target_len) : API_OAI;
			if (n == HTTP_INCOMPLETE) {
				c->last_len = avail;
				if (c->in_off == 0 && c->in_len == c->in_cap) {
					fail_request(c, 431, "request head too large");
					return true;
				}
				return progress;
			}
			if (n < 0) {
				fail_request(c, 400, "malformed HTTP request");
				return true;
			}
			if (http_request_body_info(&g_req, &c->bi) < 0 || c->bi.kind == HTTP_BODY_UNTIL_CLOSE) {
				fail_request(c, 400, "bad request body framing");
				return true;
			}
			c->head_len = (size_t)n;
			c->last_len = 0;
			c->body_len = 0;
			c->sent_continue = false;
			memset(&c->ck, 0, sizeof c->ck);
			c->rstate = RS_BODY;
			fresh = true;
			if (c->bi.kind == HTTP_BODY_LENGTH) {
				if (c->bi.length > opt.max_body) {
					fail_request(c, 413, "request body too large");
					return true;
				}
				size_t need = c->head_len + (size_t)c->bi.length;
				if (need > c->in_cap - c->in_off) {
					if (need > c->in_cap && !big_take(c, need)) {
						fail_request(c, 413, "request body too large");
						return true;
					}
					fresh = false;	/* moved: g_req is stale */
				}
			}
			progress = true;
		}

		bool complete = false;
		size_t hl = c->head_len, end = 0;
		if (c->bi.kind == HTTP_BODY_NONE) {
			complete = true;
			end = c->in_off + hl;
		} else if (c->bi.kind == HTTP_BODY_LENGTH) {
			if (avail >= hl + c->bi.length) {
				complete = true;
				c->body_len = (size_t)c->bi.length;
				end = c->in_off + hl + c->body_len;
			}
		} else {
			size_t start = c->in_off + hl + c->body_len;
			size_t len = c->in_len - start;
			if (len > 0) {
				ssize_t r = http_chunked_decode(&c->ck, c->in + start, &len);
				if (r == HTTP_BAD) {
					fail_request(c, 400, "bad chunked encoding");
					return true;
				}
				c->body_len += len;
				if (r == HTTP_INCOMPLETE) {
					c->in_len = start + len;
				} else {
					c->in_len = start + len + (size_t)r;
					complete = true;
					end = start + len;
				}
				if (c->body_len > opt.max_body) {
					fail_request(c, 413, "request body too large");
					return true;
				}
			}
		}
		if (!complete) {
			if (c->in_off == 0 && c->in_len == c->in_cap && !big_take(c, 0)) {
				fail_request(c, 413, "request body too large");
				return true;
			}
			if (c->bi.expect_continue && !c->sent_continue) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				out_append(c, cont, sizeof cont - 1);
				c->sent_continue = true;
				progress = true;
			}
			return progress;
		}
		if (!fresh && http_parse_request(c->in + c->in_off, hl, 0, &g_req) != (int)hl) {
			fail_request(c, 400, "malformed HTTP request");
			return true;
		}
		handle_request(c, &g_req, c->in + c->in_off + hl, c->body_len);
		progress = true;
		fresh = false;
		c->rstate = RS_HEAD;
		c->last_len = 0;
		c->in_off = end;
		if (c->in_off >= c->in_len)
			c->in_off = c->in_len = 0;
		big_return(c);
	}
	return progress;
}

/* ---- socket I/O --------------------------------------------------------- */

static bool want_read(const struct conn *c)
{
	if (c->eof || c->ps == PS_CLOSING || c->ps == PS_LINGER)
		return false;
	return !(c->in_off == 0 && c->in_len == c->in_cap);
}

/* 1: bytes read; 0: nothing now (or EOF, which sets c->eof); -1: dead. */
static int read_in(struct conn *c)
{
	if (c->in_off > 0 && c->in_len == c->in_cap) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	size_t room = c->in_cap - c->in_len;
	if (room == 0)
		return 0;
	ssize_t n;
	if (c->tls)
		n = tls_read(c->tls, c->fd, c->in + c->in_len, room);
	else
		n = read(c->fd, c->in + c->in_len, room);
	if (n > 0) {
		c->in_len += (size_t)n;
		return 1;
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (c->tls && errno == ECONNRESET) {
		c->eof = true;	/* TCP FIN without close_notify */
		return 0;
	}
	if (c->tls && errno == EPROTO && opt.verbose)
		say("mockprov: TLS: %s", tls_error(c->tls));
	return -1;
}

static ssize_t do_write(struct conn *c, const char *p, size_t n)
{
	if (c->tls)
		return tls_write(c->tls, c->fd, p, n);
	return send(c->fd, p, n, MSG_NOSIGNAL);
}

/* 1: everything on the wire; 0: more to send later; -1: dead. */
static int flush_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = do_write(c, c->out + c->out_off, c->out_len - c->out_off);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		return -1;
	}
	c->out_off = c->out_len = 0;
	while (c->ext && c->ext_off < c->ext_len) {
		ssize_t w = do_write(c, c->ext + c->ext_off, c->ext_len - c->ext_off);
		if (w > 0) {
			c->ext_off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return 0;
		return -1;
	}
	if (c->ext) {
		c->ext = NULL;
		if (g_lastr_busy == c)
			g_lastr_busy = NULL;
	}
	if (c->tls && tls_flush(c->tls, c->fd) < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	return 1;
}

static void update_events(struct conn *c)
{
	unsigned ev = 0;
	bool wr = want_read(c);
	if (c->tls) {
		ev = tls_want(c->tls);
		if (!wr && tls_handshake_done(c->tls))
			ev &= ~(unsigned)LOOP_IN;
	} else {
		if (wr)
			ev |= LOOP_IN;
		if (out_pending(c))
			ev |= LOOP_OUT;
	}
	/* Work left over when conn_pump yielded for fairness: a stream that can
	 * go on, or decrypted input held in the engine. The socket is normally
	 * writable, so LOOP_OUT brings us back on the next round. */
	if ((c->ps == PS_STREAM && !loop_timer_armed(&c->t)) || (c->tls && wr && tls_pending(c->tls)))
		ev |= LOOP_OUT;
	if (ev != c->w.events)
		loop_set(&c->w, ev);
}

/* Runs the connection as far as it goes without blocking: write, produce,
 * read, parse, until nothing moves. */
static void conn_pump(struct conn *c)
{
	if (!c->used || c->ps == PS_LINGER)
		return;
	for (int round = 0; round < 64; round++) {
		bool progress = false;
		int r = flush_out(c);
		if (r < 0) {
			conn_close(c, false);
			return;
		}
		if (c->tls && !c->hs_counted && tls_handshake_done(c->tls)) {
			c->hs_counted = true;
			if (tls_resumed(c->tls))
				st.tls_resumed++;	/* abbreviated handshake */
			else
				st.tls_handshakes++;	/* full handshake */
		}
		if (r > 0 && c->ps == PS_CLOSING) {
			if (c->after == AFTER_RST) {
				conn_close(c, true);
			} else {
				if (c->tls && c->notify)
					tls_shutdown(c->tls, c->fd);	/* best effort, one try */
				conn_linger(c);
			}
			return;
		}
		if (c->ps == PS_STREAM) {
			int step = c->step, ps = c->ps;
			stream_advance(c);
			progress |= step != c->step || ps != c->ps;
		}
		if (want_read(c)) {
			int rr = read_in(c);
			if (rr < 0) {
				conn_close(c, false);
				return;
			}
			progress |= rr > 0;
		}
		if (c->ps == PS_IDLE)
			progress |= process_input(c);
		if (c->eof && (c->ps == PS_STALLED || (c->ps == PS_IDLE && r > 0 && !out_pending(c)))) {
			conn_close(c, false);
			return;
		}
		if (!progress && !(r > 0 && out_pending(c)))
			break;
	}
	update_events(c);
}

static void on_io(struct loop_fd *w, unsigned revents)
{
	struct conn *c = container_of(w, struct conn, w);
	if (c->ps == PS_LINGER) {
		if (revents & (LOOP_ERR | LOOP_HUP))
			conn_close(c, false);
		else
			linger_read(c);
		return;
	}
	if (revents & LOOP_ERR) {
		conn_close(c, false);
		return;
	}
	conn_pump(c);
	if (c->used && (revents & LOOP_HUP) && c->ps != PS_LINGER)
		conn_close(c, false);
}

/* ---- listening ---------------------------------------------------------- */

static struct loop_timer accept_retry;

static void listen_resume(void)
{
	listen_paused = false;
	loop_set(&listen_w, LOOP_IN);
}

static void accept_retry_cb(struct loop_timer *t)
{
	listen_resume();
}

static void on_accept(struct loop_fd *w, unsigned revents)
{
	for (int i = 0; i < 128; i++) {
		if (n_free == 0) {
			listen_paused = true;
			loop_set(&listen_w, 0);
			return;
		}
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/* EMFILE and friends: back off instead of spinning. */
				say("mockprov: accept: %s", strerror(errno));
				loop_set(&listen_w, 0);
				loop_timer_set(&accept_retry, 100, accept_retry_cb);
			}
			return;
		}
		st.accepted++;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct conn *c = &conns[free_list[--n_free]];
		c->tls = NULL;
		if (opt.cert && !(c->tls = tls_server_open())) {
			say("mockprov: TLS context pool exhausted");
			close(fd);
			free_list[n_free++] = (unsigned)(c - conns);
			continue;
		}
		c->fd = fd;
		c->used = true;
		c->counted = c->hs_counted = c->eof = c->waited = c->notify = false;
		c->ps = PS_IDLE;
		c->after = AFTER_NONE;
		c->in = c->small;
		c->in_cap = IN_SMALL;
		c->in_off = c->in_len = 0;
		c->big = -1;
		c->rstate = RS_HEAD;
		c->head_api = API_OAI;
		c->last_len = 0;
		c->out_off = c->out_len = 0;
		c->ext = NULL;
		fault_clear(&c->f);
		loop_fd_init(&c->w);
		loop_timer_init(&c->t);
		active_conns++;
		if (loop_add(&c->w, fd, LOOP_IN, on_io) < 0) {
			conn_close(c, false);
			continue;
		}
	}
}

static int do_listen(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || strlen(spec) >= sizeof host) {
		fprintf(stderr, "mockprov: --listen wants HOST:PORT\n");
		return -1;
	}
	size_t hl = (size_t)(colon - spec);
	memcpy(host, spec, hl);
	host[hl] = 0;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
	}
	struct addrinfo hints, *ai;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	int e = getaddrinfo(host, colon + 1, &hints, &ai);
	if (e) {
		fprintf(stderr, "mockprov: bad --listen address %s: %s\n", spec, gai_strerror(e));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		fprintf(stderr, "mockprov: listen on %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- signals, start-up -------------------------------------------------- */

static void on_signal(int sig)
{
	int e = errno;
	char b = (char)sig;
	ssize_t w = write(sig_pipe[1], &b, 1);
	(void)w;
	errno = e;
}

static void on_sig_pipe(struct loop_fd *w, unsigned revents)
{
	loop_stop();
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mockprov --listen HOST:PORT [--port-file F] [--tls-cert F --tls-key F]\n"
		"                [--key SECRET] [--fault SPEC] [--chunks N] [--interval-ms N]\n"
		"                [--max-conns N] [--max-body-kb N] [--quiet] [--verbose]\n"
		"SPEC: comma-separated status=N retry_after=S retry_after_ms=MS delay_ms=N\n"
		"      chunks=N interval_ms=N stall_after=N truncate_after=N reset reset_after=N\n"
		"      html502 html200 error_event_after=N error200 empty200 close calls=N cached=N\n");
}

static int arg_num(const char *name, const char *v, long long max, long long *out)
{
	if (!v || parse_num(v, strlen(v), max, out)) {
		fprintf(stderr, "mockprov: %s wants a number up to %lld\n", name, max);
		return -1;
	}
	return 0;
}

static int alloc_pools(void)
{
	conns = calloc(opt.max_conns, sizeof *conns);
	free_list = calloc(opt.max_conns, sizeof *free_list);
	g_scratch = malloc(OUT_CAP);
	g_text_cap = opt.max_body + IN_SMALL + 1;
	g_text = malloc(g_text_cap);
	g_ntok = (int)(opt.max_body / 6 + 4096);
	g_tok = calloc((size_t)g_ntok, sizeof *g_tok);
	g_last = malloc(LAST_CAP);
	g_lastr_cap = 6 * (size_t)LAST_CAP + 8192;
	g_lastr = malloc(g_lastr_cap);
	if (!conns || !free_list || !g_scratch || !g_text || !g_tok || !g_last || !g_lastr)
		return -1;
	for (int i = 0; i < N_BIG; i++)
		if (!(big_bufs[i] = malloc(opt.max_body + IN_SMALL)))
			return -1;
	for (unsigned i = 0; i < opt.max_conns; i++) {
		struct conn *c = &conns[i];
		c->small = malloc(IN_SMALL);
		c->out = malloc(OUT_CAP);
		if (!c->small || !c->out)
			return -1;
		c->in = c->small;
		c->in_cap = IN_SMALL;
		c->fd = -1;
		c->big = -1;
		loop_fd_init(&c->w);
		loop_timer_init(&c->t);
		free_list[n_free++] = opt.max_conns - 1 - i;
	}
	return 0;
}

static void free_pools(void)
{
	if (conns) {
		for (unsigned i = 0; i < opt.max_conns; i++) {
			if (conns[i].used)
				conn_close(&conns[i], false);
			free(conns[i].small);
			free(conns[i].out);
		}
	}
	for (int i = 0; i < N_BIG; i++)
		free(big_bufs[i]);
	free(conns);
	free(free_list);
	free(g_scratch);
	free(g_text);
	free(g_tok);
	free(g_last);
	free(g_lastr);
}

int main(int argc, char **argv)
{
	char err[256];
	long long v;
	fault_clear(&opt.fault);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (!strcmp(a, "--listen"))
			opt.listen = val;
		else if (!strcmp(a, "--port-file"))
			opt.port_file = val;
		else if (!strcmp(a, "--tls-cert"))
			opt.cert = val;
		else if (!strcmp(a, "--tls-key"))
			opt.key_file = val;
		else if (!strcmp(a, "--key"))
			opt.key = val;
		else if (!strcmp(a, "--fault")) {
			if (!val || fault_parse(val, strlen(val), &opt.fault, err, sizeof err)) {
				fprintf(stderr, "mockprov: --fault: %s\n", val ? err : "missing SPEC");
				return 2;
			}
		} else if (!strcmp(a, "--chunks")) {
			if (arg_num(a, val, 100000, &v))
				return 2;
			opt.chunks = (int)v;
		} else if (!strcmp(a, "--interval-ms")) {
			if (arg_num(a, val, 100000000, &v))
				return 2;
			opt.interval_ms = (int)v;
		} else if (!strcmp(a, "--max-conns")) {
			if (arg_num(a, val, 1000000, &v) || v < 1)
				return 2;
			opt.max_conns = (unsigned)v;
		} else if (!strcmp(a, "--max-body-kb")) {
			if (arg_num(a, val, 1024 * 1024, &v) || v < 1)
				return 2;
			opt.max_body = (size_t)v * 1024;
		} else if (!strcmp(a, "--quiet")) {
			opt.quiet = true;
			takes = false;
		} else if (!strcmp(a, "--verbose")) {
			opt.verbose = true;
			takes = false;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
			return 0;
		} else {
			fprintf(stderr, "mockprov: unknown argument %s\n", a);
			usage();
			return 2;
		}
		if (takes) {
			if (!val) {
				fprintf(stderr, "mockprov: %s needs a value\n", a);
				return 2;
			}
			i++;
		}
	}
	if (!opt.listen || (!opt.cert) != (!opt.key_file)) {
		usage();
		return 2;
	}
	if (opt.key)
		opt.key_len = strlen(opt.key);

	signal(SIGPIPE, SIG_IGN);
	if (loop_init(opt.max_conns + 8, opt.max_conns + 8) < 0 || alloc_pools() < 0) {
		fprintf(stderr, "mockprov: out of memory for %u connections\n", opt.max_conns);
		return 1;
	}
	if (opt.cert) {
		struct tls_options to = { 0 };
		struct tls_server_options so = { .cert = opt.cert, .key = opt.key_file, .max_servers = opt.max_conns };
		if (tls_init(&to, err, sizeof err) < 0 || tls_server_init(&so, err, sizeof err) < 0) {
			fprintf(stderr, "mockprov: TLS: %s\n", err);
			return 1;
		}
	}
	listen_fd = do_listen(opt.listen);
	if (listen_fd < 0)
		return 1;
	int port = bound_port(listen_fd);
	if (opt.port_file && write_port_file(opt.port_file, port) < 0) {
		fprintf(stderr, "mockprov: cannot write %s: %s\n", opt.port_file, strerror(errno));
		return 1;
	}
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		perror("mockprov: pipe");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	loop_fd_init(&sig_w);
	loop_fd_init(&listen_w);
	loop_timer_init(&accept_retry);
	loop_add(&sig_w, sig_pipe[0], LOOP_IN, on_sig_pipe);
	loop_add(&listen_w, listen_fd, LOOP_IN, on_accept);
	say("mockprov: listening on %s port %d (%s)", opt.listen, port, opt.cert ? "https" : "http");

	loop_run();

	free_pools();
	loop_timer_stop(&accept_retry);
	close(listen_fd);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	if (opt.cert)
		tls_free();
	loop_free();
	return 0;
}
