/*
 * prices.c - the compiled-in, dated list-price table and cost math.
 *
 * Owns: the const table below (no state, nothing allocated, nothing
 * blocks). Figures are USD per million tokens from each provider's own
 * price page as stored on PRICES_DATE; every block names its source.
 * A model whose price could not be confirmed is simply absent: an
 * unpriced target is never picked by `cheapest` and is logged by the
 * caller, whereas a wrong price would silently mis-bill. Config `target`
 * sections override any of it.
 *
 * Matching (prices_lookup):
 *   - exact model name, case-insensitive;
 *   - or a listed name followed by a dated snapshot suffix: "-YYYY-MM-DD"
 *     (OpenAI), "-YYYYMMDD" (Anthropic) or "-MMDD" (old OpenAI). Nothing
 *     else counts as a snapshot: "-latest" aliases move to new models with
 *     new prices (mistral-medium-latest did), and "claude-opus-4-5" must
 *     never match "claude-opus-4" (3x price difference);
 *   - gemini: a leading "models/" is ignored;
 *   - openrouter: "vendor/model" is looked up in the vendor's table
 *     (openai, anthropic, google -> gemini, x-ai -> xai, mistralai ->
 *     mistral); OpenRouter's Anthropic ids use dots ("claude-sonnet-4.5")
 *     where Anthropic uses dashes, so dots are mapped. A ":variant" suffix
 *     (":free", ":nitro", ":floor") changes the price, so it is unpriced.
 *   - local types (ollama, llamacpp, vllm, lmstudio): 0 on purpose.
 *
 * Deliberately left out (unpriced) on PRICES_DATE, see the report in the
 * issue: deepseek (2026 page bills by model *and* peak/off-peak hour, which
 * a flat price cannot express), together, fireworks, cerebras, perplexity
 * (no provider page in the stored sources), Gemini 3.x (cache rate not
 * confirmed). Known simplifications: Gemini 2.5 Pro and Grok 4.7 bill a
 * higher tier above 200k prompt tokens and Anthropic bills cache writes at
 * 1.25x input; the table holds the base tier, so such requests are costed
 * low. Quality is a coarse 1 (small) .. 5 (frontier) default rank.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "prices.h"

const char PRICES_DATE[] = "2026-11-01";

struct price_row {
	const char *model;
	double in, cached, out;
	int quality;
};

/* OpenAI, standard tier. Source: developers.openai.com/api/docs/models/
 * <model> pages ("Text tokens": Input / Cached input / Output) for gpt-5-nano,
 * gpt-5-mini, gpt-5-codex (whose comparison lists gpt-5 at the same
 * price), gpt-4 and gpt-3.5-turbo; the gpt-4.1, gpt-4o, o3 and o4-mini
 * rows are developers.openai.com/api/docs/pricing as reproduced by at least
 * two independent copies that agree (GitHub docs' Copilot price table,
 * Vercel AI Gateway's "OpenAI" provider row, Helicone). Pages that list no
 * cached price: cached = input (no discount). */
static const struct price_row openai_rows[] = {
	{ "gpt-5",		1.25,	0.125,	10.00,	5 },
	{ "gpt-5-codex",	1.25,	0.125,	10.00,	5 },
	{ "gpt-5-mini",		0.25,	0.025,	2.00,	4 },
	{ "gpt-5-nano",		0.05,	0.005,	0.40,	2 },
	{ "gpt-4.1",		2.00,	0.50,	8.00,	4 },
	{ "gpt-4.1-mini",	0.40,	0.10,	1.60,	3 },
	{ "gpt-4.1-nano",	0.10,	0.025,	0.40,	2 },
	{ "gpt-4o",		2.50,	1.25,	10.00,	4 },
	{ "gpt-4o-mini",	0.15,	0.075,	0.60,	2 },
	{ "o3",			2.00,	0.50,	8.00,	5 },
	{ "o4-mini",		1.10,	0.275,	4.40,	4 },
	{ "gpt-4",		30.00,	30.00,	60.00,	3 },
	{ "gpt-3.5-turbo",	0.50,	0.50,	1.50,	1 },
	{ NULL, 0, 0, 0, 0 }
};

