/*
 * test_config.c - unit tests for loading a configuration (config.c with
 * uci.c and url.c under it): every error kind with its line number,
 * secrets kept out of messages, value parsers, the embedded default and
 * the lookups; the health, failover, budget, monitoring and target-section
 * options and the target table.
 */
#include <fcntl.h>
#include <stdlib.h>
#include "test.h"
#include "config.h"
#include "prices.h"

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
#define HEX64B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

struct coll {
	int n;
	int lines[128];
	char msgs[128][512];
	char path[128];
};

static void coll_cb(void *ctx, const char *path, int line, const char *msg)
{
	struct coll *k = ctx;
	snprintf(k->path, sizeof k->path, "%s", path);
	if (k->n < 128) {
		k->lines[k->n] = line;
		snprintf(k->msgs[k->n], sizeof k->msgs[0], "%s", msg);
	}
	k->n++;
}

static int load(const char *text, struct cfg *c, struct coll *k)
{
	memset(k, 0, sizeof *k);
	int r = cfg_load_text("test.conf", text, strlen(text), c, coll_cb, k);
	if (getenv("CFG_TEST_VERBOSE"))
		for (int i = 0; i < k->n && i < 128; i++)
			fprintf(stderr, "    test.conf:%d: %s\n", k->lines[i], k->msgs[i]);
	return r;
}

/* Whether an error on line mentions all of the given text. */
static int has_err(const struct coll *k, int line, const char *sub)
{
	for (int i = 0; i < k->n && i < 128; i++)
		if (k->lines[i] == line && strstr(k->msgs[i], sub))
			return 1;
	fprintf(stderr, "  no error on line %d with \"%s\"\n", line, sub);
	return 0;
}

static int any_msg_has(const struct coll *k, const char *sub)
{
	for (int i = 0; i < k->n && i < 128; i++)
		if (strstr(k->msgs[i], sub))
			return 1;
	return 0;
}

static char keyfile_path[64];

static void make_keyfile(const char *content)
{
	snprintf(keyfile_path, sizeof keyfile_path, "/tmp/llmgw-test-key.XXXXXX");
	int fd = mkstemp(keyfile_path);
	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0)
			perror("write");
		close(fd);
	}
}

TEST(test_full_example)
{
	struct cfg c;
	struct coll k;
	char text[4096];

	setenv("LLMGW_TEST_OAI_KEY", "sk-test-oai-123", 1);
	make_keyfile("or-key-456\n\n");
	/* Routes and clients come first: references may point forward. */
	snprintf(text, sizeof text,
	    "# llmgw example\n"
	    "config route 'fast'\n"
	    "\tlist target 'oai/gpt-4.1-mini'\n"
	    "\tlist target 'or/meta-llama/llama-3'\n"
	    "\tlist target 'local/llama3.2'\n"
	    "\n"
	    "config client 'laptop'\n"
	    "\toption key_sha256 '" HEX64 "'\n"
	    "\tlist allow 'fast'\n"
	    "\tlist allow 'oai/*'\n"
	    "\n"
	    "config gateway 'main'\n"
	    "\toption listen '0.0.0.0:8080'\n"
	    "\tlist listen '[::]:8080'\n"
	    "\toption log_level 'debug'\n"
	    "\toption max_body_kb '2048'\n"
	    "\toption first_byte_timeout '300s'\n"
	    "\toption header_timeout 500ms\n"
	    "\toption anonymous 1\n"
	    "\toption user 'llmgw'\n"
	    "\tlist nameserver '1.1.1.1'\n"
	    "\tlist nameserver '[2606:4700:4700::1111]:53'\n"
	    "\n"
	    "config provider 'oai'\n"
	    "\toption type 'openai'\n"
	    "\toption key_env 'LLMGW_TEST_OAI_KEY'\n"
	    "\tlist model 'gpt-4.1-mini'\n"
	    "\tlist model 'gpt-4.1'\n"
	    "\n"
	    "config provider 'local'\n"
	    "\toption type 'ollama'\n"
	    "\toption base_url 'http://192.168.1.10:11434/v1/'\n"
	    "\n"
	    "config provider 'or'\n"
	    "\toption type 'openrouter'\n"
	    "\toption key_file '%s'\n",
	    keyfile_path);
	int r = load(text, &c, &k);
	unlink(keyfile_path);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(k.n, 0);
	REQUIRE(r == 0);

	CHECK(strcmp(c.path, "test.conf") == 0);
	CHECK_EQ_INT(c.gw.nlisten, 2);
	CHECK(strcmp(c.gw.listen[0], "0.0.0.0:8080") == 0);
	CHECK(strcmp(c.gw.listen[1], "[::]:8080") == 0);
	CHECK(c.gw.listen[2] == NULL);
	CHECK_EQ_INT(c.gw.log_level, LOG_LVL_DEBUG);
	CHECK_EQ_INT(c.gw.max_body_bytes, 2048 * 1024);
	CHECK_EQ_INT(c.gw.first_byte_timeout_ms, 300000);
	CHECK_EQ_INT(c.gw.header_timeout_ms, 500);
	CHECK_EQ_INT(c.gw.anonymous, 1);
	CHECK(c.gw.user && strcmp(c.gw.user, "llmgw") == 0);
	CHECK_EQ_INT(c.gw.nnameservers, 2);
	CHECK(c.gw.nameservers[2] == NULL);
	/* untouched defaults */
	CHECK_EQ_INT(c.gw.max_connections, 1024);
	CHECK_EQ_INT(c.gw.max_header_bytes, 16384);
	CHECK_EQ_INT(c.gw.stream_idle_timeout_ms, 120000);
	CHECK_EQ_INT(c.gw.default_max_tokens, 4096);
	CHECK(strcmp(c.gw.ca_file, "/etc/ssl/certs/ca-certificates.crt") == 0);

	REQUIRE(c.nproviders == 3);
	const struct cfg_provider *p = &c.providers[0];
	CHECK(strcmp(p->name, "oai") == 0);
	CHECK(p->type == provider_type_find("openai"));
	CHECK(p->url.tls == 1 && p->url.port == 443);
	CHECK(strcmp(p->url.host, "api.openai.com") == 0);
	CHECK(strcmp(p->url.prefix, "") == 0);
	CHECK_EQ_STR(p->key, p->key_len, "sk-test-oai-123");
	CHECK_EQ_INT(p->nmodels, 2);
	CHECK(strcmp(p->models[1], "gpt-4.1") == 0 && p->models[2] == NULL);
	CHECK_EQ_INT(p->line, 24);

	p = &c.providers[1];
	CHECK(strcmp(p->name, "local") == 0);
	CHECK(p->url.tls == 0 && p->url.port == 11434);
	CHECK(strcmp(p->url.host, "192.168.1.10") == 0);
	CHECK(strcmp(p->url.prefix, "") == 0);
	CHECK(p->key == NULL);

	p = &c.providers[2];
	CHECK_EQ_STR(p->key, p->key_len, "or-key-456");
	CHECK(strcmp(p->url.host, "openrouter.ai") == 0 && strcmp(p->url.prefix, "/api") == 0);

	REQUIRE(c.nroutes == 1);
	const struct cfg_route *rt = &c.routes[0];
	CHECK(strcmp(rt->name, "fast") == 0);
	REQUIRE(rt->ntargets == 3);
	CHECK_EQ_INT(rt->targets[0].provider, 0);
	CHECK(strcmp(rt->targets[0].model, "gpt-4.1-mini") == 0);
	CHECK_EQ_INT(rt->targets[1].provider, 2);
	CHECK(strcmp(rt->targets[1].model, "meta-llama/llama-3") == 0);
	CHECK_EQ_INT(rt->targets[2].provider, 1);

	REQUIRE(c.nclients == 1);
	const struct cfg_client *cl = &c.clients[0];
	CHECK(strcmp(cl->name, "laptop") == 0);
	CHECK(cl->key_sha256[0] == 0x00 && cl->key_sha256[1] == 0x11 && cl->key_sha256[31] == 0xff);
	CHECK_EQ_INT(cl->nallow, 2);
	CHECK(cfg_client_allows(cl, "fast", 4));
	CHECK(cfg_client_allows(cl, "oai/gpt-4.1", 11));
	CHECK(!cfg_client_allows(cl, "or/x", 4));
	cfg_free(&c);
	CHECK(c.arena == NULL && c.providers == NULL);
	cfg_free(&c);	/* twice is harmless */
}

