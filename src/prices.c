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
 * Deliberately left out (unpriced) on PRICES_DATE: deepseek (2026 page
 * bills by model *and* peak/off-peak hour, which a flat price cannot
 * express), together, fireworks, cerebras, perplexity (no provider price
 * page to check against), Gemini 3.x (cache rate not confirmed). Known simplifications: Gemini 2.5 Pro and Grok 4.7 bill a
 * higher tier above 200k prompt tokens and Anthropic bills cache writes at
 * 1.25x input; the table holds the base tier, so such requests are costed
 * low. Quality is a coarse 1 (small) .. 5 (frontier) default rank.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "prices.h"

const char PRICES_DATE[] = "2026-11-01";

/* Prices are stored in units of 1/200 USD per million tokens (every list
 * price is a multiple of $0.005), so a row is four uint16_t instead of a
 * pointer and three doubles; v / 200.0 is the correctly rounded double of
 * the decimal figure, the same value the literal would give. */
#define P(in, cached, out, q) { (uint16_t)((in) * 200 + 0.5), (uint16_t)((cached) * 200 + 0.5), \
	(uint16_t)((out) * 200 + 0.5), q }

/* The model names of every table, in row order; each table ends with an
 * empty name. Tables are in the order of the provider types in `types`
 * below (after its first five names). */
static const char models[] =
	/* openai */
	"gpt-5\0"
	"gpt-5-codex\0"
	"gpt-5-mini\0"
	"gpt-5-nano\0"
	"gpt-4.1\0"
	"gpt-4.1-mini\0"
	"gpt-4.1-nano\0"
	"gpt-4o\0"
	"gpt-4o-mini\0"
	"o3\0"
	"o4-mini\0"
	"gpt-4\0"
	"gpt-3.5-turbo\0"
	"\0"
	/* anthropic */
	"claude-opus-4-6\0"
	"claude-opus-4-5\0"
	"claude-opus-4-1\0"
	"claude-opus-4-0\0"
	"claude-opus-4\0"
	"claude-sonnet-4-6\0"
	"claude-sonnet-4-5\0"
	"claude-sonnet-4-0\0"
	"claude-sonnet-4\0"
	"claude-3-7-sonnet\0"
	"claude-3-7-sonnet-latest\0"
	"claude-3-5-sonnet\0"
	"claude-haiku-4-5\0"
	"claude-3-5-haiku\0"
	"claude-3-5-haiku-latest\0"
	"claude-3-opus\0"
	"claude-3-haiku\0"
	"\0"
	/* gemini */
	"gemini-2.5-pro\0"
	"gemini-2.5-flash\0"
	"gemini-2.5-flash-lite\0"
	"\0"
	/* xai */
	"grok-4.7\0"
	"\0"
	/* groq */
	"openai/gpt-oss-120b\0"
	"\0"
	/* mistral */
	"mistral-medium-3-5\0"
	"mistral-medium-3.5\0"
	"\0";

