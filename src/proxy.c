/*
 * proxy.c - one chat exchange with a provider: writes the upstream request,
 * reads the response, and relays it to the client.
 *
 * Same-dialect fast path: the client's JSON body goes out untouched but for
 * the model name, as iovecs pointing into the request buffer (no copy, no
 * re-encoding); between dialects the request goes through the IR (ir.h)
 * and each dialect's encoder. A non-stream response is read whole into
 * the exchange's response buffer and checked (a 200 that is empty, not
 * JSON, or carries an "error" is a failure, not a success) before anything
 * is sent. A stream is relayed one SSE event at a time, as each completes;
 * the client's response head goes out with the first event, so a provider
 * that fails before its first event still gets a proper error status. Once
 * bytes went out, a failure becomes an in-band error event and the
 * connection is closed: never a clean-looking end.
 *
 * Back-pressure: when the client is slow, reading from the provider stops
 * until the client's output drains (on_client_drained, the exchange's
 * on_drained hook). A client that leaves (on_client_abort, the on_abort
 * hook) has the provider request closed at once and is billed for what the
 * provider did, on an estimate when its usage never came. The provider
 * connection reports through on_upstream, the callback of the exchange's
 * struct up_req (upstream.h).
 *
 * Switches (options.h): LLMGW_USAGE=0 leaves out client limits, usage
 * totals and cost (no x-llmgw-cost-usd; asking for the `cheapest` strategy
 * is a 501). It is a constant condition here, so the code is compiled in
 * every build and dropped from the small ones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "gw.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "usage.h"
#include "util.h"

enum { P_CONNECT, P_SEND, P_HEAD, P_BODY };

static void read_response(struct exchange *x);
static void on_upstream(struct up_req *r, unsigned what);
static void on_client_drained(struct exchange *x);
static void on_client_abort(struct exchange *x);

/* ---- building the upstream request ---- */

/* Appends "Name: <pre>value\r\n" to h, keeping slack bytes free after it
 * (2 for a request head's final CRLF); -1 if it does not fit. Both the
 * upstream request head and the client's response headers use it. */
static int put_header(char *h, size_t *hl, size_t cap, size_t slack, const char *name, size_t nl, const char *pre,
		      const char *v, size_t vlen)
{
	size_t pl = strlen(pre), at = *hl;
	if (at + nl + 2 + pl + vlen + 2 + slack > cap)
		return -1;
	memcpy(h + at, name, nl);
	at += nl;
	memcpy(h + at, ": ", 2);
	at += 2;
	memcpy(h + at, pre, pl);
	at += pl;
	memcpy(h + at, v, vlen);
	at += vlen;
	memcpy(h + at, "\r\n", 2);
	*hl = at + 2;
	return 0;
}

/* "Host: ...\r\n" and the provider's auth header ("Authorization: Bearer
 * <key>", "x-api-key", ...) appended to h. 0, or -1 if they do not fit.
 * Shared with probe.c. */
int provider_headers(const struct cfg_provider *p, char *h, size_t *hl, size_t cap)
{
	char hostport[300];
	struct json_out o;	/* as a plain appender */
	int v6 = strchr(p->url.host, ':') != NULL;
	json_out_init(&o, hostport, sizeof hostport);
	json_lit(&o, v6 ? "[" : "");
	json_lit(&o, p->url.host);
	json_lit(&o, v6 ? "]" : "");
	if (p->url.port != (p->url.tls ? 443 : 80)) {
		json_lit(&o, ":");
		json_i64(&o, p->url.port);
	}
	if (o.overflow || put_header(h, hl, cap, 2, "Host", 4, "", hostport, o.len) < 0)
		return -1;
	if (!p->key)
		return 0;
	static const struct {
		const char *name, *pre;
	} auth[] = {
		[AUTH_BEARER] = { "Authorization", "Bearer " },
		[AUTH_X_API_KEY] = { "x-api-key", "" },
		[AUTH_GOOG_API_KEY] = { "x-goog-api-key", "" },
		[AUTH_API_KEY] = { "api-key", "" },
	};
	unsigned a = (unsigned)p->type->auth;
	if (a >= sizeof auth / sizeof auth[0] || !auth[a].name)
		return 0;
	return put_header(h, hl, cap, 2, auth[a].name, strlen(auth[a].name), auth[a].pre, p->key, p->key_len);
}

/* The provider request: a head in uphead, and the body as iovecs. Same
 * dialect: the client's body with only the model replaced (zero-copy);
 * otherwise the IR encoded in the provider's dialect into xbuf. Returns 0,
 * -1 (head too large), or -2 when an error answer has been queued. */
