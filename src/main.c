/*
 * main.c - llmgw's entry point: arguments, configuration, start-up of every
 * pool (all memory is allocated here, before the first request), signals,
 * and the event loop.
 *
 *   llmgw [-c FILE]        run (default config: /etc/llmgw/llmgw.conf if it
 *                          exists, else the embedded default)
 *   llmgw -t [-c FILE]     check the configuration and exit
 *   llmgw keygen           print a new client key and its key_sha256 line
 *   llmgw certgen ...      make a key and self-signed certificate (certgen.h)
 *
 * Reload (SIGHUP): a new configuration replaces the running one when it
 * has no error; requests in flight finish under the one they began with.
 * TLS listeners load their certificate and key again (server.c), so a
 * certificate renewed by acme.sh or certbot needs only a SIGHUP.
 *
 * Features left out at build time (options.h) are skipped here behind
 * constant conditions (LLMGW_USAGE: totals, limits and their file;
 * LLMGW_PROBES: the probes), and `llmgw -V` names them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fmt.h"
#include "auth.h"
#include "certgen.h"
#include "gw.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "probe.h"
#include "usage.h"
#include "util.h"
#include "port.h"
#include "tls.h"



/* The runtime: the current configuration and the gateway's counters,
 * here where the program starts; every module reads gw.cfg. */
struct gw gw;

static int sig_pipe[2] = { -1, -1 };
static struct loop_fd sig_watch;
static struct loop_timer stop_timer;
static struct loop_timer flush_timer;
static struct usage_names unames;
static const char **name_mem;

/* The names usage totals are saved under (see usage.h), built once. */
static int usage_setup(const struct cfg *cfg)
{
	unsigned n = cfg->nclients + cfg->ntargets_all + cfg->nroutes;
	name_mem = calloc(n ? n : 1, sizeof *name_mem);
	if (!name_mem || usage_init(cfg->nclients, cfg->ntargets_all, cfg->nroutes) < 0)
		return -1;
	const char **c = name_mem, **t = c + cfg->nclients, **r = t + cfg->ntargets_all;
	for (unsigned i = 0; i < cfg->nclients; i++) {
		c[i] = cfg->clients[i].name;
		const struct cfg_client *cl = &cfg->clients[i];
		usage_set_limits((int)i, cl->rpm, cl->tpm, cl->daily_usd, cl->monthly_usd);
	}
	for (unsigned i = 0; i < cfg->ntargets_all; i++)
		t[i] = cfg->targets_all[i].name;
	for (unsigned i = 0; i < cfg->nroutes; i++)
		r[i] = cfg->routes[i].name;
	unames = (struct usage_names){ c, cfg->nclients, t, cfg->ntargets_all, r, cfg->nroutes };
	char err[256] = "";
	unsigned dropped = 0;
	/* Start-up may create the state directory (its parent must exist). */
	if (mkdir(cfg->gw.state_dir, 0750) < 0 && errno != EEXIST)
		log_warnx("state_dir %s: %s; usage totals will not survive a restart", cfg->gw.state_dir, strerror(errno));
	if (usage_load(cfg->gw.state_dir, &unames, &dropped, err, sizeof err) < 0)
		log_warnx("usage totals in %s not restored: %s", cfg->gw.state_dir, err);
	else if (dropped)
		log_info("usage totals: %u records for names no longer configured were dropped", dropped);
	return 0;
}

static void usage_flush(void)
{
	static char last[256];	/* the same failure is logged once, not every flush */
	char err[256] = "";
	if (!LLMGW_USAGE)
		return;
	if (usage_save(gw.cfg->gw.state_dir, &unames, (int64_t)time(NULL), err, sizeof err) < 0) {
		if (strcmp(err, last) != 0)
			log_warnx("saving usage totals to %s: %s", gw.cfg->gw.state_dir, err);
		fmt_snprintf(last, sizeof last, "%s", err);
	} else if (last[0]) {
		log_info("usage totals saved to %s again", gw.cfg->gw.state_dir);
		last[0] = 0;
	}
}

static void on_flush_timer(struct loop_timer *t)
{
	usage_flush();
	loop_timer_set(t, gw.cfg->gw.flush_interval_ms, on_flush_timer);
}

/* printf to a file descriptor through fmt.c (no stdio printf in llmgw). */
static void usage(int fd)
{
	fd_say(fd, "usage: llmgw [-c FILE]       run the gateway\n"
		   "       llmgw -t [-c FILE]    check the configuration and exit\n"
		   "       llmgw keygen          print a new client key and its key_sha256 line\n"
		   "       llmgw certgen --host NAME [--ip ADDRESS] [--out DIR]\n"
		   "                             make a TLS key and self-signed certificate\n"
		   "       llmgw -V              print the version\n");
}

