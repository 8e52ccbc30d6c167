/*
 * api.c - what a complete request asks for: the local endpoints (/healthz,
 * /v1/models), client-key checks, and the chat request's model resolved to
 * a provider and target model before proxy.c takes over.
 *
 * Model names: a route name ("fast") or "provider/model" where the model
 * part may itself contain slashes ("or/meta-llama/llama-3.3-70b").
 *
 * Who may ask: with client sections, a client key for every endpoint but
 * /healthz, and the monitoring pages only for a client with `monitor`;
 * with none (an open gateway), loopback peers (any peer with `anonymous`)
 * for all of it, monitoring included: it then names no client.
 *
 * Endpoints of features left out of this build (options.h) are still
 * recognised, and answered "not in this build (LLMGW_X=0)": 404 for the
 * monitoring pages, 501 in the client's own error shape for a dialect's
 * API (written here: that dialect's encoder is not linked). The code that
 * serves them stays behind constant conditions, so it is compiled in every
 * build and dropped by the optimiser/linker in the small ones.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "auth.h"
#include "gw.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "port.h"
#include "status.h"

/* The endpoints; P_GEMINI is a prefix. The GET pages come first, the
 * POST APIs from P_CHAT on (api_dispatch relies on both orders). */
enum { P_METRICS, P_STATUS, P_STATUS_JSON, P_HEALTHZ, P_MODELS, P_CHAT, P_MESSAGES, P_COUNT, P_GEMINI, P_OTHER };
static const char *const paths[P_GEMINI] = {
	[P_METRICS] = "/metrics",
	[P_STATUS] = "/status",
	[P_STATUS_JSON] = "/status.json",
	[P_HEALTHZ] = "/healthz",
	[P_MODELS] = "/v1/models",
	[P_CHAT] = "/v1/chat/completions",
	[P_MESSAGES] = "/v1/messages",
	[P_COUNT] = "/v1/messages/count_tokens",
};
static const char gemini_pre[] = "/v1beta/models/";

/* Which endpoint the target's path (up to any '?') names: one P_*. */
static int path_index(const struct exchange *x)
{
	const char *t = x->req->target;
	size_t n = x->req->target_len;
	const char *q = memchr(t, '?', n);
	size_t plen = q ? (size_t)(q - t) : n;
	for (int i = 0; i < P_GEMINI; i++)
		if (strlen(paths[i]) == plen && memcmp(t, paths[i], plen) == 0)
			return i;
	return n > sizeof gemini_pre - 1 && memcmp(t, gemini_pre, sizeof gemini_pre - 1) == 0 ? P_GEMINI : P_OTHER;
}

static int method_is(const struct exchange *x, const char *m)
{
	return x->req->method_len == strlen(m) && memcmp(x->req->method, m, x->req->method_len) == 0;
}

static void reply_json(struct exchange *x, int status, const char *body, size_t len)
{
	if (gw_head(x, status, "application/json", (long long)len, NULL, 0) < 0 ||
	    server_write(x, body, len) < 0) {
		gw_error(x, E_INTERNAL, "response too large for the output buffer");
	}
	x->writing.resp_done = 1;
	server_flush(x);
}

/* Who is asking: 1 when allowed (x->chat.who set when a client key matched). */
static int authenticate(struct exchange *x)
{
	const struct cfg *cfg = gw.cfg;
	const char *key;
	size_t klen;
	int have = auth_extract_key(x->req->headers, x->req->num_headers, &key, &klen);
	if (cfg->nclients == 0) {
		if (x->c->peer_loopback || cfg->gw.anonymous)
			return 1;
		gw_error(x, E_AUTH, "no client keys are configured, so only loopback clients are served; "
			 "create one with 'llmgw keygen' and add a client section");
		return 0;
	}
	if (have) {
		for (unsigned i = 0; i < cfg->nclients; i++) {
			if (auth_key_matches(cfg->clients[i].key_sha256, key, klen)) {
				x->chat.who = &cfg->clients[i];
				return 1;
			}
		}
	}
	gw_error(x, E_AUTH, have ? "invalid API key" :
		 "missing API key: send 'Authorization: Bearer <key>' with a key from 'llmgw keygen'");
	return 0;
}

static int allowed(const struct exchange *x, const char *name, size_t len)
{
	return !x->chat.who || cfg_client_allows(x->chat.who, name, len);
}

