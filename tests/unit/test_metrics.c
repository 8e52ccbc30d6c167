/* test_metrics.c - unit tests for metrics.c: counters, histograms, and the
 * Prometheus text exposition checked line by line with a small parser. */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "../../src/config.h"
#include "../../src/health.h"
#include "../../src/metrics.h"
#include "../../src/usage.h"

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define HEX64B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define NOW_MS 1000000LL
#define NOW_UNIX 1773576000LL	/* 2026-03-15 12:00:00 UTC */

static const char conf[] =
    "config provider 'oai'\n"
    "\toption type 'openai'\n"
    "\toption key 'sk-test-not-real'\n"
    "config provider 'local'\n"
    "\toption type 'ollama'\n"
    "\toption base_url 'http://127.0.0.1:11434'\n"
    "config route 'fast'\n"
    "\toption strategy 'cheapest'\n"
    "\tlist target 'oai/gpt-4.1-mini'\n"
    "\tlist target 'oai/we\"ird\\model'\n"
    "\tlist target 'local/llama3.2'\n"
    "config target\n"
    "\toption model 'oai/we\"ird\\model'\n"
    "\toption input_usd_per_mtok 1\n"
    "\toption output_usd_per_mtok 2\n"
    "config client 'laptop'\n"
    "\toption key_sha256 '" HEX64 "'\n"
    "\toption daily_usd 5\n"
    "config client 'phone'\n"
    "\toption key_sha256 '" HEX64B "'\n";

static struct cfg cfg;
static int t_mini, t_weird, t_local;

static void report(void *ctx, const char *path, int line, const char *msg)
{
	fprintf(stderr, "    %s:%d: %s\n", path, line, msg);
}

/* Loads the config and feeds health, usage and metrics a few events. */
static int setup(void)
{
	if (cfg_load_text("metrics.conf", conf, sizeof conf - 1, &cfg, report, NULL) != 0)
		return -1;
	t_mini = cfg_target_find(&cfg, "oai/gpt-4.1-mini", 16);
	t_weird = cfg_target_find(&cfg, "oai/we\"ird\\model", 16);
	t_local = cfg_target_find(&cfg, "local/llama3.2", 14);
	if (t_mini < 0 || t_weird < 0 || t_local < 0)
		return -1;
	/* a client name no config could hold: label escaping must cope */
	cfg.clients[1].name = "ph\"o\nne\\x";
	if (health_init(cfg.ntargets_all, NULL) || usage_init(cfg.nclients, cfg.ntargets_all, cfg.nroutes) ||
	    metrics_init(cfg.ntargets_all))
		return -1;
	metrics_reset();

	health_success((unsigned)t_mini, NOW_MS - 5000, 400, 120);
	health_success((unsigned)t_mini, NOW_MS - 4000, 800, 300);
	for (int i = 0; i < 5; i++)
		health_failure((unsigned)t_weird, NOW_MS - 3000 + i, HEALTH_FAIL_5XX, -1);
	health_failure((unsigned)t_local, NOW_MS - 100, HEALTH_FAIL_RATE_LIMITED, 60000);

	struct ir_usage u = { 1, 1000, 200, 400, 0, 0 };
	usage_record(0, t_mini, 0, &u, 0.25, 1, 0, NOW_UNIX - 10);
	usage_record(1, t_local, 0, &u, 0, 0, 0, NOW_UNIX - 5);

	metrics_count_request(DIALECT_OPENAI, 200, 1, 0, 450, 130);
	metrics_count_request(DIALECT_OPENAI, 200, 3, 2, 2600, 2500);
	metrics_count_request(DIALECT_ANTHROPIC, 429, 0, 0, 3, -1);
	metrics_count_request(DIALECT_GEMINI, 502, 3, 2, 70000, -1);
	metrics_count_error(METRICS_ERR_STREAM);
	metrics_observe_target((unsigned)t_mini, 50, 50);	/* edge: le 0.05 */
	metrics_observe_target((unsigned)t_mini, 51, -1);	/* first bucket above */
	metrics_observe_target((unsigned)t_mini, 60001, 30000);	/* +Inf; ttft le 30 */
	metrics_observe_target(99999, 1, 1);			/* out of range: ignored */
	return 0;
}

/* ---- a small parser for the text format ---- */

#define MAXFAM 128
#define MAXSER 4096

