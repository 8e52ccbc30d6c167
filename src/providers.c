/*
 * providers.c - the provider type table. See providers.h.
 *
 * Base URLs stop before "/v1": chat_path carries the version so that a
 * user's base_url may be written either way (config.c strips a trailing
 * "/v1" the OpenAI SDK habit adds). Gemini's path holds the model, so its
 * dialect builds it (dialect.h request_path).
 *
 * A dialect left out of the build (options.h) takes its provider type with
 * it; the type's name stays known in left_out[] so that a config naming it
 * is told "not in this build (LLMGW_DIALECT_X=0)", not "unknown type".
 */
#include <string.h>
#include "options.h"
#include "providers.h"

#define OPENAI_COMPAT(n, url, env) \
	{ n, url, "/v1/chat/completions", "/v1/models", env, NULL, DIALECT_OPENAI, AUTH_BEARER, 0 }
#define LOCAL_OPENAI(n, url, hostenv) \
	{ n, url, "/v1/chat/completions", "/v1/models", NULL, hostenv, DIALECT_OPENAI, AUTH_BEARER, 1 }

static const struct provider_type types[] = {
	OPENAI_COMPAT("openai", "https://api.openai.com", "OPENAI_API_KEY"),
	{ "openai-compatible", NULL, "/v1/chat/completions", "/v1/models", NULL, NULL, DIALECT_OPENAI, AUTH_BEARER, 1 },
	OPENAI_COMPAT("groq", "https://api.groq.com/openai", "GROQ_API_KEY"),
	OPENAI_COMPAT("mistral", "https://api.mistral.ai", "MISTRAL_API_KEY"),
	OPENAI_COMPAT("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY"),
	OPENAI_COMPAT("openrouter", "https://openrouter.ai/api", "OPENROUTER_API_KEY"),
	OPENAI_COMPAT("together", "https://api.together.xyz", "TOGETHER_API_KEY"),
	OPENAI_COMPAT("xai", "https://api.x.ai", "XAI_API_KEY"),
	OPENAI_COMPAT("fireworks", "https://api.fireworks.ai/inference", "FIREWORKS_API_KEY"),
	OPENAI_COMPAT("cerebras", "https://api.cerebras.ai", "CEREBRAS_API_KEY"),
	OPENAI_COMPAT("perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY"),
#if LLMGW_DIALECT_ANTHROPIC
	{ "anthropic", "https://api.anthropic.com", "/v1/messages", "/v1/models", "ANTHROPIC_API_KEY", NULL,
	  DIALECT_ANTHROPIC, AUTH_X_API_KEY, 0 },
#endif
#if LLMGW_DIALECT_GEMINI
	{ "gemini", "https://generativelanguage.googleapis.com", NULL, "/v1beta/models", "GEMINI_API_KEY", NULL,
	  DIALECT_GEMINI, AUTH_GOOG_API_KEY, 0 },
#endif
	LOCAL_OPENAI("ollama", "http://127.0.0.1:11434", "OLLAMA_HOST"),
	LOCAL_OPENAI("llamacpp", "http://127.0.0.1:8080", NULL),
	LOCAL_OPENAI("vllm", "http://127.0.0.1:8000", NULL),
	LOCAL_OPENAI("lmstudio", "http://127.0.0.1:1234", NULL),
};

static const struct provider_left_out left_out[] = {
#if !LLMGW_DIALECT_ANTHROPIC
	{ "anthropic", "ANTHROPIC_API_KEY", "LLMGW_DIALECT_ANTHROPIC" },
#endif
#if !LLMGW_DIALECT_GEMINI
	{ "gemini", "GEMINI_API_KEY", "LLMGW_DIALECT_GEMINI" },
#endif
	{ NULL, NULL, NULL }
};

const struct provider_type *provider_type_find(const char *name)
{
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

const struct provider_type *provider_type_at(unsigned i)
{
	return i < sizeof types / sizeof types[0] ? &types[i] : NULL;
}

const struct provider_left_out *provider_left_out_find(const char *name)
{
	for (const struct provider_left_out *l = left_out; l->name; l++)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

const struct provider_left_out *provider_left_out_at(unsigned i)
{
	/* Walked, not indexed: in the full build the table is the sentinel alone. */
	for (const struct provider_left_out *l = left_out; l->name; l++, i--)
		if (i == 0)
			return l;
	return NULL;
}

const char *dialect_name(enum dialect d)
{
	switch (d) {
	case DIALECT_OPENAI: return "openai";
	case DIALECT_ANTHROPIC: return "anthropic";
	case DIALECT_GEMINI: return "gemini";
	}
	return "?";
}
