/*
 * server.c - the LAN-facing side: listeners, client connections, reading
 * requests into fixed exchange buffers, writing responses, keep-alive,
 * limits and timeouts. See gw.h for who owns what.
 *
 * A client connection costs only its struct client while idle. When request
 * bytes arrive it takes a head buffer (max_header_bytes, one of
 * max_partial_heads) and reads the request head into it; only a complete
 * head takes an exchange (buffers for the request, the response and the
 * upstream side), so a connection that trickles its head holds no request
 * slot. Partial heads are bounded per client address and in all; over a
 * bound the oldest partial head is dropped (see head_start). With no head
 * buffer or exchange free a client stops reading and waits in a queue, so
 * overload is back-pressure, not memory growth. A request that does not
 * fit its buffer is answered 431/413, never grown.
 *
 * Listeners: the gateway's `listen` addresses and the `config listen`
 * sections. Each connection is checked against its listener's allow_cidr
 * at accept, before a byte is read (outside it: closed, counted). A TLS
 * listener's connection takes a context from tls.h's fixed pool (none
 * free: closed) and runs its handshake before anything else, holding no
 * exchange for it; header_timeout bounds it. From then on the client's
 * bytes go through client_recv() / client_send(), the only two places
 * that tell plain connections from TLS ones.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fmt.h"
#include "gw.h"
#include "log.h"
#include "url.h"
#include "acl.h"
#include "metrics.h"
#include "options.h"
#include "port.h"
#include "tls.h"

#define MAX_LISTENERS MAX_LISTEN_FDS

struct listener {
	struct loop_fd w;
	char addr[64];			/* as configured, for logs and reloads */
	int section;			/* index in gw.cfg->listens; LISTEN_GATEWAY; LISTEN_GONE */
	struct tls_creds *creds;	/* TLS: the certificate new connections get */
};
enum { LISTEN_GATEWAY = -1, LISTEN_GONE = -2 };	/* the gateway's `listen`; a section a reload removed */

static struct listener listeners[MAX_LISTENERS];
static unsigned nlisteners;
static struct client *clients;
static struct client *free_clients;
/* Clients in one state, oldest first, linked through next/prev. */
struct cqueue {
	struct client *first, *last;
};
static struct cqueue partial;	/* C_HEAD: partial heads, in the order they began */
static struct cqueue wait_head;	/* C_WAIT_H: waiting for a head buffer */
static struct cqueue wait_x;	/* C_WAIT_X: complete heads waiting for an exchange */
static struct exchange *xs;
static struct exchange *free_xs;
/* Ended during this round: back to their pools at its end (server_reap),
 * never inside a callee whose caller may still hold them. */
static struct exchange *ended_xs;
static struct client *ended_clients;
static struct loop_defer reap_hook;
static unsigned nclients_cap;	/* pool sizes are fixed at start-up, whatever a reload says */
static char *xmem;

static void client_close(struct client *c);
static void head_to_exchange(struct client *c, struct exchange *x);
static void request_log(struct exchange *x);
static void client_on_io(struct loop_fd *w, unsigned ev);
static void client_on_timer(struct loop_timer *t);
static void server_reap(struct loop_defer *d);

/* An ended exchange is poisoned for ASan until the round ends (all but
 * next_free, its link on the ended list): a use after its end then shows,
 * which a slot reused by the next client would otherwise hide. */
#if defined(__SANITIZE_ADDRESS__)
#define GW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_ASAN 1
#endif
#endif
#ifdef GW_ASAN
#include <sanitizer/asan_interface.h>
#define ENDED_POISON(x) ASAN_POISON_MEMORY_REGION(&(x)->c, sizeof *(x) - offsetof(struct exchange, c))
#define ENDED_UNPOISON(x) ASAN_UNPOISON_MEMORY_REGION(&(x)->c, sizeof *(x) - offsetof(struct exchange, c))
#else
#define ENDED_POISON(x) ((void)(x))
#define ENDED_UNPOISON(x) ((void)(x))
#endif

/* A request head must arrive within header_timeout. */
__attribute__((noinline)) static void header_timer(struct client *c)
{
	loop_timer_set(&c->timer, gw.cfg->gw.header_timeout_ms, client_on_timer);
}
static void process_input(struct exchange *x);
static void on_readable(struct client *c, unsigned ev);
static void client_resume(struct client *c);

/* ---- pools ---- */

static struct loop_timer trim_timer;	/* see trim_on_timer */
static struct loop_timer accept_timer;	/* see accept_pause */

/* The exchange buffers' layout, fixed at start-up. */
static size_t in_cap, resp_cap, xbuf_cap, per_exchange;
static unsigned xs_cap, xs_made, clients_made;
/* The head buffers: max_partial_heads of max_header_bytes (head_cap), each
 * in whole pages of its own (head_slot) in one mapping; free ones on a
 * stack of their numbers, so the warm one last used is taken next. */
static char *hmem;
static unsigned *hfree;
static unsigned nhfree, heads_made, heads_cap;
static size_t head_cap, head_slot, page_size;

/* Every connection is a file descriptor, and a soft limit below what the
 * pools hold (1024 is common) would fail accept() under load while there is
 * room: raise it as far as the hard limit allows, and say when that is not
 * enough. */
static void fd_limit_for(const struct cfg *config)
{
	unsigned long long want = (unsigned long long)config->gw.max_connections + gw_upstream_slots(config) + MAX_LISTENERS + 16;
	unsigned long long have = port_raise_fd_limit(want);
	if (have && have < want)
		log_warnx("max_connections %u needs %llu open files, but the limit is %llu", config->gw.max_connections, want, have);
}