static int build_request(struct exchange *x)
{
	const struct cfg_provider *p = x->routing.prov;
	const struct provider_type *t = p->type;
	const char *body = x->in + x->reading.head_len;
	char *h = x->uphead;
	size_t cap = GW_UPHEAD_SIZE / 2;	/* the upper half holds the model string */
	size_t blen;

	if (x->routing.translate) {
		struct json_out o;
		char err[300] = "";
		json_out_init(&o, x->xbuf, x->xbuf_cap);
		int (*encode)(const struct ir_request *, const char *, struct json_out *, char *, size_t) =
			x->chat.count_tokens && x->routing.pd->encode_count_tokens ? x->routing.pd->encode_count_tokens : x->routing.pd->encode_request;
		if (encode(&x->ir, x->routing.model, &o, err, sizeof err) < 0) {
			gw_error(x, E_BAD_REQUEST, "cannot express this request for provider '%s' (%s API): %s",
				 p->name, x->routing.pd->name, err);
			return -2;
		}
		if (o.overflow)
			goto too_large;
		x->xbuf_len = o.len;
		x->attempt.upv[1].iov_base = x->xbuf;
		x->attempt.upv[1].iov_len = o.len;
		x->attempt.upv_n = 2;
		blen = o.len;
	} else if (x->routing.pd->model_in_url) {
		/* The model is named in the URL: the body goes as it came. */
		x->attempt.upv[1].iov_base = (void *)body;
		x->attempt.upv[1].iov_len = x->reading.body_len;
		x->attempt.upv_n = 2;
		blen = x->reading.body_len;
	} else {
		size_t mstart = x->chat.mstart, mend = x->chat.mend;	/* with its quotes */
		struct json_out m;
		json_out_init(&m, h + cap, GW_UPHEAD_SIZE - cap);
		json_cstr(&m, x->routing.model);
		if (m.overflow)
			return -1;
		/* The body goes in pieces around what is replaced: the model and,
		 * for a stream that reports usage only when asked (OpenAI's),
		 * stream_options unless the client asked for usage itself (its
		 * other stream options go: usage is what billing needs). The
		 * usage chunk is dropped again for a client that did not ask. */
		struct piece { size_t start, end; const char *p; size_t n; } rep[2];
		int nrep = 0;
		const char *ask_usage = x->routing.pd->stream_usage_member;	/* "key":{...}, */
		size_t lead = 0;
		int k = 1;
		if (ask_usage && x->chat.stream && !x->chat.usage_asked) {
			x->attempt.strip_usage = 1;
			if (x->chat.soend) {
				const char *val = strchr(ask_usage, ':') + 1;
				rep[nrep++] = (struct piece){ x->chat.sostart, x->chat.soend, val,
								strlen(val) - 1 };
			} else {
				while (body[lead] != '{')
					lead++;
				lead++;
				x->attempt.upv[k].iov_base = (void *)body;
				x->attempt.upv[k++].iov_len = lead;
				x->attempt.upv[k].iov_base = (void *)ask_usage;
				x->attempt.upv[k++].iov_len = strlen(ask_usage);
			}
		}
		rep[nrep++] = (struct piece){ mstart, mend, m.buf, m.len };
		if (nrep == 2 && rep[0].start > rep[1].start) {
			struct piece t0 = rep[0];
			rep[0] = rep[1];
			rep[1] = t0;
		}
		size_t at = lead;
		for (int i = 0; i < nrep; i++) {
			x->attempt.upv[k].iov_base = (void *)(body + at);
			x->attempt.upv[k++].iov_len = rep[i].start - at;
			x->attempt.upv[k].iov_base = (void *)rep[i].p;
			x->attempt.upv[k++].iov_len = rep[i].n;
			at = rep[i].end;
		}
		x->attempt.upv[k].iov_base = (void *)(body + at);
		x->attempt.upv[k++].iov_len = x->reading.body_len - at;
		x->attempt.upv_n = k;
		blen = 0;
		for (int i = 1; i < k; i++)
			blen += x->attempt.upv[i].iov_len;
	}

	char path[700];
	if (x->chat.count_tokens) {
		if (x->routing.pd->count_tokens_path(x->routing.model, path, sizeof path) < 0)
			goto bad_path;
	} else if (t->chat_path && strlen(t->chat_path) < sizeof path)
		memcpy(path, t->chat_path, strlen(t->chat_path) + 1);
	else if (x->routing.pd->request_path(x->routing.model, x->chat.stream, path, sizeof path) < 0)
		goto bad_path;

	struct json_out o;	/* as a plain appender: no printf per request */
	json_out_init(&o, h, cap);
	json_lit(&o, "POST ");
	json_lit(&o, p->url.prefix);
	json_lit(&o, path);
	json_lit(&o, " HTTP/1.1\r\nUser-Agent: llmgw/" LLMGW_VERSION "\r\nContent-Type: application/json\r\nAccept: ");
	json_lit(&o, x->chat.stream ? "text/event-stream" : "application/json");
	json_lit(&o, "\r\nContent-Length: ");
	json_i64(&o, (int64_t)blen);
	json_lit(&o, "\r\n");
	if (o.overflow || o.len >= cap)
		return -1;
	size_t hl = o.len;
	if (provider_headers(p, h, &hl, cap) < 0)
		return -1;
	/* The dialect's own headers (an API version): a client of the same
	 * dialect wrote its body for its own values, which go through. */
	for (const struct dialect_header *dh = x->routing.pd->headers; dh && dh->name; dh++) {
		const struct http_header *v = NULL;
		if (x->chat.cd == x->routing.pd)
			v = http_find_header(x->req->headers, x->req->num_headers, dh->name);
		if ((v || dh->value) &&
		    put_header(h, &hl, cap, 2, dh->name, strlen(dh->name), "", v ? v->value : dh->value,
			       v ? v->value_len : strlen(dh->value)) < 0)
			return -1;
	}
	if (hl + 2 > cap)
		return -1;
	memcpy(h + hl, "\r\n", 2);
	hl += 2;
	x->attempt.upv[0].iov_base = h;
	x->attempt.upv[0].iov_len = hl;
	x->attempt.upv_i = 0;
	x->attempt.upv_off = 0;
	return 0;
too_large:
	gw_error(x, E_TOO_LARGE, "the translated request does not fit the buffer (max_body_kb)");
	return -2;
bad_path:
	gw_error(x, E_BAD_REQUEST, "model name '%s' cannot be put in a %s URL", x->routing.model, x->routing.pd->name);
	return -2;
}

/* ---- failures ---- */

static void finish(struct exchange *x)
{
	x->writing.resp_done = 1;
	server_flush(x);	/* ends x: not touched again */
}

static int queue_chunk(struct exchange *x, const char *data, size_t n);

/* Whether the client reads SSE (all but a Gemini client without alt=sse). */
static int client_sse(const struct exchange *x)
{
	return !x->chat.cd->json_array_stream || x->chat.client_sse;
}

static void stream_begin(struct exchange *x)
{
	/* A same-dialect relay decodes into the sink: events go out as they
	 * came, but usage, content and errors are still known. */
	xlate_begin(x->xs, x->routing.pd, x->routing.translate ? x->chat.cd : &dialect_sink, x->tok, GW_JSON_TOKENS, x->scratch,
		    GW_SCRATCH_SIZE, x->chat.client_model, client_sse(x));
	x->xs->client_usage = x->routing.translate ? x->ir.include_usage : 0;
	x->xs->serial = ++gw.streams;
}

/* ---- attempts and failover ---- */

static int start_attempt(struct exchange *x);

/* Forgets everything of the previous attempt's response. Nothing of it
 * reached the client: output is held until the attempt commits. */
static void reset_attempt(struct exchange *x)
{
	upstream_release(&x->attempt.up, 0);
	memset(&x->attempt, 0, sizeof x->attempt);	/* phase P_CONNECT */
	x->attempt.up.cb = on_upstream;
	server_discard(x);
}

static int client_index(const struct exchange *x)
{
	return x->chat.who ? (int)(x->chat.who - x->cfg->clients) : USAGE_ANON;
}

/* Records a failed attempt with the health module and, when the route has
 * another target, time and attempts left, starts the next attempt: 1 then
 * (the caller must not touch x's response), 0 when the caller answers. */
static int on_failure(struct exchange *x, int kind, int64_t retry_ms)
{
	int64_t now = loop_now();
	if (!gw_current(x))
		return 0;	/* served under a replaced configuration: its ids index nothing now */
	if (x->routing.tid >= 0) {
		if (kind >= 0) {
			if (health_failure((unsigned)x->routing.tid, now, (enum health_kind)kind, retry_ms) &&
			    kind == HEALTH_FAIL_AUTH)
				log_error("provider %s rejected its key for %s: check the key; this target is "
					  "not used again until the configuration is reloaded",
					  x->routing.prov->name, x->cfg->targets_all[x->routing.tid].name);
		} else {
			health_cancel((unsigned)x->routing.tid, now);
		}
	}
	if (!x->chat.rt || x->routing.committed || x->writing.resp_started || gw.stopping || x->routing.attempts >= x->chat.rt->max_attempts ||
	    now >= x->routing.deadline_ms || kind < 0 || x->routing.ntried >= ROUTE_MAX_TRIED)
		return 0;
	const char *why;
	int tid = route_pick(x->cfg, x->chat.rt, &x->routing.ask, x->routing.tried, x->routing.ntried, now, &why);
	if (tid < 0)
		return 0;
	log_info("failover: %s -> %s (attempt %u)", x->cfg->targets_all[x->routing.tid].name,
		 x->cfg->targets_all[tid].name, x->routing.attempts + 1);
	upstream_release(&x->attempt.up, 0);
	x->routing.tid = tid;
	x->routing.tried[x->routing.ntried++] = (unsigned)tid;
	start_attempt(x);
	return 1;
}