struct fam { char name[128]; char type[16]; int help, samples; };
struct ser { char key[512]; double v; };

TEST_HEAP_ARRAY(struct fam, fams, MAXFAM)
static int nfam;
TEST_HEAP_ARRAY(struct ser, sers, MAXSER)
static int nser;

static struct fam *fam_find(const char *name)
{
	for (int i = 0; i < nfam; i++)
		if (strcmp(fams[i].name, name) == 0)
			return &fams[i];
	return NULL;
}

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || !(s[0] == '_' || s[0] == ':' || (s[0] | 32) >= 'a') )
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Parses the whole exposition; the series key is name{k="v",...} with
 * label values unescaped. Returns 0, or -1 with a message on stderr. */
static int parse(const char *p, size_t len)
{
	const char *end = p + len;
	nfam = nser = 0;
	const char *cur = NULL;		/* family of the last sample */

	if (len == 0 || p[len - 1] != '\n') {
		fprintf(stderr, "  output does not end in a newline\n");
		return -1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		char line[1024];
		if (n >= sizeof line || n == 0) {
			fprintf(stderr, "  empty or overlong line\n");
			return -1;
		}
		memcpy(line, p, n);
		line[n] = 0;
		p = nl + 1;
		if (line[0] == '#') {
			char name[128], rest[512];
			if (sscanf(line, "# HELP %127s %511[^\n]", name, rest) == 2) {
				struct fam *f = fam_find(name);
				if (f && (f->help || f->samples)) {
					fprintf(stderr, "  HELP repeated or late: %s\n", line);
					return -1;
				}
				if (!f) {
					if (nfam == MAXFAM)
						return -1;
					f = &fams[nfam++];
					memset(f, 0, sizeof *f);
					memcpy(f->name, name, strlen(name) + 1);	/* %127s: fits */
				}
				f->help = 1;
			} else if (sscanf(line, "# TYPE %127s %15s", name, rest) == 2) {
				struct fam *f = fam_find(name);
				if (!f || f->type[0] || f->samples) {
					fprintf(stderr, "  TYPE without HELP, repeated or late: %s\n", line);
					return -1;
				}
				if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram")) {
					fprintf(stderr, "  bad type: %s\n", line);
					return -1;
				}
				memcpy(f->type, rest, strlen(rest) + 1);	/* %15s: fits */
			} else {
				fprintf(stderr, "  bad comment: %s\n", line);
				return -1;
			}
			continue;
		}
		/* sample: name [{labels}] value */
		const char *q = line;
		while (*q && *q != '{' && *q != ' ')
			q++;
		size_t nn = (size_t)(q - line);
		if (!name_ok(line, nn)) {
			fprintf(stderr, "  bad metric name: %s\n", line);
			return -1;
		}
		char key[512];
		size_t kl = 0;
		memcpy(key, line, nn);
		kl = nn;
		if (*q == '{') {
			key[kl++] = *q++;
			while (*q != '}') {
				const char *ks = q;
				while (*q && *q != '=')
					q++;
				if (!*q || !name_ok(ks, (size_t)(q - ks)) || q[1] != '"') {
					fprintf(stderr, "  bad label: %s\n", line);
					return -1;
				}
				memcpy(key + kl, ks, (size_t)(q - ks) + 2);
				kl += (size_t)(q - ks) + 2;
				q += 2;
				while (*q != '"') {
					if (!*q || *q == '\n') {
						fprintf(stderr, "  unterminated label value: %s\n", line);
						return -1;
					}
					if (*q == '\\') {
						q++;
						if (*q == 'n')
							key[kl++] = '\n';
						else if (*q == '\\' || *q == '"')
							key[kl++] = *q;
						else {
							fprintf(stderr, "  bad escape: %s\n", line);
							return -1;
						}
						q++;
					} else {
						key[kl++] = *q++;
					}
				}
				key[kl++] = *q++;
				if (*q == ',')
					key[kl++] = *q++;
				else if (*q != '}') {
					fprintf(stderr, "  bad label list: %s\n", line);
					return -1;
				}
			}
			key[kl++] = *q++;
		}
		key[kl] = 0;
		if (*q != ' ') {
			fprintf(stderr, "  no value: %s\n", line);
			return -1;
		}
		char *ve;
		double v = strtod(q + 1, &ve);
		if (*ve || ve == q + 1 || !isfinite(v)) {
			fprintf(stderr, "  bad value: %s\n", line);
			return -1;
		}
		/* the family: the name itself, or a histogram's base */
		char fname[128];
		snprintf(fname, sizeof fname, "%.*s", (int)nn, line);
		struct fam *f = fam_find(fname);
		if (!f) {
			static const char *const sfx[] = { "_bucket", "_sum", "_count" };
			for (int i = 0; i < 3 && !f; i++) {
				size_t sl = strlen(sfx[i]);
				if (nn > sl && memcmp(line + nn - sl, sfx[i], sl) == 0) {
					snprintf(fname, sizeof fname, "%.*s", (int)(nn - sl), line);
					f = fam_find(fname);
					if (f && strcmp(f->type, "histogram") != 0)
						f = NULL;
				}
			}
		}
		if (!f || !f->type[0]) {
			fprintf(stderr, "  sample before its TYPE: %s\n", line);
			return -1;
		}
		if (cur && strcmp(cur, f->name) != 0 && f->samples) {
			fprintf(stderr, "  family %s interleaved: %s\n", f->name, line);
			return -1;
		}
		cur = f->name;
		f->samples++;
		for (int i = 0; i < nser; i++)
			if (strcmp(sers[i].key, key) == 0) {
				fprintf(stderr, "  duplicate series: %s\n", line);
				return -1;
			}
		if (nser == MAXSER)
			return -1;
		snprintf(sers[nser].key, sizeof sers[nser].key, "%s", key);
		sers[nser++].v = v;
	}
	return 0;
}

