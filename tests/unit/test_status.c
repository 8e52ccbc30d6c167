/* test_status.c - unit tests for status.c: /status.json is valid JSON with
 * the expected values, /status escapes every name, and both show the same
 * rows. With LLMGW_STATUS_HTML=path set, the rendered page is also written
 * there (tests/integration/chromium_render.py --selftest loads it in
 * headless Chromium). */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "../../src/config.h"
#include "../../src/health.h"
#include "../../src/json.h"
#include "../../src/metrics.h"
#include "../../src/status.h"
#include "../../src/usage.h"

#define HEX64A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEX64B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define NOW_MS 5000000LL
#define NOW_UNIX 1773576000LL	/* 2026-03-15 12:00:00 UTC */
#define EVIL "<script>alert(1)</script>"

static const char conf[] =
    "config gateway\n"
    "\toption anonymous 0\n"
    "config provider 'oai'\n"
    "\toption type 'openai'\n"
    "\toption key 'sk-test-not-real'\n"
    "config provider 'local'\n"
    "\toption type 'ollama'\n"
    "\toption base_url 'http://127.0.0.1:11434'\n"
    "config route 'fast'\n"
    "\toption strategy 'cheapest'\n"
    "\toption min_quality 2\n"
    "\tlist target 'oai/gpt-4.1-mini'\n"
    "\tlist target 'local/" EVIL "'\n"
    "config route 'big'\n"
    "\tlist target 'oai/gpt-4.1'\n"
    "\tlist target 'oai/gpt-4.1-mini'\n"
    "config client 'laptop'\n"
    "\toption key_sha256 '" HEX64A "'\n"
    "\toption daily_usd 5\n"
    "\toption monthly_usd 50\n"
    "config client 'phone'\n"
    "\toption key_sha256 '" HEX64B "'\n";

static struct cfg cfg;
static int t_mini, t_evil, t_big;
static struct metrics_runtime rt = { 4, 2, 3, 8 * 1048576ULL, NOW_UNIX - 90061, 0 };

static void report(void *ctx, const char *path, int line, const char *msg)
{
	fprintf(stderr, "    %s:%d: %s\n", path, line, msg);
}

static int setup(void)
{
	if (cfg_load_text("status.conf", conf, sizeof conf - 1, &cfg, report, NULL) != 0)
		return -1;
	t_mini = cfg_target_find(&cfg, "oai/gpt-4.1-mini", 16);
	t_evil = cfg_target_find(&cfg, "local/" EVIL, 6 + strlen(EVIL));
	t_big = cfg_target_find(&cfg, "oai/gpt-4.1", 11);
	if (t_mini < 0 || t_evil < 0 || t_big < 0)
		return -1;
	/* a client name the config would refuse: escaping must hold anyway */
	cfg.clients[1].name = "ph<b>&\"'one";
	if (health_init(cfg.ntargets_all, NULL) || usage_init(cfg.nclients, cfg.ntargets_all, cfg.nroutes))
		return -1;
	health_success((unsigned)t_mini, NOW_MS - 5000, 400, 100);
	for (int i = 0; i < 5; i++)
		health_failure((unsigned)t_evil, NOW_MS - 3000 + i, HEALTH_FAIL_CONNECT, -1);
	health_failure((unsigned)t_big, NOW_MS - 100, HEALTH_FAIL_AUTH, -1);

	struct ir_usage u = { 1, 2000, 100, 500, 0, 0 };	/* in, out, cached */
	usage_record(0, t_mini, 0, &u, 0.25, 1, 0, NOW_UNIX - 86400 * 3);	/* earlier this month */
	usage_record(0, t_mini, 0, &u, 0.5, 1, 0, NOW_UNIX - 60);
	usage_record(1, t_evil, 0, &u, 0, 0, 0, NOW_UNIX - 30);
	return 0;
}

static char jbuf[1 << 18], hbuf[1 << 18];
static jsmntok_t tok[8192];
static struct json_doc doc;

static size_t render_json(void)
{
	size_t n = status_render_json(jbuf, sizeof jbuf, &cfg, &rt, NOW_MS, NOW_UNIX);
	if (n < sizeof jbuf)
		jbuf[n] = 0;
	return n;
}

