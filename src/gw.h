/*
 * gw.h - the gateway's runtime objects and how the modules hand them around.
 *
 *   main.c      start-up, signals, reloads; owns `gw` and the current
 *               configuration (gw.cfg).
 *   server.c    LAN side: listeners, client connections, request reading,
 *               response writing, keep-alive, limits and timeouts.
 *   api.c       what a complete request means: local endpoints, client
 *               keys, model resolution, then hands chat requests to proxy.c.
 *   proxy.c     one chat exchange with a provider: routing and attempts,
 *               the upstream request, the response or SSE stream relayed.
 *   upstream.c  provider connections (upstream.h).
 *   errors.c    every error the gateway answers, as status + JSON body.
 *
 * Calls go down (server -> api -> proxy -> upstream); events come up
 * through callbacks: upstream reports through struct up_req's callback,
 * the response writer through the exchange's on_drained/on_abort hooks.
 *
 * Ownership: clients and exchanges come from fixed pools allocated by
 * server_init() at start-up and are never freed until exit. A client holds
 * an exchange only while a request is being read or served; idle keep-alive
 * connections hold nothing but their small struct client. An exchange that
 * ends goes back to its pool at the end of the loop round, never while a
 * caller may still hold it. Each part of an exchange (struct ex_*) has one
 * owning module and is reset as a whole. Nothing here blocks: every
 * function returns at once and I/O waits in the loop.
 */
#ifndef LLMGW_GW_H
#define LLMGW_GW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "config.h"
#include "dialect.h"
#include "dns.h"
#include "http.h"
#include "json.h"
#include "loop.h"
#include "route.h"
#include "upstream.h"

#define LLMGW_VERSION "0.1.0"
#define MAX_LISTEN_FDS 8
#define GW_JSON_TOKENS 16384	/* per exchange: a chat request's JSON elements (20 B each) */
#define GW_OUT_SIZE 65536	/* per exchange: response heads, errors, SSE events */
#define GW_UPHEAD_SIZE 4096	/* per exchange: the upstream request head */
#define GW_SCRATCH_SIZE 65536	/* per exchange: stream encoder scratch (tool arguments) */

struct exchange;
struct tls;

enum client_state {
	C_FREE,		/* in the pool */
	C_IDLE,		/* keep-alive, waiting for a request; no exchange */
	C_HEAD,		/* reading a request head into a head buffer; no exchange */
	C_WAIT_H,	/* bytes arrived but every head buffer holds a complete head */
	C_WAIT_X,	/* head complete (in its head buffer) but every exchange is busy */
	C_READ,		/* reading the rest of a request into its exchange */
	C_SERVE,	/* request complete, response being produced/sent */
	C_NEXT,		/* answered; a pipelined request starts from the timer */
};

struct client {
	struct loop_fd w;
	struct loop_timer timer;
	enum client_state state;
	unsigned head_len;		/* bytes in its head buffer */
	struct exchange *x;
	struct client *next, *prev;	/* free list (next only); the queue of its state */
	char *head;			/* its head buffer (C_HEAD, C_WAIT_X), else NULL */
	int64_t started_us;		/* the current request's first byte */
	int peer_loopback;
	char peer[48];			/* for logs */
	unsigned served;		/* requests on this connection */
	struct tls *tls;		/* a TLS listener's connection, else NULL */
	int tls_ready;			/* its handshake is complete */
	struct loop_defer nudge;	/* reads what its TLS engine holds (client_resume) */
};

/* The request as it is read: server.c's, reset as a whole per request.
 * The head and the decoded body live in the exchange's `in` buffer. */
struct ex_read {
	size_t in_len;			/* bytes held (may include a pipelined next request) */
	size_t scanned;			/* head bytes already searched for its end */
	size_t head_len;		/* 0 until the head is parsed */
	size_t body_len;		/* decoded body bytes at in + head_len */
	size_t req_end;			/* where this request's raw bytes end in `in` */
	size_t raw_body;		/* raw (undecoded) body bytes consumed so far */
	struct http_body_info bi;
	struct http_chunked chunked;
	int continue_sent;
	int64_t started_us;
};

/* The response as it is written, from out[] then ext (zero-copy):
 * server.c's, reset as a whole per request. */
struct ex_write {
	size_t out_len, out_off;
	const char *ext;
	size_t ext_len, ext_off;
	int resp_started;		/* head went out: errors must now go in-band */
	int resp_done;			/* nothing more will be queued */
	int close_after;		/* close the connection after this response */
	int status;			/* for the access log */
	int logged;			/* counted and access-logged: the request is over */
	/* Set by the module producing the response (proxy.c), so that
	 * server.c never names it; NULL: nothing to do. */
	void (*on_drained)(struct exchange *x);	/* the output drained: produce more */
	void (*on_abort)(struct exchange *x);	/* the client left before the end (called
						 * before the exchange is logged: it may
						 * still set what the log shows) */
};