static const uint16_t rows[][4] = {
	/* OpenAI, standard tier. Source: developers.openai.com/api/docs/models/
	 * <model> pages ("Text tokens": Input / Cached input / Output) for gpt-5-nano,
	 * gpt-5-mini, gpt-5-codex (whose comparison lists gpt-5 at the same
	 * price), gpt-4 and gpt-3.5-turbo; the gpt-4.1, gpt-4o, o3 and o4-mini
	 * rows are developers.openai.com/api/docs/pricing as reproduced by at least
	 * two independent copies that agree (GitHub docs' Copilot price table,
	 * Vercel AI Gateway's "OpenAI" provider row, Helicone). Pages that list no
	 * cached price: cached = input (no discount). */
	P(1.25, 0.125, 10.00, 5),	/* gpt-5 */
	P(1.25, 0.125, 10.00, 5),	/* gpt-5-codex */
	P(0.25, 0.025, 2.00, 4),	/* gpt-5-mini */
	P(0.05, 0.005, 0.40, 2),	/* gpt-5-nano */
	P(2.00, 0.50, 8.00, 4),	/* gpt-4.1 */
	P(0.40, 0.10, 1.60, 3),	/* gpt-4.1-mini */
	P(0.10, 0.025, 0.40, 2),	/* gpt-4.1-nano */
	P(2.50, 1.25, 10.00, 4),	/* gpt-4o */
	P(0.15, 0.075, 0.60, 2),	/* gpt-4o-mini */
	P(2.00, 0.50, 8.00, 5),	/* o3 */
	P(1.10, 0.275, 4.40, 4),	/* o4-mini */
	P(30.00, 30.00, 60.00, 3),	/* gpt-4 */
	P(0.50, 0.50, 1.50, 1),	/* gpt-3.5-turbo */
	/* Anthropic. Source: platform.claude.com/docs/en/about-claude/pricing,
	 * "Model pricing" table (Base input / Cache hits & refreshes / Output).
	 * Both the dated ids and the undated aliases the API accepts are listed;
	 * the dated ids also match through the -YYYYMMDD snapshot rule. */
	P(5.00, 0.50, 25.00, 5),	/* claude-opus-4-6 */
	P(5.00, 0.50, 25.00, 5),	/* claude-opus-4-5 */
	P(15.00, 1.50, 75.00, 5),	/* claude-opus-4-1 */
	P(15.00, 1.50, 75.00, 5),	/* claude-opus-4-0 */
	P(15.00, 1.50, 75.00, 5),	/* claude-opus-4 */
	P(3.00, 0.30, 15.00, 4),	/* claude-sonnet-4-6 */
	P(3.00, 0.30, 15.00, 4),	/* claude-sonnet-4-5 */
	P(3.00, 0.30, 15.00, 4),	/* claude-sonnet-4-0 */
	P(3.00, 0.30, 15.00, 4),	/* claude-sonnet-4 */
	P(3.00, 0.30, 15.00, 4),	/* claude-3-7-sonnet */
	P(3.00, 0.30, 15.00, 4),	/* claude-3-7-sonnet-latest */
	P(3.00, 0.30, 15.00, 4),	/* claude-3-5-sonnet */
	P(1.00, 0.10, 5.00, 3),	/* claude-haiku-4-5 */
	P(0.80, 0.08, 4.00, 2),	/* claude-3-5-haiku */
	P(0.80, 0.08, 4.00, 2),	/* claude-3-5-haiku-latest */
	P(15.00, 1.50, 75.00, 4),	/* claude-3-opus */
	P(0.25, 0.03, 1.25, 1),	/* claude-3-haiku */
	/* Google Gemini. Source: ai.google.dev/gemini-api/docs/pricing, paid tier,
	 * standard, text (as reproduced by several 2026 guides that agree);
	 * Gemini 2.5 Pro at its <=200k-prompt tier. Context-cache reads are 10% of
	 * input on the 2.5 models (2.5 Pro's $0.125 is on the page). gemini-2.0-
	 * flash is left out: shut down on 2026-06-01. */
	P(1.25, 0.125, 10.00, 5),	/* gemini-2.5-pro */
	P(0.30, 0.03, 2.50, 3),	/* gemini-2.5-flash */
	P(0.10, 0.01, 0.40, 2),	/* gemini-2.5-flash-lite */
	/* xAI. Source: docs.x.ai/developers/grok-4-7 ("Input price" $2, "Output
	 * price" $6); cached input $0.50 as quoted from the same page by the
	 * Grok 4.7 API guide; base tier below 200k prompt tokens. Older Grok
	 * models: no current xAI page in the sources, left unpriced. */
	P(2.00, 0.50, 6.00, 5),	/* grok-4.7 */
	/* Groq. Source: console.groq.com/docs/models and groq.com/pricing (per 1M
	 * input / output), as cited in two catalog corrections that agree. Groq
	 * publishes no cached-input rate for it, so cached = input. Other Groq
	 * models: not confirmed from Groq's own page, left unpriced. */
	P(0.15, 0.15, 0.60, 3),	/* openai/gpt-oss-120b */
	/* Mistral. Source: mistral.ai/pricing (La Plateforme) for Medium 3.5, as
	 * cited by a catalog correction and Vercel's Mistral row, which agree;
	 * Mistral publishes no cached-input discount, so cached = input. "-latest"
	 * aliases are not listed: they move between models (and prices). Other
	 * Mistral models: not confirmed, unpriced. */
	P(1.50, 1.50, 7.50, 4),	/* mistral-medium-3-5 */
	P(1.50, 1.50, 7.50, 4),	/* mistral-medium-3.5 */
	P(0, 0, 0, 1),	/* LOCAL_ROW: local servers cost nothing per token; their
			 * quality is unknown (config `option quality` says), so
			 * they rank lowest by default */
};
#define LOCAL_ROW (sizeof rows / sizeof rows[0] - 1)