/* A client with a USD budget spends only where the price is known (an
 * unpriced request adds nothing to its totals, so the budget would never
 * trip) unless its section says allow_unpriced: 1 for such a client. */
static int priced_only(const struct cfg_client *w)
{
	return LLMGW_USAGE && w && !w->allow_unpriced && (w->daily_usd > 0 || w->monthly_usd > 0);
}

/* Whether x's client may spend on route r, or else on provider p's model
 * m: a route when one of its targets is priced, a model when it is. */
static int may_spend(const struct exchange *x, const struct cfg_route *r, unsigned p, const char *m)
{
	const struct cfg *cfg = gw.cfg;
	if (!priced_only(x->chat.who))
		return 1;
	if (!r)
		return route_price(cfg, cfg_target_id(cfg, p, m, strlen(m)), m, NULL);
	for (unsigned i = 0; i < r->ntargets; i++)
		if (cfg->targets_all[r->targets[i].tid].priced)
			return 1;
	return 0;
}

/* Sends the n bytes built in x->resp as a 200 page, or too_big when
 * overflow is set. */
static void send_page(struct exchange *x, int overflow, const char *too_big, size_t n, const char *ct,
    const char *extra, size_t elen)
{
	if (overflow) {
		gw_error(x, E_INTERNAL, "%s", too_big);
	} else if (gw_head(x, 200, ct, (long long)n, extra, elen) < 0) {
		gw_error(x, E_INTERNAL, "response head too large");
	} else {
		server_write_ext(x, x->resp, n);
		x->writing.resp_done = 1;
	}
	server_flush(x);
}

/* One model entry, "a" or "a/b", when the client may use it (spend is
 * may_spend's verdict on it). */
static void add_model(struct exchange *x, struct json_out *o, int *first, const char *a, const char *b, const char *owner,
		      int spend)
{
	char name[600];
	fmt_snprintf(name, sizeof name, "%s%s%s", a, b ? "/" : "", b ? b : "");
	const char *as = b ? name : a;	/* a route is checked whole, even past the 600 bytes listed */
	if (!spend || !allowed(x, as, strlen(as)))
		return;
	json_lit(o, *first ? "{\"id\":" : ",{\"id\":");
	*first = 0;
	json_cstr(o, name);
	json_lit(o, ",\"object\":\"model\",\"created\":0,\"owned_by\":");
	json_cstr(o, owner);
	json_lit(o, "}");
}

static void list_models(struct exchange *x)
{
	const struct cfg *cfg = gw.cfg;
	struct json_out o;
	/* The listing is built in the response buffer, which is free now. */
	json_out_init(&o, x->resp, x->resp_cap);
	json_lit(&o, "{\"object\":\"list\",\"data\":[");
	int first = 1;
	for (unsigned i = 0; i < cfg->nroutes; i++)
		add_model(x, &o, &first, cfg->routes[i].name, NULL, "llmgw", may_spend(x, &cfg->routes[i], 0, NULL));
	for (unsigned p = 0; p < cfg->nproviders; p++) {
		const struct cfg_provider *pv = &cfg->providers[p];
		for (unsigned m = 0; m < pv->nmodels; m++)
			add_model(x, &o, &first, pv->name, pv->models[m], pv->type->name, may_spend(x, NULL, p, pv->models[m]));
		/* Route targets are models the operator chose: list them too. */
		for (unsigned r = 0; r < cfg->nroutes; r++) {
			for (unsigned t = 0; t < cfg->routes[r].ntargets; t++) {
				const struct cfg_target *tg = &cfg->routes[r].targets[t];
				if (tg->provider != p)
					continue;
				int dup = 0;
				for (unsigned m = 0; m < pv->nmodels && !dup; m++)
					dup = strcmp(pv->models[m], tg->model) == 0;
				for (unsigned r2 = 0; r2 <= r && !dup; r2++)
					for (unsigned t2 = 0; t2 < cfg->routes[r2].ntargets && !dup; t2++) {
						const struct cfg_target *o2 = &cfg->routes[r2].targets[t2];
						if (o2 == tg)
							break;
						dup = o2->provider == p && strcmp(o2->model, tg->model) == 0;
					}
				if (!dup)
					add_model(x, &o, &first, pv->name, tg->model, pv->type->name,
						  may_spend(x, NULL, p, tg->model));
			}
		}
	}
	json_lit(&o, "]}");
	send_page(x, o.overflow, "model list too large", o.len, "application/json", NULL, 0);
}