/* The health kind of a gateway-side failure of the current attempt. */
static int kind_of(const struct exchange *x, enum gw_err e)
{
	if (e == E_UPSTREAM_TIMEOUT)
		return HEALTH_FAIL_TIMEOUT;
	if (e == E_UPSTREAM)
		return x->attempt.phase <= P_SEND ? HEALTH_FAIL_CONNECT : HEALTH_FAIL_BAD_RESPONSE;
	return -1;
}

/* Records the request's tokens and money (u: its usage, NULL: none known),
 * for the client's limits and the totals; estimated: u is our guess. */
static void bill(struct exchange *x, const struct ir_usage *u, int estimated)
{
	if (u)
		x->routing.usage = *u;
	/* A direct provider/model gets the table's price too (route_price). */
	struct price pr;
	x->routing.priced = LLMGW_USAGE && x->routing.usage.have && route_price(x->cfg, x->routing.tid, x->routing.model, &pr);
	x->routing.cost_usd = x->routing.priced ?
		prices_cost(&pr, x->routing.usage.input, x->routing.usage.cached, x->routing.usage.output) : 0;
	x->routing.estimated = estimated;
	if (LLMGW_USAGE && gw_current(x))
		usage_record(client_index(x), x->routing.tid, x->chat.rt ? (int)(x->chat.rt - x->cfg->routes) : -1, &x->routing.usage,
			     x->routing.cost_usd, x->routing.priced, estimated, (int64_t)time(NULL));
}

/* Counts a good answer: health, tokens and money. */
static void succeeded(struct exchange *x, const struct ir_usage *u)
{
	int64_t now = loop_now();
	if (x->routing.tid >= 0 && gw_current(x)) {
		int64_t ttft = x->attempt.first_byte_us ? (x->attempt.first_byte_us / 1000 - x->routing.attempt_ms) : -1;
		health_success((unsigned)x->routing.tid, now, now - x->routing.attempt_ms, ttft);
		metrics_observe_target((unsigned)x->routing.tid, now - x->routing.attempt_ms, ttft);
	}
	bill(x, u, 0);
}

/* Fails the exchange. Before the response started: an error answer with
 * the right status. After: an in-band error event in the client's dialect,
 * then close, with no terminating chunk, so the client's HTTP layer sees
 * the stream as broken too. */
static void fail(struct exchange *x, enum gw_err e, const char *why)
{
	char msg[300];
	fmt_snprintf(msg, sizeof msg, "%s", why);	/* why may live in the connection released below */
	const struct cfg_url *at = &x->routing.prov->url;	/* the address is for the log, never the client */
	log_warnx("provider %s (%s:%u): %s", x->routing.prov->name, at->host, at->port, msg);
	if (on_failure(x, kind_of(x, e), -1))
		return;
	upstream_release(&x->attempt.up, 0);
	if (!x->writing.resp_started && !x->routing.committed) {
		/* Nothing reached the client (held preamble included): a proper
		 * error answer with its status. */
		gw_error(x, e, "provider '%s': %s", x->routing.prov->name, msg);
		finish(x);
		return;
	}
	metrics_count_error(METRICS_ERR_STREAM);
	char m[600];
	fmt_snprintf(m, sizeof m, "provider '%s': %s", x->routing.prov->name, msg);
	char ev[1400];
	struct json_out o;
	json_out_init(&o, ev, sizeof ev);
	/* The client dialect's own error event; it needs no stream state. */
	struct ir_event iev;
	memset(&iev, 0, sizeof iev);
	iev.kind = EV_ERROR;
	iev.error.cls = ir_err_class_of_status(gw_err_status(e));
	iev.error.status = gw_err_status(e);
	iev.error.message = ir_plain(m, (uint32_t)strlen(m));
	x->chat.cd->encode_event(x->xs, &iev, &o);
	if (!o.overflow)
		queue_chunk(x, ev, o.len);
	x->writing.close_after = 1;
	finish(x);
}

/* A reused keep-alive connection may have been closed by the provider just
 * as we sent on it; nothing was received, so sending again is safe. */
static int retry_fresh(struct exchange *x)
{
	if (!upstream_was_reused(&x->attempt.up) || x->attempt.up.fresh || x->attempt.resp_len > 0)
		return 0;
	upstream_release(&x->attempt.up, 0);
	x->attempt.up.fresh = 1;
	x->attempt.upv_i = 0;
	x->attempt.upv_off = 0;
	x->attempt.phase = P_CONNECT;
	int r = upstream_get(&x->attempt.up, &x->routing.prov->url);
	if (r < 0) {
		fail(x, E_UPSTREAM, upstream_error(&x->attempt.up));
		return 1;
	}
	if (r == 1)
		on_upstream(&x->attempt.up, UP_CONNECTED);
	return 1;
}

/* ---- sending ---- */

static void send_request(struct exchange *x)
{
	if (x->attempt.phase != P_SEND) {
		x->attempt.phase = P_SEND;
		upstream_timeout(&x->attempt.up, x->chat.rt ? x->chat.rt->connect_timeout_ms : x->cfg->gw.connect_timeout_ms);
	}
	while (x->attempt.upv_i < x->attempt.upv_n) {
		struct iovec iov[8];
		int n = 0;
		for (int i = x->attempt.upv_i; i < x->attempt.upv_n; i++)
			iov[n++] = x->attempt.upv[i];
		iov[0].iov_base = (char *)iov[0].iov_base + x->attempt.upv_off;
		iov[0].iov_len -= x->attempt.upv_off;
		ssize_t w = upstream_writev(&x->attempt.up, iov, n);
		if (w < 0) {
			if (errno == EAGAIN) {
				upstream_want(&x->attempt.up, UP_WRITABLE);
				return;
			}
			if (!retry_fresh(x))
				fail(x, E_UPSTREAM, upstream_error(&x->attempt.up));
			return;
		}
		size_t left = (size_t)w;
		while (x->attempt.upv_i < x->attempt.upv_n && left >= x->attempt.upv[x->attempt.upv_i].iov_len - x->attempt.upv_off) {
			left -= x->attempt.upv[x->attempt.upv_i].iov_len - x->attempt.upv_off;
			x->attempt.upv_i++;
			x->attempt.upv_off = 0;
		}
		x->attempt.upv_off += left;
	}
	x->attempt.phase = P_HEAD;
	upstream_timeout(&x->attempt.up, x->chat.rt ? x->chat.rt->first_byte_timeout_ms : x->cfg->gw.first_byte_timeout_ms);
	upstream_want(&x->attempt.up, UP_READABLE);
}

