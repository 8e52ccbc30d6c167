/*
 * config.h - the configuration model and its UCI-syntax loader.
 *
 * The file format is OpenWrt's UCI (uci.h has the syntax), so the same
 * file serves on OpenWrt (/etc/config/llmgw) and on a Pi
 * (/etc/llmgw/llmgw.conf). Loading reads the whole file, checks every
 * section and option, and reports every error with its line number
 * through a callback; it never stops at the first one. Base URLs and
 * addresses are parsed by url.h.
 *
 * A struct cfg owns all of its strings in one arena (arena.h) allocated at
 * load time (start-up or SIGHUP reload, never on the request path; loading
 * blocks on file reads). Provider keys are
 * read from the environment or a key file during load and kept only in the
 * arena; they never appear in error messages. cfg_free() wipes them.
 *
 * Targets: every distinct (provider, model) named by a route target or a
 * `config target` section gets a dense target id at load, indexing
 * cfg.targets_all (prices, quality, weight). Health, usage and metrics
 * tables are sized from ntargets_all. Memory is fixed after load, so a
 * model a client names ad hoc ("provider/model" in no route or target
 * section) cannot get an id of its own: it is accounted under its
 * provider's "other" bucket: a tinfo with model "*" that every provider
 * has, named provider + slash + star (cfg_target_find falls back to it).
 */
#ifndef LLMGW_CONFIG_H
#define LLMGW_CONFIG_H

#include <stddef.h>
#include "acl.h"
#include "log.h"
#include "providers.h"
#include "url.h"		/* struct cfg_url */

#define CFG_DEFAULT_PATH "/etc/llmgw/llmgw.conf"
#define CFG_MAX_LISTEN 8		/* listen addresses and listen sections together; more is a config error */

struct cfg_provider {
	const char *name;		/* section name: clients send "name/model" */
	unsigned other_tid;		/* target id of this provider's "other" bucket */
	const struct provider_type *type;
	struct cfg_url url;		/* base_url option, or the type's default */
	const char *key;		/* secret; NULL when the type takes none */
	size_t key_len;
	const char *const *models;	/* `list model`: advertised in /v1/models */
	unsigned nmodels;
	int line;
};

struct cfg_target {
	unsigned provider;		/* index into cfg.providers */
	const char *model;		/* model name sent to the provider */
	unsigned tid;			/* target id: index into cfg.targets_all */
	int line;			/* of its `list target` */
};

/* One entry per target id. Prices are USD per million tokens; they come
 * from the target section's options, each one not given from the
 * compiled-in table (prices_lookup(type name, model)). A model that is in
 * neither has priced 0: it is unpriced, never $0 (`cheapest` skips it).
 * When the table does not know the model, a target section must give both
 * input and output prices; cached input then defaults to the input price. */
struct cfg_tinfo {
	unsigned provider;		/* index into cfg.providers */
	const char *model;		/* model name; "*" for the provider's other bucket */
	double in_usd_mtok;		/* input tokens, not cached */
	double cached_usd_mtok;		/* cached input tokens */
	double out_usd_mtok;		/* output tokens */
	int priced;			/* 1: the three prices are known; 0: unpriced (all 0) */
	int quality;			/* 1..5: target option, else the table's; 0: unknown */
	unsigned weight;		/* `weighted` strategy: 1..1000, default 1 */
	const char *name;		/* "provider/model" (metrics labels, logs) */
	int other;			/* 1: the provider's "other" bucket for ad-hoc models:
					 * model "*", priced 0, quality 0, weight 1. An ad-hoc
					 * model is priced from the table by the name the
					 * client sent (route_price, route.h). */
	int line;			/* target section's line, else the first route target's; 0 for buckets */
};

enum cfg_strategy {
	CFG_STRATEGY_FALLBACK,		/* targets in order */
	CFG_STRATEGY_CHEAPEST,		/* cheapest healthy, priced target with quality >= min_quality */
	CFG_STRATEGY_FASTEST,		/* lowest recent time to first token */
	CFG_STRATEGY_WEIGHTED,		/* random by the targets' weight */
};