TEST(test_every_error_kind)
{
	struct cfg c;
	struct coll k;
	const char *text =
	    "option listen ':1'\n"				/* 1 outside a section */
	    "config gateway\n"					/* 2 */
	    "\toption lisen '1.2.3.4:80'\n"			/* 3 unknown, did you mean */
	    "\tlist log_level 'info'\n"				/* 4 list for single */
	    "\toption max_connections 10\n"			/* 5 */
	    "\toption max_connections 20\n"			/* 6 twice */
	    "\toption ca_file 'unterminated\n"			/* 7 */
	    "\toption hosts_file \"also unterminated\n"	/* 8 */
	    "config gateway\n"					/* 9 second gateway */
	    "config porvider 'x'\n"				/* 10 unknown section type */
	    "\toption whatever 1\n"				/* 11 swallowed */
	    "confg provider 'y'\n"				/* 12 unknown keyword */
	    "config provider\n"					/* 13 no name */
	    "\toption type 'openai'\n"				/* 14 */
	    "config provider 'a'\n"				/* 15 */
	    "\toption type 'openia'\n"				/* 16 unknown type */
	    "config provider 'a'\n"				/* 17 duplicate */
	    "\toption type 'openai'\n"				/* 18 */
	    "config provider 'b'\n"				/* 19 missing type */
	    "config provider 'c'\n"				/* 20 */
	    "\toption type 'openai-compatible'\n"		/* 21 no base_url */
	    "config route 'r'\n"				/* 22 */
	    "\tlist target 'nomodel'\n"				/* 23 */
	    "\tlist target 'zz/m'\n"				/* 24 unknown provider */
	    "config route 'c'\n"				/* 25 same name as provider */
	    "\tlist target 'c/m'\n"				/* 26 */
	    "config route 'empty'\n"				/* 27 no targets */
	    "config client 'k'\n"				/* 28 */
	    "\toption key_sha256 'abc'\n"			/* 29 */
	    "\tlist allow 'nosuchroute'\n"			/* 30 */
	    "config client 'bad name!'\n"			/* 31 */
	    "\toption key_sha256 '" HEX64 "'\n";		/* 32 */
	int r = load(text, &c, &k);
	CHECK(r > 0);
	CHECK_EQ_INT(r, k.n);
	CHECK(c.arena == NULL);	/* freed on error */
	CHECK(strcmp(k.path, "test.conf") == 0);
	CHECK(has_err(&k, 1, "outside a section"));
	CHECK(has_err(&k, 3, "unknown option 'lisen' in gateway section (did you mean 'listen'?)"));
	CHECK(has_err(&k, 4, "'log_level' takes a single value"));
	CHECK(has_err(&k, 6, "given twice (first at line 5)"));
	CHECK(has_err(&k, 7, "unterminated single quote"));
	CHECK(has_err(&k, 8, "unterminated double quote"));
	CHECK(has_err(&k, 9, "only one gateway section"));
	CHECK(has_err(&k, 10, "unknown section type 'porvider' (did you mean 'provider'?)"));
	CHECK(has_err(&k, 12, "unknown keyword 'confg' (did you mean 'config'?)"));
	CHECK(has_err(&k, 13, "needs a name"));
	CHECK(has_err(&k, 16, "unknown type 'openia' (did you mean 'openai'?)"));
	CHECK(has_err(&k, 16, "groq"));	/* lists the valid types */
	CHECK(has_err(&k, 17, "duplicate provider section 'a' (first at line 15)"));
	CHECK(has_err(&k, 19, "option type is required"));
	CHECK(has_err(&k, 20, "base_url is required"));
	CHECK(has_err(&k, 23, "must be 'provider/model'"));
	CHECK(has_err(&k, 24, "no provider section named 'zz'"));
	CHECK(has_err(&k, 25, "name of a provider"));
	CHECK(has_err(&k, 27, "target 'provider/model' is required"));
	CHECK(has_err(&k, 29, "64 hex digits"));
	CHECK(has_err(&k, 30, "names no route"));
	/* reported in line order, though found in two passes */
	for (int i = 1; i < k.n && i < 128; i++)
		CHECK(k.lines[i - 1] <= k.lines[i]);
	CHECK(has_err(&k, 31, "may only contain"));
	/* the unknown section swallows its options: one error, not two */
	for (int i = 0; i < k.n; i++)
		CHECK(k.lines[i] != 11);
	cfg_free(&c);
}

TEST(test_value_errors)
{
	struct cfg c;
	struct coll k;
	const char *text =
	    "config gateway 'main'\n"				/* 1 */
	    "\toption max_connections 0\n"			/* 2 */
	    "\toption max_inflight 70000\n"			/* 3 */
	    "\toption max_upstream 'many'\n"			/* 4 */
	    "\toption header_timeout 10x\n"			/* 5 */
	    "\toption idle_timeout 0\n"				/* 6 */
	    "\toption log_level loud\n"				/* 7 */
	    "\toption syslog 2\n"				/* 8 */
	    "\toption listen 'nope'\n"				/* 9 */
	    "\tlist listen '::1:80'\n"				/* 10 v6 needs brackets */
	    "\tlist nameserver 'dns.example'\n"			/* 11 */
	    "\toption max_header_kb 99999999999999999999\n"	/* 12 overflow */
	    "\toption ca_file ''\n"				/* 13 */
	    "\toption connect_timeout 99999999999999999999999999s\n" /* 14 */
	    "config gateway 'other'\n"				/* 15 */
	    "config provider 'p'\n"				/* 16 */
	    "\toption type openai\n"				/* 17 */
	    "\toption base_url 'ftp://x'\n"			/* 18 */
	    "\toption key_env 'LLMGW_TEST_UNSET_VAR'\n"	/* 19 */
	    "\toption model\n"					/* 20 */
	    "\toption model 'a' 'b'\n"				/* 21 */
	    "config provider 'q'\n"				/* 22 */
	    "\toption type openai\n"				/* 23 */
	    "\toption key_file '/nonexistent/llmgw-key'\n"	/* 24 */
	    "config provider 'r'\n"				/* 25 */
	    "\toption type openai\n"				/* 26 */
	    "\toption key_env 'BAD NAME'\n"			/* 27 */
	    "config provider 's'\n"				/* 28 */
	    "\toption type openai\n"				/* 29 */
	    "\toption key_env X\n"				/* 30 */
	    "\toption key y\n"					/* 31 */
	    "config\n"						/* 32 */
	    "option\n"						/* 33 */
	    "config route x y z\n"				/* 34 */
	    "\tlist model \"a\\\"b\" # ok\n";			/* 35 swallowed: config line was bad */
	unsetenv("LLMGW_TEST_UNSET_VAR");
	int r = load(text, &c, &k);
	CHECK_EQ_INT(r, k.n);
	CHECK(has_err(&k, 2, "max_connections: must be between 1 and 65535"));
	CHECK(has_err(&k, 3, "max_inflight: must be between 1 and 65535"));
	CHECK(has_err(&k, 4, "'many' is not a number"));
	CHECK(has_err(&k, 5, "'10x' is not a duration"));
	CHECK(has_err(&k, 6, "idle_timeout: must be between 1ms and"));
	CHECK(has_err(&k, 7, "log_level: 'loud'"));
	CHECK(has_err(&k, 8, "not a boolean"));
	CHECK(has_err(&k, 9, "listen: 'nope'"));
	CHECK(has_err(&k, 10, "listen: '::1:80'"));
	CHECK(has_err(&k, 11, "nameserver"));
	CHECK(has_err(&k, 12, "max_header_kb: must be between 1 and 1024"));
	CHECK(has_err(&k, 13, "empty path"));
	CHECK(has_err(&k, 14, "connect_timeout"));
	CHECK(has_err(&k, 15, "only one gateway section"));
	CHECK(has_err(&k, 18, "base_url: unsupported scheme"));
	CHECK(has_err(&k, 19, "LLMGW_TEST_UNSET_VAR (key_env) is not set"));
	CHECK(has_err(&k, 20, "has no value"));
	CHECK(has_err(&k, 21, "more than one value"));
	CHECK(has_err(&k, 24, "cannot read key_file '/nonexistent/llmgw-key'"));
	CHECK(has_err(&k, 27, "not an environment variable name"));
	CHECK(has_err(&k, 28, "only one of key, key_env and key_file"));
	CHECK(has_err(&k, 32, "needs a section type"));
	CHECK(has_err(&k, 33, "needs a name and a value"));
	CHECK(has_err(&k, 34, "too many words"));
	for (int i = 0; i < k.n; i++)
		CHECK(k.lines[i] != 35);

	/* listen takes numeric addresses only (no resolver at bind time), and
	 * at most CFG_MAX_LISTEN of them */
	r = load("config gateway\n option listen 'localhost:80'\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "numeric"));
	char many[1024];
	size_t o = (size_t)snprintf(many, sizeof many, "config gateway\n");
	for (int i = 0; i <= CFG_MAX_LISTEN; i++)
		o += (size_t)snprintf(many + o, sizeof many - o, " list listen '127.0.0.%d:80'\n", i + 1);
	r = load(many, &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 1, "at most"));

	/* an empty key_env value counts as unset */
	setenv("LLMGW_TEST_EMPTY", "", 1);
	r = load("config provider p\n option type groq\n option key_env LLMGW_TEST_EMPTY\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "is empty"));
	/* a type that needs no key accepts an unset key_env */
	r = load("config provider p\n option type ollama\n option key_env LLMGW_TEST_UNSET_VAR\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	CHECK(c.providers[0].key == NULL);
	cfg_free(&c);
}

TEST(test_secrets_never_reported)
{
	struct cfg c;
	struct coll k;
	char text[2048];

	setenv("LLMGW_TEST_K1", "sk-SECRETENV-123", 1);
	setenv("LLMGW_TEST_K2", "sk-SECRETSPACE 999", 1);
	make_keyfile("sk-SECRETFILE-456\nsk-SECRETFILE-second-line\n");
	snprintf(text, sizeof text,
	    "config provider 'a'\n"
	    "\toption type 'openai'\n"
	    "\toption key_env 'LLMGW_TEST_K1'\n"
	    "\toption key_file '%s'\n"			/* two sources: error */
	    "config provider 'b'\n"
	    "\toption type 'no-such-type'\n"
	    "\toption key_file '%s'\n"			/* two lines: error */
	    "config provider 'c'\n"
	    "\toption type 'openai'\n"
	    "\toption key_env 'LLMGW_TEST_K2'\n"
	    "config provider 'd'\n"
	    "\toption type 'openai'\n"
	    "\toption key 'sk-SECRETINLINE-789'\n"
	    "\toption key 'sk-SECRETINLINE-789'\n"	/* twice */
	    "\tlist key 'sk-SECRETINLINE-789'\n"	/* list of a single */
	    "config gateway\n"
	    "\toption key 'sk-SECRETINLINE-789'\n"	/* unknown option */
	    "\toption sk-SECRETINLINE-789 x\n"		/* unknown option name */
	    "sk-SECRETINLINE-789\n"			/* unknown keyword */
	    "config route 'r'\n"
	    "\tlist target 'd/x'\n"
	    "\toption key 'sk-SECRETINLINE-789 with space'\n"
	    "config provider 'e'\n"
	    "\toption type 'openai'\n"
	    "\toption key 'sk-SECRETINLINE\tctl'\n",
	    keyfile_path, keyfile_path);
	int r = load(text, &c, &k);
	CHECK(r >= 10);
	CHECK(has_err(&k, 7, "must hold one key on one line"));
	CHECK(has_err(&k, 10, "whitespace or control characters"));
	CHECK(has_err(&k, 14, "given twice"));
	CHECK(has_err(&k, 17, "unknown option 'key' in gateway section"));
	CHECK(has_err(&k, 18, "unknown option in gateway section"));
	CHECK(has_err(&k, 19, "unknown keyword"));
	CHECK(has_err(&k, 25, "control character"));
	CHECK(!any_msg_has(&k, "SECRET"));

	unlink(keyfile_path);

	/* a valid one-line key file in a file that has another error */
	make_keyfile("  sk-SECRETFILE-456 \r\n");
	snprintf(text, sizeof text,
	    "config provider 'a'\n option type openai\n option key_file '%s'\n"
	    "config route 'a'\n list target 'a/m'\n", keyfile_path);
	r = load(text, &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(!any_msg_has(&k, "SECRET"));
	/* and alone: loads, whitespace around the key stripped */
	snprintf(text, sizeof text, "config provider 'a'\n option type openai\n option key_file '%s'\n",
	    keyfile_path);
	r = load(text, &c, &k);
	unlink(keyfile_path);
	CHECK_EQ_INT(r, 0);
	if (r == 0) {
		CHECK_EQ_STR(c.providers[0].key, c.providers[0].key_len, "sk-SECRETFILE-456");
		cfg_free(&c);
	}
	/* an empty key file */
	make_keyfile("\n \n");
	snprintf(text, sizeof text, "config provider 'a'\n option type openai\n option key_file '%s'\n",
	    keyfile_path);
	r = load(text, &c, &k);
	unlink(keyfile_path);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "is empty"));
	/* 16 KiB is the most a key file may hold; a directory is no key file */
	static char big[16385];
	memset(big, 'k', sizeof big - 1);
	make_keyfile(big);
	snprintf(text, sizeof text, "config provider 'a'\n option type openai\n option key_file '%s'\n",
	    keyfile_path);
	r = load(text, &c, &k);
	CHECK_EQ_INT(r, 0);
	if (r == 0) {
		CHECK_EQ_INT(c.providers[0].key_len, 16384);
		cfg_free(&c);
	}
	FILE *f = fopen(keyfile_path, "a");
	REQUIRE(f != NULL);
	fputc('k', f);
	fclose(f);
	r = load(text, &c, &k);
	unlink(keyfile_path);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "key_file '/tmp/") && has_err(&k, 3, "' is too large for a key"));
	r = load("config provider 'a'\n option type openai\n option key_file '/tmp'\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "provider 'a': key_file '/tmp' is not a regular file"));
}

