/*
 * upstream.h - connections to providers: DNS, non-blocking connect, TLS or
 * plain TCP, and a keep-alive pool per scheme, host and port.
 *
 * A user (proxy.c's exchange, a probe) embeds a struct up_req in its own
 * object, sets its callback, and gets back to the object with
 * container_of() when the connection reports: the pattern of struct
 * dns_req. The pool of connections is allocated by upstream_init(); a
 * connection belongs to at most one request at a time and returns to the
 * pool (idle, watched for the server closing it) or is closed on
 * upstream_release(). Nothing blocks, and nothing calls back from inside
 * upstream_get(): events come from the loop.
 */
#ifndef LLMGW_UPSTREAM_H
#define LLMGW_UPSTREAM_H

#include <sys/types.h>
#include <sys/uio.h>
#include "config.h"

enum { UP_CONNECTED = 1, UP_WRITABLE = 2, UP_READABLE = 4, UP_FAILED = 8, UP_TIMEOUT = 16 };

struct upconn;
struct up_req;
/* what: UP_CONNECTED, or the UP_READABLE/UP_WRITABLE asked for with
 * upstream_want(), or UP_FAILED / UP_TIMEOUT. The callback may release
 * the connection and get another one. */
typedef void (*up_event_fn)(struct up_req *r, unsigned what);

struct up_req {			/* embed in the owner's object */
	up_event_fn cb;
	struct upconn *u;		/* the connection while held, else NULL */
	int fresh;			/* take no pooled connection: a new one */
};

/* Provider connections the pool holds: never fewer than the requests in
 * flight (each needs one), plus one per provider for the health probes. */
static inline unsigned gw_upstream_slots(const struct cfg *c)
{
	unsigned n = c->gw.max_upstream > c->gw.max_inflight ? c->gw.max_upstream : c->gw.max_inflight;
	return n + c->nproviders;
}
/* The pool, sized for cfg (the start-up configuration: a reload keeps
 * the pool sizes); timeouts come from the current one, gw.cfg. */
int upstream_init(const struct cfg *cfg);
/* After a reload (gw.cfg is the new configuration): idle connections,
 * which name the old configuration's hosts, are closed; busy ones close
 * when their request is done. */
void upstream_reconfigure(void);
void upstream_free(void);
/* Gets a connection to url's host for r (pooled unless r->fresh, or new);
 * r->cb must be set. Returns 0 when a new connection is on its way
 * (UP_CONNECTED, or UP_FAILED / UP_TIMEOUT, follows through r->cb), 1 when
 * an idle pooled connection was taken: it is connected already, no
 * UP_CONNECTED follows, the caller starts writing now. -1 when none can be
 * had: r->u is NULL when the pool is exhausted, else set (release it) with
 * the reason in upstream_error(). */
int upstream_get(struct up_req *r, const struct cfg_url *url);
/* Gives the connection back (none held: nothing): reusable keeps it
 * pooled, otherwise it is closed. r->u is NULL after. */
void upstream_release(struct up_req *r, int reusable);
/* Non-blocking I/O on r's connection (plain or TLS); like read/write:
 * -1 with errno EAGAIN means ask with upstream_want and wait for r->cb. */
ssize_t upstream_read(struct up_req *r, void *buf, size_t len);
ssize_t upstream_writev(struct up_req *r, const struct iovec *iov, int n);
/* What to wait for next: UP_READABLE and/or UP_WRITABLE (0: paused). */
void upstream_want(struct up_req *r, unsigned what);
/* Arms the connection's timer (0 stops it); UP_TIMEOUT when it fires. */
void upstream_timeout(struct up_req *r, unsigned ms);
int upstream_was_reused(const struct up_req *r);
/* The last failure as "<what>: <why>", e.g. "read failed: Connection reset
 * by peer": fit for a client, so it never names the host or port (log
 * those from the URL the caller holds). */
const char *upstream_error(const struct up_req *r);
unsigned upstream_open_count(void);		/* provider connections open */

#endif
