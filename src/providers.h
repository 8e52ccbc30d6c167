/*
 * providers.h - the compile-time table of provider types.
 *
 * A provider type is data: its wire dialect, default base URL, the paths of
 * its chat and list-models calls, how it takes its key, and the environment
 * variable the embedded default config looks for. Adding a service that
 * speaks an existing dialect is one table entry in providers.c. Config
 * `provider` sections name a type and may override base_url.
 *
 * The table is constant data owned by providers.c; lookups return pointers
 * into it. Nothing allocates or blocks.
 */
#ifndef LLMGW_PROVIDERS_H
#define LLMGW_PROVIDERS_H

enum dialect { DIALECT_OPENAI, DIALECT_ANTHROPIC, DIALECT_GEMINI };

enum auth_style {
	AUTH_BEARER,		/* Authorization: Bearer <key> */
	AUTH_X_API_KEY,		/* x-api-key: <key> (Anthropic) */
	AUTH_GOOG_API_KEY,	/* x-goog-api-key: <key> (Gemini) */
	AUTH_API_KEY,		/* api-key: <key> (Azure OpenAI) */
};

struct provider_type {
	const char *name;		/* config `option type` */
	const char *base_url;		/* NULL: the config must give base_url */
	const char *chat_path;		/* appended to base_url; NULL: the dialect's request_path */
	const char *models_path;	/* free health probe and model listing */
	const char *key_env;		/* usual environment variable; NULL: none */
	const char *host_env;		/* env var holding a base URL or host:port (OLLAMA_HOST) */
	/* bytes, not enums and ints: 16 bytes less per row (this table is in
	 * every static binary) */
	unsigned char dialect;		/* enum dialect */
	unsigned char auth;		/* enum auth_style */
	unsigned char key_optional;	/* local servers that take no key */
};

const struct provider_type *provider_type_find(const char *name);
/* Iteration for the embedded default config, -t output and docs. */
const struct provider_type *provider_type_at(unsigned i);	/* NULL past the end */
const char *dialect_name(enum dialect d);

/* A provider type this build was made without (options.h): its name, its
 * usual key variable and the switch that left it out ("LLMGW_DIALECT_GEMINI"),
 * so that a config naming it is told why, not "unknown type". Empty in the
 * default (full) build. */
struct provider_left_out {
	const char *name;
	const char *key_env;
	const char *option;
};
const struct provider_left_out *provider_left_out_find(const char *name);	/* NULL: none */
const struct provider_left_out *provider_left_out_at(unsigned i);		/* NULL past the end */

#endif