/* The value of a series, NAN when absent. */
static double val(const char *key)
{
	for (int i = 0; i < nser; i++)
		if (strcmp(sers[i].key, key) == 0)
			return sers[i].v;
	fprintf(stderr, "  no series %s\n", key);
	return NAN;
}

#define OUT_SIZE (1 << 20)
TEST_HEAP_ARRAY(char, out, OUT_SIZE)

static size_t render(void)
{
	struct metrics_runtime rt = { 3, 1, 7, 12345678ULL, NOW_UNIX - 3600, 2 };
	return metrics_render(out, OUT_SIZE, &cfg, &rt, NOW_MS, NOW_UNIX);
}

/* ---- tests ---- */

TEST(test_parses_with_types_first)
{
	size_t n = render();
	REQUIRE(n > 0 && n <= OUT_SIZE);
	REQUIRE(parse(out, n) == 0);
	for (int i = 0; i < nfam; i++) {
		CHECK(fams[i].help);
		CHECK(strncmp(fams[i].name, "llmgw_", 6) == 0);
		if (!strcmp(fams[i].type, "counter"))
			CHECK(strlen(fams[i].name) > 6 && strcmp(fams[i].name + strlen(fams[i].name) - 6, "_total") == 0);
	}
	CHECK(fam_find("llmgw_requests_total") != NULL);
	CHECK(fam_find("llmgw_target_latency_seconds") != NULL);
	CHECK(strcmp(fam_find("llmgw_target_ttft_seconds")->type, "histogram") == 0);
	CHECK(strcmp(fam_find("llmgw_target_up")->type, "gauge") == 0);
}