struct cfg_route {
	const char *name;		/* what clients send as "model" */
	struct cfg_target *targets;	/* `list target 'provider/model'`, in order */
	unsigned ntargets;
	int line;
	enum cfg_strategy strategy;	/* `option strategy`; default fallback */
	unsigned min_quality;		/* 0..5 (0: any); for `cheapest` */
	/* The values below are always set after load: the route's option, or
	 * the gateway's when the option is absent (or 0 for the timeouts). */
	unsigned max_attempts;		/* targets tried per request, 1..10 */
	unsigned connect_timeout_ms;
	unsigned first_byte_timeout_ms;
	unsigned stream_idle_timeout_ms;
};

struct cfg_client {
	const char *name;
	unsigned char key_sha256[32];
	const char *const *allow;	/* route names or "provider/model" patterns with '*' */
	unsigned nallow;		/* 0: everything */
	int line;
	unsigned rpm;			/* requests per minute; 0: unlimited */
	unsigned tpm;			/* tokens (input + output) per minute; 0: unlimited */
	double daily_usd;		/* spend per UTC day; 0: unlimited */
	double monthly_usd;		/* spend per UTC calendar month; 0: unlimited */
	int allow_unpriced;		/* with a USD budget: may use models of unknown price */
	int monitor;			/* may read /metrics, /status, /status.json */
};

/* The string arrays below (listen, nameservers, models, allow) also end
 * with a NULL entry, so they can be passed where a NULL-terminated list is
 * wanted (dns_options.servers). */
struct cfg_gateway {
	const char *const *listen;	/* "127.0.0.1:8080", "[::1]:8080", ":8080"; numeric hosts only */
	unsigned nlisten;
	const char *ca_file;
	enum log_level log_level;
	int syslog;			/* log to syslog instead of stderr */
	const char *user;		/* drop privileges to this user after bind; NULL: stay */
	int anonymous;			/* allow requests without a client key from any peer */

	unsigned max_connections;	/* open client connections */
	unsigned max_inflight;		/* requests being served at once (each holds buffers) */
	unsigned max_upstream;		/* open provider connections, pooled */
	unsigned max_header_bytes;	/* request head limit -> 431 */
	unsigned max_body_bytes;	/* request body limit -> 413 */
	unsigned max_response_bytes;	/* non-stream provider response limit -> 502 */
	unsigned max_partial_heads;	/* request heads arriving at once (a buffer each) */
	unsigned max_partial_heads_per_ip;	/* ... from one client address */

	unsigned header_timeout_ms;	/* whole request must arrive in this -> 408 */
	unsigned idle_timeout_ms;	/* keep-alive connection with no request */
	unsigned connect_timeout_ms;	/* upstream TCP + TLS handshake */
	unsigned first_byte_timeout_ms;	/* upstream response head */
	unsigned stream_idle_timeout_ms;/* gap between upstream stream events / body bytes */
	unsigned upstream_idle_ms;	/* pooled upstream connection kept this long */
	unsigned shutdown_timeout_ms;	/* SIGTERM: in-flight work may finish for this long */

	const char *resolv_conf;
	const char *hosts_file;
	const char *const *nameservers;	/* `list nameserver`: overrides resolv.conf */
	unsigned nnameservers;
	unsigned default_max_tokens;	/* for providers that require max_tokens */

	/* Usage totals and health persistence */
	const char *state_dir;		/* default /var/lib/llmgw */
	unsigned flush_interval_ms;	/* write totals at most this often (flash wear); 300s */
	/* Active health probes (free list-models calls) */
	unsigned probe_interval_ms;	/* every target; 0: no active probes; 60s */
	unsigned probe_interval_open_ms;/* a target whose breaker is open; 10s */
	/* Circuit breaker per target, fed by real traffic */
	unsigned breaker_failures;	/* consecutive failures that open it; 5 */
	double breaker_ratio;		/* failure ratio in breaker_window that opens it, 0..1;
					 * 0: no ratio trigger; 0.5 */
	unsigned breaker_min_requests;	/* requests in the window before the ratio counts; 10 */
	unsigned breaker_window_ms;	/* 60s */
	unsigned breaker_cooldown_ms;	/* first open period; doubles on each failed trial; 10s */
	unsigned breaker_max_cooldown_ms;/* cap of that backoff, >= breaker_cooldown; 300s */
	/* Failover */
	unsigned max_attempts;		/* targets tried per request, 1..10; 3 (routes may override) */
	unsigned request_deadline_ms;	/* no new attempt after this much time; 300s */
	/* Monitoring */
	int access_log;			/* one line per request; 1 */
	int status_page;		/* serve /status and /status.json; 1 */
	int metrics;			/* serve /metrics; 1 */
	/* Listeners */
	const struct acl_net *allow;	/* `list allow_cidr`: peers let in on `listen`; */
	unsigned nallow;		/* 0: everyone */
	unsigned max_tls_connections;	/* TLS contexts in the pool (listen sections); 32 */
};