int server_init(const struct cfg *config)
{
	const struct cfg_gateway *g = &config->gw;
	fd_limit_for(config);
	/* Both pools are set up entry by entry on first use (client_take,
	 * exchange_take), so untouched entries and buffers cost no RSS: an
	 * idle gateway with max_inflight 1100 holds none of them. */
	clients = calloc(g->max_connections, sizeof *clients);
	xs = calloc(g->max_inflight, sizeof *xs);
	in_cap = (size_t)g->max_header_bytes + g->max_body_bytes;
	resp_cap = (size_t)g->max_response_bytes + 16384;
	xbuf_cap = (g->max_body_bytes > g->max_response_bytes ? g->max_body_bytes : g->max_response_bytes) + 65536;
	size_t ir_bytes = IR_MAX_PARTS * sizeof(struct ir_part) + IR_MAX_MSGS * sizeof(struct ir_msg) +
			  IR_MAX_TOOLS * sizeof(struct ir_tool) + IR_MAX_PARTS * sizeof(ir_call_id) +
			  sizeof(struct xlate_stream);
	per_exchange = sizeof(struct http_request) + sizeof(struct http_response) + in_cap + resp_cap + GW_OUT_SIZE + GW_UPHEAD_SIZE + GW_JSON_TOKENS * sizeof(jsmntok_t) +
		       xbuf_cap + GW_SCRATCH_SIZE + ir_bytes;
	/* One mapping for all exchange buffers: untouched pages cost no RSS.
	 * Each exchange's block starts on a page of its own, so trimming an
	 * idle one (trim_on_timer) can hand back every page it touched, its
	 * parsed heads at the start included. */
	size_t page = (size_t)getpagesize();
	if (page < 4096 || (page & (page - 1)))
		page = 4096;
	per_exchange = (per_exchange + page - 1) & ~(page - 1);
	void *mem = NULL;
	if (posix_memalign(&mem, page, per_exchange * g->max_inflight) != 0)
		mem = NULL;
	xmem = mem;
	/* The head buffers likewise: a pool of pages touched only as heads
	 * arrive in them. */
	page_size = page;
	head_cap = g->max_header_bytes;
	head_slot = (head_cap + page - 1) & ~(page - 1);
	hfree = calloc(g->max_partial_heads, sizeof *hfree);
	mem = NULL;
	if (posix_memalign(&mem, page, head_slot * g->max_partial_heads) != 0)
		mem = NULL;
	hmem = mem;
	if (!clients || !xs || !xmem || !hfree || !hmem)
		return -1;
	nclients_cap = g->max_connections;
	xs_cap = g->max_inflight;
	heads_cap = g->max_partial_heads;
	xs_made = clients_made = heads_made = nhfree = 0;
	loop_timer_init(&trim_timer);
	loop_timer_init(&accept_timer);
	return 0;
}

/* A free client: a returned one (the most recently used, its memory is
 * warm), else the next never-used entry. NULL when all are in use. */
static struct client *client_take(void)
{
	struct client *c = free_clients;
	if (c) {
		free_clients = c->next;
	} else if (clients_made < nclients_cap) {
		c = &clients[clients_made++];
		loop_fd_init(&c->w);
		loop_timer_init(&c->timer);
		c->state = C_FREE;
	}
	return c;
}

/* Buffers of exchanges back in the pool are handed back to the kernel
 * once they have been idle TRIM_AFTER_MS, except the TRIM_KEEP most
 * recently used ones (the free list is LIFO: they serve the next requests
 * warm), so within 2 s of a burst. A burst of 1000 concurrent requests would otherwise leave tens of
 * MB resident for good. The timer runs only while there is something to
 * trim, so an idle gateway never wakes up for it. */
#define TRIM_AFTER_MS 1500
#define TRIM_EVERY_MS 500
#define TRIM_KEEP 8
static void trim_on_timer(struct loop_timer *t)
{
	int64_t now = loop_now();
	unsigned k = 0;
	int pending = 0;
	for (struct exchange *x = free_xs; x; x = x->next_free, k++) {
		if (!x->buffers_dirty || k < TRIM_KEEP)
			continue;
		if (now - x->idle_since_ms < TRIM_AFTER_MS) {
			pending = 1;
			continue;
		}
		port_mem_release(xmem + per_exchange * (size_t)(x - xs), per_exchange);
		x->buffers_dirty = 0;
	}
	if (pending)
		loop_timer_set(t, TRIM_EVERY_MS, trim_on_timer);
}

static struct exchange *exchange_take(void)
{
	struct exchange *x = free_xs;
	if (x) {
		free_xs = x->next_free;
		return x;
	}
	if (xs_made == xs_cap)
		return NULL;
	x = &xs[xs_made];
	char *p = xmem + per_exchange * xs_made++;
	/* The parsed heads first (pointer-aligned, like the block); every size
	 * after them is a multiple of 8 up to the IR arrays. */
	x->req = (struct http_request *)(void *)p;
	p += sizeof(struct http_request);
	x->rh = (struct http_response *)(void *)p;
	p += sizeof(struct http_response);
	x->tok = (jsmntok_t *)(void *)p;
	p += GW_JSON_TOKENS * sizeof(jsmntok_t);
	x->in = p;
	x->in_cap = in_cap;
	p += in_cap;
	x->resp = p;
	x->resp_cap = resp_cap;
	p += resp_cap;
	x->out = p;
	p += GW_OUT_SIZE;
	x->uphead = p;
	p += GW_UPHEAD_SIZE;
	/* The IR arrays first: they want pointer alignment, and every size
	 * before them in this block is a multiple of 8. */
	x->ir.parts = (struct ir_part *)(void *)p;
	p += IR_MAX_PARTS * sizeof(struct ir_part);
	x->ir.msgs = (struct ir_msg *)(void *)p;
	p += IR_MAX_MSGS * sizeof(struct ir_msg);
	x->ir.tools = (struct ir_tool *)(void *)p;
	p += IR_MAX_TOOLS * sizeof(struct ir_tool);
	x->xs = (struct xlate_stream *)(void *)p;
	p += sizeof(struct xlate_stream);
	x->ir.call_ids = (ir_call_id *)(void *)p;
	p += IR_MAX_PARTS * sizeof(ir_call_id);
	x->xbuf = p;
	x->xbuf_cap = xbuf_cap;
	p += xbuf_cap;
	x->scratch = p;
	return x;
}

void server_free(void)
{
	server_close_listeners();
	if (clients)
		for (unsigned i = 0; i < clients_made; i++)
			if (clients[i].state != C_FREE)
				client_close(&clients[i]);
	loop_run_deferred();
	free(clients);
	free(xs);
	free(xmem);
	free(hmem);
	free(hfree);
	clients = NULL;
	xs = NULL;
	xmem = hmem = NULL;
	hfree = NULL;
	free_clients = NULL;
	partial = wait_head = wait_x = (struct cqueue){ NULL, NULL };
	free_xs = NULL;
	loop_timer_stop(&trim_timer);
	loop_timer_stop(&accept_timer);
}