TEST(test_exact_lines)
{
	size_t n = render();
	REQUIRE(n <= OUT_SIZE);
	out[n] = 0;
	static const char *const want[] = {
		"# HELP llmgw_requests_total Client requests answered, by client dialect and status class.\n"
		"# TYPE llmgw_requests_total counter\n"
		"llmgw_requests_total{dialect=\"openai\",code=\"2xx\"} 2\n"
		"llmgw_requests_total{dialect=\"openai\",code=\"4xx\"} 0\n",
		"llmgw_requests_total{dialect=\"anthropic\",code=\"4xx\"} 1\n",
		"llmgw_requests_total{dialect=\"gemini\",code=\"5xx\"} 1\n",
		"llmgw_errors_total{class=\"limit\"} 1\n",
		"llmgw_errors_total{class=\"upstream\"} 1\n",
		"llmgw_errors_total{class=\"stream\"} 1\n",
		"llmgw_errors_total{class=\"auth\"} 0\n",
		"\nllmgw_upstream_attempts_total 7\n",
		"\nllmgw_failovers_total 4\n",
		"\nllmgw_open_connections 3\n",
		"\nllmgw_active_requests 1\n",
		"\nllmgw_upstream_connections 7\n",
		"\nllmgw_memory_bytes 12345678\n",
		"\nllmgw_start_time_seconds 1773572400\n",
		"\nllmgw_config_reloads_total 2\n",
		"llmgw_request_duration_seconds_bucket{le=\"0.25\"} 1\n"
		"llmgw_request_duration_seconds_bucket{le=\"0.5\"} 2\n"
		"llmgw_request_duration_seconds_bucket{le=\"1\"} 2\n"
		"llmgw_request_duration_seconds_bucket{le=\"2.5\"} 2\n"
		"llmgw_request_duration_seconds_bucket{le=\"5\"} 3\n",
		"llmgw_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"
		"llmgw_request_duration_seconds_sum 73.053\n"
		"llmgw_request_duration_seconds_count 4\n",
		"llmgw_request_ttft_seconds_count 2\n",
		"llmgw_target_up{target=\"oai/gpt-4.1-mini\"} 1\n",
		"llmgw_target_up{target=\"oai/we\\\"ird\\\\model\"} 0\n",
		"llmgw_target_up{target=\"local/llama3.2\"} 0\n",
		"llmgw_target_state{target=\"oai/we\\\"ird\\\\model\",state=\"open\"} 1\n",
		"llmgw_target_state{target=\"oai/we\\\"ird\\\\model\",state=\"closed\"} 0\n",
		"llmgw_target_state{target=\"local/llama3.2\",state=\"rate-limited\"} 1\n",
		"llmgw_target_failures_total{target=\"oai/we\\\"ird\\\\model\",kind=\"5xx\"} 5\n",
		"llmgw_target_failures_total{target=\"local/llama3.2\",kind=\"rate_limited\"} 1\n",
		"llmgw_target_requests_total{target=\"oai/gpt-4.1-mini\"} 2\n",
		"llmgw_target_breaker_opens_total{target=\"oai/we\\\"ird\\\\model\"} 1\n",
		"llmgw_target_latency_seconds_bucket{target=\"oai/gpt-4.1-mini\",le=\"0.05\"} 1\n"
		"llmgw_target_latency_seconds_bucket{target=\"oai/gpt-4.1-mini\",le=\"0.1\"} 2\n",
		"llmgw_target_latency_seconds_bucket{target=\"oai/gpt-4.1-mini\",le=\"60\"} 2\n"
		"llmgw_target_latency_seconds_bucket{target=\"oai/gpt-4.1-mini\",le=\"+Inf\"} 3\n"
		"llmgw_target_latency_seconds_sum{target=\"oai/gpt-4.1-mini\"} 60.102\n"
		"llmgw_target_latency_seconds_count{target=\"oai/gpt-4.1-mini\"} 3\n",
		"llmgw_target_ttft_seconds_count{target=\"oai/gpt-4.1-mini\"} 2\n",
		"llmgw_client_requests_total{client=\"laptop\"} 1\n",
		"llmgw_client_requests_total{client=\"ph\\\"o\\nne\\\\x\"} 1\n",
		"llmgw_client_requests_total{client=\"(anonymous)\"} 0\n",
		"llmgw_client_tokens_total{client=\"laptop\",type=\"input\"} 1000\n"
		"llmgw_client_tokens_total{client=\"laptop\",type=\"cached\"} 400\n"
		"llmgw_client_tokens_total{client=\"laptop\",type=\"output\"} 200\n",
		"llmgw_client_cost_usd_total{client=\"laptop\"} 0.25\n",
		"llmgw_client_unpriced_requests_total{client=\"ph\\\"o\\nne\\\\x\"} 1\n",
		"llmgw_client_spend_usd{client=\"laptop\",period=\"day\"} 0.25\n",
		"llmgw_client_budget_usd{client=\"laptop\",period=\"day\"} 5\n",
		"llmgw_target_cost_usd_total{target=\"oai/gpt-4.1-mini\"} 0.25\n",
		"llmgw_target_tokens_total{target=\"local/llama3.2\",type=\"output\"} 200\n",
		"llmgw_target_priced{target=\"oai/gpt-4.1-mini\"} 1\n",
		"llmgw_target_priced{target=\"oai/we\\\"ird\\\\model\"} 1\n",
		"llmgw_target_priced{target=\"oai/*\"} 0\n",
		"llmgw_route_requests_total{route=\"fast\"} 2\n",
		"llmgw_route_cost_usd_total{route=\"fast\"} 0.25\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(out, want[i])) {
			fprintf(stderr, "  missing:\n%s", want[i]);
			CHECK(0);
		}
	CHECK(strstr(out, "llmgw_build_info{version=\"") != NULL);
}