/* The "fast, oai/<model>, ..." list for not-found messages. */
static void available(char *buf, size_t len)
{
	const struct cfg *cfg = gw.cfg;
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < cfg->nroutes && n < len; i++)
		n += (size_t)fmt_snprintf(buf + n, len - n, "%s%s", n ? ", " : "", cfg->routes[i].name);
	for (unsigned i = 0; i < cfg->nproviders && n < len; i++)
		n += (size_t)fmt_snprintf(buf + n, len - n, "%s%s/<model>", n ? ", " : "", cfg->providers[i].name);
}

static void no_providers(struct exchange *x)
{
	gw_error(x, E_NO_PROVIDERS, "no providers are configured: set OPENAI_API_KEY (or GROQ_API_KEY, MISTRAL_API_KEY, "
		 "OLLAMA_HOST, ...) before starting llmgw, or add a 'config provider' section to %s", CFG_DEFAULT_PATH);
}

/* Resolves the model the client named (a route, or "provider/model") to a
 * provider and target model. 1 when done, else an error is queued. */
static int resolve_model(struct exchange *x, const char *name, size_t n)
{
	const struct cfg *cfg = gw.cfg;
	if (n == 0 || n >= sizeof x->model_buf) {
		gw_error(x, E_BAD_REQUEST, "the model name must be 1 to 255 bytes");
		return 0;
	}
	const struct cfg_route *r = cfg_route_find(cfg, name, n);
	const char *slash = NULL;
	int p = -1;
	if (!r) {
		slash = memchr(name, '/', n);
		p = slash ? cfg_provider_index(cfg, name, (size_t)(slash - name)) : -1;
		if (p < 0 || (size_t)(slash + 1 - name) == n) {
			if (cfg->nproviders == 0) {
				no_providers(x);
				return 0;
			}
			char av[400];
			available(av, sizeof av);
			gw_error(x, E_MODEL_NOT_FOUND, "model '%.*s' not found; available: %s", (int)n, name, av);
			return 0;
		}
	}
	if (!allowed(x, name, n)) {
		gw_error(x, E_FORBIDDEN, "this API key may not use model '%.*s'", (int)n, name);
		return 0;
	}
	if (r) {
		x->chat.route = r->name;
		x->chat.rt = r;	/* proxy.c picks the target per attempt */
		return 1;
	}
	x->chat.prov = &cfg->providers[p];
	size_t ml = n - (size_t)(slash + 1 - name);
	memcpy(x->model_buf, slash + 1, ml);
	x->model_buf[ml] = 0;
	x->chat.model = x->model_buf;
	return 1;
}

/* Such a client is refused a direct provider/model without a price; a
 * route keeps only its priced targets (route_pick skips the rest, in
 * failover too) and is refused when it has none. Token counting costs
 * nothing: not checked. 1 when the request may go on. */
static int budget_allows(struct exchange *x)
{
	if (x->chat.count_tokens)
		return 1;
	const struct cfg_route *r = x->chat.rt;
	x->chat.priced_only = priced_only(x->chat.who);
	if (may_spend(x, r, r ? 0 : (unsigned)(x->chat.prov - gw.cfg->providers), x->chat.model))
		return 1;
	gw_error(x, E_FORBIDDEN, "model '%s' has no known price and this key has a USD budget: price it in a "
		 "target section, or set option allow_unpriced '1' in the key's client section", x->chat.client_model);
	return 0;
}

/* Decodes %XX in a URL path segment into out (NUL-terminated). -1 if bad. */
static int url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int v = 0;
			for (int k = 1; k <= 2; k++) {
				if (i + (size_t)k >= n)
					return -1;
				int h = s[i + (size_t)k], l = h | 32;	/* l: lowercase for letters */
				v = v * 16 + (h >= '0' && h <= '9' ? h - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1000);
			}
			if (v < 1 || v > 255)
				return -1;
			c = (unsigned char)v;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return (int)o;
}

/* A chat request in dialect cd. For Gemini the model comes from the URL
 * (path_model) and streaming from the method; otherwise both from the body. */