/* Anthropic. Source: platform.claude.com/docs/en/about-claude/pricing,
 * "Model pricing" table (Base input / Cache hits & refreshes / Output).
 * Both the dated ids and the undated aliases the API accepts are listed;
 * the dated ids also match through the -YYYYMMDD snapshot rule. */
static const struct price_row anthropic_rows[] = {
	{ "claude-opus-4-6",		5.00,	0.50,	25.00,	5 },
	{ "claude-opus-4-5",		5.00,	0.50,	25.00,	5 },
	{ "claude-opus-4-1",		15.00,	1.50,	75.00,	5 },
	{ "claude-opus-4-0",		15.00,	1.50,	75.00,	5 },
	{ "claude-opus-4",		15.00,	1.50,	75.00,	5 },
	{ "claude-sonnet-4-6",		3.00,	0.30,	15.00,	4 },
	{ "claude-sonnet-4-5",		3.00,	0.30,	15.00,	4 },
	{ "claude-sonnet-4-0",		3.00,	0.30,	15.00,	4 },
	{ "claude-sonnet-4",		3.00,	0.30,	15.00,	4 },
	{ "claude-3-7-sonnet",		3.00,	0.30,	15.00,	4 },
	{ "claude-3-7-sonnet-latest",	3.00,	0.30,	15.00,	4 },
	{ "claude-3-5-sonnet",		3.00,	0.30,	15.00,	4 },
	{ "claude-haiku-4-5",		1.00,	0.10,	5.00,	3 },
	{ "claude-3-5-haiku",		0.80,	0.08,	4.00,	2 },
	{ "claude-3-5-haiku-latest",	0.80,	0.08,	4.00,	2 },
	{ "claude-3-opus",		15.00,	1.50,	75.00,	4 },
	{ "claude-3-haiku",		0.25,	0.03,	1.25,	1 },
	{ NULL, 0, 0, 0, 0 }
};

/* Google Gemini. Source: ai.google.dev/gemini-api/docs/pricing, paid tier,
 * standard, text (as reproduced by several 2026 guides that agree);
 * Gemini 2.5 Pro at its <=200k-prompt tier. Context-cache reads are 10% of
 * input on the 2.5 models (2.5 Pro's $0.125 is on the page). gemini-2.0-
 * flash is left out: shut down on 2026-06-01. */
static const struct price_row gemini_rows[] = {
	{ "gemini-2.5-pro",		1.25,	0.125,	10.00,	5 },
	{ "gemini-2.5-flash",		0.30,	0.03,	2.50,	3 },
	{ "gemini-2.5-flash-lite",	0.10,	0.01,	0.40,	2 },
	{ NULL, 0, 0, 0, 0 }
};

/* xAI. Source: docs.x.ai/developers/grok-4-7 ("Input price" $2, "Output
 * price" $6); cached input $0.50 as quoted from the same page by the
 * Grok 4.7 API guide; base tier below 200k prompt tokens. Older Grok
 * models: no current xAI page in the sources, left unpriced. */
static const struct price_row xai_rows[] = {
	{ "grok-4.7",	2.00,	0.50,	6.00,	5 },
	{ NULL, 0, 0, 0, 0 }
};

/* Groq. Source: console.groq.com/docs/models and groq.com/pricing (per 1M
 * input / output), as cited in two catalog corrections that agree. Groq
 * publishes no cached-input rate for it, so cached = input. Other Groq
 * models: not confirmed from Groq's own page, left unpriced. */
static const struct price_row groq_rows[] = {
	{ "openai/gpt-oss-120b",	0.15,	0.15,	0.60,	3 },
	{ NULL, 0, 0, 0, 0 }
};

/* Mistral. Source: mistral.ai/pricing (La Plateforme) for Medium 3.5, as
 * cited by a catalog correction and Vercel's Mistral row, which agree;
 * Mistral publishes no cached-input discount, so cached = input. "-latest"
 * aliases are not listed: they move between models (and prices). Other
 * Mistral models: not confirmed, unpriced. */