TEST(test_label_escaping_parsed)
{
	size_t n = render();
	REQUIRE(n <= OUT_SIZE && parse(out, n) == 0);
	/* the parser unescapes: the raw weird name must come back */
	CHECK(val("llmgw_client_requests_total{client=\"ph\"o\nne\\x\"}") == 1);
	CHECK(val("llmgw_target_up{target=\"oai/we\"ird\\model\"}") == 0);
	/* no raw newline inside any line: every line parsed as one sample */
	out[n] = 0;
	CHECK(strstr(out, "ph\"o") == NULL);
	CHECK(strstr(out, "o\nne") == NULL);
}

/* Every histogram: buckets cumulative, le ascending ending at +Inf, and
 * +Inf == _count. */
TEST(test_histograms_consistent)
{
	size_t n = render();
	REQUIRE(n <= OUT_SIZE && parse(out, n) == 0);
	int hists = 0;
	for (int i = 0; i < nser; i++) {
		const char *b = strstr(sers[i].key, "_bucket{");
		if (!b || !strstr(sers[i].key, "le=\"0.05\""))
			continue;
		/* the series' labels other than le: everything before ,le= or le= */
		char base[512], prefix[512];
		snprintf(base, sizeof base, "%.*s", (int)(b - sers[i].key), sers[i].key);
		const char *le = strstr(sers[i].key, "le=\"");
		snprintf(prefix, sizeof prefix, "%.*s", (int)(le - sers[i].key), sers[i].key);
		double prev = -1, last_le = -1;
		int j;
		for (j = i; j < nser && strncmp(sers[j].key, prefix, strlen(prefix)) == 0; j++) {
			const char *lv = sers[j].key + strlen(prefix) + 4;
			double lev = strncmp(lv, "+Inf", 4) == 0 ? INFINITY : strtod(lv, NULL);
			CHECK(lev > last_le);
			CHECK(sers[j].v >= prev);
			prev = sers[j].v;
			last_le = lev;
		}
		CHECK(j - i == METRICS_NBUCKETS);
		CHECK(isinf(last_le));
		/* _count with the same other labels */
		char ck[600];
		const char *labels = strchr(sers[i].key, '{');
		size_t ll = (size_t)(le - labels);	/* "{target=...," or "{" */
		if (ll > 1)
			snprintf(ck, sizeof ck, "%s_count%.*s}", base, (int)(ll - 1), labels);
		else
			snprintf(ck, sizeof ck, "%s_count", base);
		CHECK(val(ck) == prev);
		hists++;
	}
	/* 2 gateway-wide + 2 per target */
	CHECK_EQ_INT(hists, 2 + 2 * (int)cfg.ntargets_all);
}

TEST(test_bucket_edges)
{
	struct metrics_hist h;
	memset(&h, 0, sizeof h);
	metrics_hist_observe(&h, 0);
	metrics_hist_observe(&h, 50);
	metrics_hist_observe(&h, 51);
	metrics_hist_observe(&h, 60000);
	metrics_hist_observe(&h, 60001);
	metrics_hist_observe(&h, -1);		/* no sample */
	CHECK_EQ_INT(h.count, 5);
	CHECK_EQ_INT(h.bucket[0], 2);
	CHECK_EQ_INT(h.bucket[1], 1);
	CHECK_EQ_INT(h.bucket[9], 1);
	CHECK_EQ_INT(h.bucket[10], 1);
	CHECK_EQ_INT(h.sum_ms, 120102);
}