static int chat(struct exchange *x, const struct dialect_ops *cd, const char *path_model, int path_stream)
{
	x->chat.cd = cd;
	const char *body = x->in + x->reading.head_len;
	size_t blen = x->reading.body_len;
	/* One pass, without tokens (only a translation needs the token tree):
	 * the body is valid JSON without a top-level key given twice, and the
	 * top-level members the gateway reads. This is where every request is
	 * first read, so the checks here hold for the translated path and the
	 * same-dialect one, which forwards the body with only the model
	 * replaced. A nested key given twice is let through: the gateway reads
	 * nothing nested on the same-dialect path, and a translation writes
	 * the one value it read. */
	enum { K_MODEL, K_STREAM, K_LIST, K_SOPT, K_MAXC, K_MAX, K_N };
	const char *const keys[K_N] = { "model", "stream", cd->list_key,
					"stream_options", "max_completion_tokens", "max_tokens" };
	size_t vs[K_N], ve[K_N], dup, dlen;
	int v = json_valid_request(body, blen, keys, K_N, vs, ve, &dup, &dlen);
	_Static_assert(JSON_MAX_TOP_MEMBERS == 256, "the message below names the limit");
	if (v <= -4) {
		gw_error(x, E_BAD_REQUEST, v == -4 ? "the request body has the key '%.*s' twice" :
			 "the request body has more than 256 top-level members (at '%.*s')",
			 (int)(dlen > 60 ? 60 : dlen), body + dup);
		return 0;
	}
	size_t lead = 0;
	while (lead < blen && (body[lead] == ' ' || body[lead] == '\t' || body[lead] == '\n' || body[lead] == '\r'))
		lead++;
	if (v != 0 || lead == blen || body[lead] != '{') {
		gw_error(x, E_BAD_JSON, v == -3 ? "request JSON is nested too deeply" : "request body is not a valid JSON object");
		return 0;
	}
	int n;
	if (path_model) {
		n = (int)strlen(path_model);
		memcpy(x->model_buf2, path_model, (size_t)n + 1);
		x->chat.stream = path_stream;
	} else {
		struct json_out mo;
		json_out_init(&mo, x->model_buf2, sizeof x->model_buf2 - 1);
		if (!ve[K_MODEL] || body[vs[K_MODEL]] != '"' || ve[K_MODEL] - vs[K_MODEL] < 3 ||
		    json_unescape_append(&mo, body + vs[K_MODEL] + 1, ve[K_MODEL] - vs[K_MODEL] - 2) < 0 || mo.overflow) {
			gw_error(x, E_BAD_REQUEST, "'model' is required and must be a non-empty string of at most 255 bytes");
			return 0;
		}
		x->model_buf2[mo.len] = 0;
		n = (int)mo.len;
		x->chat.mstart = vs[K_MODEL];
		x->chat.mend = ve[K_MODEL];
		x->chat.stream = ve[K_STREAM] - vs[K_STREAM] == 4 && !memcmp(body + vs[K_STREAM], "true", 4);
	}
	/* The members read here have the types their APIs give them (null
	 * stands for absent, as the providers take it): a body the gateway
	 * reads one way must not reach a provider that reads it another
	 * ("stream":"yes" is no stream here, and an error or a stream there). */
	static const unsigned char want[K_N] = {
		[K_STREAM] = JT_BOOL, [K_LIST] = JT_ARRAY, [K_SOPT] = JT_OBJECT, [K_MAXC] = JT_COUNT, [K_MAX] = JT_COUNT,
	};
	char err[120];
	if (json_check_spans(body, vs, ve, keys, want, K_N, err, sizeof err) < 0) {
		gw_error(x, E_BAD_REQUEST, "%s", err);
		return 0;
	}
	x->chat.max_tokens_asked = 0;
	for (int k = K_MAX; k >= K_MAXC; k--)	/* max_completion_tokens wins */
		if (ve[k])
			json_span_count_strict(body + vs[k], ve[k] - vs[k], &x->chat.max_tokens_asked);
	/* Whether the client asked for stream usage itself: if not (absent,
	 * null, false), proxy.c asks for it all the same, since billing must
	 * not depend on the client's good will. */
	x->chat.sostart = vs[K_SOPT];
	x->chat.soend = ve[K_SOPT];
	x->chat.usage_asked = 0;
	if (ve[K_SOPT] && body[vs[K_SOPT]] == '{') {
		static const char *const iu[1] = { "include_usage" };
		size_t us[1], ue[1], d2, l2;
		if (json_valid_request(body + vs[K_SOPT], ve[K_SOPT] - vs[K_SOPT], iu, 1, us, ue, &d2, &l2) == 0 &&
		    ue[0] - us[0] == 4 && !memcmp(body + vs[K_SOPT] + us[0], "true", 4))
			x->chat.usage_asked = 1;
	}
	x->chat.client_model = x->model_buf2;
	const char *list = keys[K_LIST];
	if (!x->chat.count_tokens && (!ve[K_LIST] || body[vs[K_LIST]] != '[')) {
		gw_error(x, E_BAD_REQUEST, "'%s' is required and must be an array", list);
		return 0;
	}
	if (!resolve_model(x, x->model_buf2, (size_t)n) || !budget_allows(x))
		return 0;
	proxy_start(x);
	return 1;
}