/* A new request on x: every part starts from zero (the buffers stay). */
static void exchange_reset(struct exchange *x)
{
	memset(&x->reading, 0, sizeof x->reading);
	memset(&x->writing, 0, sizeof x->writing);
	memset(&x->chat, 0, sizeof x->chat);
	memset(&x->routing, 0, sizeof x->routing);
	memset(&x->attempt, 0, sizeof x->attempt);
	x->xbuf_len = 0;
}

static struct exchange *exchange_get(struct client *c)
{
	struct exchange *x = exchange_take();
	if (!x)
		return NULL;
	exchange_reset(x);
	x->c = c;
	c->x = x;
	gw.nactive++;
	return x;
}

static void q_push(struct cqueue *q, struct client *c)
{
	c->next = NULL;
	c->prev = q->last;
	if (q->last)
		q->last->next = c;
	else
		q->first = c;
	q->last = c;
}

static void q_remove(struct cqueue *q, struct client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		q->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		q->last = c->prev;
	c->next = c->prev = NULL;
}

/* The queue a client in state s is on, or NULL. */
static struct cqueue *queue_of(enum client_state s)
{
	return s == C_HEAD ? &partial : s == C_WAIT_H ? &wait_head : s == C_WAIT_X ? &wait_x : NULL;
}

/* ---- head buffers ---- */

static char *head_take(void)
{
	if (nhfree)
		return hmem + head_slot * hfree[--nhfree];
	if (heads_made < heads_cap)
		return hmem + head_slot * heads_made++;
	return NULL;
}

/* c's head buffer (if any) goes back to the pool, and the longest-waiting
 * client without one may try again. */
static void head_put(struct client *c)
{
	if (!c->head)
		return;
	/* Most heads fit in a page; the rest of a longer one's pages go back
	 * to the kernel, so RSS does not stay at what a burst of big heads
	 * once touched. */
	if (c->head_len > page_size)
		port_mem_release(c->head + page_size, head_slot - page_size);
	hfree[nhfree++] = (unsigned)((size_t)(c->head - hmem) / head_slot);
	c->head = NULL;
	c->head_len = 0;
	struct client *w = wait_head.first;
	if (w) {
		q_remove(&wait_head, w);
		w->state = C_IDLE;
		client_resume(w);
	}
}

/* A partial head dropped to make room for another: closed without an
 * answer (an attacker's thousands would flood the access log), counted. */
static void head_drop(struct client *c)
{
	metrics_count_head_dropped();
	client_close(c);
}

/*
 * c begins a request head: it gets a head buffer and joins the partial
 * heads (C_HEAD). At most max_partial_heads_per_ip of them come from one
 * address and max_partial_heads in all: over either bound the oldest
 * partial head (of that address, then of all) is dropped. The connection
 * that has trickled its head the longest is the likeliest attacker, and a
 * legitimate client's head arrives in one read: newcomers are served
 * however many slow connections there are. 0 when no buffer can be had
 * (each holds a complete head waiting for an exchange): c is unchanged.
 */
static int head_start(struct client *c)
{
	struct client *oldest = NULL;
	unsigned same = 0;
	for (struct client *o = partial.first; o; o = o->next)
		if (strcmp(o->peer, c->peer) == 0 && same++ == 0)
			oldest = o;
	if (oldest && same >= gw.cfg->gw.max_partial_heads_per_ip)
		head_drop(oldest);
	char *h = head_take();
	if (!h && partial.first) {
		head_drop(partial.first);
		h = head_take();
	}
	if (!h)
		return 0;
	c->head = h;
	c->head_len = 0;
	c->state = C_HEAD;
	q_push(&partial, c);
	c->started_us = loop_now_us();
	/* The whole request must arrive within header_timeout: counted from
	 * the accept on a new connection, from this first byte on a kept one. */
	if (c->served)
		header_timer(c);
	return 1;
}

static void cfg_unhold(struct exchange *x)
{
	if (x->held) {
		x->held = 0;
		gw_cfg_release(x->gen);
	}
}

/* The exchange's request is over: it leaves its client now and goes back
 * to the pool when the round ends (server_reap). */
static void exchange_put(struct exchange *x)
{
	struct client *c = x->c;
	cfg_unhold(x);
	if (c)
		c->x = NULL;
	x->c = NULL;
	gw.nactive--;
	x->next_free = ended_xs;
	ended_xs = x;
	ENDED_POISON(x);
	loop_defer(&reap_hook, server_reap);
}

/* The end of a loop round: what ended in it goes back to its pool, and
 * each freed exchange to the longest-waiting client. */
static void server_reap(struct loop_defer *d)
{
	while (ended_clients) {
		struct client *c = ended_clients;
		ended_clients = c->next;
		c->next = free_clients;
		free_clients = c;
	}
	while (ended_xs) {
		struct exchange *x = ended_xs;
		ended_xs = x->next_free;
		ENDED_UNPOISON(x);
		x->next_free = free_xs;
		free_xs = x;
		x->idle_since_ms = loop_now();
		x->buffers_dirty = 1;
		if (!loop_timer_armed(&trim_timer))
			loop_timer_set(&trim_timer, TRIM_AFTER_MS, trim_on_timer);
		struct client *w = wait_x.first;
		if (w) {
			q_remove(&wait_x, w);
			head_to_exchange(w, exchange_get(w));
			/* Served from its timer, as a pipelined request is
			 * (next_request), not inside this hook. */
			w->state = C_NEXT;
			loop_timer_set(&w->timer, 0, client_on_timer);
		}
	}
}

/* ---- listeners ---- */

static void on_accept(struct loop_fd *w, unsigned ev);

/* Binds spec for listen section `section` (or LISTEN_GATEWAY) and watches
 * it; creds (TLS, or NULL) become the listener's. -1 with err. */
