/* test_prices.c - unit tests for prices.c: lookups, snapshots, cost math. */
#include "test.h"
#include "../../src/prices.h"

static int near(double a, double b)
{
	double d = a - b, m = b < 0 ? -b : b;
	return (d < 0 ? -d : d) < 1e-9 * (1 + m);
}

TEST(exact_lookups)
{
	struct price p;
	REQUIRE(prices_lookup("openai", "gpt-4.1", &p));
	CHECK(near(p.in_usd_mtok, 2.0) && near(p.cached_usd_mtok, 0.5) && near(p.out_usd_mtok, 8.0));
	REQUIRE(prices_lookup("anthropic", "claude-sonnet-4-5", &p));
	CHECK(near(p.in_usd_mtok, 3.0) && near(p.cached_usd_mtok, 0.3) && near(p.out_usd_mtok, 15.0));
	REQUIRE(prices_lookup("gemini", "gemini-2.5-flash", &p));
	CHECK(near(p.in_usd_mtok, 0.30) && near(p.out_usd_mtok, 2.50));
	REQUIRE(prices_lookup("openai", "GPT-5-Nano", &p));	/* case-insensitive */
	CHECK(near(p.in_usd_mtok, 0.05) && near(p.cached_usd_mtok, 0.005));
	CHECK(p.quality >= 1 && p.quality <= 5);
	CHECK(prices_lookup("gemini", "models/gemini-2.5-pro", &p) && near(p.out_usd_mtok, 10.0));
	CHECK(prices_lookup("openai", "gpt-4o", NULL) == 1);	/* out may be NULL */
}

TEST(snapshots)
{
	struct price p;
	CHECK(prices_lookup("openai", "gpt-4.1-mini-2025-04-14", &p) && near(p.in_usd_mtok, 0.40));
	CHECK(prices_lookup("openai", "gpt-4o-mini-2024-07-18", &p) && near(p.in_usd_mtok, 0.15));
	CHECK(prices_lookup("openai", "gpt-4-0613", &p) && near(p.in_usd_mtok, 30.0));
	CHECK(prices_lookup("anthropic", "claude-sonnet-4-5-20250929", &p) && near(p.out_usd_mtok, 15.0));
	CHECK(prices_lookup("anthropic", "claude-3-5-haiku-20241022", &p) && near(p.in_usd_mtok, 0.80));
	/* Opus 4.5 is a third of Opus 4's price: a prefix must never match. */
	CHECK(prices_lookup("anthropic", "claude-opus-4-5-20251101", &p) && near(p.in_usd_mtok, 5.0));
	CHECK(prices_lookup("anthropic", "claude-opus-4-20250514", &p) && near(p.in_usd_mtok, 15.0));
	CHECK(prices_lookup("anthropic", "claude-opus-4-9", &p) == 0);
	/* gpt-4o-mini is not a snapshot of gpt-4o */
	CHECK(prices_lookup("openai", "gpt-4o-mini", &p) && near(p.in_usd_mtok, 0.15));
	/* things that look like suffixes but are other models or aliases */
	CHECK(prices_lookup("openai", "gpt-4.1-mini-fast", &p) == 0);
	CHECK(prices_lookup("openai", "gpt-4o-2024-08", &p) == 0);
	CHECK(prices_lookup("openai", "gpt-4o-2024-08-0x", &p) == 0);
	CHECK(prices_lookup("openai", "gpt-4-latest", &p) == 0);
	CHECK(prices_lookup("openai", "gpt-4.1-", &p) == 0);
	CHECK(prices_lookup("mistral", "mistral-medium-latest", &p) == 0);
}

TEST(unknown_is_unpriced)
{
	struct price p = { 9, 9, 9, 9 };
	CHECK(prices_lookup("openai", "gpt-nonexistent", &p) == 0);
	CHECK(prices_lookup("nosuchtype", "gpt-4.1", &p) == 0);
	CHECK(prices_lookup("openai-compatible", "gpt-4.1", &p) == 0);
	CHECK(prices_lookup("deepseek", "deepseek-chat", &p) == 0);	/* deliberately unpriced */
	CHECK(prices_lookup("openai", "", &p) == 0);
	CHECK(prices_lookup(NULL, "gpt-4.1", &p) == 0);
	CHECK(prices_lookup("openai", NULL, &p) == 0);
	CHECK(near(p.in_usd_mtok, 9));	/* untouched when unpriced */
}

TEST(local_types_cost_nothing)
{
	const char *types[] = { "ollama", "llamacpp", "vllm", "lmstudio" };
	for (unsigned i = 0; i < 4; i++) {
		struct price p = { 9, 9, 9, 0 };
		CHECK(prices_lookup(types[i], "anything:7b", &p) == 1);
		CHECK(p.in_usd_mtok == 0 && p.cached_usd_mtok == 0 && p.out_usd_mtok == 0);
		CHECK(prices_cost(&p, 1000000, 0, 1000000) == 0);
	}
}