/* A bad command line: getopt's complaint when what is set, word for word
 * as musl's getopt writes it (argv[0] whole, then the option character
 * at opt),
 * then the usage. Returns main's exit code. */
static int bad_usage(const char *argv0, const char *what, const char *opt)
{
	if (what) {
		fd_write_all(2, argv0, strlen(argv0));
		fd_say(2, ": %s: %c\n", what, *opt);
	}
	usage(2);
	return 2;
}

/* The features this build was made without (options.h), for -V. */
static void print_left_out(void)
{
	static const struct {
		int off;
		const char *name;
	} sw[] = {
		{ !LLMGW_DIALECT_GEMINI, "DIALECT_GEMINI" },
		{ !LLMGW_DIALECT_ANTHROPIC, "DIALECT_ANTHROPIC" },
		{ !LLMGW_STATUS_PAGE, "STATUS_PAGE" },
		{ !LLMGW_METRICS, "METRICS" },
		{ !LLMGW_PROBES, "PROBES" },
		{ !LLMGW_USAGE, "USAGE" },
		{ !LLMGW_SYSLOG, "SYSLOG" },
		{ !LLMGW_TLS, "TLS" },
		{ !LLMGW_TLS_RSA, "TLS_RSA" },
		{ !LLMGW_TLS_X25519, "TLS_X25519" },
		{ !LLMGW_TLS_P256_M31, "TLS_P256_M31" },
		{ !LLMGW_CERTGEN, "CERTGEN" },
		{ !LLMGW_TLS_LISTEN, "TLS_LISTEN" },
		{ !LLMGW_SECCOMP, "SECCOMP" },
	};
	int n = 0;
	for (size_t i = 0; i < sizeof sw / sizeof sw[0]; i++)
		if (sw[i].off)
			fd_say(1, "%s LLMGW_%s=0", n++ ? "" : "built without:", sw[i].name);
	if (n)
		fd_say(1, "\n");
}

/* "N providers, N routes, N clients", for the start-up and reload lines
 * (a static buffer: one use at a time). */
static const char *counts(const struct cfg *c)
{
	static char b[64];
	fmt_snprintf(b, sizeof b, "%u providers, %u routes, %u clients", c->nproviders, c->nroutes, c->nclients);
	return b;
}

static void report(void *ctx, const char *path, int line, const char *msg)
{
	int *count = ctx;
	(*count)++;
	if (line > 0)
		fd_say(2, "%s:%d: %s\n", path, line, msg);
	else
		fd_say(2, "%s: %s\n", path, msg);
}

/* llmgw -t: the TLS listeners' certificates and keys load (the daemon
 * reads them at start-up and on each reload). Returns the errors said. */
static int check_listen_files(const struct cfg *cfg)
{
	int errors = 0;
	for (unsigned k = 0; LLMGW_TLS_LISTEN && k < cfg->nlistens; k++) {
		const struct cfg_listen *ls = &cfg->listens[k];
		char why[256];
		struct tls_creds *c = ls->tls_cert ? tls_creds_load(ls->tls_cert, ls->tls_key, why, sizeof why) : NULL;
		if (ls->tls_cert && !c) {
			fd_say(2, "%s:%d: listen '%s': %s\n", cfg->path, ls->line, ls->address, why);
			errors++;
		}
		tls_creds_put(c);
	}
	return errors;
}

static int keygen(void)
{
	char key[128], hex[65];
	if (auth_keygen(key, sizeof key) < 0) {
		fd_say(2, "llmgw: keygen: no random source\n");
		return 1;
	}
	auth_sha256_hex(key, strlen(key), hex);
	fd_say(1, "key: %s\noption key_sha256 '%s'\n", key, hex);
	explicit_bzero(key, sizeof key);
	return 0;
}

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	ssize_t r = write(sig_pipe[1], &b, 1);
	(void)r;
	errno = saved;
}

static void reload(void);

static void on_stop_deadline(struct loop_timer *t)
{
	log_warnx("shutdown_timeout reached with %u requests in flight; exiting", gw.nactive);
	loop_stop();
}