static const struct price_row mistral_rows[] = {
	{ "mistral-medium-3-5",	1.50,	1.50,	7.50,	4 },
	{ "mistral-medium-3.5",	1.50,	1.50,	7.50,	4 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct {
	const char *type;
	const struct price_row *rows;
} tables[] = {
	{ "openai", openai_rows },
	{ "anthropic", anthropic_rows },
	{ "gemini", gemini_rows },
	{ "xai", xai_rows },
	{ "groq", groq_rows },
	{ "mistral", mistral_rows },
};

/* Local servers cost nothing per token; their quality is unknown (config
 * `option quality` says), so they rank lowest by default. */
static const char *const local_types[] = { "ollama", "llamacpp", "vllm", "lmstudio" };

/* OpenRouter vendor prefix -> our provider type. */
static const struct {
	const char *vendor;
	const char *type;
	int dots_to_dashes;
} openrouter_vendors[] = {
	{ "openai", "openai", 0 },
	{ "anthropic", "anthropic", 1 },
	{ "google", "gemini", 0 },
	{ "x-ai", "xai", 0 },
	{ "mistralai", "mistral", 0 },
};

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* s is "-YYYY-MM-DD", "-YYYYMMDD" or "-MMDD" and nothing more. */
static int is_snapshot_suffix(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || s[0] != '-')
		return 0;
	s++;
	n--;
	if (n == 10)
		return all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) &&
		    s[7] == '-' && all_digits(s + 8, 2);
	if (n == 8 || n == 4)
		return all_digits(s, n);
	return 0;
}

static const struct price_row *find_row(const struct price_row *rows, const char *model)
{
	for (const struct price_row *r = rows; r->model; r++)
		if (strcasecmp(r->model, model) == 0)
			return r;
	for (const struct price_row *r = rows; r->model; r++) {
		size_t n = strlen(r->model);
		if (strncasecmp(r->model, model, n) == 0 && is_snapshot_suffix(model + n))
			return r;
	}
	return NULL;
}

static const struct price_row *table_for(const char *type)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (strcmp(tables[i].type, type) == 0)
			return tables[i].rows;
	return NULL;
}

static int fill(const struct price_row *r, struct price *out)
{
	if (!r)
		return 0;
	if (out) {
		out->in_usd_mtok = r->in;
		out->cached_usd_mtok = r->cached;
		out->out_usd_mtok = r->out;
		out->quality = r->quality;
	}
	return 1;
}

static int lookup_openrouter(const char *model, struct price *out)
{
	const char *slash = strchr(model, '/');
	if (!slash || strchr(model, ':'))
		return 0;
	size_t vlen = (size_t)(slash - model);
	for (size_t i = 0; i < sizeof openrouter_vendors / sizeof openrouter_vendors[0]; i++) {
		const char *v = openrouter_vendors[i].vendor;
		if (strlen(v) != vlen || strncasecmp(v, model, vlen) != 0)
			continue;
		const char *rest = slash + 1;
		char buf[128];
		size_t n = strlen(rest);
		if (n == 0 || n >= sizeof buf)
			return 0;
		memcpy(buf, rest, n + 1);
		if (openrouter_vendors[i].dots_to_dashes)
			for (size_t j = 0; j < n; j++)
				if (buf[j] == '.')
					buf[j] = '-';
		return fill(find_row(table_for(openrouter_vendors[i].type), buf), out);
	}
	return 0;
}

int prices_lookup(const char *type_name, const char *model, struct price *out)
{
	if (!type_name || !model)
		return 0;
	for (size_t i = 0; i < sizeof local_types / sizeof local_types[0]; i++) {
		if (strcmp(type_name, local_types[i]) == 0) {
			if (out) {
				out->in_usd_mtok = out->cached_usd_mtok = out->out_usd_mtok = 0;
				out->quality = 1;
			}
			return 1;
		}
	}
	if (strcmp(type_name, "openrouter") == 0)
		return lookup_openrouter(model, out);
	const struct price_row *rows = table_for(type_name);
	if (!rows)
		return 0;
	if (strcmp(type_name, "gemini") == 0 && strncmp(model, "models/", 7) == 0)
		model += 7;
	return fill(find_row(rows, model), out);
}

double prices_cost(const struct price *p, int64_t input, int64_t cached, int64_t output)
{
	if (!p)
		return 0;
	if (input < 0)
		input = 0;
	if (output < 0)
		output = 0;
	if (cached < 0)
		cached = 0;
	if (cached > input)	/* input includes cached: never bill more cached than input */
		cached = input;
	return ((double)(input - cached) * p->in_usd_mtok +
	    (double)cached * p->cached_usd_mtok +
	    (double)output * p->out_usd_mtok) / 1e6;
}
