/*
 * probe.h - active health checks. Every provider is probed on a timer with
 * its free list-models call (GET base_url + models_path, with its key), so
 * a dead provider or a revoked key is known before a user hits it. The
 * outcome feeds the health of every target of that provider (health.h
 * decides when a probe is due: more often while a breaker is open).
 *
 * One probe per provider at a time, on its own small exchange allocated by
 * probe_init() at start-up; it uses the upstream pool like any request
 * (a new connection each time: it asks for Connection: close).
 */
#ifndef LLMGW_PROBE_H
#define LLMGW_PROBE_H

#include "gw.h"

int probe_init(const struct cfg *cfg);
void probe_free(void);
/* Upstream events for a probe's exchange (x->is_probe). */
void probe_on_upstream(struct exchange *x, unsigned what);

#endif