static int listen_on(const char *spec, int section, struct tls_creds *creds, char *err, size_t errlen)
{
	const char *pre = "", *why;
	int fd = -1;
	struct url_listen la;
	int r = url_listen_parse(spec, &la);
	if (nlisteners == MAX_LISTENERS) {
		why = "too many listeners";
		goto fail;
	}
	if (r < 0) {
		why = r == URL_LISTEN_NOT_NUMERIC ? "the address must be a numeric IPv4 or IPv6 address"
						  : "not host:port";
		goto fail;
	}
	fd = socket(la.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		pre = "socket: ";
		why = strerror(errno);
		goto fail;
	}
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (la.any)	/* ":port": IPv6 and IPv4 alike */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (bind(fd, (struct sockaddr *)&la.addr, la.len) < 0 || listen(fd, 511) < 0) {
		why = strerror(errno);
		goto fail;
	}
	struct listener *l = &listeners[nlisteners];
	loop_fd_init(&l->w);
	if (loop_add(&l->w, fd, LOOP_IN, on_accept) < 0) {
		why = "too many fds";
		goto fail;
	}
	nlisteners++;
	fmt_snprintf(l->addr, sizeof l->addr, "%s", spec);
	l->section = section;
	l->creds = creds;
	if (LLMGW_TLS_LISTEN && creds) {
		char fp[96];
		tls_creds_fingerprint(creds, fp, sizeof fp);
		log_info("listening on %s (TLS, certificate SHA-256 %s)", spec, fp);
	} else {
		log_info("listening on %s", spec);
	}
	return 0;
fail:
	/* One message shape for every step: "listen '<spec>': ..." */
	fmt_snprintf(err, errlen, "listen '%s': %s%s", spec, pre, why);
	if (fd >= 0)
		close(fd);
	return -1;
}

int server_listen(const struct cfg *config, char *err, size_t errlen)
{
	for (unsigned i = 0; i < config->gw.nlisten; i++)
		if (listen_on(config->gw.listen[i], LISTEN_GATEWAY, NULL, err, errlen) < 0)
			return -1;
	int tls_pool = 0;
	for (unsigned i = 0; LLMGW_TLS_LISTEN && i < config->nlistens; i++) {
		const struct cfg_listen *ls = &config->listens[i];
		struct tls_creds *creds = NULL;
		char why[256];
		if (ls->tls_cert && !tls_pool) {
			if (tls_listen_init(config->gw.max_tls_connections, why, sizeof why) < 0)
				goto fail;
			tls_pool = 1;
		}
		if (ls->tls_cert && !(creds = tls_creds_load(ls->tls_cert, ls->tls_key, why, sizeof why)))
			goto fail;
		if (listen_on(ls->address, (int)i, creds, err, errlen) < 0) {
			tls_creds_put(creds);
			return -1;
		}
		continue;
	fail:
		fmt_snprintf(err, errlen, "listen '%s': %s", ls->address, why);
		return -1;
	}
	return 0;
}

/* A reload brought a listen section at l's address: a new certificate
 * replaces l's, unless it fails to load (the old one stays) or is the
 * same. Connections keep the one they began with. */
static void reload_creds(struct listener *l, const struct cfg_listen *ls)
{
	char err[256], fp[96];
	struct tls_creds *n = tls_creds_load(ls->tls_cert, ls->tls_key, err, sizeof err);
	if (!n) {
		log_error("reload: listen '%s': %s; it keeps serving the certificate it had", l->addr, err);
		return;
	}
	if (tls_creds_same(n, l->creds)) {
		tls_creds_put(n);
		return;
	}
	tls_creds_put(l->creds);
	l->creds = n;
	tls_server_forget_sessions();	/* new connections all see the new certificate */
	tls_creds_fingerprint(n, fp, sizeof fp);
	log_info("listen '%s': new certificate, SHA-256 %s", l->addr, fp);
}

void server_reconfigure(const struct cfg *cfg)
{
	for (unsigned i = 0; LLMGW_TLS_LISTEN && i < nlisteners; i++) {
		struct listener *l = &listeners[i];
		if (l->section == LISTEN_GATEWAY)
			continue;	/* its allow_cidr is read from gw.cfg at accept */
		l->section = LISTEN_GONE;
		for (unsigned k = 0; k < cfg->nlistens; k++)
			if (strcmp(cfg->listens[k].address, l->addr) == 0)
				l->section = (int)k;
		if (l->section == LISTEN_GONE) {
			log_warnx("reload: listen '%s' is no longer configured: it refuses every connection until "
				  "a restart", l->addr);
			continue;
		}
		const struct cfg_listen *ls = &cfg->listens[l->section];
		if (!ls->tls_cert != !l->creds)
			log_warnx("reload: listen '%s': a change between plain HTTP and TLS takes effect only after a "
				  "restart", l->addr);
		else if (l->creds)
			reload_creds(l, ls);
	}
	for (unsigned k = 0; LLMGW_TLS_LISTEN && k < cfg->nlistens; k++) {
		unsigned i = 0;
		while (i < nlisteners && strcmp(listeners[i].addr, cfg->listens[k].address) != 0)
			i++;
		if (i == nlisteners)
			log_warnx("reload: listen '%s' takes effect only after a restart", cfg->listens[k].address);
	}
}

void server_close_listeners(void)
{
	for (unsigned i = 0; i < nlisteners; i++) {
		if (listeners[i].w.fd >= 0) {
			loop_del(&listeners[i].w);
			close(listeners[i].w.fd);
			listeners[i].w.fd = -1;
		}
		if (LLMGW_TLS_LISTEN)
			tls_creds_put(listeners[i].creds);
		listeners[i].creds = NULL;
	}
	nlisteners = 0;
}

/* The whole answer to a connection over max_connections, its length
 * written out (checked below) so nothing is formatted per refusal. */
#define BUSY_BODY "{\"error\":{\"message\":\"llmgw: too many open connections\",\"type\":\"server_error\",\"param\":null,\"code\":\"too_many_connections\"}}"
_Static_assert(sizeof BUSY_BODY - 1 == 121, "Content-Length of busy_503");
static const char busy_503[] =
	"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	"Connection: close\r\nRetry-After: 1\r\nContent-Length: 121\r\n\r\n" BUSY_BODY;

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(a))
			return a->s6_addr[12] == 127;
	}
	return 0;
}