TEST(test_classes)
{
	enum metrics_error e;
	CHECK_EQ_INT(metrics_class_of(200), METRICS_2XX);
	CHECK_EQ_INT(metrics_class_of(304), METRICS_2XX);
	CHECK_EQ_INT(metrics_class_of(404), METRICS_4XX);
	CHECK_EQ_INT(metrics_class_of(529), METRICS_5XX);
	CHECK_EQ_INT(metrics_class_of(0), METRICS_5XX);
	CHECK_EQ_INT(metrics_error_of_status(200, &e), 0);
	CHECK(metrics_error_of_status(401, &e) && e == METRICS_ERR_AUTH);
	CHECK(metrics_error_of_status(413, &e) && e == METRICS_ERR_BAD_REQUEST);
	CHECK(metrics_error_of_status(504, &e) && e == METRICS_ERR_TIMEOUT);
	CHECK(metrics_error_of_status(503, &e) && e == METRICS_ERR_UNAVAILABLE);
	CHECK(metrics_error_of_status(0, &e) && e == METRICS_ERR_INTERNAL);
	CHECK(strcmp(metrics_error_name(METRICS_ERR_STREAM), "stream") == 0);
}

/* Too small a buffer: the full length comes back, nothing past cap is
 * written; measuring with NULL gives the same length. */
TEST(test_does_not_fit)
{
	size_t full = render();
	REQUIRE(full <= OUT_SIZE);
	char small[300];
	memset(small, 'Z', sizeof small);
	struct metrics_runtime rt = { 3, 1, 7, 12345678ULL, NOW_UNIX - 3600, 2 };
	size_t n = metrics_render(small, 200, &cfg, &rt, NOW_MS, NOW_UNIX);
	CHECK_EQ_INT(n, full);
	CHECK(memcmp(small, out, 200) == 0);
	CHECK(small[200] == 'Z');
	CHECK_EQ_INT(metrics_render(NULL, 0, &cfg, &rt, NOW_MS, NOW_UNIX), full);
}

/* The bound holds even with every counter at its largest. */
TEST(test_bound)
{
	size_t b = metrics_render_bound(&cfg);
	size_t n = render();
	CHECK(n <= b);
	struct metrics_counters *c = (struct metrics_counters *)metrics_counters();
	struct metrics_counters save = *c;
	memset(c, 0xff, sizeof *c);
	struct metrics_runtime rt = { ~0u, ~0u, ~0u, ~0ULL, INT64_MAX, ~0ULL };
	size_t big = metrics_render(out, OUT_SIZE, &cfg, &rt, NOW_MS, NOW_UNIX);
	*c = save;
	CHECK(big > n);
	CHECK(big <= b);
	/* the shape does not depend on traffic */
	CHECK(b < 4 * n);
}

TEST(test_invalid_utf8_label)
{
	const char *save = cfg.clients[0].name;
	cfg.clients[0].name = "a\xff" "b\xc3\xa9" "c\xe2\x82";
	size_t n = render();
	cfg.clients[0].name = save;
	REQUIRE(n <= OUT_SIZE);
	out[n] = 0;
	CHECK(strstr(out, "{client=\"a\xef\xbf\xbd" "b\xc3\xa9" "c\xef\xbf\xbd\xef\xbf\xbd\"}") != NULL);
	CHECK(parse(out, n) == 0);
}

/* Each escape mode on every byte it treats specially (the writer is
 * table-driven: one wrong row would go unnoticed by the page tests). */
static size_t esc(char *buf, size_t cap, const char *s, enum metrics_esc e)
{
	struct metrics_out o;
	metrics_out_init(&o, buf, cap, 0);
	metrics_out_text(&o, s, e);
	return o.len;
}

TEST(test_escape_modes)
{
	static const char in[] = "a\\b\"c\nd\te\x01" "f\x7fg&h<i>j'k\xc3\xa9l\xffm";
	char b[128];
	size_t n = esc(b, sizeof b, in, METRICS_ESC_NONE);
	CHECK_EQ_STR(b, n, "a\\b\"c\nd\tefg&h<i>j'k\xc3\xa9l\xef\xbf\xbdm");
	n = esc(b, sizeof b, in, METRICS_ESC_LABEL);
	CHECK_EQ_STR(b, n, "a\\\\b\\\"c\\ndefg&h<i>j'k\xc3\xa9l\xef\xbf\xbdm");
	n = esc(b, sizeof b, in, METRICS_ESC_JSON);
	CHECK_EQ_STR(b, n, "a\\\\b\\\"c\\nd\\te\\u0001f\\u007fg&h<i>j'k\xc3\xa9l\xef\xbf\xbdm");
	n = esc(b, sizeof b, in, METRICS_ESC_HTML);
	CHECK_EQ_STR(b, n, "a\\b&quot;c defg&amp;h&lt;i&gt;j&#39;k\xc3\xa9l\xef\xbf\xbdm");
	/* cut anywhere: the full length, a prefix of the whole */
	char whole[128], cut[8];
	size_t w = esc(whole, sizeof whole, in, METRICS_ESC_HTML);
	memset(cut, 'Z', sizeof cut);
	CHECK_EQ_INT(esc(cut, 7, in, METRICS_ESC_HTML), w);
	CHECK(memcmp(cut, whole, 7) == 0 && cut[7] == 'Z');
	CHECK_EQ_INT(esc(b, sizeof b, NULL, METRICS_ESC_JSON), 0);
}