/* Decodes the client's request into the IR, once, for a target whose
 * dialect differs from the client's. 0, or -1 with an error queued. */
static int decode_ir(struct exchange *x)
{
	if (x->routing.ir_ready)
		return 0;
	/* api.c validated the body before routing. */
	int r = json_parse_valid(&x->doc, x->in + x->reading.head_len, x->reading.body_len, x->tok, GW_JSON_TOKENS);
	if (r < 0) {
		gw_error(x, E_TOO_LARGE, "request has more than %d JSON elements", GW_JSON_TOKENS);
		return -1;
	}
	struct ir_request *ir = &x->ir;	/* the decoder empties it (ir_request_init) */
	char err[300] = "";
	if (x->chat.cd->decode_request(&x->doc, ir, err, sizeof err) < 0) {
		gw_error(x, E_BAD_REQUEST, "%s", err[0] ? err : "the request could not be understood");
		return -1;
	}
	if (x->chat.cd->model_in_url)
		ir->stream = (uint8_t)x->chat.stream;	/* from the URL, not the body */
	x->routing.ir_ready = 1;
	return 0;
}

/* Starts the attempt on the current target (x->routing.prov, x->routing.model; for a
 * route, x->routing.tid). Returns 0, or -1 when it was answered instead. */
static int start_attempt(struct exchange *x)
{
	const struct cfg *cfg = x->cfg;
	if (x->chat.rt) {
		const struct cfg_tinfo *t = &cfg->targets_all[x->routing.tid];
		x->routing.prov = &cfg->providers[t->provider];
		x->routing.model = t->model;
	}
	x->routing.attempts++;
	x->routing.attempt_ms = loop_now();
	reset_attempt(x);
	x->routing.pd = dialect_get(x->routing.prov->type->dialect);
	/* A client streaming one JSON array (Gemini without alt=sse) gets what
	 * only the encoder writes: that goes through the IR even within one
	 * dialect. */
	x->routing.translate = x->routing.pd != x->chat.cd || (x->chat.stream && !client_sse(x));
	if (x->chat.count_tokens && !x->routing.pd->count_tokens_path) {
		gw_error(x, E_UNSUPPORTED, "count_tokens needs an anthropic or gemini provider; '%s' is %s, "
			 "whose API has no token counting", x->routing.prov->name, x->routing.prov->type->name);
		finish(x);
		return -1;
	}
	if (x->routing.translate) {
		if (decode_ir(x) < 0) {
			finish(x);
			return -1;
		}
		if (x->ir.max_tokens < 0 && x->routing.pd->needs_max_tokens)
			x->ir.max_tokens = cfg->gw.default_max_tokens;
	}
	int b = build_request(x);
	if (b < 0) {
		if (b == -1)
			gw_error(x, E_INTERNAL, "upstream request head too large");
		finish(x);
		return -1;
	}
	x->attempt.phase = P_CONNECT;
	int r = upstream_get(&x->attempt.up, &x->routing.prov->url);
	if (r < 0) {
		fail(x, x->attempt.up.u ? E_UPSTREAM : E_BUSY, x->attempt.up.u ? upstream_error(&x->attempt.up) : "all upstream connections are busy");
		return -1;
	}
	if (r == 1)
		send_request(x);
	return 0;
}

/* Reads the x-llmgw-route-strategy / x-llmgw-min-quality headers. */
static void client_narrowing(struct exchange *x)
{
	const struct http_header *h = http_find_header(x->req->headers, x->req->num_headers, "x-llmgw-route-strategy");
	if (h) {
		static const char *const names[] = { "fallback", "cheapest", "fastest", "weighted" };
		for (unsigned i = 0; i < 4; i++)
			if (http_token_eq(h->value, h->value_len, names[i]))
				x->routing.ask.strategy = (enum cfg_strategy)i;
	}
	h = http_find_header(x->req->headers, x->req->num_headers, "x-llmgw-min-quality");
	if (h && h->value_len == 1 && h->value[0] >= '0' && h->value[0] <= '5')
		x->routing.ask.min_quality = (unsigned)(h->value[0] - '0');
}

void proxy_start(struct exchange *x)
{
	const struct cfg *cfg = x->cfg;
	x->attempt.up.cb = on_upstream;
	x->routing.tid = -1;
	x->routing.prov = x->chat.prov;		/* a direct request's; a route's per attempt */
	x->routing.model = x->chat.model;
	x->writing.on_drained = on_client_drained;
	x->writing.on_abort = on_client_abort;
	int64_t now = loop_now();
	x->routing.deadline_ms = now + cfg->gw.request_deadline_ms;
	int64_t retry_s;
	const char *which;
	if (LLMGW_USAGE && usage_check(client_index(x), (int64_t)time(NULL), &retry_s, &which)) {
		gw_error_retry_ms(x, E_RATE_LIMITED, retry_s * 1000, "this API key is over its %s; retry in %lld s",
				  which, (long long)retry_s);
		finish(x);
		return;
	}
	if (!x->chat.rt) {
		x->routing.tid = cfg_target_id(cfg, (unsigned)(x->routing.prov - cfg->providers), x->routing.model, strlen(x->routing.model));
		if (x->routing.tid >= 0)
			health_admit((unsigned)x->routing.tid, now);	/* a direct request always goes */
		start_attempt(x);
		return;
	}
	x->routing.ask.strategy = x->chat.rt->strategy;
	x->routing.ask.min_quality = x->chat.rt->min_quality;
	x->routing.ask.priced_only = x->chat.priced_only;
	client_narrowing(x);
	if (!LLMGW_USAGE && x->routing.ask.strategy == CFG_STRATEGY_CHEAPEST) {
		gw_error(x, E_UNSUPPORTED, "route strategy 'cheapest' is not in this build of llmgw (built with LLMGW_USAGE=0)");
		finish(x);
		return;
	}
	x->routing.ask.est_input_tokens = (int64_t)(x->reading.body_len / 4);
	x->routing.ask.est_output_tokens = x->chat.max_tokens_asked;
	if (!x->routing.ask.est_output_tokens)
		x->routing.ask.est_output_tokens = cfg->gw.default_max_tokens;
	x->routing.ask.random = (uint32_t)(loop_now_us() * 2654435761u);
	const char *why;
	int tid = route_pick(cfg, x->chat.rt, &x->routing.ask, x->routing.tried, x->routing.ntried, now, &why);
	if (tid < 0) {
		/* Cooling down after their providers' 429s: a rate limit, said
		 * as one, with when the first target is back. */
		int rate_limited;
		int64_t back = route_back_in(cfg, x->chat.rt, &x->routing.ask, x->routing.tried, x->routing.ntried, now, &rate_limited);
		if (rate_limited)
			gw_error_retry_ms(x, E_RATE_LIMITED, back, "route '%s': every target is rate-limited by its provider; "
					  "the first is back in %lld s", x->chat.rt->name, (long long)((back + 999) / 1000));
		else
			gw_error_retry_ms(x, E_BUSY, back, "route '%s': no target can take this request now (%s)", x->chat.rt->name, why);
		finish(x);
		return;
	}
	x->routing.tid = tid;
	x->routing.tried[x->routing.ntried++] = (unsigned)tid;
	start_attempt(x);
}

