/*
 * prices.h - the compiled-in, dated table of list prices per model, and
 * what a request costs.
 *
 * Prices are USD per million tokens: input (uncached), cached input, and
 * output. The table names the date its figures were taken from the
 * providers' price pages (PRICES_DATE). A model is looked up by provider
 * type and model name; unknown models are "unpriced" and never silently
 * count as $0 (cost functions say so). Config `target` sections override.
 *
 * The table is constant data; the functions are pure arithmetic over it
 * and the caller's numbers: nothing allocates, blocks or keeps state.
 */
#ifndef LLMGW_PRICES_H
#define LLMGW_PRICES_H

#include <stdint.h>

extern const char PRICES_DATE[];	/* "2026-11-01" */

struct price {
	double in_usd_mtok;		/* input tokens, not cached */
	double cached_usd_mtok;		/* cached input tokens (read) */
	double out_usd_mtok;		/* output tokens (reasoning included) */
	int quality;			/* 1 (small) .. 5 (frontier): default quality rank */
};

/* Looks up type_name ("openai", "anthropic", "gemini", "groq", ...) and
 * model; exact names, and dated snapshots of a listed model
 * ("gpt-4.1-mini-2025-04-14" matches "gpt-4.1-mini"). Returns 1 and fills
 * *out when known, 0 when unpriced. Local types (ollama, llamacpp, vllm,
 * lmstudio) are priced at 0 on purpose: they cost nothing per token. */
int prices_lookup(const char *type_name, const char *model, struct price *out);

/* Cost in USD of a usage: input includes cached (ir.h's convention). */
double prices_cost(const struct price *p, int64_t input, int64_t cached, int64_t output);

#endif