/* Whether l lets the peer in: its section's allow_cidr, the gateway's for
 * the gateway's `listen`; no one on a listener a reload removed. */
static int listener_admits(const struct listener *l, const struct sockaddr_storage *ss)
{
	const struct cfg *cfg = gw.cfg;
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	if (l->section == LISTEN_GATEWAY)
		return acl_allows(cfg->gw.allow, cfg->gw.nallow, sa);
	if (l->section < 0)
		return 0;
	return acl_allows(cfg->listens[l->section].allow, cfg->listens[l->section].nallow, sa);
}

static void accept_resume(struct loop_timer *t)
{
	for (unsigned i = 0; i < nlisteners; i++)
		if (listeners[i].w.fd >= 0)
			loop_set(&listeners[i].w, LOOP_IN);
}

/* Out of file descriptors (or memory): the connection stays in the
 * backlog and keeps the listener readable, so accepting again at once
 * would spin the loop and flood the log. No listener accepts for 100 ms;
 * connections closing meanwhile make room. */
static void accept_pause(void)
{
	log_warn("accept: not accepting connections for 100 ms");
	for (unsigned i = 0; i < nlisteners; i++)
		loop_set(&listeners[i].w, 0);
	loop_timer_set(&accept_timer, 100, accept_resume);
}

static void on_accept(struct loop_fd *w, unsigned ev)
{
	const struct listener *l = container_of(w, struct listener, w);
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof ss;
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_pause();
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (!listener_admits(l, &ss)) {
			metrics_count_refused(METRICS_REFUSED_ACL);
			close(fd);
			continue;
		}
		struct client *c = gw.stopping ? NULL : client_take();
		struct tls *t = LLMGW_TLS_LISTEN && c && l->creds ? tls_server_accept(l->creds) : NULL;
		if (!c || (LLMGW_TLS_LISTEN && l->creds && !t)) {
			metrics_count_refused(c ? METRICS_REFUSED_TLS_POOL : METRICS_REFUSED_MAX_CONNECTIONS);
			if (c) {
				c->next = free_clients;
				free_clients = c;
			} else if (!l->creds) {
				/* Best effort: the socket buffer takes this small answer. */
				ssize_t r = send(fd, busy_503, sizeof busy_503 - 1, MSG_NOSIGNAL);
				(void)r;
			}
			close(fd);
			continue;
		}
		c->tls = t;
		c->tls_ready = 0;
		c->next = NULL;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->peer_loopback = is_loopback(&ss);
		c->peer[0] = 0;
		if (ss.ss_family == AF_INET)
			fmt_ip(0, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof c->peer);
		else if (ss.ss_family == AF_INET6)
			fmt_ip(1, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->peer, sizeof c->peer);
		c->served = 0;
		c->x = NULL;
		c->head = NULL;
		c->head_len = 0;
		c->prev = NULL;
		c->state = C_IDLE;
		if (loop_add(&c->w, fd, LOOP_IN, client_on_io) < 0) {
			tls_close(c->tls);
			c->tls = NULL;
			close(fd);
			c->state = C_FREE;
			c->next = free_clients;
			free_clients = c;
			continue;
		}
		gw.nclients++;
		/* A new connection must send its request (TLS: finish its
		 * handshake, then send it) within header_timeout. */
		header_timer(c);
	}
}

/* ---- connection life ---- */

static void client_close(struct client *c)
{
	if (c->state == C_FREE)
		return;
	struct cqueue *q = queue_of(c->state);
	if (q)
		q_remove(q, c);
	head_put(c);
	if (c->x) {
		struct exchange *x = c->x;
		if (x->writing.on_abort)
			x->writing.on_abort(x);
		/* Gone before its answer was out: still counted and logged,
		 * as 499 (nginx's "client closed request"). */
		if (c->state == C_SERVE && !x->writing.logged) {
			x->writing.status = 499;
			request_log(x);
		}
		exchange_put(x);
	}
	loop_timer_stop(&c->timer);
	loop_del(&c->w);
	if (LLMGW_TLS_LISTEN && c->tls) {
		tls_close(c->tls);
		c->tls = NULL;
	}
	close(c->w.fd);
	c->w.fd = -1;
	c->state = C_FREE;	/* back on the free list when the round ends */
	c->next = ended_clients;
	ended_clients = c;
	loop_defer(&reap_hook, server_reap);
	gw.nclients--;
	if (gw.stopping && gw.nactive == 0)
		loop_stop();
}

/* Answers an error found while reading the request, then closes: the
 * framing can no longer be trusted. */
static void reject(struct exchange *x, enum gw_err e, const char *msg)
{
	x->writing.close_after = 1;
	gw_error(x, e, "%s", msg);
	x->c->state = C_SERVE;
	header_timer(x->c);
	server_flush(x);
}

/* Bytes a TLS engine decrypted but nobody has read yet do not make the
 * socket readable again: when c reads again, they are read at the end of
 * this round as if they had just arrived. */
static void client_nudged(struct loop_defer *d)
{
	struct client *c = container_of(d, struct client, nudge);
	if (c->state != C_FREE && c->tls && c->tls_ready && (c->w.events & LOOP_IN) && tls_pending(c->tls))
		on_readable(c, LOOP_IN);
}

/* c reads again (after waiting, or between requests). */
static void client_resume(struct client *c)
{
	loop_set(&c->w, LOOP_IN);
	if (LLMGW_TLS_LISTEN && c->tls && tls_pending(c->tls))
		loop_defer(&c->nudge, client_nudged);
}

static void go_idle(struct client *c)
{
	exchange_put(c->x);
	c->state = C_IDLE;
	client_resume(c);
	if (gw.stopping) {
		client_close(c);
		return;
	}
	loop_timer_set(&c->timer, gw.cfg->gw.idle_timeout_ms, client_on_timer);
}

/* One key=value line per request: who, what, what it cost. Never a key
 * or a prompt: the path is cut at its query and limited in length. */