/* ---- the response ---- */

/* A provider header as it came (skipped if it does not fit). */
static void copy_header(char *dst, size_t *len, size_t cap, const struct http_header *h)
{
	put_header(dst, len, cap, 0, h->name, h->name_len, "", h->value, h->value_len);
}

/* Headers a client may need from the provider's answer, plus ours. */
static size_t response_headers(struct exchange *x, char *buf, size_t cap)
{
	struct json_out o;	/* as a plain appender */
	json_out_init(&o, buf, cap);
	json_lit(&o, "x-llmgw-provider: ");
	json_lit(&o, x->routing.prov->name);
	/* The model name came from config or the client: keep it one header line. */
	json_lit(&o, "\r\nx-llmgw-model: ");
	size_t model_at = o.len;
	for (const char *m = x->routing.model; *m && o.len - model_at < 300; m++)
		if ((unsigned char)*m >= 0x20 && *m != 0x7f)
			json_raw_append(&o, m, 1);
	json_lit(&o, "\r\nx-llmgw-attempts: ");
	json_i64(&o, x->routing.attempts);
	json_lit(&o, "\r\n");
	size_t n = o.overflow ? 0 : o.len;
	if (n + 80 < cap) {
		if (x->routing.priced)
			n += (size_t)fmt_snprintf(buf + n, cap - n, "x-llmgw-cost-usd: %.6f\r\n", x->routing.cost_usd);
	}
	int rid_done = 0;
	for (size_t i = 0; i < x->rh->num_headers; i++) {
		const struct http_header *h = &x->rh->headers[i];
		const char *nm = h->name;
		size_t nl = h->name_len;
		/* Lengths first: each name is compared with at most two words. */
		int rid = (nl == 12 && ascii_eq_nocase(nm, "x-request-id", 12)) || (nl == 10 && ascii_eq_nocase(nm, "request-id", 10));
		if (rid && x->chat.cd && x->routing.pd && x->chat.cd != x->routing.pd) {
			/* The provider's request id, under the name the client's SDK
			 * reads (Anthropic: request-id; OpenAI: x-request-id). */
			struct http_header alias = *h;
			alias.name = x->chat.cd->request_id_header;
			alias.name_len = strlen(alias.name);
			if (!rid_done++)
				copy_header(buf, &n, cap, &alias);
			continue;
		}
		if (rid || ((nl == 11 || nl == 14) && ascii_eq_nocase(nm, "retry-after-ms", nl)) ||
		    (nl >= 12 && ascii_eq_nocase(nm, "x-ratelimit-", 12)) ||
		    (nl >= 20 && ascii_eq_nocase(nm, "anthropic-ratelimit-", 20)))
			copy_header(buf, &n, cap, h);
	}
	/* A provider that says when to retry only in its body (Gemini's
	 * RetryInfo) or in reset headers: say it as Retry-After, which every
	 * SDK reads. */
	if (x->attempt.up_status >= 400 && !http_find_header(x->rh->headers, x->rh->num_headers, "retry-after")) {
		jsmntok_t tok[256];
		int64_t ms = health_retry_hint(x->attempt.up_status, x->rh->headers, x->rh->num_headers, x->resp + x->attempt.resp_head,
					       x->attempt.resp_body, (int64_t)time(NULL), tok, 256);
		if (ms >= 0 && n + 40 < cap)
			n += (size_t)fmt_snprintf(buf + n, cap - n, "Retry-After: %lld\r\n", (long long)((ms + 999) / 1000));
	}
	return n;
}

/* Answers with a whole JSON body (held in x's buffers, not copied) and
 * finishes the exchange. */
__attribute__((noinline)) static void answer(struct exchange *x, int status, const char *body, size_t n)
{
	char hb[1024];
	size_t hn = response_headers(x, hb, sizeof hb);
	if (gw_head(x, status, "application/json", (long long)n, hb, hn) < 0)
		gw_error(x, E_INTERNAL, "response head too large");
	else
		server_write_ext(x, body, n);
	finish(x);
}

/* The provider's answer translated into the client's dialect. */
static void finish_translated(struct exchange *x, int st, int is_obj, int inspected)
{
	struct json_out o;
	json_out_init(&o, x->xbuf, x->xbuf_cap);
	int status = st;
	if (st >= 200 && st < 300) {
		char err[300] = "";
		struct ir_response r;
		memset(&r, 0, sizeof r);
		r.parts = x->ir.parts + x->ir.nparts;	/* the request's parts stay intact */
		r.max_parts = (uint16_t)(IR_MAX_PARTS - x->ir.nparts);	/* the decoder's bound */
		if (!inspected || IR_MAX_PARTS - x->ir.nparts < IR_MAX_CALLS + 16) {
			fail(x, E_UPSTREAM, is_obj ? "response too large to translate" : "response is not a JSON object");
			return;
		}
		if (x->routing.pd->decode_response(&x->doc, &r, err, sizeof err) < 0) {
			char m[400];
			fmt_snprintf(m, sizeof m, "invalid %s response: %s", x->routing.pd->name, err);
			fail(x, E_UPSTREAM, m);
			return;
		}
		if (!r.created)
			r.created = (int64_t)time(NULL);
		succeeded(x, &r.usage);	/* before the headers: they carry the cost */
		x->chat.cd->encode_response(&r, x->chat.client_model, &o);
	} else {
		struct ir_error e;
		char m[160];
		memset(&e, 0, sizeof e);
		x->routing.pd->decode_error(inspected ? &x->doc : NULL, st, &e);
		if (!e.status)
			e.status = st;
		if (!inspected) {
			/* An HTML or empty error page: our own words, its status class. */
			fmt_snprintf(m, sizeof m, "provider '%s' answered HTTP %d without a JSON body", x->routing.prov->name, st);
			e.message = ir_plain(m, (uint32_t)strlen(m));
			if (e.status < 400 || e.status > 599)
				e.status = 502;
		}
		status = e.status;
		if (x->chat.cd->status_529 && e.cls == IR_ERR_OVERLOADED)
			status = 529;	/* what Anthropic's SDK knows as overloaded */
		else if (!x->chat.cd->status_529 && status == 529)
			status = 503;
		x->chat.cd->encode_error(&e, &o);
	}
	if (o.overflow) {
		fail(x, E_UPSTREAM, "translated response larger than the buffer");
		return;
	}
	answer(x, status, x->xbuf, o.len);
}