/* A `config listen` section: one more listener beside the gateway's
 * `listen` addresses, plain HTTP or TLS (tls_cert and tls_key, PEM). */
struct cfg_listen {
	const char *name;		/* NULL: an anonymous section */
	const char *address;		/* "0.0.0.0:8443", "[::]:8443", ":8443" */
	const char *tls_cert;		/* PEM chain, leaf first; NULL: plain HTTP */
	const char *tls_key;		/* PEM private key, EC or RSA (NULL with tls_cert) */
	const struct acl_net *allow;	/* its `list allow_cidr`, else the gateway's */
	unsigned nallow;		/* 0: everyone */
	int line;
};

struct cfg {
	struct cfg_gateway gw;
	struct cfg_provider *providers;
	unsigned nproviders;
	struct cfg_route *routes;
	unsigned nroutes;
	struct cfg_client *clients;
	unsigned nclients;
	struct cfg_listen *listens;	/* `config listen` sections, in file order */
	unsigned nlistens;
	struct cfg_tinfo *targets_all;	/* indexed by target id; the providers'
					 * "other" buckets are the last nproviders */
	unsigned ntargets_all;
	const char *path;		/* file loaded, or "(embedded default)" */
	void *arena;			/* internal: struct arena's chunk chain (arena.h) */
	size_t arena_size;
	const unsigned *tindex;		/* internal: hash of (provider, model) -> tid + 1 */
	unsigned tindex_mask;
};

/* Called once per problem found; line is 0 for whole-file problems. */
typedef void (*cfg_report_fn)(void *ctx, const char *path, int line, const char *msg);

/* Loads and checks path. Returns the number of errors (0: *out is ready to
 * use; otherwise *out is freed). Unknown sections and options are errors,
 * so typos do not pass silently. */
int cfg_load_file(const char *path, struct cfg *out, cfg_report_fn report, void *ctx);
/* Loads UCI text from memory (tests, fuzzing); name is used in reports. */
int cfg_load_text(const char *name, const char *text, size_t len, struct cfg *out, cfg_report_fn report, void *ctx);
/* The embedded default: listen 127.0.0.1:8080 and one provider per type
 * whose key_env (or host_env) is set in the environment, named after the
 * type ("openai/gpt-4.1-mini"). Zero providers is valid. */
int cfg_load_default(struct cfg *out, cfg_report_fn report, void *ctx);
void cfg_free(struct cfg *c);

/* Lookups used by the router; NULL / -1 when absent. */
int cfg_provider_index(const struct cfg *c, const char *name, size_t len);
const struct cfg_route *cfg_route_find(const struct cfg *c, const char *name, size_t len);
/* The target id of "provider/model" (a slice, split at the first '/'):
 * its own id when a route or target section names it, else the provider's
 * "other" bucket (cfg.providers[p].other_tid; targets_all[id].other is
 * set). -1 when the provider is unknown or the text is not provider/model.
 * Constant time in the number of targets; no allocation. */
int cfg_target_find(const struct cfg *c, const char *name, size_t len);
/* The same for a provider index and a model (slice). -1: bad provider. */
int cfg_target_id(const struct cfg *c, unsigned provider, const char *model, size_t len);
/* Whether client cl may use model (a route name or "provider/model"). */
int cfg_client_allows(const struct cfg_client *cl, const char *model, size_t len);

/* url_hostport and url_parse (url.h), under the names callers knew. */
static inline int cfg_parse_hostport(const char *s, char *host, size_t hostlen, unsigned short *port)
{
	return url_hostport(s, host, hostlen, port);
}
static inline int cfg_parse_url(const char *s, struct cfg_url *u, char *err, size_t errlen)
{
	return url_parse(s, u, err, errlen);
}

#endif