TEST(test_quoting)
{
	struct cfg c;
	struct coll k;
	const char *text =
	    "# comment line\n"
	    "   # indented comment\n"
	    "\n"
	    "config\tprovider\t\"p\\1\"   # trailing comment\r\n"
	    "\toption type 'ollama'\n"
	    "\tlist model 'it''s'\n"			/* adjacent quotes join */
	    "\tlist model \"a\\\"b\"\n"			/* escaped double quote */
	    "\tlist model \"x\\\\y\"\n"			/* escaped backslash */
	    "\tlist model 'no\\escape'\n"		/* single quotes are literal */
	    "\tlist model unquoted\\ space\n"
	    "\tlist model 'has # hash' # comment\n"
	    "\tlist model bare#comment\n"
	    "\toption model mixed'\"q\"'\"'s\"\n"	/* option on a multi-valued key appends */
	    "\tlist model ''\n";			/* empty model: error on line 14 */
	int r = load(text, &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 14, "empty model name"));

	/* drop the last line and check the values */
	char buf[1024];
	size_t n = strlen(text) - strlen("\tlist model ''\n");
	memcpy(buf, text, n);
	buf[n] = '\0';
	r = load(buf, &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	REQUIRE(c.nproviders == 1);
	const struct cfg_provider *p = &c.providers[0];
	CHECK(strcmp(p->name, "p1") == 0);
	REQUIRE(p->nmodels == 8);
	CHECK(strcmp(p->models[0], "its") == 0);
	CHECK(strcmp(p->models[1], "a\"b") == 0);
	CHECK(strcmp(p->models[2], "x\\y") == 0);
	CHECK(strcmp(p->models[3], "no\\escape") == 0);
	CHECK(strcmp(p->models[4], "unquoted space") == 0);
	CHECK(strcmp(p->models[5], "has # hash") == 0);
	CHECK(strcmp(p->models[6], "bare") == 0);
	CHECK(strcmp(p->models[7], "mixed\"q\"'s") == 0);
	CHECK(p->models[8] == NULL);
	cfg_free(&c);

	/* `package` from `uci export` is accepted; control bytes are not */
	r = load("package llmgw\nconfig gateway\n option user \"a\tb\"\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "control character"));
	r = load("config gateway\n option user a\\", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "backslash"));
	r = load("config gateway\n option user \"a\\", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "unterminated"));
	static const char nul[] = "config gateway\n option user a\0b\n";
	memset(&k, 0, sizeof k);
	r = cfg_load_text("t", nul, sizeof nul - 1, &c, coll_cb, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "NUL"));
	/* empty user means "do not drop privileges" */
	r = load("config gateway\n option user ''\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	CHECK(c.gw.user == NULL);
	cfg_free(&c);
}

/* Inputs that end exactly at a guard page: no byte past the end is read. */
TEST(test_guard_page_ends)
{
	static const char *const cases[] = {
		"config gateway\n option user 'abc",
		"config gateway\n option user \"abc\\",
		"config gateway\n option user abc\\",
		"config gateway\n option user abc",
		"config gateway\n option user #",
		"config",
		"c",
		"",
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cfg c;
		size_t n = strlen(cases[i]);
		char *p = test_guard_copy(cases[i], n);
		REQUIRE(p);
		int r = cfg_load_text("g", p, n, &c, NULL, NULL);
		if (r == 0)
			cfg_free(&c);
		CHECK(i != 3 || r == 0);
		CHECK(i != 0 || r == 1);
	}
}

TEST(test_did_you_mean)
{
	struct cfg c;
	struct coll k;
	int r = load("config gateway\n"
	    " option max_conections 5\n"
	    " option first_bite_timeout 5\n"
	    " option zzzzzz 1\n"
	    "config client 'c'\n"
	    " option key_sha256 '" HEX64 "'\n"
	    " list alow x\n"
	    "config provider p\n"
	    " option tpye ollama\n"
	    "config route r\n"
	    " list target 'q/m'\n"
	    " list target 'pp/m'\n", &c, &k);
	CHECK_EQ_INT(r, k.n);
	CHECK(has_err(&k, 2, "did you mean 'max_connections'"));
	CHECK(has_err(&k, 3, "did you mean 'first_byte_timeout'"));
	CHECK(has_err(&k, 4, "unknown option 'zzzzzz'"));
	CHECK(!any_msg_has(&k, "zzzzzz' in gateway section (did"));
	CHECK(has_err(&k, 7, "unknown option 'alow' in client section (did you mean 'allow'?)"));
	CHECK(has_err(&k, 9, "did you mean 'type'"));
	CHECK(has_err(&k, 11, "did you mean 'p'"));
	CHECK(has_err(&k, 12, "did you mean 'p'"));
}