static void finish_nonstream(struct exchange *x, int reusable)
{
	const char *body = x->resp + x->attempt.resp_head;
	size_t blen = x->attempt.resp_body;
	int st = x->attempt.up_status;
	size_t lead = 0, vs, ve;
	while (lead < blen && (body[lead] == ' ' || body[lead] == '\n' || body[lead] == '\r' || body[lead] == '\t'))
		lead++;
	/* Validated without tokens (the same-dialect path never needs them),
	 * in the same pass as the top level: an error, the key every good
	 * answer has, and its usage. */
	const char *const rkeys[3] = { "error", x->routing.pd->success_key, x->routing.pd->usage_key };
	size_t rvs[3] = { 0 }, rve[3] = { 0 };
	int is_obj = lead < blen && body[lead] == '{' && json_valid_top(body, blen, rkeys, 3, rvs, rve) == 0;
	upstream_release(&x->attempt.up, reusable);
	int ok = st >= 200 && st < 300;
	if (ok && blen == 0) {
		fail(x, E_UPSTREAM, "empty response body");
		return;
	}
	if (ok && !is_obj) {
		fail(x, E_UPSTREAM, "response is not a JSON object");
		return;
	}
	if (ok && rve[0] && !rve[1]) {
		char m[300] = "error in a 200 response";
		if (json_parse(&x->doc, body, blen, x->tok, GW_JSON_TOKENS) > 0) {
			int ei = json_get(&x->doc, 0, "error");
			int mi = ei >= 0 && x->tok[ei].type == JSMN_OBJECT ? json_get(&x->doc, ei, "message") : -1;
			char t[256];
			if (mi >= 0 && json_is_string(&x->doc, mi) && json_unescape(&x->doc, mi, t, sizeof t) >= 0)
				fmt_snprintf(m, sizeof m, "error in a 200 response: %s", t);
		}
		fail(x, E_UPSTREAM, m);
		return;
	}
	if (!ok) {
		/* A provider error: another target may serve the request (rate
		 * limit, overload, server error, a rejected key); the client's own
		 * mistakes (400, 404, 422) are answered as they are. */
		int kind = health_kind_for_status(st);
		int64_t hint = -1;
		if (kind >= 0) {
			jsmntok_t tk[256];
			hint = health_retry_hint(st, x->rh->headers, x->rh->num_headers, body, blen, (int64_t)time(NULL), tk, 256);
		}
		if (on_failure(x, kind, hint))
			return;
	}
	if (ok && x->chat.count_tokens) {
		if (x->routing.tid >= 0)
			health_success((unsigned)x->routing.tid, loop_now(), loop_now() - x->routing.attempt_ms, -1);
	}
	if (ok && x->chat.count_tokens && x->routing.translate) {
		/* The count under the client dialect's key (Gemini's
		 * {"totalTokens":N} as Anthropic's {"input_tokens":N}). */
		int64_t total = -1;
		if (json_top_get(body, blen, x->routing.pd->count_tokens_key, &vs, &ve) == 0) {
			total = 0;
			for (size_t i = vs; i < ve && body[i] >= '0' && body[i] <= '9' && total < 1000000000000LL; i++)
				total = total * 10 + (body[i] - '0');
		}
		if (total < 0) {
			char m[120];
			fmt_snprintf(m, sizeof m, "token count answer without %s", x->routing.pd->count_tokens_key);
			fail(x, E_UPSTREAM, m);
			return;
		}
		int n = fmt_snprintf(x->xbuf, x->xbuf_cap, "{\"%s\":%lld}", x->chat.cd->count_tokens_key, (long long)total);
		answer(x, 200, x->xbuf, (size_t)n);
		return;
	}
	if (x->routing.translate || !is_obj) {
		int inspected = is_obj && json_parse_valid(&x->doc, body, blen, x->tok, GW_JSON_TOKENS) > 0;
		if (!is_obj) {
			log_warnx("provider %s answered HTTP %d without a JSON body", x->routing.prov->name, st);
		}
		finish_translated(x, st, is_obj, inspected);
		return;
	}
	if (ok && !x->chat.count_tokens) {
		/* Usage from the response's usage object alone, read without
		 * tokens: the body itself goes out untouched. */
		struct ir_usage u;
		memset(&u, 0, sizeof u);
		if (rve[2])
			x->routing.pd->scan_usage(body + rvs[2], rve[2] - rvs[2], &u);
		succeeded(x, &u);
	}
	answer(x, st, body, blen);
}

/* Queues n bytes of stream output as one chunk of the chunked body, after
 * the response head if it has not gone out yet. 1 queued, 0 no room now. */
static int queue_chunk(struct exchange *x, const char *data, size_t n)
{
	if (n == 0)
		return 1;
	char hex[16];
	int hl = fmt_snprintf(hex, sizeof hex, "%zx\r\n", n);
	if (!x->writing.resp_started && x->writing.out_len == 0 && x->attempt.events == 0) {
		char hb[1024];
		size_t hn = response_headers(x, hb, sizeof hb);
		const char *ct = x->routing.translate ? x->chat.cd->stream_type(x->xs) : "text/event-stream";
		if (gw_head(x, 200, ct, -1, hb, hn) < 0)
			return 0;
	}
	if ((size_t)hl + n + 2 > GW_OUT_SIZE - x->writing.out_len + x->writing.out_off)
		return 0;
	server_write(x, hex, (size_t)hl);
	server_write(x, data, n);
	server_write(x, "\r\n", 2);
	x->attempt.events++;
	return 1;
}

/* One provider event translated; 1 queued, 0 no room now, -1 x failed. */
static int translate_event(struct exchange *x, const struct sse_event *e)
{
	/* Encode into xbuf (free once the request is sent), then queue. The
	 * encoder state must not advance twice for one event, so room in out[]
	 * is checked before decoding: one event's output is far below half. */
	if (GW_OUT_SIZE - x->writing.out_len + x->writing.out_off < GW_OUT_SIZE / 2)
		return 0;
	struct json_out o;
	json_out_init(&o, x->xbuf, GW_OUT_SIZE / 2 - 32);
	if (xlate_event(x->xs, e, &o) < 0) {
		char m[200];
		fmt_snprintf(m, sizeof m, "malformed %s stream event", x->routing.pd->name);
		fail(x, E_UPSTREAM, m);
		return -1;
	}
	if (o.overflow) {
		fail(x, E_UPSTREAM, "translated stream event larger than the output buffer");
		return -1;
	}
	queue_chunk(x, x->xbuf, o.len);
	return 1;
}