static void access_log(struct exchange *x)
{
	if (log_get_level() < LOG_LVL_INFO)
		return;
	int64_t us = loop_now_us() - x->reading.started_us;
	/* A request refused before its head was parsed has no method or path. */
	const char *method = x->reading.head_len ? x->req->method : "-", *path = x->reading.head_len ? x->req->target : "-";
	size_t mlen = x->reading.head_len ? x->req->method_len : 1, plen = x->reading.head_len ? x->req->target_len : 1;
	const char *q = memchr(path, '?', plen);
	if (q)
		plen = (size_t)(q - path);
	char usage[160] = "";
	if (x->routing.usage.have)
		fmt_snprintf(usage, sizeof usage, " in=%lld cached=%lld out=%lld%s", (long long)x->routing.usage.input,
			 (long long)x->routing.usage.cached, (long long)x->routing.usage.output,
			 x->routing.estimated ? " estimated=1" : "");
	char cost[48] = "";
	if (x->routing.prov)
		fmt_snprintf(cost, sizeof cost, x->routing.priced ? " usd=%.6f" : " usd=unpriced", x->routing.cost_usd);
	log_info("access peer=%s method=%.*s path=\"%.*s\" status=%d ms=%lld.%03lld%s%s%s%s%s%s%s%s%s%s attempts=%u%s%s",
		 x->c->peer, (int)(mlen > 16 ? 16 : mlen), method, (int)(plen > 160 ? 160 : plen), path, x->writing.status,
		 (long long)(us / 1000), (long long)(us % 1000),
		 x->chat.cd ? " dialect=" : "", x->chat.cd ? x->chat.cd->name : "",
		 x->chat.who ? " client=" : "", x->chat.who ? x->chat.who->name : "",
		 x->chat.route ? " route=" : "", x->chat.route ? x->chat.route : "",
		 x->routing.prov ? " provider=" : "", x->routing.prov ? x->routing.prov->name : "",
		 x->routing.model ? " model=" : "", x->routing.model ? x->routing.model : "",
		 x->routing.attempts, usage, cost);
}

/* The request is over, answered or not: metrics and the access log. */
static void request_log(struct exchange *x)
{
	x->writing.logged = 1;
	gw.requests++;
	if (x->chat.cd)
		metrics_count_request(x->chat.cd->id, x->writing.status, x->routing.attempts, x->routing.attempts > 1 ? x->routing.attempts - 1 : 0,
				      (loop_now_us() - x->reading.started_us) / 1000,
				      x->attempt.first_byte_us ? (x->attempt.first_byte_us - x->reading.started_us) / 1000 : -1);
	if (gw.cfg->gw.access_log)
		access_log(x);
}

/* The response is out: keep the connection for the next request or close. */
static void request_done(struct exchange *x)
{
	struct client *c = x->c;
	c->served++;
	request_log(x);
	if (x->writing.close_after || !x->reading.bi.keep_alive || gw.stopping) {
		if (LLMGW_TLS_LISTEN && c->tls)
			(void)tls_shutdown(c->tls, c->w.fd);	/* close_notify, best effort */
		shutdown(c->w.fd, SHUT_WR);
		client_close(c);
		return;
	}
	size_t left = x->reading.in_len - x->reading.req_end;
	if (left == 0) {
		go_idle(c);
		return;
	}
	/* A pipelined request is already here: serve it from the timer (see
	 * next_request), not recursively (a buffer full of tiny requests must
	 * not become a deep call chain) and not under a caller that still
	 * holds this request's exchange. */
	c->state = C_NEXT;
	loop_set(&c->w, LOOP_IN);
	loop_timer_set(&c->timer, 0, client_on_timer);
}

/* The exchange starts over with the pipelined bytes behind the request
 * just answered. */
static void next_request(struct client *c)
{
	struct exchange *x = c->x;
	size_t left = x->reading.in_len - x->reading.req_end;
	const char *next = x->in + x->reading.req_end;
	/* Only the start of the next head: it waits in a head buffer, not in
	 * this request slot (pipelining a byte must not keep one). */
	if (left < head_cap && !gw.stopping && http_request_head_end(next, left, 0) == HTTP_INCOMPLETE &&
	    head_start(c)) {
		memcpy(c->head, next, left);
		c->head_len = (unsigned)left;
		exchange_put(x);
		client_resume(c);
		return;
	}
	memmove(x->in, next, left);
	cfg_unhold(x);
	exchange_reset(x);
	x->reading.in_len = left;
	c->state = C_READ;
	x->reading.started_us = loop_now_us();
	header_timer(c);
	process_input(x);
}

int server_pending(const struct exchange *x)
{
	return x->writing.out_off < x->writing.out_len || x->writing.ext_off < x->writing.ext_len ||
	       (LLMGW_TLS_LISTEN && x->c && x->c->tls && tls_unsent(x->c->tls));
}

/* The client's bytes in: recv(2), or a TLS connection's decrypted bytes,
 * as many as there are up to len (the engine may hold more than a poll()
 * of the socket would announce, so it is drained here). >0, 0 at the end
 * of the stream, -1 with errno (EAGAIN: wait for LOOP_IN). */
static ssize_t client_recv(struct client *c, void *buf, size_t len)
{
	if (!LLMGW_TLS_LISTEN || !c->tls)
		return recv(c->w.fd, buf, len, 0);
	size_t got = 0;
	while (got < len) {
		ssize_t n = tls_read(c->tls, c->w.fd, (char *)buf + got, len - got);
		if (n <= 0)
			return got ? (ssize_t)got : n;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The client's bytes out: sendmsg(2) of iov[0..n), or through TLS (with
 * n 0: the records the engine still holds, which server_pending()
 * counts). Bytes taken, or -1 with errno (EAGAIN: wait for LOOP_OUT). */
static ssize_t client_send(struct client *c, struct iovec *iov, int n)
{
	if (!LLMGW_TLS_LISTEN || !c->tls) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		return sendmsg(c->w.fd, &mh, MSG_NOSIGNAL);
	}
	if (n == 0)
		return tls_flush(c->tls, c->w.fd) < 0 ? -1 : 0;
	return tls_writev(c->tls, c->w.fd, iov, n);
}