TEST(test_error_classes)
{
	static const struct { int status, cls; } map[] = {
		{ 200, -1 }, { 101, -1 }, { 399, -1 }, { 400, METRICS_ERR_BAD_REQUEST }, { 404, METRICS_ERR_BAD_REQUEST },
		{ 401, METRICS_ERR_AUTH }, { 403, METRICS_ERR_AUTH }, { 408, METRICS_ERR_TIMEOUT },
		{ 429, METRICS_ERR_LIMIT }, { 499, METRICS_ERR_BAD_REQUEST }, { 500, METRICS_ERR_INTERNAL },
		{ 502, METRICS_ERR_UPSTREAM }, { 503, METRICS_ERR_UNAVAILABLE }, { 504, METRICS_ERR_TIMEOUT },
		{ 529, METRICS_ERR_UNAVAILABLE }, { 501, METRICS_ERR_INTERNAL }, { 0, METRICS_ERR_INTERNAL },
		{ -1, METRICS_ERR_INTERNAL }, { 600, METRICS_ERR_INTERNAL }, { 99, METRICS_ERR_INTERNAL },
	};
	for (unsigned i = 0; i < sizeof map / sizeof map[0]; i++) {
		enum metrics_error e = METRICS_NERRORS;
		int r = metrics_error_of_status(map[i].status, &e);
		CHECK_EQ_INT(r, map[i].cls >= 0);
		if (r)
			CHECK_EQ_INT(e, map[i].cls);
	}
	static const char *const names[METRICS_NERRORS] = {
		"bad_request", "auth", "limit", "upstream", "timeout", "unavailable", "stream", "internal"
	};
	for (int e = 0; e < METRICS_NERRORS; e++)
		CHECK(strcmp(metrics_error_name((enum metrics_error)e), names[e]) == 0);
	CHECK(strcmp(metrics_error_name(METRICS_NERRORS), "internal") == 0);
	CHECK(strcmp(metrics_error_name((enum metrics_error)-1), "internal") == 0);
}

TEST(test_reinit_keeps_global_counters)
{
	uint64_t before = metrics_counters()->attempts;
	REQUIRE(metrics_init(2) == 0);
	CHECK_EQ_INT(metrics_counters()->attempts, before);
	CHECK(metrics_target_hist(0, 0) != NULL && metrics_target_hist(0, 0)->count == 0);
	CHECK(metrics_target_hist(2, 0) == NULL);
	metrics_observe_target(5, 10, 10);		/* ignored */
	/* targets past the table render as zero histograms, still parseable */
	size_t n = render();
	REQUIRE(n <= OUT_SIZE);
	CHECK(parse(out, n) == 0);
	REQUIRE(metrics_init(cfg.ntargets_all) == 0);
}

int main(void)
{
	test_suite = "metrics";
	if (setup() != 0) {
		fprintf(stderr, "setup failed\n");
		printf("%s: 0 passed, 1 failed\n", test_suite);
		return 1;
	}
	RUN(test_parses_with_types_first);
	RUN(test_exact_lines);
	RUN(test_label_escaping_parsed);
	RUN(test_histograms_consistent);
	RUN(test_bucket_edges);
	RUN(test_classes);
	RUN(test_does_not_fit);
	RUN(test_bound);
	RUN(test_invalid_utf8_label);
	RUN(test_escape_modes);
	RUN(test_error_classes);
	RUN(test_reinit_keeps_global_counters);
	metrics_free();
	health_free();
	usage_free();
	cfg_free(&cfg);
	return test_summary();
}
