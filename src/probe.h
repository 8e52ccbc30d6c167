/*
 * probe.h - active health checks. Every provider is probed on a timer with
 * its free list-models call (GET base_url + models_path, with its key), so
 * a dead provider or a revoked key is known before a user hits it. The
 * outcome feeds the health of every target of that provider (health.h
 * decides when a probe is due: more often while a breaker is open).
 *
 * One probe per provider at a time, in a small struct allocated by
 * probe_init() at start-up that owns its upstream request (struct up_req,
 * upstream.h): a new connection each time (it asks for Connection: close),
 * its events through the probe's own callback. Nothing blocks.
 */
#ifndef LLMGW_PROBE_H
#define LLMGW_PROBE_H

#include "gw.h"

/* Sets up the probes of the current configuration (gw.cfg). */
int probe_init(void);
void probe_free(void);

#endif
