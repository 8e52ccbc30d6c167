/*
 * probe.c - active health checks of every provider. See probe.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fmt.h"
#include "health.h"
#include "log.h"
#include "probe.h"
#include "upstream.h"

#define PROBE_RESP 4096
#define PROBE_TICK_MS 1000

struct probe {
	struct up_req up;		/* its provider connection (upstream.h) */
	char head[1024];
	char resp[PROBE_RESP];
	size_t head_len, sent, got;
	unsigned provider;
	int busy;
};

static struct probe *probes;
static unsigned nprobes;
static struct loop_timer tick;

static void on_tick(struct loop_timer *t);
static void on_upstream(struct up_req *r, unsigned what);

int probe_init(void)
{
	nprobes = gw.cfg->nproviders;
	loop_timer_init(&tick);
	if (gw.cfg->gw.probe_interval_ms == 0 || nprobes == 0)
		return 0;	/* probing switched off */
	probes = calloc(nprobes, sizeof *probes);
	if (!probes)
		return -1;
	for (unsigned i = 0; i < nprobes; i++) {
		probes[i].provider = i;
		probes[i].up.cb = on_upstream;
	}
	loop_timer_set(&tick, PROBE_TICK_MS, on_tick);
	return 0;
}

void probe_free(void)
{
	loop_timer_stop(&tick);
	for (unsigned i = 0; probes && i < nprobes; i++)
		if (probes[i].busy)
			upstream_release(&probes[i].up, 0);
	free(probes);
	probes = NULL;
}

/* The probe's outcome, for every target of its provider. */
static void result(struct probe *p, int ok, int kind, int64_t retry_ms, const char *why)
{
	int64_t now = loop_now();
	upstream_release(&p->up, 0);
	p->busy = 0;
	const struct cfg_provider *pv = &gw.cfg->providers[p->provider];
	for (unsigned t = 0; t < gw.cfg->ntargets_all; t++) {
		if (gw.cfg->targets_all[t].provider != p->provider)
			continue;
		enum health_state before = health_state(t, now);
		int changed = ok ? health_probe_ok(t, now) : health_probe_failed(t, now, (enum health_kind)kind, retry_ms);
		if (changed)
			log_info("probe of provider %s: %s -> %s (%s)", pv->name, health_state_name(before),
				 health_state_name(health_state(t, now)), ok ? "answered" : why);
	}
	if (!ok)
		log_debug("probe of provider %s (%s:%u) failed: %s", pv->name, pv->url.host, pv->url.port, why);
}

static void start(struct probe *p)
{
	const struct cfg_provider *pv = &gw.cfg->providers[p->provider];
	const struct provider_type *t = pv->type;
	int n = fmt_snprintf(p->head, sizeof p->head, "GET %s%s HTTP/1.1\r\nUser-Agent: llmgw/" LLMGW_VERSION
			 "\r\nAccept: application/json\r\nConnection: close\r\n", pv->url.prefix, t->models_path);
	if (n < 0 || (size_t)n >= sizeof p->head)
		return;
	size_t hl = (size_t)n;
	/* The dialect's own headers with a value of their own (an API version). */
	const struct dialect_ops *d = dialect_get(t->dialect);
	for (const struct dialect_header *dh = d ? d->headers : NULL; dh && dh->name; dh++) {
		if (!dh->value)
			continue;
		n = fmt_snprintf(p->head + hl, sizeof p->head - hl, "%s: %s\r\n", dh->name, dh->value);
		if (n < 0 || (size_t)n >= sizeof p->head - hl)
			return;
		hl += (size_t)n;
	}
	if (provider_headers(pv, p->head, &hl, sizeof p->head) < 0)
		return;
	if (hl + 2 > sizeof p->head)
		return;
	memcpy(p->head + hl, "\r\n", 2);
	p->head_len = hl + 2;
	p->sent = p->got = 0;
	p->busy = 1;
	p->up.fresh = 1;	/* a new connection: it is closed after the answer */
	int64_t now = loop_now();
	for (unsigned tt = 0; tt < gw.cfg->ntargets_all; tt++)
		if (gw.cfg->targets_all[tt].provider == p->provider)
			health_probe_start(tt, now);
	int r = upstream_get(&p->up, &pv->url);
	if (r < 0) {
		result(p, 0, HEALTH_FAIL_CONNECT, -1, upstream_error(&p->up));
		return;
	}
	upstream_timeout(&p->up, gw.cfg->gw.connect_timeout_ms);
}

static void on_tick(struct loop_timer *t)
{
	int64_t now = loop_now();
	if (!gw.stopping) {
		for (unsigned i = 0; i < nprobes; i++) {
			struct probe *p = &probes[i];
			if (p->busy)
				continue;
			int64_t due = INT64_MAX;
			for (unsigned tt = 0; tt < gw.cfg->ntargets_all; tt++)
				if (gw.cfg->targets_all[tt].provider == i) {
					int64_t d = health_probe_due(tt, now);
					if (d < due)
						due = d;
				}
			if (due <= now)
				start(p);
		}
	}
	loop_timer_set(t, PROBE_TICK_MS, on_tick);
}

/* The probe's connection reports: send the request, read the answer's
 * status line, and conclude. */
static void on_upstream(struct up_req *r, unsigned what)
{
	struct probe *p = container_of(r, struct probe, up);
	int kind = HEALTH_FAIL_CONNECT;
	const char *why;
	if (what & (UP_FAILED | UP_TIMEOUT)) {
		if (what & UP_TIMEOUT)
			kind = HEALTH_FAIL_TIMEOUT;
		goto failed_up;
	}
	while (p->sent < p->head_len) {
		struct iovec iov = { p->head + p->sent, p->head_len - p->sent };
		ssize_t w = upstream_writev(r, &iov, 1);
		if (w < 0) {
			if (errno == EAGAIN) {
				upstream_want(r, UP_WRITABLE);
				return;
			}
			goto failed_up;
		}
		p->sent += (size_t)w;
	}
	for (;;) {
		kind = HEALTH_FAIL_BAD_RESPONSE;
		why = "response head too large";
		if (p->got == sizeof p->resp)
			goto failed;
		ssize_t n = upstream_read(r, p->resp + p->got, sizeof p->resp - p->got);
		if (n < 0 && errno == EAGAIN) {
			upstream_want(r, UP_READABLE);
			return;
		}
		kind = HEALTH_FAIL_CONNECT;
		if (n < 0)
			goto failed_up;
		why = "closed before answering";
		if (n == 0)
			goto failed;
		size_t last = p->got;
		p->got += (size_t)n;
		struct http_response rh;
		int hr = http_parse_response(p->resp, p->got, last, &rh);
		if (hr == HTTP_INCOMPLETE)
			continue;
		kind = HEALTH_FAIL_BAD_RESPONSE;
		why = "malformed HTTP response";
		if (hr == HTTP_BAD)
			goto failed;
		/* A 404 or 400 from the models call (kind < 0) says nothing
		 * about chat: the provider answered, so it is up. */
		if ((rh.status >= 200 && rh.status < 300) || (kind = health_kind_for_status(rh.status)) < 0) {
			result(p, 1, 0, -1, NULL);
			return;
		}
		char msg[64];
		fmt_snprintf(msg, sizeof msg, "HTTP %d", rh.status);
		jsmntok_t tk[64];
		int64_t hint = health_retry_hint(rh.status, rh.headers, rh.num_headers, NULL, 0, (int64_t)time(NULL), tk, 64);
		result(p, 0, kind, hint, msg);
		return;
	}
failed_up:
	why = upstream_error(r);
failed:
	result(p, 0, kind, -1, why);
}