/* "/v1beta/models/{model}:{method}[?query]": the model (URL-decoded, may
 * hold '/' and ':') before the LAST ':' of the path. */
static int gemini_chat(struct exchange *x)
{
	const char *t = x->req->target;
	size_t n = x->req->target_len;
	const char *q = memchr(t, '?', n);
	size_t plen = q ? (size_t)(q - t) : n;
	const char *colon = NULL;
	for (size_t i = sizeof gemini_pre - 1; i < plen; i++)
		if (t[i] == ':')
			colon = t + i;
	if (!colon) {
		gw_error(x, E_NOT_FOUND, "expected /v1beta/models/{model}:generateContent");
		return 0;
	}
	const char *method = colon + 1;
	size_t mlen = plen - (size_t)(method - t);
	int stream;
	if (mlen == 15 && !memcmp(method, "generateContent", 15))
		stream = 0;
	else if (mlen == 21 && !memcmp(method, "streamGenerateContent", 21))
		stream = 1;
	else {
		gw_error(x, E_NOT_FOUND, "unsupported Gemini method '%.*s' (generateContent and streamGenerateContent are)",
			 (int)(mlen > 60 ? 60 : mlen), method);
		return 0;
	}
	char model[256];
	if (url_decode(t + sizeof gemini_pre - 1, (size_t)(colon - t) - (sizeof gemini_pre - 1), model, sizeof model) <= 0) {
		gw_error(x, E_BAD_REQUEST, "bad model name in the URL");
		return 0;
	}
	/* alt=sse: Server-Sent Events; otherwise one JSON array, streamed. */
	x->chat.client_sse = 0;
	if (q) {
		size_t qn = n - (size_t)(q - t);
		for (size_t i = 1; i + 7 <= qn; i++)
			if ((q[i - 1] == '?' || q[i - 1] == '&') && !memcmp(q + i, "alt=sse", 7) &&
			    (i + 7 == qn || q[i + 7] == '&'))
				x->chat.client_sse = 1;
	}
	return chat(x, dialect_get(DIALECT_GEMINI), model, stream);
}

/* /metrics, /status and /status.json: rendered into the exchange's own
 * response buffer, so concurrent scrapes never share one. */
static void monitoring(struct exchange *x, int which)
{
	struct metrics_runtime rt = {
		.open_connections = gw.nclients,
		.active_requests = gw.nactive,
		.upstream_connections = upstream_open_count(),
		.rss_bytes = port_rss_bytes(),
		.start_unix = gw.start_unix,
	};
	int64_t now = loop_now(), unix_now = (int64_t)time(NULL);
	size_t n;
	const char *ct;
	if (LLMGW_METRICS && which == 0) {
		n = metrics_render(x->resp, x->resp_cap, gw.cfg, &rt, now, unix_now);
		ct = METRICS_CONTENT_TYPE;
	} else if (LLMGW_STATUS_PAGE && which == 1) {
		n = status_render_html(x->resp, x->resp_cap, gw.cfg, &rt, now, unix_now);
		ct = STATUS_HTML_TYPE;
	} else if (LLMGW_STATUS_PAGE) {
		n = status_render_json(x->resp, x->resp_cap, gw.cfg, &rt, now, unix_now);
		ct = STATUS_JSON_TYPE;
	} else {
		return;		/* not reached: api_dispatch() answers first */
	}
	send_page(x, n > x->resp_cap, "the page is larger than max_response_kb", n, ct, "Cache-Control: no-store\r\n", 25);
}

/* A dialect's API this build was made without, answered in the error shape
 * of that dialect's SDK (its encoder is not linked): 501 Not Implemented. */