int server_write(struct exchange *x, const void *p, size_t n)
{
	if (x->writing.out_off == x->writing.out_len)
		x->writing.out_off = x->writing.out_len = 0;
	if (n > GW_OUT_SIZE - x->writing.out_len) {
		if (x->writing.out_off > 0) {	/* compact the unsent tail */
			memmove(x->out, x->out + x->writing.out_off, x->writing.out_len - x->writing.out_off);
			x->writing.out_len -= x->writing.out_off;
			x->writing.out_off = 0;
		}
		if (n > GW_OUT_SIZE - x->writing.out_len)
			return -1;
	}
	memcpy(x->out + x->writing.out_len, p, n);
	x->writing.out_len += n;
	return 0;
}

void server_discard(struct exchange *x)
{
	x->writing.out_len = x->writing.out_off = 0;
	x->writing.ext = NULL;
	x->writing.ext_len = x->writing.ext_off = 0;
}

void server_write_ext(struct exchange *x, const char *p, size_t n)
{
	x->writing.ext = p;
	x->writing.ext_len = n;
	x->writing.ext_off = 0;
}

int server_flush(struct exchange *x)
{
	struct client *c = x->c;
	while (server_pending(x)) {
		struct iovec iov[2];
		int n = 0;
		if (x->writing.out_off < x->writing.out_len) {
			iov[n].iov_base = x->out + x->writing.out_off;
			iov[n++].iov_len = x->writing.out_len - x->writing.out_off;
		}
		if (x->writing.ext_off < x->writing.ext_len) {
			iov[n].iov_base = (void *)(x->writing.ext + x->writing.ext_off);
			iov[n++].iov_len = x->writing.ext_len - x->writing.ext_off;
		}
		ssize_t w = client_send(c, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				loop_set(&c->w, LOOP_IN | LOOP_OUT);
				/* A client that stops reading is dropped after
				 * stream_idle_timeout rather than pinning buffers. */
				if (!loop_timer_armed(&c->timer))
					loop_timer_set(&c->timer, gw.cfg->gw.stream_idle_timeout_ms, client_on_timer);
				return 0;
			}
			client_close(c);
			return -1;
		}
		x->writing.resp_started = 1;
		size_t a = x->writing.out_len - x->writing.out_off;
		if ((size_t)w >= a) {
			x->writing.out_off = x->writing.out_len = 0;
			x->writing.ext_off += (size_t)w - a;
		} else {
			x->writing.out_off += (size_t)w;
		}
	}
	x->writing.ext = NULL;
	x->writing.ext_len = x->writing.ext_off = 0;
	if (c->state == C_SERVE)
		loop_timer_stop(&c->timer);
	loop_set(&c->w, (x->reading.in_len < x->in_cap) ? LOOP_IN : 0);
	if (x->writing.resp_done) {
		request_done(x);
		return -1;
	}
	return 0;
}

/* ---- reading requests ---- */

static void request_complete(struct exchange *x)
{
	struct client *c = x->c;
	/* The request is served under the configuration of this moment: it
	 * stays alive (see gw_cfg_hold) until the exchange is done. */
	x->gen = gw.gen;
	x->cfg = gw.cfg;
	x->held = 1;
	gw_cfg_hold(x->gen);
	c->state = C_SERVE;
	loop_timer_stop(&c->timer);
	if (gw.stopping)
		x->writing.close_after = 1;
	api_dispatch(x);
}

static void process_input(struct exchange *x)
{
	const struct cfg_gateway *g = &gw.cfg->gw;
	if (x->reading.head_len == 0) {
		int r = http_parse_request(x->in, x->reading.in_len, x->reading.scanned, x->req);
		if (r == HTTP_INCOMPLETE) {
			x->reading.scanned = x->reading.in_len;
			if (x->reading.in_len >= g->max_header_bytes)
				goto head_too_large;
			return;
		}
		if (r == HTTP_TOO_MANY_HEADERS)
			goto head_too_large;
		if (r < 0) {
			reject(x, E_BAD_REQUEST, "malformed HTTP request");
			return;
		}
		if ((size_t)r > g->max_header_bytes)
			goto head_too_large;
		x->reading.head_len = (size_t)r;
		if (!http_request_host_ok(x->req)) {
			reject(x, E_BAD_REQUEST, "missing, repeated or invalid Host header");
			return;
		}
		if (http_request_body_info(x->req, &x->reading.bi) < 0) {
			x->reading.bi.keep_alive = 0;
			reject(x, E_BAD_REQUEST, "invalid Content-Length or Transfer-Encoding");
			return;
		}
		if (x->reading.bi.kind == HTTP_BODY_UNTIL_CLOSE) {
			reject(x, E_BAD_REQUEST, "request body framing not understood");
			return;
		}
		if (x->reading.bi.kind == HTTP_BODY_LENGTH && x->reading.bi.length > g->max_body_bytes)
			goto body_too_large;
	}
	if (x->reading.bi.kind == HTTP_BODY_NONE) {
		x->reading.req_end = x->reading.head_len;
		request_complete(x);
		return;
	}
	if (x->reading.bi.kind == HTTP_BODY_LENGTH) {
		size_t have = x->reading.in_len - x->reading.head_len;
		if (have >= x->reading.bi.length) {
			x->reading.body_len = (size_t)x->reading.bi.length;
			x->reading.req_end = x->reading.head_len + x->reading.body_len;
			request_complete(x);
			return;
		}
	} else {
		size_t done = x->reading.head_len + x->reading.body_len;
		size_t len = x->reading.in_len - done;
		ssize_t r = http_chunked_decode(&x->reading.chunked, x->in + done, &len);
		if (r == HTTP_BAD) {
			reject(x, E_BAD_REQUEST, "malformed chunked request body");
			return;
		}
		x->reading.body_len += len;
		if (x->reading.body_len > g->max_body_bytes)
			goto body_too_large;
		if (r >= 0) {
			x->reading.req_end = x->reading.head_len + x->reading.body_len;
			x->reading.in_len = x->reading.req_end + (size_t)r;
			request_complete(x);
			return;
		}
		x->reading.in_len = x->reading.head_len + x->reading.body_len;
		if (x->reading.in_len >= x->in_cap)
			goto body_too_large;
	}
	if (x->reading.bi.expect_continue && !x->reading.continue_sent) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		struct iovec v = { (void *)cont, sizeof cont - 1 };
		x->reading.continue_sent = 1;
		ssize_t r = client_send(x->c, &v, 1);
		(void)r;	/* a full socket buffer just means the client sends anyway */
	}
	return;
