/*
 * fuzz_config.c - libFuzzer harness for the UCI config loader: any text
 * must load or fail cleanly (no crash, hang, leak or over-read), and a
 * successful load must free cleanly. Lookups run on what loaded, and the
 * target table's invariants are checked: route targets carry the id of
 * their own (provider, model), every name maps back to its id, and every
 * provider's "other" bucket is the fallback for unknown models.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "config.h"

static void no_report(void *ctx, const char *path, int line, const char *msg)
{
	(void)ctx;
	(void)path;
	(void)line;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c;

	if (cfg_load_text("fuzz", (const char *)data, size, &c, no_report, NULL) == 0) {
		for (unsigned i = 0; i < c.nroutes; i++) {
			const struct cfg_route *r = cfg_route_find(&c, c.routes[i].name, strlen(c.routes[i].name));
			for (unsigned j = 0; r && j < r->ntargets; j++) {
				const char *pn = c.providers[r->targets[j].provider].name;
				if (cfg_provider_index(&c, pn, strlen(pn)) < 0)
					__builtin_trap();	/* a resolved target names a provider */
				const struct cfg_target *tg = &r->targets[j];
				if (tg->tid >= c.ntargets_all || c.targets_all[tg->tid].provider != tg->provider ||
				    strcmp(c.targets_all[tg->tid].model, tg->model) != 0)
					__builtin_trap();
			}
		}
		if (c.ntargets_all < c.nproviders)
			__builtin_trap();
		for (unsigned i = 0; i < c.ntargets_all; i++) {
			const struct cfg_tinfo *t = &c.targets_all[i];
			if (cfg_target_find(&c, t->name, strlen(t->name)) != (int)i)
				__builtin_trap();	/* ids are unique and found again */
			if (t->other != (i >= c.ntargets_all - c.nproviders) || (!t->priced && t->out_usd_mtok != 0))
				__builtin_trap();
		}
		for (unsigned p = 0; p < c.nproviders; p++)
			if (cfg_target_id(&c, p, "\x01no model", 9) != (int)c.providers[p].other_tid)
				__builtin_trap();
		(void)cfg_target_find(&c, (const char *)data, size);
		for (unsigned i = 0; i < c.nclients; i++)
			(void)cfg_client_allows(&c.clients[i], (const char *)data, size);
		cfg_free(&c);
	}
	return 0;
}
