/*
 * fuzz_config.c - libFuzzer harness for the UCI config loader: any text
 * must load or fail cleanly (no crash, hang, leak or over-read), and a
 * successful load must free cleanly. Lookups run on what loaded.
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
			}
		}
		for (unsigned i = 0; i < c.nclients; i++)
			(void)cfg_client_allows(&c.clients[i], (const char *)data, size);
		cfg_free(&c);
	}
	return 0;
}