/* Provider types: the local ones (0..3), openrouter (4), then one per table
 * of `models` in its order (5..). */
static const char types[] = "ollama\0llamacpp\0vllm\0lmstudio\0openrouter\0"
	"openai\0anthropic\0gemini\0xai\0groq\0mistral\0";
#define T_LOCAL_END 4
#define T_OPENROUTER 4
#define T_TABLES 5
#define T_GEMINI 7

/* OpenRouter vendor prefixes, mapped to tables 0..3 and 5 (mistral);
 * anthropic (1) needs its dots mapped to dashes. */
static const char vendors[] = "openai\0anthropic\0google\0x-ai\0mistralai\0";

/* The index of s[0..n) in a packed name list, or -1. */
static int find_name(const char *list, const char *s, size_t n, int nocase)
{
	for (int i = 0; *list; i++) {
		size_t l = strlen(list);
		if (l == n && (nocase ? strncasecmp(list, s, n) : strncmp(list, s, n)) == 0)
			return i;
		list += l + 1;
	}
	return -1;
}

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

/* The row of model in table `table`: an exact name first, then a listed
 * name with a snapshot suffix; -1 when unpriced. */
static int find_row(unsigned table, const char *model)
{
	const char *p = models;
	int row = 0;
	while (table) {
		if (!*p)
			table--;
		else
			row++;
		p += strlen(p) + 1;
	}
	for (int snap = 0; snap < 2; snap++) {
		int r = row;
		for (const char *q = p; *q; q += strlen(q) + 1, r++) {
			size_t n = strlen(q);
			if (snap ? strncasecmp(q, model, n) == 0 && is_snapshot_suffix(model + n)
				 : strcasecmp(q, model) == 0)
				return r;
		}
	}
	return -1;
}

static int fill(int row, struct price *out)
{
	if (row < 0)
		return 0;
	if (out) {
		out->in_usd_mtok = rows[row][0] / 200.0;
		out->cached_usd_mtok = rows[row][1] / 200.0;
		out->out_usd_mtok = rows[row][2] / 200.0;
		out->quality = rows[row][3];
	}
	return 1;
}

static int lookup_openrouter(const char *model, struct price *out)
{
	const char *slash = strchr(model, '/');
	if (!slash || strchr(model, ':'))
		return 0;
	int v = find_name(vendors, model, (size_t)(slash - model), 1);
	if (v < 0)
		return 0;
	const char *rest = slash + 1;
	char buf[128];
	size_t n = strlen(rest);
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, rest, n + 1);
	if (v == 1)
		for (size_t j = 0; j < n; j++)
			if (buf[j] == '.')
				buf[j] = '-';
	return fill(find_row(v == 4 ? 5 : (unsigned)v, buf), out);
}

int prices_lookup(const char *type_name, const char *model, struct price *out)
{
	if (!type_name || !model)
		return 0;
	int k = find_name(types, type_name, strlen(type_name), 0);
	if (k < 0)
		return 0;
	if (k < T_LOCAL_END)
		return fill(LOCAL_ROW, out);
	if (k == T_OPENROUTER)
		return lookup_openrouter(model, out);
	if (k == T_GEMINI && strncmp(model, "models/", 7) == 0)
		model += 7;
	return fill(find_row((unsigned)(k - T_TABLES), model), out);
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