static void on_sig_readable(struct loop_fd *w, unsigned ev)
{
	unsigned char b[16];
	ssize_t n = read(w->fd, b, sizeof b);
	for (ssize_t i = 0; i < n; i++) {
		if (b[i] == SIGTERM || b[i] == SIGINT) {
			if (gw.stopping)
				continue;
			log_info("stopping: %u requests in flight", gw.nactive);
			loop_timer_set(&stop_timer, gw.cfg->gw.shutdown_timeout_ms, on_stop_deadline);
			server_stop();
		} else if (b[i] == SIGHUP && !gw.stopping) {
			reload();
		}
	}
}

static int setup_signals(void)
{
	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	loop_fd_init(&sig_watch);
	return loop_add(&sig_watch, sig_pipe[0], LOOP_IN, on_sig_readable);
}

static int load_config(const char *path, struct cfg *cfg, cfg_report_fn fn, int *errors)
{
	*errors = 0;
	if (path)
		cfg_load_file(path, cfg, fn, errors);
	else if (access(CFG_DEFAULT_PATH, F_OK) == 0)
		cfg_load_file(CFG_DEFAULT_PATH, cfg, fn, errors);
	else
		cfg_load_default(cfg, fn, errors);
	return *errors;
}

static int tls_ready;

/* TLS for cfg's https providers, when it has some and TLS is not set up
 * yet (a reload may bring the first one). -1 with a message in err. */
static int tls_setup(const struct cfg *cfg, char *err, size_t errlen)
{
	unsigned i = 0;
	while (i < cfg->nproviders && !cfg->providers[i].url.tls)
		i++;
	if (tls_ready || i == cfg->nproviders)
		return 0;
	struct tls_options to = { .ca_file = cfg->gw.ca_file, .max_clients = gw_upstream_slots(cfg) };
	if (tls_init(&to, err, errlen) < 0)
		return -1;
	tls_ready = 1;
	return 0;
}

/* ---- configurations alive: the current one, and replaced ones still
 * serving requests that started under them ---- */

#define MAX_HELD 8

static struct holder {
	struct cfg *cfg;
	unsigned gen;
	unsigned refs;
	int retired;
} held[MAX_HELD];
static const char *cfg_path;

/* The holder of c (NULL: a free slot), or NULL if there is none. */
static struct holder *holder_of(const struct cfg *c)
{
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (held[i].cfg == c)
			return &held[i];
	return NULL;
}

/* The holder of generation gen (one at most: each reload takes a new
 * one), or NULL. */
static struct holder *holder_gen(unsigned gen)
{
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (held[i].cfg && held[i].gen == gen)
			return &held[i];
	return NULL;
}

static void holder_drop(struct holder *h)
{
	cfg_free(h->cfg);
	free(h->cfg);
	memset(h, 0, sizeof *h);
}

static void holders_free(void)
{
	for (unsigned i = 0; i < MAX_HELD; i++)
		if (held[i].cfg)
			holder_drop(&held[i]);
}

void gw_cfg_hold(unsigned gen)
{
	struct holder *h = holder_gen(gen);
	if (h)
		h->refs++;
}

void gw_cfg_release(unsigned gen)
{
	struct holder *h = holder_gen(gen);
	if (h && h->refs > 0 && --h->refs == 0 && h->retired)
		holder_drop(h);
}

/* Health, usage and metrics tables, sized by the configuration. */
static int tables_setup(const struct cfg *cfg)
{
	const struct cfg_gateway *g = &cfg->gw;
	struct health_options ho = {
		.failures = g->breaker_failures,
		.ratio = g->breaker_ratio > 0 ? g->breaker_ratio : 2.0,
		.min_requests = g->breaker_min_requests,
		.window_ms = g->breaker_window_ms,
		.cooldown_ms = g->breaker_cooldown_ms,
		.cooldown_max_ms = g->breaker_max_cooldown_ms,
		.probe_interval_ms = g->probe_interval_ms,
		.probe_interval_open_ms = g->probe_interval_open_ms,
	};
	if (health_init(cfg->ntargets_all, &ho) < 0 || (LLMGW_USAGE && usage_setup(cfg) < 0) ||
	    metrics_init(cfg->ntargets_all) < 0) {
		log_error("out of memory for %u targets", cfg->ntargets_all);
		return -1;
	}
	for (unsigned r = 0; LLMGW_USAGE && r < cfg->nroutes; r++)	/* no prices without usage */
		for (unsigned k = 0; k < cfg->routes[r].ntargets; k++) {
			const struct cfg_tinfo *t = &cfg->targets_all[cfg->routes[r].targets[k].tid];
			if (!t->priced)
				log_warnx("route %s: target %s has no known price%s; set input_usd_per_mtok and "
					  "output_usd_per_mtok in a target section", cfg->routes[r].name, t->name,
					  cfg->routes[r].strategy == CFG_STRATEGY_CHEAPEST ? " and is never picked by cheapest" :
					  ": its cost is not counted");
		}
	return 0;
}

