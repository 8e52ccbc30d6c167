/*
 * url.h - the addresses a configuration names: provider base URLs
 * ("https://host:port/prefix"), OLLAMA_HOST-style host variables, and
 * "host:port" listen and nameserver addresses.
 *
 * Pure text parsing into caller-owned structs and buffers: no allocation,
 * no name lookups, nothing blocks. Hosts are checked, not resolved: a name
 * is letters, digits, '_', '.' and '-'; an IPv6 literal is written in
 * brackets ("[::1]:8080") and may carry a %zone.
 */
#ifndef LLMGW_URL_H
#define LLMGW_URL_H

#include <stddef.h>
#include <sys/socket.h>

/* A provider's base URL. (The name is the configuration's: config.h
 * embeds it in struct cfg_provider.) */
struct cfg_url {
	int tls;			/* https */
	char host[256];			/* name or literal; IPv6 without brackets */
	unsigned short port;		/* defaulted from the scheme */
	char prefix[512];		/* path before the type's chat_path, no trailing '/' */
};

/* Parses an http(s) base URL into u; strips one trailing "/v1" (or
 * Gemini's "/v1beta") and trailing '/'. 0, or -1 with a reason in err
 * (err may be NULL). */
int url_parse(const char *s, struct cfg_url *u, char *err, size_t errlen);

/* An OLLAMA_HOST-style value: "host", "host:port", ":port" (loopback) or
 * a URL. Without a scheme it is http:// and, without a port, port
 * default_port (0: the scheme's). A wildcard host (0.0.0.0, ::) becomes
 * loopback: it says where a server listens, and we are its client.
 * 0, or -1 with a reason in err. */
int url_parse_host_env(const char *val, unsigned short default_port, struct cfg_url *u, char *err, size_t errlen);

/* Parses "host:port", "[v6]:port", ":port" (host ""); the port is 1-65535.
 * 0, or -1 (also when the host does not fit in hostlen). */
int url_hostport(const char *s, char *host, size_t hostlen, unsigned short *port);

/* A listen address: "ip:port", "[v6]:port", or ":port" for every
 * interface (the IPv6 wildcard, which the listener makes dual-stack). */
struct url_listen {
	struct sockaddr_storage addr;	/* family, address and port set */
	socklen_t len;			/* of addr's family */
	int any;			/* ":port" */
};
enum {
	URL_LISTEN_NOT_HOSTPORT = -1,	/* not ip:port, [v6]:port or :port */
	URL_LISTEN_NOT_NUMERIC = -2,	/* the host is a name: listen needs an address */
};
/* Parses spec into l: 0, or one of the URL_LISTEN_ errors above. */
int url_listen_parse(const char *spec, struct url_listen *l);

/* Whether s is a numeric IPv4 or IPv6 address (no brackets, no zone). */
int url_is_ip(const char *s);

/* Whether s[0..n) is a non-empty run of letters, digits, '_', '.' and '-'
 * (the characters of a host name). */
int url_name_chars_ok(const char *s, size_t n);

#endif