/* The first content event is queued: from now on the stream is the
 * client's. What is held goes out at once, so the first token does not
 * wait for the rest of this read. -1 when the client is gone. */
static int commit_now(struct exchange *x)
{
	x->routing.committed = 1;
	return server_flush(x) < 0 ? -1 : 0;
}

/* Relays every complete event held in the response buffer. Returns 0 to go
 * on reading, 1 when waiting for the client to drain, -1 when x is gone. */
static int relay_events(struct exchange *x)
{
	for (;;) {
		const char *p = x->resp + x->attempt.resp_head + x->attempt.resp_consumed;
		size_t avail = x->attempt.resp_body - x->attempt.resp_consumed;
		struct sse_event e;
		int n = sse_next(p, avail, &e);
		if (n == HTTP_INCOMPLETE || n <= 0)
			break;
		if (x->xs->ended) {		/* nothing may follow [DONE] / message_stop */
			x->attempt.resp_consumed += (size_t)n;
			continue;
		}
		if (e.data_lines == 0 && !e.event) {	/* comment / keep-alive */
			x->attempt.resp_consumed += (size_t)n;
			continue;
		}
		if (x->routing.translate) {
			int t = translate_event(x, &e);
			if (t < 0)
				return -1;
			if (t == 0)
				break;
		} else {
			/* A same-dialect relay still decodes each event (into the
			 * sink encoder): that is how the end marker, an in-band
			 * error, the first content and the usage are known. A
			 * provider quirk the decoder rejects is not fatal here: the
			 * event is relayed. */
			char none[1];
			struct json_out sink;
			json_out_init(&sink, none, 0);
			xlate_event(x->xs, &e, &sink);
			if (x->attempt.strip_usage && x->xs->last_kinds == (1u << EV_USAGE)) {
				x->attempt.resp_consumed += (size_t)n;	/* asked for by us, not the client */
				continue;
			}
			if (!queue_chunk(x, p, (size_t)n)) {
				if (x->writing.out_len == 0 || (size_t)n + 32 > GW_OUT_SIZE) {
					fail(x, E_UPSTREAM, "stream event larger than the output buffer");
					return -1;
				}
				break;
			}
		}
		x->attempt.resp_consumed += (size_t)n;
		if (!x->routing.committed && x->xs->content_events > 0 && commit_now(x) < 0)
			return -1;
	}
	/* Move the partial event (and undecoded bytes) to the front. */
	if (x->attempt.resp_consumed > 0) {
		size_t from = x->attempt.resp_head + x->attempt.resp_consumed;
		memmove(x->resp + x->attempt.resp_head, x->resp + from, x->attempt.resp_len - from);
		x->attempt.resp_len -= x->attempt.resp_consumed;
		x->attempt.resp_body -= x->attempt.resp_consumed;
		x->attempt.resp_consumed = 0;
	}
	if (!x->routing.committed) {
		/* The preamble (role chunk, message_start, pings) is held until the
		 * first content: until then another target can still take over,
		 * unseen by the client. */
		if (x->xs->failed) {
			fail(x, E_UPSTREAM, "the provider's stream failed before any content");
			return -1;
		}
		if (x->xs->content_events > 0 || x->writing.out_len > GW_OUT_SIZE / 2)
			x->routing.committed = 1;
		else
			return 0;
	}
	if (server_pending(x)) {
		int r = server_flush(x);
		if (r < 0)
			return -1;
		if (server_pending(x))
			return 1;
	}
	return 0;
}

static void finish_stream(struct exchange *x, int reusable)
{
	if (x->xs->events_out == 0) {
		upstream_release(&x->attempt.up, 0);
		fail(x, E_UPSTREAM, "stream ended before any event");
		return;
	}
	if (!x->routing.pd->end_marker && !x->xs->ended && !x->xs->failed) {
		/* A stream without an end marker (Gemini's) ends with its body
		 * (a cut connection fails before this point): the end marker is
		 * ours to add. */
		struct json_out o;
		json_out_init(&o, x->xbuf, GW_OUT_SIZE / 2 - 32);
		xlate_end(x->xs, &o);
		if (x->routing.translate && !o.overflow)
			queue_chunk(x, x->xbuf, o.len);
	}
	if (x->xs->failed) {
		/* The provider's own error event went out in-band: end broken. */
		upstream_release(&x->attempt.up, 0);
		x->writing.close_after = 1;
		finish(x);
		return;
	}
	if (!x->xs->ended) {
		upstream_release(&x->attempt.up, 0);
		fail(x, E_UPSTREAM, "stream ended without its end marker");
		return;
	}
	upstream_release(&x->attempt.up, reusable);
	x->routing.committed = 1;	/* a complete stream, even one without content */
	succeeded(x, &x->xs->usage);
	server_write(x, "0\r\n\r\n", 5);
	finish(x);
}

/* Takes the response head once complete. 1 done, 0 need more, -1 x gone. */
static int take_head(struct exchange *x)
{
	for (;;) {
		int r = http_parse_response(x->resp, x->attempt.resp_len, x->attempt.resp_scanned, x->rh);
		if (r == HTTP_INCOMPLETE) {
			x->attempt.resp_scanned = x->attempt.resp_len;
			return 0;
		}
		if (r == HTTP_BAD) {
			fail(x, E_UPSTREAM, "malformed HTTP response");
			return -1;
		}
		if (x->rh->status >= 100 && x->rh->status < 200) {	/* interim: skip */
			memmove(x->resp, x->resp + r, x->attempt.resp_len - (size_t)r);
			x->attempt.resp_len -= (size_t)r;
			x->attempt.resp_scanned = 0;
			continue;
		}
		if (http_response_body_info(x->rh, 0, &x->attempt.rbi) < 0) {
			fail(x, E_UPSTREAM, "invalid response framing");
			return -1;
		}
		x->attempt.resp_head = (size_t)r;
		x->attempt.up_status = x->rh->status;
		const struct http_header *ct = http_find_header(x->rh->headers, x->rh->num_headers, "content-type");
		x->attempt.up_is_sse = x->attempt.up_status == 200 && ct &&
			       http_token_prefix(ct->value, ct->value_len, "text/event-stream");
		if (x->attempt.up_is_sse)
			stream_begin(x);
		x->attempt.phase = P_BODY;
		return 1;
	}
}

/* Decodes newly read body bytes. 1 when the body is complete, 0 if more is
 * expected, -1 on malformed framing (x failed). *clean says the connection
 * ended exactly at the body's end and may be reused. */