static void report_log(void *ctx, const char *path, int line, const char *msg)
{
	int *count = ctx;
	(*count)++;
	log_error("reload: %s:%d: %s", path, line, msg);
}

/* What a reload cannot change (the pools and buffers sized at start-up,
 * the listeners, the trust anchors) keeps its running value. */
static void keep_startup_limits(const struct cfg *old, struct cfg *n)
{
	struct cfg_gateway *g = &n->gw;
	const struct cfg_gateway *o = &old->gw;
	/* max_connections .. max_response_bytes: six unsigned in a row. */
	enum { LIMITS = offsetof(struct cfg_gateway, max_response_bytes) + sizeof(unsigned) -
		 offsetof(struct cfg_gateway, max_connections) };
	_Static_assert(LIMITS == 6 * sizeof(unsigned), "the start-up limits are contiguous");
	if (memcmp(&g->max_connections, &o->max_connections, LIMITS) != 0)
		log_warnx("reload: connection, request and buffer limits take effect only after a restart");
	int listen_changed = g->nlisten != o->nlisten;
	for (unsigned i = 0; !listen_changed && i < g->nlisten; i++)
		listen_changed = strcmp(g->listen[i], o->listen[i]) != 0;
	if (listen_changed || strcmp(g->ca_file, o->ca_file) != 0)
		log_warnx("reload: listen addresses and ca_file take effect only after a restart");
	memcpy(&g->max_connections, &o->max_connections, LIMITS);
	if (g->max_tls_connections != o->max_tls_connections)
		log_warnx("reload: max_tls_connections takes effect only after a restart");
	g->max_tls_connections = o->max_tls_connections;
}

/* SIGHUP: the new configuration replaces the running one if it has no
 * error; connections stay open, requests in flight finish under the
 * configuration they started with. */