static void api_not_built(struct exchange *x, enum dialect shape, const char *api, const char *option)
{
	char msg[160], body[400];
	struct json_out o;
	fmt_snprintf(msg, sizeof msg, "the %s API is not in this build of llmgw (built with %s=0)", api, option);
	json_out_init(&o, body, sizeof body);
	if (shape == DIALECT_GEMINI) {
		json_lit(&o, "{\"error\":{\"code\":501,\"message\":");
		json_cstr(&o, msg);
		json_lit(&o, ",\"status\":\"UNIMPLEMENTED\"}}");
	} else {
		json_lit(&o, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":");
		json_cstr(&o, msg);
		json_lit(&o, "}}");
	}
	if (gw_head(x, 501, "application/json", (long long)o.len, NULL, 0) < 0 || server_write(x, body, o.len) < 0)
		gw_error(x, E_INTERNAL, "response too large for the output buffer");
	x->writing.resp_done = 1;
}

/* Endpoints of features left out of this build: 1 when x was answered. */
static int not_built(struct exchange *x, int p)
{
	if (!LLMGW_METRICS && p == P_METRICS) {
		gw_error(x, E_NOT_FOUND, "/metrics is not in this build of llmgw (built with LLMGW_METRICS=0)");
		return 1;
	}
	if (!LLMGW_STATUS_PAGE && (p == P_STATUS || p == P_STATUS_JSON)) {
		gw_error(x, E_NOT_FOUND, "the status page is not in this build of llmgw (built with LLMGW_STATUS_PAGE=0)");
		return 1;
	}
	if (!LLMGW_DIALECT_ANTHROPIC && (p == P_MESSAGES || p == P_COUNT)) {
		api_not_built(x, DIALECT_ANTHROPIC, "Anthropic Messages", "LLMGW_DIALECT_ANTHROPIC");
		return 1;
	}
	if (!LLMGW_DIALECT_GEMINI && p == P_GEMINI) {
		api_not_built(x, DIALECT_GEMINI, "Gemini generateContent", "LLMGW_DIALECT_GEMINI");
		return 1;
	}
	return 0;
}

void api_dispatch(struct exchange *x)
{
	int p = path_index(x);
	if (not_built(x, p))
		goto flush;
	const struct cfg_gateway *g = &gw.cfg->gw;
	/* Monitoring pages switched off in the configuration do not exist. */
	if ((p == P_METRICS && !(LLMGW_METRICS && g->metrics)) ||
	    ((p == P_STATUS || p == P_STATUS_JSON) && !(LLMGW_STATUS_PAGE && g->status_page)))
		p = P_OTHER;
	if (p == P_OTHER) {
		gw_error(x, E_NOT_FOUND, "no such endpoint: %.*s", (int)(x->req->target_len > 100 ? 100 : x->req->target_len), x->req->target);
		goto flush;
	}
	int post = p >= P_CHAT;
	if (post) {
		/* Through dialect_get(), the one place that names each dialect's
		 * table: not_built() has answered the dialects left out. Set
		 * before any error, which takes the client dialect's shape. */
		x->chat.cd = dialect_get(LLMGW_DIALECT_GEMINI && p == P_GEMINI ? DIALECT_GEMINI :
				    p == P_CHAT ? DIALECT_OPENAI : DIALECT_ANTHROPIC);
		x->chat.count_tokens = p == P_COUNT;
	}
	const char *method = post ? "POST" : "GET";
	if (!method_is(x, method)) {
		gw_error(x, E_METHOD, "use %s", method);
	} else if (post && gw.stopping) {
		gw_error(x, E_SHUTTING_DOWN, "llmgw is shutting down");
	} else if (p == P_HEALTHZ) {
		static const char ok[] = "{\"status\":\"ok\"}";
		reply_json(x, 200, ok, sizeof ok - 1);
		return;
	} else if (authenticate(x)) {
		/* Once proxy.c has the exchange it owns it: it may already be
		 * answered and even released, so x is not touched again. */
		if ((LLMGW_METRICS || LLMGW_STATUS_PAGE) && p <= P_STATUS_JSON && x->chat.who && !x->chat.who->monitor) {
			/* Every client's name and spending: not for any key. */
			gw_error(x, E_NOT_MONITOR, "this key may not read %s: that needs option monitor '1' "
				 "in its client section", paths[p]);
			goto flush;
		}
		if (p <= P_STATUS_JSON)
			monitoring(x, p);
		else if (p == P_MODELS)
			list_models(x);
		else if (!(LLMGW_DIALECT_GEMINI && p == P_GEMINI ? gemini_chat(x) : chat(x, x->chat.cd, NULL, 0)))
			goto flush;
		return;
	}
flush:
	server_flush(x);
}