static size_t render_html(void)
{
	size_t n = status_render_html(hbuf, sizeof hbuf, &cfg, &rt, NOW_MS, NOW_UNIX);
	if (n < sizeof hbuf)
		hbuf[n] = 0;
	return n;
}

/* Parses the JSON; the root token is 0. */
static int parse_json(size_t n)
{
	return json_parse(&doc, jbuf, n, tok, (int)(sizeof tok / sizeof tok[0])) > 0 ? 0 : -1;
}

/* The element of array `arr` whose "name" is `name`, or -1. */
static int find_named(int arr, const char *name)
{
	for (int i = 0; ; i++) {
		int e = json_index(&doc, arr, i);
		if (e < 0)
			return -1;
		if (json_str_eq(&doc, json_get(&doc, e, "name"), name))
			return e;
	}
}

static double num(int obj, const char *key)
{
	double v;
	int i = json_get(&doc, obj, key);
	if (i < 0 || json_get_double(&doc, i, &v) != 0) {
		fprintf(stderr, "  no number %s\n", key);
		return NAN;
	}
	return v;
}

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

TEST(test_json_valid_and_values)
{
	size_t n = render_json();
	REQUIRE(n < sizeof jbuf);
	CHECK_EQ_INT(json_valid(jbuf, n), 0);
	REQUIRE(parse_json(n) == 0);

	int g = json_get(&doc, 0, "gateway");
	REQUIRE(g > 0);
	CHECK(near(num(g, "uptime_s"), 90061));
	CHECK(near(num(g, "open_connections"), 4));
	CHECK(near(num(g, "active_requests"), 2));
	CHECK(near(num(g, "memory_bytes"), 8 * 1048576.0));
	CHECK(json_str_eq(&doc, json_get(&doc, g, "version"), "0.1.0") || json_is_string(&doc, json_get(&doc, g, "version")));

	int ts = json_get(&doc, 0, "targets");
	REQUIRE(json_is_array(&doc, ts));
	/* three route targets; the providers' buckets saw no traffic */
	CHECK_EQ_INT(doc.tok[ts].size, 3);
	int m = find_named(ts, "oai/gpt-4.1-mini");
	REQUIRE(m > 0);
	CHECK(json_str_eq(&doc, json_get(&doc, m, "provider"), "oai"));
	CHECK(json_str_eq(&doc, json_get(&doc, m, "model"), "gpt-4.1-mini"));
	CHECK(json_str_eq(&doc, json_get(&doc, m, "state"), "closed"));
	CHECK(json_is_true(&doc, json_get(&doc, m, "up")));
	CHECK(near(num(m, "latency_ms"), 400));
	CHECK(near(num(m, "ttft_ms"), 100));
	CHECK(near(num(m, "requests"), 1));
	CHECK(near(num(m, "failures"), 0));
	CHECK(json_is_true(&doc, json_get(&doc, m, "priced")));
	CHECK(json_is_object(&doc, json_get(&doc, m, "prices")));
	CHECK(near(num(m, "usd"), 0.75));
	CHECK(near(num(m, "input_tokens"), 4000));
	CHECK(near(num(m, "cached_tokens"), 1000));
	CHECK(near(num(m, "output_tokens"), 200));

	int e = find_named(ts, "local/" EVIL);
	REQUIRE(e > 0);
	CHECK(json_str_eq(&doc, json_get(&doc, e, "model"), EVIL));
	CHECK(json_str_eq(&doc, json_get(&doc, e, "state"), "open"));
	CHECK(json_is_false(&doc, json_get(&doc, e, "up")));
	CHECK(json_is_null(&doc, json_get(&doc, e, "latency_ms")));
	CHECK(near(num(e, "failures"), 5));
	CHECK(near(num(json_get(&doc, e, "failures_by_kind"), "connect"), 5));
	CHECK(near(num(e, "unpriced_requests"), 1));
	int b = find_named(ts, "oai/gpt-4.1");
	REQUIRE(b > 0);
	CHECK(json_str_eq(&doc, json_get(&doc, b, "state"), "credential rejected"));

	int rs = json_get(&doc, 0, "routes");
	REQUIRE(json_is_array(&doc, rs));
	CHECK_EQ_INT(doc.tok[rs].size, 2);
	int r = find_named(rs, "fast");
	REQUIRE(r > 0);
	CHECK(json_str_eq(&doc, json_get(&doc, r, "strategy"), "cheapest"));
	CHECK(near(num(r, "min_quality"), 2));
	CHECK(near(num(r, "requests"), 3));
	CHECK(near(num(r, "usd"), 0.75));
	int rt_ = json_get(&doc, r, "targets");
	CHECK_EQ_INT(doc.tok[rt_].size, 2);
	CHECK(json_str_eq(&doc, json_get(&doc, json_index(&doc, rt_, 1), "name"), "local/" EVIL));
	CHECK(json_str_eq(&doc, json_get(&doc, json_index(&doc, rt_, 1), "state"), "open"));
	r = find_named(rs, "big");
	REQUIRE(r > 0);
	CHECK(json_str_eq(&doc, json_get(&doc, r, "strategy"), "fallback"));

	int cs = json_get(&doc, 0, "clients");
	REQUIRE(json_is_array(&doc, cs));
	/* anonymous access is off and unused: not listed */
	CHECK_EQ_INT(doc.tok[cs].size, 2);
	int c = find_named(cs, "laptop");
	REQUIRE(c > 0);
	CHECK(near(num(c, "requests"), 2));
	CHECK(near(num(c, "usd_today"), 0.5));
	CHECK(near(num(c, "usd_month"), 0.75));
	CHECK(near(num(c, "usd_total"), 0.75));
	CHECK(near(num(c, "daily_budget_usd"), 5));
	CHECK(near(num(c, "monthly_budget_usd"), 50));
	c = find_named(cs, "ph<b>&\"'one");
	REQUIRE(c > 0);
	CHECK(near(num(c, "unpriced_requests"), 1));
	CHECK(near(num(c, "usd_today"), 0));
}