static void reload(void)
{
	struct holder *slot = holder_of(NULL);
	if (!slot) {
		log_error("reload refused: too many earlier configurations still serve requests; try again");
		return;
	}
	struct cfg *n = calloc(1, sizeof *n);
	int errors = 0;
	if (!n || load_config(cfg_path, n, report_log, &errors)) {
		log_error("reload refused: %d error%s in the configuration; the running configuration stays",
			  errors, errors == 1 ? "" : "s");
		free(n);
		return;
	}
	struct cfg *old = (struct cfg *)gw.cfg;
	keep_startup_limits(old, n);
	usage_flush();			/* the totals, under the old names */
	free(name_mem);
	name_mem = NULL;
	if (LLMGW_PROBES)
		probe_free();
	gw.gen++;
	gw.reloads++;
	gw.cfg = n;
	*slot = (struct holder){ n, gw.gen, 0, 0 };
	if (tables_setup(n) < 0)
		log_error("reload: health and usage tables could not be set up");
	upstream_reconfigure();
	server_reconfigure(n);
	if (LLMGW_PROBES && probe_init() < 0)
		log_error("reload: probes could not be set up");
	char err[256];
	if (tls_setup(n, err, sizeof err) < 0)
		log_error("reload: TLS: %s (https providers will fail)", err);
	log_setup(n->gw.log_level, n->gw.syslog, "llmgw");
	struct holder *h = holder_of(old);
	if (h) {
		h->retired = 1;
		if (h->refs == 0)
			holder_drop(h);
	}
	log_info("configuration reloaded: %s", counts(n));
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int test_only = 0;
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen();
	if (argc >= 2 && strcmp(argv[1], "certgen") == 0) {
		if (!LLMGW_CERTGEN) {
			fd_say(2, "llmgw: certgen: this llmgw was built without it (LLMGW_CERTGEN=0)\n");
			return 2;
		}
		return certgen_main(argc - 2, argv + 2);
	}
	/* getopt(argc, argv, "c:thV") by hand (musl's getopt brings its
	 * stdio error path, about 3 KB): grouped flags (-tc FILE), -cFILE,
	 * "--" ends the options, the first non-option stops them. */
	int i = 1;
	const char *what = NULL, *a = NULL;
	for (; i < argc && argv[i] && argv[i][0] == '-' && argv[i][1]; i++) {
		a = argv[i] + 1;
		if (a[0] == '-' && !a[1]) {
			i++;
			break;
		}
		for (; *a; a++) {
			switch (*a) {
			case 'c':
				if (a[1]) {
					path = a + 1;
				} else if (i + 1 < argc) {
					path = argv[++i];
				} else {
					what = "option requires an argument";
					goto bad;
				}
				break;
			case 't': test_only = 1; continue;
			case 'V': fd_say(1, "llmgw %s\n", LLMGW_VERSION); print_left_out(); return 0;
			case 'h': usage(1); return 0;
			default:
				what = "unrecognized option";
				goto bad;
			}
			break;	/* -c took the rest */
		}
	}
	if (i < argc) {
bad:		/* what: set with a at the bad option character */
		return bad_usage(argv[0], what, a);
	}

	cfg_path = path;
	port_no_core_dumps();	/* before the keys are read */
	struct cfg *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return 1;
	int errors = 0;
	load_config(path, cfg, report, &errors);
	if (errors) {
		fd_say(2, "llmgw: %d error%s in the configuration\n", errors, errors == 1 ? "" : "s");
		free(cfg);
		return 1;
	}
	if (test_only) {
		errors = check_listen_files(cfg);
		if (errors)
			fd_say(2, "llmgw: %d error%s in the configuration\n", errors, errors == 1 ? "" : "s");
		else
			fd_say(1, "%s: configuration OK (%s)\n", cfg->path, counts(cfg));
		cfg_free(cfg);
		free(cfg);
		return errors ? 1 : 0;
	}

	log_setup(cfg->gw.log_level, cfg->gw.syslog, "llmgw");
	gw.cfg = cfg;
	held[0] = (struct holder){ cfg, 0, 0, 0 };	/* freed by holders_free() on every way out */
	char err[256] = "";
	const struct cfg_gateway *g = &cfg->gw;
	unsigned max_fds = g->max_connections + gw_upstream_slots(cfg) + MAX_LISTEN_FDS + 16;
	unsigned max_timers = g->max_connections + gw_upstream_slots(cfg) + 2 * 16 + 64;	/* + dns lookups */
	int rc = 1;
	if (loop_init(max_fds, max_timers) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (setup_signals() < 0) {
		log_error("signals: %s", strerror(errno));
		goto out;
	}
	/* what: the prefix of err when a step below fails. */
	what = "TLS: ";
	if (tls_setup(cfg, err, sizeof err) < 0)
		goto fail;
	struct dns_options dopt = { 0 };
	dopt.resolv_conf = g->resolv_conf;
	dopt.hosts_file = g->hosts_file;
	dopt.servers = g->nnameservers ? g->nameservers : NULL;
	what = "DNS: ";
	if (dns_init(&dopt, err, sizeof err) < 0)
		goto fail;
	gw.start_unix = (long long)time(NULL);
	if (tables_setup(cfg) < 0)
		goto out;
	if (upstream_init(cfg) < 0 || server_init(cfg) < 0 || (LLMGW_PROBES && probe_init() < 0)) {
		log_error("out of memory for %u connections and %u requests in flight", g->max_connections, g->max_inflight);
		goto out;
	}
	what = "";
	if (server_listen(cfg, err, sizeof err) < 0 || (g->user && port_drop_privileges(g->user, err, sizeof err) < 0))
		goto fail;
	port_no_core_dumps();	/* again: a uid change resets it to fs.suid_dumpable */
	what = "seccomp: ";
	int filtered = LLMGW_SECCOMP ? port_seccomp(err, sizeof err) : 1;
	if (filtered < 0)
		goto fail;
	if (filtered == 0)
		log_info("seccomp: system call filter installed");
	else if (LLMGW_SECCOMP)
		log_warnx("seccomp: %s; running without the system call filter", err);
	loop_timer_init(&stop_timer);
	loop_timer_init(&flush_timer);
	if (LLMGW_USAGE)
		loop_timer_set(&flush_timer, g->flush_interval_ms, on_flush_timer);
	log_info("llmgw %s ready: %s (%s)", LLMGW_VERSION, counts(cfg), cfg->path);
	if (cfg->nproviders == 0)
		log_warnx("no providers configured: set OPENAI_API_KEY (or another provider's key) or add a provider section");
	loop_run();
	usage_flush();
	log_info("stopped after %llu requests", gw.requests);
	rc = 0;
	goto out;
fail:
	log_error("%s%s", what, err);
out:
	if (LLMGW_PROBES)
		probe_free();
	server_free();
	if (LLMGW_TLS_LISTEN)
		tls_server_free();
	upstream_free();
	dns_free();
	tls_free();
	loop_free();
	if (sig_pipe[0] >= 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
	}
	if (LLMGW_USAGE)
		usage_free();
	health_free();
	metrics_free();
	free(name_mem);
	holders_free();
	return rc;
}