head_too_large:
	reject(x, E_HEADERS_TOO_LARGE, "request header fields too large");
	return;
body_too_large:
	reject(x, E_TOO_LARGE, "request body too large");
}

/* Reads what the socket has into the exchange; 0 on EOF or error (the
 * connection is closed), 1 otherwise. */
static int fill(struct client *c)
{
	struct exchange *x = c->x;
	while (x->reading.in_len < x->in_cap) {
		ssize_t n = client_recv(c, x->in + x->reading.in_len, x->in_cap - x->reading.in_len);
		if (n > 0) {
			x->reading.in_len += (size_t)n;
			if ((size_t)n < 16384)
				return 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		client_close(c);
		return 0;
	}
	return 1;
}

/* ---- reading request heads ---- */

/* The head's bytes move to x, which reads the rest of the request. */
static void head_to_exchange(struct client *c, struct exchange *x)
{
	memcpy(x->in, c->head, c->head_len);
	x->reading.in_len = c->head_len;
	x->reading.started_us = c->started_us;
	head_put(c);
	c->state = C_READ;
	client_resume(c);
}

/* Reads what the socket has into c's head buffer. A head that is complete,
 * cannot be one, or fills the buffer goes to an exchange, whose reader
 * answers the last two (400, 431); with none free c waits, reading no
 * more (C_WAIT_X). */
static void read_head(struct client *c)
{
	size_t last = c->head_len;
	ssize_t n = client_recv(c, c->head + last, head_cap - last);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->head_len += (unsigned)n;
	if (c->head_len < head_cap && http_request_head_end(c->head, c->head_len, last) == HTTP_INCOMPLETE)
		return;
	q_remove(&partial, c);
	struct exchange *x = exchange_get(c);
	if (!x) {
		c->state = C_WAIT_X;
		q_push(&wait_x, c);
		loop_set(&c->w, 0);
		return;
	}
	head_to_exchange(c, x);
	process_input(x);
}

static void on_readable(struct client *c, unsigned ev)
{
	struct exchange *x = c->x;
	switch (c->state) {
	case C_IDLE:
		if (gw.stopping) {
			client_close(c);
			return;
		}
		if (!head_start(c)) {
			c->state = C_WAIT_H;
			q_push(&wait_head, c);
			loop_set(&c->w, 0);
			return;
		}
		read_head(c);
		return;
	case C_HEAD:
		read_head(c);
		return;
	case C_WAIT_H:
	case C_WAIT_X:
		/* Not reading: only an error or a hang-up gets here. */
		if (ev & (LOOP_ERR | LOOP_HUP))
			client_close(c);
		return;
	case C_READ:
		if (fill(c))
			process_input(x);
		return;
	default:
		break;
	}
	/* Serving: only watch for the client leaving; keep early pipelined
	 * bytes behind the current request. */
	if (x->reading.in_len >= x->in_cap) {
		if (ev & (LOOP_ERR | LOOP_HUP))
			client_close(c);
		else
			loop_set(&c->w, server_pending(x) ? LOOP_OUT : 0);
		return;
	}
	ssize_t n = client_recv(c, x->in + x->reading.in_len, x->in_cap - x->reading.in_len);
	if (n > 0)
		x->reading.in_len += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		client_close(c);
}

/* Runs a new TLS connection's handshake as far as the socket allows,
 * before the connection takes anything but its pool context. 1 when it is
 * complete, 0 while it waits (for what the engine wants), -1 when it
 * failed and the connection was closed. */
static int client_handshake(struct client *c)
{
	if (tls_handshake(c->tls, c->w.fd) < 0) {
		if (errno != EAGAIN) {
			log_debug("%s: TLS handshake: %s", c->peer, tls_error(c->tls));
			client_close(c);
			return -1;
		}
		loop_set(&c->w, tls_want(c->tls));
		return 0;
	}
	c->tls_ready = 1;
	loop_set(&c->w, LOOP_IN);
	return 1;
}

static void client_on_io(struct loop_fd *w, unsigned ev)
{
	struct client *c = container_of(w, struct client, w);
	if (LLMGW_TLS_LISTEN && c->tls && !c->tls_ready) {
		if (client_handshake(c) <= 0)
			return;
		/* The request may have come with the handshake's last flight
		 * (a resumed session): the socket will not announce it again. */
		if (!tls_pending(c->tls))
			return;
		ev |= LOOP_IN;
	}
	if ((ev & LOOP_OUT) && c->x && server_pending(c->x)) {
		struct exchange *x = c->x;
		if (server_flush(x) < 0)
			return;
		if (!server_pending(x) && !x->writing.resp_done && x->writing.on_drained)
			x->writing.on_drained(x);
		if (c->state == C_FREE || c->x != x)
			return;
	}
	if (ev & (LOOP_IN | LOOP_ERR | LOOP_HUP))
		on_readable(c, ev);
}

static void client_on_timer(struct loop_timer *t)
{
	struct client *c = container_of(t, struct client, timer);
	struct exchange *x = c->x;
	switch (c->state) {
	case C_IDLE:
		client_close(c);
		return;
	case C_NEXT:
		next_request(c);
		return;
	case C_HEAD:
		/* Answered 408 from an exchange (and logged) when one is free. */
		x = exchange_get(c);
		if (!x) {
			client_close(c);
			return;
		}
		q_remove(&partial, c);
		head_to_exchange(c, x);
		/* fall through */
	case C_READ:
		reject(x, E_TIMEOUT, "request not received in time");
		return;
	case C_SERVE:
		/* The client stopped reading our response. */
		log_info("%s: client stopped reading; closing", c->peer);
		client_close(c);
		return;
	default:
		client_close(c);
	}
}

void server_stop(void)
{
	gw.stopping = 1;
	server_close_listeners();
	for (unsigned i = 0; i < clients_made; i++) {
		struct client *c = &clients[i];
		/* No request has come in whole on these. */
		if (c->state == C_IDLE || c->state == C_HEAD || c->state == C_WAIT_H || c->state == C_WAIT_X)
			client_close(c);
	}
	if (gw.nactive == 0)
		loop_stop();
}