static int take_body(struct exchange *x, int *clean)
{
	size_t done = x->attempt.resp_head + x->attempt.resp_body;
	size_t raw = x->attempt.resp_len - done;
	*clean = 0;
	switch (x->attempt.rbi.kind) {
	case HTTP_BODY_NONE:
		*clean = x->attempt.rbi.keep_alive && raw == 0;
		return 1;
	case HTTP_BODY_LENGTH:
		x->attempt.resp_body += raw;
		if (x->attempt.resp_body >= x->attempt.rbi.length) {
			*clean = x->attempt.rbi.keep_alive && x->attempt.resp_body == x->attempt.rbi.length;
			x->attempt.resp_body = (size_t)x->attempt.rbi.length;
			x->attempt.resp_len = x->attempt.resp_head + x->attempt.resp_body;
			return 1;
		}
		return 0;
	case HTTP_BODY_CHUNKED: {
		size_t len = raw;
		ssize_t r = http_chunked_decode(&x->attempt.rch, x->resp + done, &len);
		if (r == HTTP_BAD) {
			fail(x, E_UPSTREAM, "malformed chunked response");
			return -1;
		}
		x->attempt.resp_body += len;
		x->attempt.resp_len = x->attempt.resp_head + x->attempt.resp_body;
		if (r >= 0) {
			*clean = x->attempt.rbi.keep_alive && r == 0;
			return 1;
		}
		return 0;
	}
	case HTTP_BODY_UNTIL_CLOSE:
		x->attempt.resp_body += raw;
		return 0;
	}
	return 0;
}

static void body_complete(struct exchange *x, int clean)
{
	if (x->attempt.up_is_sse)
		finish_stream(x, clean);
	else
		finish_nonstream(x, clean);
}

static void read_response(struct exchange *x)
{
	const struct cfg_gateway *g = &x->cfg->gw;
	for (;;) {
		if (x->attempt.phase == P_BODY && x->attempt.up_is_sse) {
			int r = relay_events(x);
			if (r < 0)
				return;
			if (r == 1) {
				upstream_want(&x->attempt.up, 0);	/* wait for the client */
				return;
			}
		}
		if (x->attempt.body_done) {
			body_complete(x, x->attempt.body_clean);
			return;
		}
		size_t space = x->resp_cap - x->attempt.resp_len;
		if (space == 0) {
			fail(x, E_UPSTREAM, x->attempt.phase == P_HEAD ? "response head too large" :
			     x->attempt.up_is_sse ? "stream event too large" : "response larger than max_response_kb");
			return;
		}
		ssize_t n = upstream_read(&x->attempt.up, x->resp + x->attempt.resp_len, space);
		if (n < 0 && errno == EAGAIN) {
			upstream_want(&x->attempt.up, UP_READABLE);
			if (x->attempt.phase == P_BODY)
				upstream_timeout(&x->attempt.up, x->chat.rt ? x->chat.rt->stream_idle_timeout_ms : g->stream_idle_timeout_ms);
			return;
		}
		if (n <= 0) {
			if (x->attempt.phase == P_BODY && x->attempt.rbi.kind == HTTP_BODY_UNTIL_CLOSE && n == 0) {
				x->attempt.body_done = 1;
				continue;
			}
			if (x->attempt.phase == P_HEAD && x->attempt.resp_len == 0 && retry_fresh(x))
				return;
			fail(x, E_UPSTREAM, n == 0 ? "connection closed by the provider" : upstream_error(&x->attempt.up));
			return;
		}
		if (x->attempt.resp_len == 0 && x->attempt.first_byte_us == 0)
			x->attempt.first_byte_us = loop_now_us();
		x->attempt.resp_len += (size_t)n;
		if (x->attempt.phase == P_HEAD) {
			int r = take_head(x);
			if (r < 0)
				return;
			if (r == 0)
				continue;
		}
		int clean;
		int r = take_body(x, &clean);
		if (r < 0)
			return;
		if (r == 1) {
			x->attempt.body_done = 1;
			x->attempt.body_clean = clean;
		}
	}
}

/* The provider connection's events (upstream.h). */
static void on_upstream(struct up_req *r, unsigned what)
{
	struct exchange *x = container_of(r, struct exchange, attempt.up);
	if (what & UP_FAILED) {
		if (x->attempt.phase == P_CONNECT || !retry_fresh(x))
			fail(x, E_UPSTREAM, upstream_error(&x->attempt.up));
		return;
	}
	if (what & UP_TIMEOUT) {
		fail(x, E_UPSTREAM_TIMEOUT, x->attempt.phase <= P_SEND ? upstream_error(&x->attempt.up) :
		     x->attempt.phase == P_HEAD ? "no response within first_byte_timeout" :
		     "stream stalled longer than stream_idle_timeout");
		return;
	}
	if (x->attempt.phase == P_CONNECT || x->attempt.phase == P_SEND) {
		send_request(x);
		return;
	}
	read_response(x);
}

/* The client took what was queued: go on reading a paused stream. */
static void on_client_drained(struct exchange *x)
{
	if (x->attempt.up.u && x->attempt.phase == P_BODY && x->attempt.up_is_sse)
		read_response(x);
}

/* The client left: the provider side is dropped at once. A provider that
 * had the whole request may have charged for it, so what it did is billed
 * (for the client's limits too), marked estimated unless the provider's
 * final usage (one that came with the finish reason) is in:
 *   input:  the provider's count when it sent one (Anthropic's
 *           message_start), else the request body's bytes / 4 (the
 *           estimate the cheapest strategy uses; base64 images make it high)
 *   output: the text, thinking and tool-argument bytes the provider
 *           streamed / 4, rounded up, or its own count when larger; 0 for a
 *           non-stream answer (it never arrived).
 * A request still being connected or sent cost nothing, nor did one the
 * provider refused (an error status): not billed. */
static void on_client_abort(struct exchange *x)
{
	/* The provider has the whole request and has not answered with an
	 * error: it is (or was) working on it, and nothing billed it yet. */
	int st = x->attempt.up_status;
	int working = x->attempt.phase >= P_HEAD && (st == 0 || (st >= 200 && st < 300));
	if (!x->attempt.up.u)
		return;		/* the attempt had its verdict, and its bill if any */
	upstream_release(&x->attempt.up, 0);
	if (x->routing.tid >= 0 && gw_current(x))
		health_cancel((unsigned)x->routing.tid, loop_now());	/* no verdict on the target */
	if (!working)
		return;
	struct ir_usage u;
	memset(&u, 0, sizeof u);
	int streamed = x->attempt.up_is_sse;	/* then x->xs is this attempt's */
	if (streamed)
		u = x->xs->usage;
	if (streamed && u.have && x->xs->finish) {
		bill(x, &u, 0);
		return;
	}
	if (u.input <= 0) {
		u.input = (int64_t)(x->reading.body_len / 4);
		u.cached = 0;
	}
	int64_t out = streamed ? (int64_t)((x->xs->content_bytes + 3) / 4) : 0;
	if (u.output < out)
		u.output = out;
	u.have = 1;
	bill(x, &u, 1);
}