/* What a chat request asks, as api.c read it from the endpoint, the head
 * and the body's top level; proxy.c reads it. Reset as a whole. */
struct ex_chat {
	const struct dialect_ops *cd;	/* the client's dialect (from the endpoint) */
	int count_tokens;		/* POST /v1/messages/count_tokens */
	int client_sse;			/* Gemini client: alt=sse (else a JSON array stream) */
	int stream;
	const char *client_model;	/* the model name as the client gave it (model_buf2) */
	size_t mstart, mend;		/* the "model" value's span in the request body */
	size_t sostart, soend;		/* the stream_options value's span, 0 0: absent */
	int usage_asked;		/* it says "include_usage":true */
	int64_t max_tokens_asked;	/* its max (completion) tokens, 0 when not given */
	const struct cfg_client *who;	/* authenticated client, or NULL */
	int priced_only;		/* a route may use only its priced targets (USD budget) */
	const struct cfg_route *rt;	/* a route, or NULL: a direct provider/model request */
	const char *route;		/* route name or NULL */
	const struct cfg_provider *prov;	/* a direct request's provider */
	const char *model;		/* and model (model_buf) */
};

/* Routing across attempts: proxy.c's, reset as a whole per request. */
struct ex_route {
	const struct cfg_provider *prov;	/* the current target's provider */
	const char *model;		/* and model (config arena or model_buf) */
	const struct dialect_ops *pd;	/* the provider's dialect */
	int translate;			/* cd != pd: through the IR */
	int tid;			/* current target id (cfg.targets_all), -1 none */
	unsigned tried[ROUTE_MAX_TRIED];
	unsigned ntried, attempts;
	struct route_ask ask;
	int64_t deadline_ms;		/* no new attempt after this (loop_now) */
	int64_t attempt_ms;		/* when the current attempt started */
	int committed;			/* response bytes may go to the client: no more failover */
	int ir_ready;			/* x->ir holds the decoded request */
	struct ir_usage usage;		/* of the successful attempt (or the aborted one) */
	double cost_usd;
	int priced;
	int estimated;			/* usage is our estimate: the client left early */
};

/* One attempt: the provider request being sent and its response being
 * read. proxy.c's, reset as a whole when an attempt starts. */
struct ex_attempt {
	int phase;			/* P_CONNECT, P_SEND, P_HEAD, P_BODY */
	struct iovec upv[8];		/* upstream request: head + body pieces */
	int upv_n, upv_i;
	size_t upv_off;
	int strip_usage;		/* usage was asked for the gateway, not the client */
	struct up_req up;		/* the provider connection (up.fresh: a reused one failed before any byte) */
	size_t resp_len;		/* bytes held in resp */
	size_t resp_head;		/* head length once parsed, else 0 */
	size_t resp_scanned;
	size_t resp_body;		/* decoded body bytes after resp_head */
	size_t resp_consumed;		/* stream: body bytes already relayed */
	struct http_body_info rbi;
	struct http_chunked rch;
	int up_status;
	int up_is_sse;
	int body_done, body_clean;	/* upstream body complete; connection reusable */
	int events;			/* stream events relayed */
	int64_t first_byte_us;
};

/* One request/response from a client's request to its answer. The
 * exchange itself (its links and fixed buffers) is server.c's; each part
 * belongs to the module named above it. */
struct exchange {
	struct exchange *next_free;	/* first: the one field an ended exchange keeps (server.c) */
	struct client *c;
	unsigned gen;			/* configuration generation it is served under */
	const struct cfg *cfg;		/* that configuration (alive while held; gw.cfg may be newer) */
	int held;			/* holds that generation alive (gw_cfg_hold) */
	int64_t idle_since_ms;		/* when it went back to the pool (buffer trim) */
	int buffers_dirty;		/* its buffer pages may be resident */

	struct ex_read reading;
	struct ex_write writing;
	struct ex_chat chat;
	struct ex_route routing;
	struct ex_attempt attempt;

	/* Fixed buffers, placed when the exchange is first taken; their
	 * contents are the parts' business. */
	char *in;			/* the request: head, decoded body, pipelined bytes */
	size_t in_cap;
	struct http_request *req;	/* the parsed request head */
	char *out;			/* response bytes queued (GW_OUT_SIZE) */
	char *uphead;			/* the provider request head (GW_UPHEAD_SIZE) */
	char *resp;			/* the provider's response bytes */
	size_t resp_cap;
	struct http_response *rh;	/* its parsed head */
	jsmntok_t *tok;			/* GW_JSON_TOKENS */
	struct json_doc doc;
	struct ir_request ir;		/* decoded request when translating (arrays placed) */
	struct xlate_stream *xs;	/* stream translation state */
	char *xbuf;			/* translated request body, then translated response */
	size_t xbuf_cap, xbuf_len;
	char *scratch;			/* stream encoder scratch */
	char model_buf[256];		/* a direct request's model */
	char model_buf2[256];		/* the model as the client named it */
};