TEST(test_timeouts)
{
	static const struct { const char *v; int ok; unsigned ms; } cases[] = {
		{ "10", 1, 10000 }, { "10s", 1, 10000 }, { "500ms", 1, 500 }, { "2m", 1, 120000 },
		{ "1h", 1, 3600000 }, { "86400", 1, 86400000 }, { "86401", 0, 0 }, { "0", 0, 0 },
		{ "0ms", 0, 0 }, { "1ms", 1, 1 }, { "-1", 0, 0 }, { "10 s", 0, 0 }, { "s", 0, 0 },
		{ "", 0, 0 }, { "10sec", 0, 0 }, { "1.5", 0, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		struct cfg c;
		struct coll k;
		snprintf(text, sizeof text, "config gateway\n option idle_timeout '%s'\n", cases[i].v);
		int r = load(text, &c, &k);
		if (cases[i].ok) {
			CHECK_EQ_INT(r, 0);
			CHECK_EQ_INT(c.gw.idle_timeout_ms, cases[i].ms);
			cfg_free(&c);
		} else {
			CHECK_EQ_INT(r, 1);
			CHECK(has_err(&k, 2, "idle_timeout"));
		}
	}
	struct cfg c;
	struct coll k;
	CHECK_EQ_INT(load("config gateway\n option shutdown_timeout 0\n", &c, &k), 0);
	CHECK_EQ_INT(c.gw.shutdown_timeout_ms, 0);
	cfg_free(&c);
}

TEST(test_parse_url)
{
	struct cfg_url u;
	char err[128];

	CHECK_EQ_INT(cfg_parse_url("https://api.example.com", &u, err, sizeof err), 0);
	CHECK(u.tls == 1 && u.port == 443 && strcmp(u.host, "api.example.com") == 0 && u.prefix[0] == 0);
	CHECK_EQ_INT(cfg_parse_url("http://example.com/", &u, err, sizeof err), 0);
	CHECK(u.tls == 0 && u.port == 80 && u.prefix[0] == 0);
	CHECK_EQ_INT(cfg_parse_url("HTTP://h:8443/base/path/v1/", &u, err, sizeof err), 0);
	CHECK(u.port == 8443 && strcmp(u.host, "h") == 0 && strcmp(u.prefix, "/base/path") == 0);
	CHECK_EQ_INT(cfg_parse_url("https://[2001:db8::1]:8443/x", &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "2001:db8::1") == 0 && u.port == 8443 && strcmp(u.prefix, "/x") == 0);
	CHECK_EQ_INT(cfg_parse_url("http://[::1]/v1", &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "::1") == 0 && u.port == 80 && u.prefix[0] == 0);
	CHECK_EQ_INT(cfg_parse_url("https://api.groq.com/openai/v1", &u, err, sizeof err), 0);
	CHECK(strcmp(u.prefix, "/openai") == 0);
	CHECK_EQ_INT(cfg_parse_url("https://h/v1/v1", &u, err, sizeof err), 0);
	CHECK(strcmp(u.prefix, "/v1") == 0);	/* only one /v1 goes */
	CHECK_EQ_INT(cfg_parse_url("https://h/v10", &u, err, sizeof err), 0);
	CHECK(strcmp(u.prefix, "/v10") == 0);

	CHECK_EQ_INT(cfg_parse_url("ftp://h/", &u, err, sizeof err), -1);
	CHECK(strstr(err, "scheme") != NULL);
	CHECK_EQ_INT(cfg_parse_url("api.example.com", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://", &u, err, sizeof err), -1);
	CHECK(strstr(err, "no host") != NULL);
	CHECK_EQ_INT(cfg_parse_url("https:///v1", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://:443/", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h:0", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h:65536", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h:", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h:8x", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://user:pw@h/", &u, err, sizeof err), -1);
	CHECK(strstr(err, "pw") == NULL);
	CHECK_EQ_INT(cfg_parse_url("https://2001:db8::1/", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://[zz::1]/", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://[::1/", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h/a?b=c", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h/a b", &u, err, sizeof err), -1);
	CHECK_EQ_INT(cfg_parse_url("https://h_x!/", &u, err, sizeof err), -1);
}

TEST(test_parse_hostport)
{
	char host[64];
	unsigned short port;

	CHECK_EQ_INT(cfg_parse_hostport("127.0.0.1:8080", host, sizeof host, &port), 0);
	CHECK(strcmp(host, "127.0.0.1") == 0 && port == 8080);
	CHECK_EQ_INT(cfg_parse_hostport("[::1]:443", host, sizeof host, &port), 0);
	CHECK(strcmp(host, "::1") == 0 && port == 443);
	CHECK_EQ_INT(cfg_parse_hostport(":8080", host, sizeof host, &port), 0);
	CHECK(host[0] == 0 && port == 8080);
	CHECK_EQ_INT(cfg_parse_hostport("localhost:1", host, sizeof host, &port), 0);
	CHECK_EQ_INT(cfg_parse_hostport("127.0.0.1", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("::1:80", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("[::1]", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("h:0", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("h:", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("h:123456", host, sizeof host, &port), -1);
	CHECK_EQ_INT(cfg_parse_hostport("averyveryveryverylonghostnamethatdoesnotfitinsixtyfourbytes.example:1",
	    host, sizeof host, &port), -1);
}

static void clear_provider_env(void)
{
	for (unsigned i = 0; provider_type_at(i); i++) {
		const struct provider_type *t = provider_type_at(i);
		if (t->key_env)
			unsetenv(t->key_env);
		if (t->host_env)
			unsetenv(t->host_env);
	}
}

TEST(test_default_config)
{
	struct cfg c;
	struct coll k;

	clear_provider_env();
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_default(&c, coll_cb, &k), 0);
	CHECK_EQ_INT(c.nproviders, 0);
	CHECK_EQ_INT(c.gw.nlisten, 1);
	CHECK(strcmp(c.gw.listen[0], "127.0.0.1:8080") == 0);
	CHECK(strcmp(c.path, "(embedded default)") == 0);
	CHECK_EQ_INT(c.gw.first_byte_timeout_ms, 120000);
	CHECK_EQ_INT(c.gw.max_inflight, 64);
	cfg_free(&c);

	setenv("OPENAI_API_KEY", "sk-default-1", 1);
	setenv("GROQ_API_KEY", "", 1);		/* empty: not configured */
	setenv("MISTRAL_API_KEY", "m-key", 1);
	setenv("OLLAMA_HOST", "10.0.0.5", 1);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_default(&c, coll_cb, &k), 0);
	REQUIRE(c.nproviders == 3);
	int oi = cfg_provider_index(&c, "openai", 6);
	int mi = cfg_provider_index(&c, "mistral", 7);
	int li = cfg_provider_index(&c, "ollama", 6);
	CHECK(cfg_provider_index(&c, "groq", 4) < 0);
	REQUIRE(oi >= 0 && mi >= 0 && li >= 0);
	CHECK_EQ_STR(c.providers[oi].key, c.providers[oi].key_len, "sk-default-1");
	CHECK_EQ_STR(c.providers[mi].key, c.providers[mi].key_len, "m-key");
	CHECK(c.providers[li].key == NULL);
	CHECK(strcmp(c.providers[li].url.host, "10.0.0.5") == 0);
	CHECK_EQ_INT(c.providers[li].url.port, 11434);
	CHECK_EQ_INT(c.providers[li].url.tls, 0);
	cfg_free(&c);

	static const struct { const char *v; const char *host; unsigned port; int tls; } hosts[] = {
		{ "0.0.0.0", "127.0.0.1", 11434, 0 },
		{ ":9999", "127.0.0.1", 9999, 0 },
		{ "box:1234", "box", 1234, 0 },
		{ "http://box", "box", 80, 0 },
		{ "https://ollama.example/", "ollama.example", 443, 1 },
		{ "[::1]", "::1", 11434, 0 },
		{ "[::]:5", "::1", 5, 0 },
	};
	clear_provider_env();
	for (unsigned i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		setenv("OLLAMA_HOST", hosts[i].v, 1);
		CHECK_EQ_INT(cfg_load_default(&c, NULL, NULL), 0);
		if (c.nproviders != 1) {
			CHECK(c.nproviders == 1);
			continue;
		}
		if (strcmp(c.providers[0].url.host, hosts[i].host) != 0 || c.providers[0].url.port != hosts[i].port ||
		    c.providers[0].url.tls != hosts[i].tls) {
			fprintf(stderr, "  OLLAMA_HOST=%s -> %s %u %d\n", hosts[i].v, c.providers[0].url.host,
			    c.providers[0].url.port, c.providers[0].url.tls);
			CHECK(0);
		}
		cfg_free(&c);
	}
	/* a broken OLLAMA_HOST is reported, naming the variable */
	setenv("OLLAMA_HOST", "ftp://x", 1);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_default(&c, coll_cb, &k), 1);
	CHECK(any_msg_has(&k, "OLLAMA_HOST"));
	/* a config file's ollama provider also honours it without base_url */
	setenv("OLLAMA_HOST", "gpu-box:11500", 1);
	CHECK_EQ_INT(load("config provider 'l'\n option type ollama\n", &c, &k), 0);
	CHECK(strcmp(c.providers[0].url.host, "gpu-box") == 0 && c.providers[0].url.port == 11500);
	cfg_free(&c);
	clear_provider_env();
}

TEST(test_client_allows)
{
	static const char *const pats[] = { "fast", "oai/*", "*/gpt-4.1-mini", "loc*/llama*" };
	struct cfg_client cl;
	memset(&cl, 0, sizeof cl);
	CHECK(cfg_client_allows(&cl, "anything", 8));	/* nallow 0: all */
	cl.allow = pats;
	cl.nallow = 4;
#define ALLOWS(s) cfg_client_allows(&cl, s, strlen(s))
	CHECK(ALLOWS("fast"));
	CHECK(!ALLOWS("fas"));
	CHECK(!ALLOWS("faster"));
	CHECK(ALLOWS("oai/gpt-4.1"));
	CHECK(ALLOWS("oai/"));
	CHECK(ALLOWS("oai/a/b"));
	CHECK(!ALLOWS("oai"));
	CHECK(!ALLOWS("oaix/gpt"));
	CHECK(ALLOWS("groq/gpt-4.1-mini"));
	CHECK(!ALLOWS("groq/gpt-4.1-mini-2"));
	CHECK(ALLOWS("local/llama3.2"));
	CHECK(!ALLOWS("local/qwen"));
	CHECK(!ALLOWS(""));
	/* the model is a slice, not a C string */
	CHECK(cfg_client_allows(&cl, "fastXYZ", 4));
	CHECK(!cfg_client_allows(&cl, "oai/gpt", 3));
	static const char *const star[] = { "*" };
	cl.allow = star;
	cl.nallow = 1;
	CHECK(ALLOWS("x/y") && ALLOWS(""));
	static const char *const stars[] = { "a*a*a*a*a*a*a*b" };
	cl.allow = stars;
	CHECK(!ALLOWS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(ALLOWS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
#undef ALLOWS
}

/* Per client: monitor (reads /metrics and /status) and allow_unpriced
 * (a USD budget does not bar models of unknown price); both off unless set. */
TEST(test_client_access_options)
{
	struct cfg c;
	struct coll k;
	int r = load("config client 'plain'\n option key_sha256 '" HEX64 "'\n"
	    "config client 'prom'\n option key_sha256 '" HEX64B "'\n option monitor '1'\n"
	    " option daily_usd 1\n option allow_unpriced yes\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0 && c.nclients == 2);
	CHECK(c.clients[0].monitor == 0 && c.clients[0].allow_unpriced == 0);
	CHECK(c.clients[1].monitor == 1 && c.clients[1].allow_unpriced == 1);
	cfg_free(&c);

	r = load("config client 'c'\n"				/* 1 */
	    " option key_sha256 '" HEX64 "'\n"			/* 2 */
	    " option monitor 'sure'\n"				/* 3 */
	    " option allow_unpriced 2\n"			/* 4 */
	    " option monitr 1\n"				/* 5 */
	    "config gateway\n option monitor 1\n", &c, &k);	/* 6, 7: a client option */
	CHECK_EQ_INT(r, k.n);
	CHECK(has_err(&k, 3, "client 'c': monitor: 'sure' is not a boolean"));
	CHECK(has_err(&k, 4, "client 'c': allow_unpriced: '2' is not a boolean"));
	CHECK(has_err(&k, 5, "did you mean 'monitor'?"));
	CHECK(has_err(&k, 7, "unknown option 'monitor' in gateway section"));
}

TEST(test_lookups)
{
	struct cfg c;
	struct coll k;
	int r = load("config provider 'a'\n option type ollama\n"
	    "config provider 'bb'\n option type vllm\n"
	    "config route 'r1'\n list target 'bb/m1'\n list target 'a/m2'\n"
	    "config route 'r2'\n list target 'a/x'\n"
	    "config client 'c'\n option key_sha256 '" HEX64 "'\n list allow r1\n list allow 'a/*'\n list allow '*/m'\n",
	    &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	CHECK_EQ_INT(cfg_provider_index(&c, "a", 1), 0);
	CHECK_EQ_INT(cfg_provider_index(&c, "bb", 2), 1);
	CHECK_EQ_INT(cfg_provider_index(&c, "bbx", 2), 1);	/* slice */
	CHECK_EQ_INT(cfg_provider_index(&c, "b", 1), -1);
	CHECK_EQ_INT(cfg_provider_index(&c, "", 0), -1);
	const struct cfg_route *rt = cfg_route_find(&c, "r2", 2);
	REQUIRE(rt != NULL);
	CHECK(rt == &c.routes[1]);
	CHECK(strcmp(rt->targets[0].model, "x") == 0);
	CHECK(cfg_route_find(&c, "r1/x", 2) == &c.routes[0]);
	CHECK(cfg_route_find(&c, "r", 1) == NULL);
	CHECK(cfg_route_find(&c, "r3", 2) == NULL);
	CHECK_EQ_INT(c.routes[0].ntargets, 2);
	CHECK_EQ_INT(c.routes[0].targets[0].provider, 1);
	CHECK_EQ_INT(c.routes[0].line, 5);
	CHECK_EQ_INT(c.clients[0].line, 10);
	cfg_free(&c);

	/* duplicate client keys, allow pointing at an unknown provider */
	r = load("config provider 'a'\n option type ollama\n"
	    "config client 'c1'\n option key_sha256 '" HEX64 "'\n"
	    "config client 'c2'\n option key_sha256 '" HEX64 "'\n list allow 'zz/*'\n list allow '*/*'\n", &c, &k);
	CHECK_EQ_INT(r, 2);
	CHECK(has_err(&k, 5, "same key_sha256"));
	CHECK(has_err(&k, 7, "no provider section named 'zz'"));
}

TEST(test_load_file)
{
	struct cfg c;
	struct coll k;
	char path[] = "/tmp/llmgw-test-conf.XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	const char *text = "config gateway 'main'\n option max_inflight 8\n option bogus 1\n";
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file(path, &c, coll_cb, &k), 1);
	CHECK(strcmp(k.path, path) == 0);
	CHECK(has_err(&k, 3, "unknown option 'bogus'"));
	fd = open(path, O_WRONLY | O_TRUNC);
	REQUIRE(fd >= 0);
	size_t good = strlen("config gateway 'main'\n option max_inflight 8\n");
	CHECK(write(fd, text, good) == (ssize_t)good);
	close(fd);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file(path, &c, coll_cb, &k), 0);
	CHECK_EQ_INT(c.gw.max_inflight, 8);
	CHECK(strcmp(c.path, path) == 0);
	cfg_free(&c);
	unlink(path);

	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file("/nonexistent/llmgw.conf", &c, coll_cb, &k), 1);
	CHECK(k.n == 1 && k.lines[0] == 0 && strstr(k.msgs[0], "cannot open"));
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file("/tmp", &c, coll_cb, &k), 1);
	CHECK(k.n == 1 && strstr(k.msgs[0], "not a regular file"));

	/* the size limit: 1 MiB of comments loads, one byte more does not */
	size_t bigsize = (1 << 20) + 1;
	char *big = malloc(bigsize);	/* not static: see TEST_HEAP_ARRAY */
	REQUIRE(big != NULL);
	for (size_t i = 0; i < bigsize; i++)
		big[i] = i % 64 == 63 ? '\n' : '#';
	char bigpath[] = "/tmp/llmgw-test-big.XXXXXX";
	fd = mkstemp(bigpath);
	REQUIRE(fd >= 0);
	CHECK(write(fd, big, 1 << 20) == 1 << 20);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file(bigpath, &c, coll_cb, &k), 0);
	cfg_free(&c);
	CHECK(write(fd, big, 1) == 1);
	free(big);
	close(fd);
	memset(&k, 0, sizeof k);
	CHECK_EQ_INT(cfg_load_file(bigpath, &c, coll_cb, &k), 1);
	CHECK(k.n == 1 && k.lines[0] == 0 && strcmp(k.msgs[0], "file too large for a configuration") == 0);
	unlink(bigpath);
}

TEST(test_many_errors_all_reported)
{
	/* 40 bad lines in one file: each one is reported, in order */
	char text[4096];
	size_t o = 0;
	o += (size_t)snprintf(text + o, sizeof text - o, "config gateway\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, " option max_upstream%d 1\n", i);
	struct cfg c;
	struct coll k;
	CHECK_EQ_INT(load(text, &c, &k), 40);
	for (int i = 0; i < 40 && i < k.n; i++)
		CHECK_EQ_INT(k.lines[i], i + 2);
}

/* ---- health, failover, budgets, monitoring, targets ---- */

static int near(double a, double b)
{
	double d = a - b;
	return d < 1e-9 && d > -1e-9;
}

TEST(test_health_failover_defaults)
{
	struct cfg c;
	struct coll k;
	int r = load("config provider 'p'\n option type ollama\n"
	    "config route 'r'\n list target 'p/m'\n"
	    "config client 'c'\n option key_sha256 '" HEX64 "'\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	const struct cfg_gateway *g = &c.gw;
	CHECK(strcmp(g->state_dir, "/var/lib/llmgw") == 0);
	CHECK_EQ_INT(g->flush_interval_ms, 300000);
	CHECK_EQ_INT(g->probe_interval_ms, 60000);
	CHECK_EQ_INT(g->probe_interval_open_ms, 10000);
	CHECK_EQ_INT(g->breaker_failures, 5);
	CHECK(near(g->breaker_ratio, 0.5));
	CHECK_EQ_INT(g->breaker_min_requests, 10);
	CHECK_EQ_INT(g->breaker_window_ms, 60000);
	CHECK_EQ_INT(g->breaker_cooldown_ms, 10000);
	CHECK_EQ_INT(g->breaker_max_cooldown_ms, 300000);
	CHECK_EQ_INT(g->max_attempts, 3);
	CHECK_EQ_INT(g->request_deadline_ms, 300000);
	CHECK_EQ_INT(g->access_log, 1);
	CHECK_EQ_INT(g->status_page, 1);
	CHECK_EQ_INT(g->metrics, 1);
	const struct cfg_route *rt = &c.routes[0];
	CHECK_EQ_INT(rt->strategy, CFG_STRATEGY_FALLBACK);
	CHECK_EQ_INT(rt->min_quality, 0);
	CHECK_EQ_INT(rt->max_attempts, 3);
	CHECK_EQ_INT(rt->connect_timeout_ms, g->connect_timeout_ms);
	CHECK_EQ_INT(rt->first_byte_timeout_ms, g->first_byte_timeout_ms);
	CHECK_EQ_INT(rt->stream_idle_timeout_ms, g->stream_idle_timeout_ms);
	const struct cfg_client *cl = &c.clients[0];
	CHECK(cl->rpm == 0 && cl->tpm == 0);
	CHECK(cl->daily_usd == 0 && cl->monthly_usd == 0);
	cfg_free(&c);

	/* the embedded default has them too, and one bucket per provider */
	clear_provider_env();
	setenv("OPENAI_API_KEY", "sk-default-1", 1);
	CHECK_EQ_INT(cfg_load_default(&c, NULL, NULL), 0);
	CHECK_EQ_INT(c.gw.max_attempts, 3);
	CHECK(strcmp(c.gw.state_dir, "/var/lib/llmgw") == 0);
	REQUIRE(c.nproviders == 1);
	CHECK_EQ_INT(c.ntargets_all, 1);
	CHECK(c.targets_all[0].other == 1 && strcmp(c.targets_all[0].name, "openai/*") == 0);
	CHECK_EQ_INT(cfg_target_find(&c, "openai/gpt-4.1", 14), 0);
	cfg_free(&c);
	clear_provider_env();
}

TEST(test_health_failover_options)
{
	struct cfg c;
	struct coll k;
	int r = load("config gateway\n"
	    " option state_dir '/tmp/llmgw-state'\n"
	    " option flush_interval 2m\n"
	    " option probe_interval 0\n"		/* 0: no active probes */
	    " option probe_interval_open 500ms\n"
	    " option breaker_failures 3\n"
	    " option breaker_ratio '0.25'\n"
	    " option breaker_min_requests 20\n"
	    " option breaker_window 30s\n"
	    " option breaker_cooldown 2s\n"
	    " option breaker_max_cooldown 1h\n"
	    " option max_attempts 5\n"
	    " option request_deadline 90\n"
	    " option access_log 0\n"
	    " option status_page off\n"
	    " option metrics no\n"
	    " option connect_timeout 7s\n"
	    "config provider 'p'\n option type ollama\n"
	    "config route 'cheap'\n"
	    " list target 'p/a'\n"
	    " option strategy cheapest\n"
	    " option min_quality 3\n"
	    " option max_attempts 2\n"
	    " option first_byte_timeout 20s\n"
	    " option stream_idle_timeout 1500ms\n"
	    " option connect_timeout 0\n"		/* 0: the gateway's */
	    "config route 'fast'\n list target 'p/a'\n option strategy fastest\n"
	    "config route 'w'\n list target 'p/a'\n option strategy weighted\n"
	    "config route 'f'\n list target 'p/a'\n option strategy fallback\n"
	    "config client 'c'\n option key_sha256 '" HEX64 "'\n"
	    " option rpm 60\n option tpm 4000000000\n option daily_usd 2.50\n option monthly_usd '40'\n",
	    &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	const struct cfg_gateway *g = &c.gw;
	CHECK(strcmp(g->state_dir, "/tmp/llmgw-state") == 0);
	CHECK_EQ_INT(g->flush_interval_ms, 120000);
	CHECK_EQ_INT(g->probe_interval_ms, 0);
	CHECK_EQ_INT(g->probe_interval_open_ms, 500);
	CHECK_EQ_INT(g->breaker_failures, 3);
	CHECK(near(g->breaker_ratio, 0.25));
	CHECK_EQ_INT(g->breaker_min_requests, 20);
	CHECK_EQ_INT(g->breaker_window_ms, 30000);
	CHECK_EQ_INT(g->breaker_cooldown_ms, 2000);
	CHECK_EQ_INT(g->breaker_max_cooldown_ms, 3600000);
	CHECK_EQ_INT(g->max_attempts, 5);
	CHECK_EQ_INT(g->request_deadline_ms, 90000);
	CHECK(g->access_log == 0 && g->status_page == 0 && g->metrics == 0);
	REQUIRE(c.nroutes == 4);
	const struct cfg_route *rt = &c.routes[0];
	CHECK_EQ_INT(rt->strategy, CFG_STRATEGY_CHEAPEST);
	CHECK_EQ_INT(rt->min_quality, 3);
	CHECK_EQ_INT(rt->max_attempts, 2);
	CHECK_EQ_INT(rt->first_byte_timeout_ms, 20000);
	CHECK_EQ_INT(rt->stream_idle_timeout_ms, 1500);
	CHECK_EQ_INT(rt->connect_timeout_ms, 7000);
	CHECK_EQ_INT(c.routes[1].strategy, CFG_STRATEGY_FASTEST);
	CHECK_EQ_INT(c.routes[1].max_attempts, 5);	/* the gateway's, set in the file */
	CHECK_EQ_INT(c.routes[1].connect_timeout_ms, 7000);
	CHECK_EQ_INT(c.routes[2].strategy, CFG_STRATEGY_WEIGHTED);
	CHECK_EQ_INT(c.routes[3].strategy, CFG_STRATEGY_FALLBACK);
	const struct cfg_client *cl = &c.clients[0];
	CHECK_EQ_INT(cl->rpm, 60);
	CHECK(cl->tpm == 4000000000u);
	CHECK(near(cl->daily_usd, 2.5));
	CHECK(near(cl->monthly_usd, 40));
	cfg_free(&c);

	/* the gateway section may come after the routes: routes still get its values */
	r = load("config provider 'p'\n option type ollama\n"
	    "config route 'r'\n list target 'p/a'\n"
	    "config gateway\n option max_attempts 7\n option stream_idle_timeout 9s\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	CHECK_EQ_INT(c.routes[0].max_attempts, 7);
	CHECK_EQ_INT(c.routes[0].stream_idle_timeout_ms, 9000);
	cfg_free(&c);
}

TEST(test_decimal_options)
{
	static const struct { const char *v; int ok; double want; } cases[] = {
		{ "0", 1, 0 }, { "1", 1, 1 }, { "0.5", 1, 0.5 }, { ".5", 1, 0.5 }, { "1.", 1, 1 },
		{ "0.125", 1, 0.125 }, { "00.75", 1, 0.75 }, { "0.1000000000000000000000001", 1, 0.1 },
		{ "1.5", 0, 0 }, { "-0.5", 0, 0 }, { "", 0, 0 }, { ".", 0, 0 }, { "1.2.3", 0, 0 },
		{ "1e-1", 0, 0 }, { "+0.5", 0, 0 }, { " 0.5", 0, 0 }, { "inf", 0, 0 }, { "nan", 0, 0 },
		{ "0x1", 0, 0 }, { "0,5", 0, 0 }, { "-", 0, 0 }, { "99999999999999999999999", 0, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		struct cfg c;
		struct coll k;
		snprintf(text, sizeof text, "config gateway\n option breaker_ratio '%s'\n", cases[i].v);
		int r = load(text, &c, &k);
		if (cases[i].ok) {
			CHECK_EQ_INT(r, 0);
			if (r == 0) {
				if (!near(c.gw.breaker_ratio, cases[i].want))
					fprintf(stderr, "  '%s' -> %g\n", cases[i].v, c.gw.breaker_ratio);
				CHECK(near(c.gw.breaker_ratio, cases[i].want));
				cfg_free(&c);
			}
		} else {
			if (r != 1)
				fprintf(stderr, "  '%s' accepted\n", cases[i].v);
			CHECK_EQ_INT(r, 1);
			CHECK(has_err(&k, 2, "breaker_ratio"));
		}
	}
	struct cfg c;
	struct coll k;
	/* prices and budgets: large values are fine, up to a sanity limit */
	int r = load("config provider p\n option type ollama\n"
	    "config target\n option model 'p/m'\n option input_usd_per_mtok 1000000\n"
	    " option output_usd_per_mtok 0.0001\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	CHECK(near(c.targets_all[0].in_usd_mtok, 1e6));
	CHECK(near(c.targets_all[0].out_usd_mtok, 0.0001));
	cfg_free(&c);
	r = load("config client c\n option key_sha256 '" HEX64 "'\n option daily_usd 1000000001\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 3, "client 'c': daily_usd: must be between 0 and 1000000000"));
}

TEST(test_health_failover_errors)
{
	struct cfg c;
	struct coll k;
	const char *text =
	    "config gateway\n"					/* 1 */
	    " option breaker_ratio 1.5\n"			/* 2 */
	    " option max_attempts 0\n"				/* 3 */
	    " option flush_interval 0\n"			/* 4 */
	    " option probe_interval_open 0\n"			/* 5 */
	    " option breaker_cooldown 10m\n"			/* 6 */
	    " option breaker_max_cooldown 1m\n"			/* 7 shorter than cooldown */
	    " option access_log maybe\n"			/* 8 */
	    " option state_dir ''\n"				/* 9 */
	    " option request_deadline 2d\n"			/* 10 */
	    " option breaker_failure 3\n"			/* 11 did you mean */
	    "config provider 'oai'\n"				/* 12 */
	    " option type openai\n"				/* 13 */
	    " option key 'sk-SECRETINLINE-1'\n"			/* 14 */
	    "config route 'r'\n"				/* 15 */
	    " list target 'oai/gpt-4.1-mini'\n"			/* 16 */
	    " option strategy cheapset\n"			/* 17 */
	    " option min_quality 6\n"				/* 18 */
	    " option max_attempts 11\n"				/* 19 */
	    " option connect_timeout 5x\n"			/* 20 */
	    " option stratgy fastest\n"				/* 21 did you mean */
	    " list target 'oai/*'\n"				/* 22 reserved */
	    "config client 'c'\n"				/* 23 */
	    " option key_sha256 '" HEX64 "'\n"			/* 24 */
	    " option rpm -1\n"					/* 25 */
	    " option tpm lots\n"				/* 26 */
	    " option daily_usd '-5'\n"				/* 27 */
	    " option monthly_usd '1,5'\n"			/* 28 */
	    "config target\n"					/* 29 no model */
	    " option quality 3\n"				/* 30 */
	    "config target 't1'\n"				/* 31 */
	    " option model 'nomodel'\n"				/* 32 */
	    "config target\n"					/* 33 */
	    " option model 'oaii/gpt-4.1'\n"			/* 34 unknown provider */
	    "config target\n"					/* 35 */
	    " option model 'oai/gpt-4.1-mini'\n"		/* 36 */
	    " option quality 0\n"				/* 37 */
	    " option weight 1001\n"				/* 38 */
	    " option input_usd_per_mtok x\n"			/* 39 */
	    "config target\n"					/* 40 duplicate of 35 */
	    " option model 'oai/gpt-4.1-mini'\n"		/* 41 */
	    "config target\n"					/* 42 */
	    " option model 'oai/unpriced-model-xyz'\n"		/* 43 */
	    " option output_usd_per_mtok 2\n"			/* 44 half a price */
	    "config target 't1'\n"				/* 45 duplicate name */
	    " option model 'oai/other-model-xyz'\n"		/* 46 */
	    " option wieght 2\n"				/* 47 did you mean */
	    "config target 'bad name'\n"			/* 48 */
	    " option model 'oai/third-model-xyz'\n"		/* 49 */
	    "config target\n"					/* 50 */
	    " option model 'oai/*'\n"				/* 51 reserved */
	    " option key 'sk-SECRETINLINE-1'\n"			/* 52 unknown option */
	    "config targte\n";					/* 53 unknown section type */
	int r = load(text, &c, &k);
	CHECK_EQ_INT(r, k.n);
	CHECK(c.arena == NULL);
	CHECK(has_err(&k, 2, "breaker_ratio: must be between 0 and 1"));
	CHECK(has_err(&k, 3, "max_attempts: must be between 1 and 10"));
	CHECK(has_err(&k, 4, "flush_interval: must be between 1ms and"));
	CHECK(has_err(&k, 5, "probe_interval_open: must be between 1ms and"));
	CHECK(has_err(&k, 7, "breaker_max_cooldown (60s) is shorter than breaker_cooldown (600s)"));
	CHECK(has_err(&k, 8, "access_log: 'maybe' is not a boolean"));
	CHECK(has_err(&k, 9, "state_dir: empty path"));
	CHECK(has_err(&k, 10, "request_deadline: '2d' is not a duration"));
	CHECK(has_err(&k, 11, "unknown option 'breaker_failure' in gateway section (did you mean 'breaker_failures'?)"));
	CHECK(has_err(&k, 17, "route 'r': strategy 'cheapset' is not one of fallback, cheapest, fastest, weighted "
	    "(did you mean 'cheapest'?)"));
	CHECK(has_err(&k, 18, "route 'r': min_quality: must be between 0 and 5"));
	CHECK(has_err(&k, 19, "route 'r': max_attempts: must be between 1 and 10"));
	CHECK(has_err(&k, 20, "route 'r': connect_timeout: '5x' is not a duration"));
	CHECK(has_err(&k, 21, "unknown option 'stratgy' in route section (did you mean 'strategy'?)"));
	CHECK(has_err(&k, 22, "route 'r': target 'oai/*': '*' is not a model name"));
	CHECK(has_err(&k, 25, "client 'c': rpm: '-1' is not a number"));
	CHECK(has_err(&k, 26, "client 'c': tpm: 'lots' is not a number"));
	CHECK(has_err(&k, 27, "client 'c': daily_usd: must be between 0 and"));
	CHECK(has_err(&k, 28, "client 'c': monthly_usd: '1,5' is not a decimal number"));
	CHECK(has_err(&k, 29, "target section: option model 'provider/model' is required"));
	CHECK(has_err(&k, 32, "target 'nomodel' must be 'provider/model'"));
	CHECK(has_err(&k, 34, "target 'oaii/gpt-4.1': no provider section named 'oaii' (did you mean 'oai'?)"));
	CHECK(has_err(&k, 37, "target 'oai/gpt-4.1-mini': quality: must be between 1 and 5"));
	CHECK(has_err(&k, 38, "target 'oai/gpt-4.1-mini': weight: must be between 1 and 1000"));
	CHECK(has_err(&k, 39, "input_usd_per_mtok: 'x' is not a decimal number"));
	CHECK(has_err(&k, 40, "target 'oai/gpt-4.1-mini' is already described by the target section at line 35"));
	CHECK(has_err(&k, 44, "target 'oai/unpriced-model-xyz': the built-in price table does not know this model: "
	    "give both input_usd_per_mtok and output_usd_per_mtok"));
	CHECK(has_err(&k, 45, "duplicate target section 't1' (first at line 31)"));
	CHECK(has_err(&k, 47, "unknown option 'wieght' in target section (did you mean 'weight'?)"));
	CHECK(has_err(&k, 48, "target name 'bad name' may only contain"));
	CHECK(has_err(&k, 51, "'*' is not a model name"));
	CHECK(has_err(&k, 52, "unknown option 'key' in target section"));
	CHECK(has_err(&k, 53, "unknown section type 'targte' (did you mean 'target'?)"));
	CHECK(!any_msg_has(&k, "SECRET"));
	for (int i = 1; i < k.n && i < 128; i++)
		CHECK(k.lines[i - 1] <= k.lines[i]);
	/* the good lines draw no error */
	static const int clean[] = { 1, 6, 12, 13, 14, 15, 16, 23, 24, 30, 31, 35, 36, 41, 42, 43, 46, 49, 50 };
	for (unsigned i = 0; i < sizeof clean / sizeof clean[0]; i++)
		for (int j = 0; j < k.n && j < 128; j++)
			if (k.lines[j] == clean[i]) {
				fprintf(stderr, "  unexpected error on line %d: %s\n", clean[i], k.msgs[j]);
				CHECK(0);
			}

	/* breaker_max_cooldown shorter than a default breaker_cooldown */
	r = load("config gateway\n option breaker_max_cooldown 5s\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "breaker_max_cooldown (5s) is shorter than breaker_cooldown (10s)"));
	r = load("config gateway\n option breaker_cooldown 301s\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 2, "shorter than breaker_cooldown"));
	/* a cached price alone for an unknown model is half a price too */
	r = load("config provider p\n option type openai-compatible\n option base_url http://h\n"
	    "config target\n option model 'p/m'\n option cached_usd_per_mtok 1\n", &c, &k);
	CHECK_EQ_INT(r, 1);
	CHECK(has_err(&k, 6, "does not know this model"));
}

/* Finds the tinfo of "provider/model" by name, checking the lookup agrees. */
static const struct cfg_tinfo *tinfo(const struct cfg *c, const char *name)
{
	int tid = cfg_target_find(c, name, strlen(name));
	if (tid < 0 || (unsigned)tid >= c->ntargets_all) {
		fprintf(stderr, "  no target id for %s\n", name);
		return NULL;
	}
	return &c->targets_all[tid];
}

TEST(test_target_table)
{
	struct cfg c;
	struct coll k;
	struct price mini, gpt41, ol;

	/* The real table: what the config takes from it is compared with
	 * prices_lookup itself, so a price update does not break this test. */
	REQUIRE(prices_lookup("openai", "gpt-4.1-mini", &mini) == 1);
	REQUIRE(prices_lookup("ollama", "llama3.2", &ol) == 1);
	int have41 = prices_lookup("openai", "gpt-4.1", &gpt41) == 1;
	struct price none;
	CHECK(prices_lookup("openai", "no-such-model-xyz", &none) == 0);

	setenv("LLMGW_TEST_OAI_KEY", "sk-test-oai-123", 1);
	int r = load(
	    "config route 'fast'\n"				/* 1 */
	    " list target 'oai/gpt-4.1-mini'\n"			/* 2 */
	    " list target 'local/llama3.2'\n"			/* 3 */
	    " list target 'oai/no-such-model-xyz'\n"		/* 4 */
	    "config route 'second'\n"				/* 5 */
	    " list target 'oai/no-such-model-xyz'\n"		/* 6 same target, same id */
	    " list target 'local/a/b'\n"			/* 7 model with a slash */
	    " list target 'oai/gpt-4.1-mini'\n"			/* 8 */
	    "config provider 'oai'\n option type openai\n option key_env LLMGW_TEST_OAI_KEY\n" /* 9-11 */
	    "config provider 'local'\n option type ollama\n"	/* 12-13 */
	    "config provider 'idle'\n option type ollama\n"	/* 14-15 no targets */
	    "config target\n"					/* 16 partial override of a priced model */
	    " option model 'oai/gpt-4.1-mini'\n"
	    " option output_usd_per_mtok 9.5\n"
	    " option weight 3\n"
	    "config target 'ft'\n"				/* 20 an unpriced model priced here */
	    " option model 'oai/ft:gpt-4.1:acme'\n"
	    " option input_usd_per_mtok 3\n"
	    " option output_usd_per_mtok 12\n"
	    " option quality 4\n"
	    "config target\n"					/* 25 quality only */
	    " option model 'local/llama3.2'\n"
	    " option quality 2\n"
	    "config target\n"					/* 28 all three prices */
	    " option model 'oai/gpt-4.1'\n"
	    " option input_usd_per_mtok 1\n"
	    " option cached_usd_per_mtok 0\n"
	    " option output_usd_per_mtok 4\n", &c, &k);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);

	/* distinct: gpt-4.1-mini, llama3.2, no-such, a/b (routes), ft, gpt-4.1
	 * (target sections), then 3 buckets */
	REQUIRE(c.ntargets_all == 6 + 3);
	for (unsigned i = 0; i < c.ntargets_all; i++) {
		const struct cfg_tinfo *t = &c.targets_all[i];
		REQUIRE(t->name && t->model);
		REQUIRE(t->provider < c.nproviders);
		/* name is provider/model */
		size_t pl = strlen(c.providers[t->provider].name);
		CHECK(strncmp(t->name, c.providers[t->provider].name, pl) == 0 && t->name[pl] == '/');
		CHECK(strcmp(t->name + pl + 1, t->model) == 0);
		/* unique, and the lookup gives the id back */
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(c.targets_all[j].name, t->name) != 0);
		CHECK_EQ_INT(cfg_target_find(&c, t->name, strlen(t->name)), i);
		CHECK_EQ_INT(t->other, i >= 6);
		CHECK(t->weight >= 1);
		if (!t->priced)
			CHECK(t->in_usd_mtok == 0 && t->cached_usd_mtok == 0 && t->out_usd_mtok == 0);
	}
	/* ids follow first appearance: routes in order, then target sections */
	CHECK(strcmp(c.targets_all[0].name, "oai/gpt-4.1-mini") == 0);
	CHECK(strcmp(c.targets_all[1].name, "local/llama3.2") == 0);
	CHECK(strcmp(c.targets_all[2].name, "oai/no-such-model-xyz") == 0);
	CHECK(strcmp(c.targets_all[3].name, "local/a/b") == 0);
	CHECK(strcmp(c.targets_all[4].name, "oai/ft:gpt-4.1:acme") == 0);
	CHECK(strcmp(c.targets_all[5].name, "oai/gpt-4.1") == 0);

	/* route targets carry the ids */
	const struct cfg_route *f = &c.routes[0], *s2 = &c.routes[1];
	REQUIRE(f->ntargets == 3 && s2->ntargets == 3);
	for (unsigned ri = 0; ri < 2; ri++)
		for (unsigned j = 0; j < c.routes[ri].ntargets; j++) {
			const struct cfg_target *tg = &c.routes[ri].targets[j];
			REQUIRE(tg->tid < c.ntargets_all);
			CHECK_EQ_INT(c.targets_all[tg->tid].provider, tg->provider);
			CHECK(strcmp(c.targets_all[tg->tid].model, tg->model) == 0);
		}
	CHECK_EQ_INT(f->targets[0].tid, 0);
	CHECK_EQ_INT(s2->targets[2].tid, 0);
	CHECK_EQ_INT(f->targets[2].tid, s2->targets[0].tid);
	CHECK_EQ_INT(s2->targets[1].tid, 3);
	CHECK_EQ_INT(f->targets[1].line, 3);
	CHECK_EQ_INT(s2->targets[1].line, 7);

	/* partial override: output from the config, the rest from the table */
	const struct cfg_tinfo *t = tinfo(&c, "oai/gpt-4.1-mini");
	REQUIRE(t);
	CHECK(t->priced == 1);
	CHECK(near(t->in_usd_mtok, mini.in_usd_mtok));
	CHECK(near(t->cached_usd_mtok, mini.cached_usd_mtok));
	CHECK(near(t->out_usd_mtok, 9.5));
	CHECK_EQ_INT(t->quality, mini.quality);
	CHECK_EQ_INT(t->weight, 3);
	CHECK_EQ_INT(t->line, 16);	/* the target section's */
	/* unpriced model priced in full by the config; cached defaults to input */
	t = tinfo(&c, "oai/ft:gpt-4.1:acme");
	REQUIRE(t);
	CHECK(t->priced == 1 && near(t->in_usd_mtok, 3) && near(t->cached_usd_mtok, 3) && near(t->out_usd_mtok, 12));
	CHECK_EQ_INT(t->quality, 4);
	CHECK_EQ_INT(t->weight, 1);
	/* the three prices given: all from the config, an explicit 0 included */
	t = tinfo(&c, "oai/gpt-4.1");
	REQUIRE(t);
	CHECK(t->priced == 1 && near(t->in_usd_mtok, 1) && t->cached_usd_mtok == 0 && near(t->out_usd_mtok, 4));
	CHECK_EQ_INT(t->quality, have41 ? gpt41.quality : 0);
	/* table price, config quality */
	t = tinfo(&c, "local/llama3.2");
	REQUIRE(t);
	CHECK(t->priced == 1 && near(t->in_usd_mtok, ol.in_usd_mtok) && near(t->out_usd_mtok, ol.out_usd_mtok));
	CHECK_EQ_INT(t->quality, 2);
	CHECK_EQ_INT(t->line, 25);
	/* in no table and no target section: unpriced, quality unknown */
	t = tinfo(&c, "oai/no-such-model-xyz");
	REQUIRE(t);
	CHECK(t->priced == 0 && t->quality == 0 && t->weight == 1);
	CHECK_EQ_INT(t->line, 4);	/* its first route target */

	/* every provider has its "other" bucket, last, in provider order */
	for (unsigned p = 0; p < c.nproviders; p++) {
		unsigned ot = c.providers[p].other_tid;
		CHECK_EQ_INT(ot, 6 + p);
		const struct cfg_tinfo *b = &c.targets_all[ot];
		CHECK(b->other == 1 && b->priced == 0 && b->quality == 0 && b->weight == 1);
		CHECK_EQ_INT(b->provider, p);
		CHECK(strcmp(b->model, "*") == 0);
		CHECK(b->in_usd_mtok == 0 && b->out_usd_mtok == 0);
		CHECK_EQ_INT(b->line, 0);
	}
	CHECK(strcmp(c.targets_all[6].name, "oai/*") == 0);
	CHECK(strcmp(c.targets_all[8].name, "idle/*") == 0);

	/* ad-hoc models fall back to their provider's bucket */
#define FIND(s) cfg_target_find(&c, s, strlen(s))
	CHECK_EQ_INT(FIND("oai/gpt-5-something"), c.providers[0].other_tid);
	CHECK_EQ_INT(FIND("oai/gpt-4.1-min"), c.providers[0].other_tid);
	CHECK_EQ_INT(FIND("oai/gpt-4.1-mini2"), c.providers[0].other_tid);
	CHECK_EQ_INT(FIND("local/a"), c.providers[1].other_tid);
	CHECK_EQ_INT(FIND("local/a/b"), 3);
	CHECK_EQ_INT(FIND("idle/llama3.2"), c.providers[2].other_tid);	/* same model, other provider */
	CHECK_EQ_INT(FIND("nope/gpt-4.1-mini"), -1);
	CHECK_EQ_INT(FIND("gpt-4.1-mini"), -1);
	CHECK_EQ_INT(FIND("/gpt-4.1-mini"), -1);
	CHECK_EQ_INT(FIND("oai/"), -1);
	CHECK_EQ_INT(FIND(""), -1);
	CHECK_EQ_INT(FIND("fast"), -1);		/* a route is not a target */
#undef FIND
	/* slices: only len bytes count */
	CHECK_EQ_INT(cfg_target_find(&c, "oai/gpt-4.1-mini", 11), 5);		/* "oai/gpt-4.1" */
	CHECK_EQ_INT(cfg_target_find(&c, "oai/gpt-4.1-miniXYZ", 16), 0);
	CHECK_EQ_INT(cfg_target_id(&c, 1, "llama3.2", 8), 1);
	CHECK_EQ_INT(cfg_target_id(&c, 1, "llama3.2-extra", 8), 1);
	CHECK_EQ_INT(cfg_target_id(&c, 2, "llama3.2", 8), 8);
	CHECK_EQ_INT(cfg_target_id(&c, 3, "llama3.2", 8), -1);
	cfg_free(&c);
	CHECK(c.targets_all == NULL && c.ntargets_all == 0 && c.tindex == NULL);
	CHECK_EQ_INT(cfg_target_find(&c, "oai/x", 5), -1);	/* a freed cfg answers, without crashing */
}

/* Many targets: ids stay dense and lookups exact, with index collisions. */
TEST(test_target_table_many)
{
	enum { N = 3000 };
	size_t cap = 64 + (size_t)N * 48;
	char *text = malloc(cap);
	REQUIRE(text);
	size_t o = (size_t)snprintf(text, cap, "config provider p\n option type ollama\n"
	    "config provider q\n option type ollama\nconfig route r\n");
	for (int i = 0; i < N; i++)
		o += (size_t)snprintf(text + o, cap - o, " list target '%c/m%d'\n", i % 2 ? 'q' : 'p', i / 2);
	struct cfg c;
	struct coll k;
	int r = load(text, &c, &k);
	free(text);
	CHECK_EQ_INT(r, 0);
	REQUIRE(r == 0);
	CHECK_EQ_INT(c.ntargets_all, N + 2);
	for (unsigned i = 0; i < N; i++) {
		const struct cfg_target *tg = &c.routes[0].targets[i];
		CHECK_EQ_INT(tg->tid, i);
		char name[32];
		snprintf(name, sizeof name, "%c/m%u", i % 2 ? 'q' : 'p', i / 2);
		CHECK_EQ_INT(cfg_target_find(&c, name, strlen(name)), i);
	}
	CHECK_EQ_INT(cfg_target_find(&c, "p/m99999", 8), N);
	CHECK_EQ_INT(cfg_target_find(&c, "q/m99999", 8), N + 1);
	cfg_free(&c);
}

/* Messages of a section with a long name: the option-value messages (and
 * the left-out ones) have always cut "route 'NAME': " at 95 bytes, the
 * others quote the whole name; same-line messages keep their order. */
TEST(test_long_name_prefixes)
{
	struct cfg c;
	struct coll k;
	char name[101], text[1024], cut[96], want[512];
	memset(name, 'r', 100);
	name[100] = 0;
	snprintf(text, sizeof text,
	    "config provider 'p'\n option type 'openai'\n option key 'k'\n"	/* 1-3 */
	    "config route '%s'\n"						/* 4 */
	    " option max_attempts '99'\n"					/* 5 */
	    " option strategy 'cheapst'\n"					/* 6 */
	    " list target 'p/m'\n"						/* 7 */
	    "config client '%s'\n"						/* 8 */
	    " option rpm 'x'\n"						/* 9 */
	    " option key_sha256 'ab'\n"					/* 10 */
	    " list allow 'nope'\n"						/* 11 */
	    "config route 'p'\n",						/* 12 */
	    name, name);
	CHECK(load(text, &c, &k) == 7);
	REQUIRE(k.n == 7);
	snprintf(want, sizeof want, "route '%s': ", name);
	memcpy(cut, want, 95);
	cut[95] = 0;
	snprintf(want, sizeof want, "%smax_attempts: must be between 1 and 10", cut);
	CHECK_EQ_INT(k.lines[0], 5);
	CHECK_EQ_STR(k.msgs[0], strlen(k.msgs[0]), want);
	snprintf(want, sizeof want, "route '%s': strategy 'cheapst' is not one of fallback, cheapest, fastest, "
	    "weighted (did you mean 'cheapest'?)", name);
	CHECK_EQ_INT(k.lines[1], 6);
	CHECK_EQ_STR(k.msgs[1], strlen(k.msgs[1]), want);
	snprintf(want, sizeof want, "client '%s': ", name);
	memcpy(cut, want, 95);
	cut[95] = 0;
	snprintf(want, sizeof want, "%srpm: 'x' is not a number", cut);
	CHECK_EQ_INT(k.lines[2], 9);
	CHECK_EQ_STR(k.msgs[2], strlen(k.msgs[2]), want);
	snprintf(want, sizeof want, "client '%s': key_sha256 must be 64 hex digits (it has 2 characters)", name);
	CHECK_EQ_INT(k.lines[3], 10);
	CHECK_EQ_STR(k.msgs[3], strlen(k.msgs[3]), want);
	snprintf(want, sizeof want, "client '%s': allow 'nope' names no route (for a provider's model write "
	    "'provider/model')", name);
	CHECK_EQ_INT(k.lines[4], 11);
	CHECK_EQ_STR(k.msgs[4], strlen(k.msgs[4]), want);
	CHECK_EQ_INT(k.lines[5], 12);
	CHECK(strcmp(k.msgs[5], "route 'p' has the name of a provider (a model name would be ambiguous)") == 0);
	CHECK(strcmp(k.msgs[6], "route 'p': list target 'provider/model' is required") == 0);
	CHECK(load("config route 'p'\nconfig provider 'p'\n option type 'openai'\n option key 'k'\n", &c, &k) == 2);
	REQUIRE(k.n == 2);
	CHECK(strcmp(k.msgs[0], "route 'p' has the name of a provider (a model name would be ambiguous)") == 0);
	CHECK(strcmp(k.msgs[1], "route 'p': list target 'provider/model' is required") == 0);
}

int main(void)
{
	test_suite = "config";
	RUN(test_full_example);
	RUN(test_every_error_kind);
	RUN(test_value_errors);
	RUN(test_secrets_never_reported);
	RUN(test_quoting);
	RUN(test_guard_page_ends);
	RUN(test_did_you_mean);
	RUN(test_timeouts);
	RUN(test_parse_url);
	RUN(test_parse_hostport);
	RUN(test_default_config);
	RUN(test_client_allows);
	RUN(test_client_access_options);
	RUN(test_lookups);
	RUN(test_load_file);
	RUN(test_many_errors_all_reported);
	RUN(test_health_failover_defaults);
	RUN(test_health_failover_options);
	RUN(test_decimal_options);
	RUN(test_health_failover_errors);
	RUN(test_target_table);
	RUN(test_target_table_many);
	RUN(test_long_name_prefixes);
	return test_summary();
}