TEST(openrouter_maps_to_vendor)
{
	struct price p, q;
	REQUIRE(prices_lookup("openrouter", "anthropic/claude-sonnet-4.5", &p));
	REQUIRE(prices_lookup("anthropic", "claude-sonnet-4-5", &q));
	CHECK(near(p.in_usd_mtok, q.in_usd_mtok) && near(p.out_usd_mtok, q.out_usd_mtok));
	CHECK(prices_lookup("openrouter", "anthropic/claude-3.7-sonnet", &p) && near(p.in_usd_mtok, 3.0));
	CHECK(prices_lookup("openrouter", "openai/gpt-4o-mini", &p) && near(p.out_usd_mtok, 0.60));
	CHECK(prices_lookup("openrouter", "google/gemini-2.5-flash-lite", &p) && near(p.in_usd_mtok, 0.10));
	CHECK(prices_lookup("openrouter", "x-ai/grok-4.7", &p) && near(p.out_usd_mtok, 6.0));
	CHECK(prices_lookup("openrouter", "openai/gpt-4o:free", &p) == 0);
	CHECK(prices_lookup("openrouter", "meta-llama/llama-3.3-70b-instruct", &p) == 0);
	CHECK(prices_lookup("openrouter", "anthropic/", &p) == 0);
	CHECK(prices_lookup("openrouter", "gpt-4o", &p) == 0);
	/* OpenAI's own dotted names are not rewritten */
	CHECK(prices_lookup("openrouter", "openai/gpt-4.1", &p) && near(p.in_usd_mtok, 2.0));
}

TEST(table_is_sane)
{
	/* every row: cached <= input <= output, quality 1..5 */
	static const char *const rows[][2] = {
		{ "openai", "gpt-5" }, { "openai", "gpt-5-mini" }, { "openai", "gpt-5-nano" },
		{ "openai", "gpt-4.1" }, { "openai", "gpt-4.1-mini" }, { "openai", "gpt-4.1-nano" },
		{ "openai", "gpt-4o" }, { "openai", "gpt-4o-mini" }, { "openai", "o3" },
		{ "openai", "o4-mini" }, { "anthropic", "claude-opus-4-1" },
		{ "anthropic", "claude-haiku-4-5" }, { "anthropic", "claude-3-haiku-20240307" },
		{ "gemini", "gemini-2.5-flash-lite" }, { "xai", "grok-4.7" },
		{ "groq", "openai/gpt-oss-120b" }, { "mistral", "mistral-medium-3-5" },
	};
	for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct price p;
		REQUIRE(prices_lookup(rows[i][0], rows[i][1], &p));
		CHECK(p.cached_usd_mtok <= p.in_usd_mtok);
		CHECK(p.in_usd_mtok > 0 && p.in_usd_mtok <= p.out_usd_mtok);
		CHECK(p.quality >= 1 && p.quality <= 5);
	}
	CHECK(strlen(PRICES_DATE) == 10 && PRICES_DATE[4] == '-' && PRICES_DATE[7] == '-');
}

TEST(cost_math)
{
	struct price p;
	REQUIRE(prices_lookup("openai", "gpt-4.1", &p));	/* 2 / 0.5 / 8 */
	CHECK(near(prices_cost(&p, 1000000, 0, 1000000), 10.0));
	/* input includes cached: 600k at 2 + 400k at 0.5 + 0 = 1.4, not 2.2 */
	CHECK(near(prices_cost(&p, 1000000, 400000, 0), 1.4));
	CHECK(near(prices_cost(&p, 1000, 250, 500), (750 * 2.0 + 250 * 0.5 + 500 * 8.0) / 1e6));
	/* cached above input is clamped to input; negatives count as 0 */
	CHECK(near(prices_cost(&p, 100, 500, 0), 100 * 0.5 / 1e6));
	CHECK(prices_cost(&p, -5, -5, -5) == 0);
	CHECK(prices_cost(NULL, 1000, 0, 1000) == 0);
	REQUIRE(prices_lookup("anthropic", "claude-opus-4-5", &p));
	CHECK(near(prices_cost(&p, 2000, 1000, 100), (1000 * 5.0 + 1000 * 0.5 + 100 * 25.0) / 1e6));
}

int main(void)
{
	test_suite = "prices";
	RUN(exact_lookups);
	RUN(snapshots);
	RUN(unknown_is_unpriced);
	RUN(local_types_cost_nothing);
	RUN(openrouter_maps_to_vendor);
	RUN(table_is_sane);
	RUN(cost_math);
	return test_summary();
}