/* The runtime, defined and set up in main.c. gw.cfg is the one current
 * configuration (a reload replaces it); an exchange keeps the one it is
 * served under in x->cfg until it ends. */
struct gw {
	const struct cfg *cfg;
	int stopping;			/* SIGTERM: no new requests */
	int64_t stop_deadline;
	unsigned nclients, nactive;	/* open client connections, exchanges in use */
	unsigned long long requests, upstream_connects;
	unsigned long long streams;	/* streams begun: each one's serial for made-up ids */
	long long start_unix;
	unsigned gen;			/* configuration generation, +1 per reload */
	unsigned long long reloads;
};
extern struct gw gw;

/* main.c: a configuration replaced by a reload is freed once no exchange
 * served under it is left. */
void gw_cfg_hold(unsigned gen);
void gw_cfg_release(unsigned gen);
/* Whether x runs under the current configuration (its target ids index
 * the current health, usage and metrics tables). */
static inline int gw_current(const struct exchange *x) { return x->gen == gw.gen; }

/* server.c */
/* Binds the gateway's `listen` addresses and cfg's listen sections (TLS:
 * the context pool and each certificate loaded). -1 with err. */
int server_listen(const struct cfg *cfg, char *err, size_t errlen);
/* After a reload to cfg: each listener finds its listen section again by
 * address (its allow_cidr, a new certificate; a bad one keeps the old and
 * is logged). What needs a new socket is logged for the next restart. */
void server_reconfigure(const struct cfg *cfg);
void server_close_listeners(void);
/* The pools, sized for cfg (the start-up configuration: a reload keeps
 * the pool sizes); limits and timeouts come from the current one, gw.cfg. */
int server_init(const struct cfg *cfg);
void server_free(void);
void server_stop(void);				/* graceful stop begins */
/* Queue bytes to the client; copied into out[]. 0, or -1 if out[] is full. */
int server_write(struct exchange *x, const void *p, size_t n);
/* Queue a body to be sent after out[] without copying (it must stay valid). */
void server_write_ext(struct exchange *x, const char *p, size_t n);
/* Sends what is queued, as far as the socket takes it (never blocks; the
 * rest goes when the client drains). Returns 0 while the response goes on
 * (x is still the caller's), or -1 when it is over: everything went out
 * with resp_done set, or the client is gone. After -1, x belongs to the
 * server again (the next pipelined request, or the pool at the end of the
 * loop round) and the caller must not touch it. */
int server_flush(struct exchange *x);
/* Drops what is queued and not sent yet (a held preamble, a partial head). */
void server_discard(struct exchange *x);
/* Whether out[] + ext still hold unsent bytes. */
int server_pending(const struct exchange *x);

/* api.c */
void api_dispatch(struct exchange *x);

/* proxy.c */
/* Takes over a chat exchange whose model api.c resolved (x->prov/x->model
 * or x->rt); answers it, or fails it, through server_write/server_flush. */
void proxy_start(struct exchange *x);
int provider_headers(const struct cfg_provider *p, char *h, size_t *hl, size_t cap);

/* errors.c: error responses, each in the client's dialect (x->cd; OpenAI's
 * shape before the dialect is known). */
enum gw_err {
	E_BAD_REQUEST, E_BAD_JSON, E_NOT_FOUND, E_METHOD, E_AUTH, E_FORBIDDEN,
	E_MODEL_NOT_FOUND, E_NO_PROVIDERS, E_TOO_LARGE, E_HEADERS_TOO_LARGE,
	E_TIMEOUT, E_BUSY, E_UPSTREAM, E_UPSTREAM_TIMEOUT, E_UNSUPPORTED,
	E_SHUTTING_DOWN, E_INTERNAL, E_RATE_LIMITED, E_NOT_MONITOR
};
int gw_err_status(enum gw_err e);
/* Queues a complete error response (head + body) and marks resp_done. */
void gw_error(struct exchange *x, enum gw_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same saying when to retry, in retry_ms milliseconds (< 0: not said):
 * Retry-After in seconds rounded up, and retry-after-ms for the dialects
 * whose SDKs read it (OpenAI, Anthropic). */
void gw_error_retry_ms(struct exchange *x, enum gw_err e, long long retry_ms, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The error body alone, in OpenAI's shape, into o. */
void gw_error_body(struct json_out *o, enum gw_err e, const char *msg);
/* The error body alone in the exchange's client dialect. */
void gw_error_body_for(struct exchange *x, struct json_out *o, enum gw_err e, const char *msg);

/* Response head helper: status line, Content-Type, Content-Length (or
 * chunked when len < 0), Connection, plus extra header lines (each ending
 * in CRLF, may be NULL). Queued with server_write. 0 or -1 if it does not fit. */
int gw_head(struct exchange *x, int status, const char *ctype, long long len, const char *extra, size_t extra_len);
const char *gw_reason(int status);

#endif