TEST(test_html_escapes_names)
{
	size_t n = render_html();
	REQUIRE(n < sizeof hbuf);
	CHECK(strstr(hbuf, "<script") == NULL);
	CHECK(strstr(hbuf, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(hbuf, "ph<b>") == NULL);
	CHECK(strstr(hbuf, "ph&lt;b&gt;&amp;&quot;&#39;one") != NULL);
	/* self-contained: no external assets, no scripts */
	CHECK(strstr(hbuf, "src=") == NULL);
	CHECK(strstr(hbuf, "href=") == NULL);
	CHECK(strstr(hbuf, "url(") == NULL);
	CHECK(strstr(hbuf, "@import") == NULL);
	CHECK(strncmp(hbuf, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(hbuf, "name=\"viewport\"") != NULL);
	CHECK(strstr(hbuf, "</html>\n") == hbuf + n - 8);
}

TEST(test_html_shows_state_latency_spend)
{
	render_html();
	CHECK(strstr(hbuf, "<tr data-target=\"oai/gpt-4.1-mini\"><td>oai/gpt-4.1-mini</td>"
	    "<td><span class=\"st ok\">closed</span></td><td class=\"n\">400&nbsp;ms</td>"
	    "<td class=\"n opt\">100&nbsp;ms</td><td class=\"n opt\">1</td><td class=\"n opt\">0</td>"
	    "<td class=\"n opt\">4000&nbsp;/&nbsp;200</td><td class=\"n\">$0.7500</td></tr>") != NULL);
	CHECK(strstr(hbuf, "<span class=\"st down\">open</span>") != NULL);
	CHECK(strstr(hbuf, "<span class=\"st cred\">credential rejected</span>") != NULL);
	CHECK(strstr(hbuf, "$0.5000 <span class=\"dim\">of $5.00</span>") != NULL);
	CHECK(strstr(hbuf, "cheapest &ge;&nbsp;q2") != NULL);
	CHECK(strstr(hbuf, "up 1d&nbsp;01h&nbsp;01m") != NULL);
	CHECK(strstr(hbuf, "<span id=\"conns\">4</span>") != NULL);
}

/* The tables' headers, a route row and a client row, whole (the HTML
 * rows are written from tables of pieces and fields). */
TEST(test_html_exact_rows)
{
	render_html();
	CHECK(strstr(hbuf, "<h2>Targets</h2>\n<div class=\"wrap\"><table id=\"targets\"><thead><tr>"
	    "<th>Target</th><th>State</th><th class=\"n\">Latency</th><th class=\"n opt\">TTFT</th>"
	    "<th class=\"n opt\">Requests</th><th class=\"n opt\">Failures</th>"
	    "<th class=\"n opt\">Tokens in&nbsp;/&nbsp;out</th><th class=\"n\">Spend</th></tr></thead><tbody>\n") != NULL);
	CHECK(strstr(hbuf, "<h2>Routes</h2>\n<div class=\"wrap\"><table id=\"routes\"><thead><tr>"
	    "<th>Route</th><th>Strategy</th><th>Targets</th><th class=\"n opt\">Requests</th>"
	    "<th class=\"n\">Spend</th></tr></thead><tbody>\n") != NULL);
	CHECK(strstr(hbuf, "<h2>Clients</h2>\n<div class=\"wrap\"><table id=\"clients\"><thead><tr>"
	    "<th>Client</th><th class=\"n\">Requests</th><th class=\"n\">Today</th>"
	    "<th class=\"n\">This month</th><th class=\"n opt\">Total</th></tr></thead><tbody>\n") != NULL);
	CHECK(strstr(hbuf, "<tr><td>big</td><td>fallback</td><td><ol>"
	    "<li><span class=\"st cred\" title=\"credential rejected\">&nbsp;</span> oai/gpt-4.1</li>"
	    "<li><span class=\"st ok\" title=\"closed\">&nbsp;</span> oai/gpt-4.1-mini</li></ol></td>"
	    "<td class=\"n opt\">0</td><td class=\"n\">$0.0000</td></tr>\n") != NULL);
	CHECK(strstr(hbuf, "<tr><td>laptop</td><td class=\"n\">2</td><td class=\"n\">$0.5000 <span class=\"dim\">of "
	    "$5.00</span></td><td class=\"n\">$0.7500 <span class=\"dim\">of $50.00</span></td>"
	    "<td class=\"n opt\">$0.7500</td></tr>\n") != NULL);
	CHECK(strstr(hbuf, "</tbody></table></div>\n</body></html>\n") != NULL);
}

/* Member order and types of a client object, whole. */
TEST(test_json_exact_client)
{
	render_json();
	CHECK(strstr(jbuf, ",\"clients\":[{\"name\":\"laptop\",\"anonymous\":false,\"requests\":2,"
	    "\"unpriced_requests\":0,\"estimated_requests\":0,\"usd_today\":0.5,\"usd_month\":0.75,\"usd_total\":0.75,"
	    "\"daily_budget_usd\":5,\"monthly_budget_usd\":50,\"rpm_limit\":0,\"tpm_limit\":0,"
	    "\"input_tokens\":4000,\"cached_tokens\":1000,\"output_tokens\":200}") != NULL);
	CHECK(strstr(jbuf, "{\"gateway\":{\"name\":\"llmgw\",\"version\":\"") == jbuf);
	CHECK(strstr(jbuf, "\"uptime_s\":90061,\"open_connections\":4,\"active_requests\":2,"
	    "\"upstream_connections\":3,\"memory_bytes\":8388608},\"targets\":[{\"id\":") != NULL);
}

/* Every target and client in the JSON has its row in the HTML, and the
 * HTML has no other rows: both come from the same walk. */
TEST(test_same_rows)
{
	size_t n = render_json();
	REQUIRE(n < sizeof jbuf && parse_json(n) == 0);
	render_html();
	int ts = json_get(&doc, 0, "targets");
	int rows = 0;
	for (const char *p = hbuf; (p = strstr(p, "<tr data-target=")); p++)
		rows++;
	CHECK_EQ_INT(rows, doc.tok[ts].size);
	static const char *const escaped[] = { "oai/gpt-4.1-mini", "oai/gpt-4.1", "local/&lt;script&gt;alert(1)&lt;/script&gt;" };
	for (unsigned i = 0; i < 3; i++) {
		char want[200];
		snprintf(want, sizeof want, "<tr data-target=\"%s\">", escaped[i]);
		CHECK(strstr(hbuf, want) != NULL);
	}
	/* client rows: header row + one per client */
	const char *cl = strstr(hbuf, "<table id=\"clients\">");
	REQUIRE(cl);
	int crow = 0;
	for (const char *p = cl; (p = strstr(p, "<tr>")); p++)
		crow++;
	CHECK_EQ_INT(crow - 1, doc.tok[json_get(&doc, 0, "clients")].size);
}

/* Ad-hoc traffic on a provider's bucket and on the anonymous slot makes
 * both appear, in both documents. */
TEST(test_bucket_and_anonymous_appear)
{
	unsigned other = cfg.providers[0].other_tid;
	struct ir_usage u = { 1, 10, 5, 0, 0, 0 };
	usage_record(USAGE_ANON, (int)other, -1, &u, 0.001, 1, 0, NOW_UNIX);
	size_t n = render_json();
	REQUIRE(n < sizeof jbuf && parse_json(n) == 0);
	int ts = json_get(&doc, 0, "targets");
	CHECK_EQ_INT(doc.tok[ts].size, 4);
	int o = find_named(ts, "oai/*");
	REQUIRE(o > 0);
	CHECK(json_is_true(&doc, json_get(&doc, o, "other")));
	CHECK(json_is_null(&doc, json_get(&doc, o, "prices")));
	int a = find_named(json_get(&doc, 0, "clients"), "(anonymous)");
	REQUIRE(a > 0);
	CHECK(json_is_true(&doc, json_get(&doc, a, "anonymous")));
	CHECK(near(num(a, "usd_total"), 0.001));
	render_html();
	CHECK(strstr(hbuf, "<tr data-target=\"oai/*\">") != NULL);
	CHECK(strstr(hbuf, "<tr><td>(anonymous)</td>") != NULL);
}

TEST(test_does_not_fit_and_bound)
{
	size_t jn = render_json(), hn = render_html();
	REQUIRE(jn < sizeof jbuf && hn < sizeof hbuf);
	char small[128];
	memset(small, 'Z', sizeof small);
	CHECK_EQ_INT(status_render_json(small, 100, &cfg, &rt, NOW_MS, NOW_UNIX), jn);
	CHECK(memcmp(small, jbuf, 100) == 0 && small[100] == 'Z');
	CHECK_EQ_INT(status_render_html(NULL, 0, &cfg, &rt, NOW_MS, NOW_UNIX), hn);
	size_t b = status_render_bound(&cfg);
	CHECK(jn <= b && hn <= b);
	/* the bound survives huge figures */
	struct metrics_runtime big = { ~0u, ~0u, ~0u, ~0ULL, 1, ~0ULL };
	struct ir_usage u = { 1, INT64_MAX / 4, INT64_MAX / 4, INT64_MAX / 8, 0, 0 };
	for (int i = 0; i < 4; i++)
		usage_record(0, t_mini, 0, &u, 1e300, 1, 0, NOW_UNIX);
	for (int i = 0; i < 3; i++)
		health_success((unsigned)t_mini, NOW_MS, INT64_MAX / 2, INT64_MAX / 2);
	size_t hb = status_render_html(hbuf, sizeof hbuf, &cfg, &big, NOW_MS, INT64_MAX);
	size_t jb = status_render_json(jbuf, sizeof jbuf, &cfg, &big, NOW_MS, INT64_MAX);
	CHECK(hb <= b);
	CHECK(jb <= b);
	CHECK(hb > hn);
	CHECK_EQ_INT(json_valid(jbuf, jb), 0);
}

int main(void)
{
	test_suite = "status";
	if (setup() != 0) {
		fprintf(stderr, "setup failed\n");
		printf("%s: 0 passed, 1 failed\n", test_suite);
		return 1;
	}
	RUN(test_json_valid_and_values);
	RUN(test_html_escapes_names);
	RUN(test_html_shows_state_latency_spend);
	RUN(test_same_rows);
	RUN(test_html_exact_rows);
	RUN(test_json_exact_client);
	const char *path = getenv("LLMGW_STATUS_HTML");
	if (path && *path) {
		size_t n = render_html();
		FILE *f = fopen(path, "w");
		if (!f || fwrite(hbuf, 1, n, f) != n || fclose(f) != 0)
			fprintf(stderr, "cannot write %s\n", path);
	}
	RUN(test_bucket_and_anonymous_appear);
	RUN(test_does_not_fit_and_bound);
	health_free();
	usage_free();
	cfg_free(&cfg);
	return test_summary();
}
