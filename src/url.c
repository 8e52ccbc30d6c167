/*
 * url.c - see url.h.
 */
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include "fmt.h"
#include "url.h"

int url_name_chars_ok(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!(ch >= '0' && ch <= '9') && !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    ch != '_' && ch != '.' && ch != '-')
			return 0;
	}
	return 1;
}

static int hostname_ok(const char *s, size_t n)
{
	return n <= 253 && url_name_chars_ok(s, n);
}

static int parse_port(const char *s, size_t n, unsigned short *port)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(s[i] >= '0' && s[i] <= '9'))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

int url_is_ip(const char *s)
{
	unsigned char a[16];
	return fmt_ip_parse(0, s, a) || fmt_ip_parse(1, s, a);
}

/* An IPv6 literal, optionally with a %zone. */
static int v6_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char addr[16];
	const char *pct = memchr(s, '%', n);
	size_t an = pct ? (size_t)(pct - s) : n;

	if (an == 0 || an >= sizeof buf)
		return 0;
	if (pct) {
		size_t zn = n - an - 1;
		if (zn == 0 || zn > 15 || !hostname_ok(pct + 1, zn))
			return 0;
	}
	memcpy(buf, s, an);
	buf[an] = '\0';
	return fmt_ip_parse(1, buf, addr);
}

int url_hostport(const char *s, char *host, size_t hostlen, unsigned short *port)
{
	const char *h, *colon;
	size_t hn;

	if (!s || !host || hostlen == 0)
		return -1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = s + 1;
		hn = (size_t)(rb - h);
		if (!v6_ok(h, hn))
			return -1;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		h = s;
		hn = (size_t)(colon - s);
		if (hn && !hostname_ok(h, hn))
			return -1;	/* also rejects unbracketed IPv6 */
	}
	if (parse_port(colon + 1, strlen(colon + 1), port) < 0)
		return -1;
	if (hn >= hostlen)
		return -1;
	memcpy(host, h, hn);
	host[hn] = '\0';
	return 0;
}

int url_listen_parse(const char *spec, struct url_listen *l)
{
	char host[256];
	unsigned short port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l->addr;

	memset(l, 0, sizeof *l);
	if (url_hostport(spec, host, sizeof host, &port) < 0)
		return URL_LISTEN_NOT_HOSTPORT;
	if (host[0] == '\0') {
		l->any = 1;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons(port);
		l->len = sizeof *s6;
	} else if (fmt_ip_parse(0, host, &s4->sin_addr)) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		l->len = sizeof *s4;
	} else if (fmt_ip_parse(1, host, &s6->sin6_addr)) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		l->len = sizeof *s6;
	} else {
		return URL_LISTEN_NOT_NUMERIC;
	}
	return 0;
}

/* "://" in s, or NULL. */
static const char *scheme_end(const char *s)
{
	for (; *s; s++)
		if (s[0] == ':' && s[1] == '/' && s[2] == '/')
			return s;
	return NULL;
}

/* Length of the authority part: up to '/', '?', '#' or the end. */
static size_t authority_len(const char *p)
{
	size_t n = 0;
	while (p[n] && p[n] != '/' && p[n] != '?' && p[n] != '#')
		n++;
	return n;
}

enum url_err {
	E_SCHEME, E_NO_SCHEME, E_CREDENTIALS, E_NO_HOST, E_BRACKET, E_BAD_V6, E_AFTER_BRACKET,
	E_V6_BRACKETS, E_HOST_CHAR, E_HOST_LONG, E_PORT, E_QUERY, E_PATH_CHAR, E_PATH_LONG,
};

static const char *const url_errs[] = {
	[E_SCHEME] = "unsupported scheme (use http:// or https://)",
	[E_NO_SCHEME] = "missing scheme (use http:// or https://)",
	[E_CREDENTIALS] = "credentials in the URL are not supported (use key, key_env or key_file)",
	[E_NO_HOST] = "no host",
	[E_BRACKET] = "unterminated '[' in host",
	[E_BAD_V6] = "bad IPv6 address",
	[E_AFTER_BRACKET] = "unexpected text after ']'",
	[E_V6_BRACKETS] = "IPv6 addresses must be in brackets: http://[::1]:8080",
	[E_HOST_CHAR] = "bad character in host name",
	[E_HOST_LONG] = "host name too long",
	[E_PORT] = "bad port (1-65535)",
	[E_QUERY] = "a query or fragment is not allowed in a base URL",
	[E_PATH_CHAR] = "bad character in path (percent-encode it)",
	[E_PATH_LONG] = "path too long",
};

static int fail(enum url_err *e, enum url_err why)
{
	*e = why;
	return -1;
}

/* url_parse, and whether the URL names its port. 0, or -1 with an error. */
static int parse_url(const char *s, struct cfg_url *u, enum url_err *e, int *has_port)
{
	const char *p;

	memset(u, 0, sizeof *u);
	if (strncasecmp(s, "https://", 8) == 0) {
		u->tls = 1;
		u->port = 443;
		p = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		u->port = 80;
		p = s + 7;
	} else {
		return fail(e, scheme_end(s) ? E_SCHEME : E_NO_SCHEME);
	}
	size_t alen = authority_len(p);
	const char *path = p + alen;
	if (memchr(p, '@', alen))
		return fail(e, E_CREDENTIALS);
	if (alen == 0)
		return fail(e, E_NO_HOST);
	const char *h = p, *portp = NULL;
	size_t hn;
	if (p[0] == '[') {
		const char *rb = memchr(p, ']', alen);
		if (!rb)
			return fail(e, E_BRACKET);
		h = p + 1;
		hn = (size_t)(rb - h);
		if (!v6_ok(h, hn))
			return fail(e, E_BAD_V6);
		if (rb + 1 < p + alen) {
			if (rb[1] != ':')
				return fail(e, E_AFTER_BRACKET);
			portp = rb + 2;
		}
	} else {
		const char *colon = memchr(p, ':', alen);
		hn = colon ? (size_t)(colon - p) : alen;
		if (colon && memchr(colon + 1, ':', (size_t)(p + alen - colon - 1)))
			return fail(e, E_V6_BRACKETS);
		if (hn == 0)
			return fail(e, E_NO_HOST);
		if (!hostname_ok(h, hn))
			return fail(e, E_HOST_CHAR);
		if (colon)
			portp = colon + 1;
	}
	if (hn >= sizeof u->host)
		return fail(e, E_HOST_LONG);
	if (portp && parse_port(portp, (size_t)(p + alen - portp), &u->port) < 0)
		return fail(e, E_PORT);
	memcpy(u->host, h, hn);
	u->host[hn] = '\0';

	size_t plen = strlen(path);
	for (size_t i = 0; i < plen; i++) {
		unsigned char ch = (unsigned char)path[i];
		if (ch == '?' || ch == '#')
			return fail(e, E_QUERY);
		if (ch <= 0x20 || ch >= 0x7f)
			return fail(e, E_PATH_CHAR);
	}
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= 3 && memcmp(path + plen - 3, "/v1", 3) == 0)
		plen -= 3;
	else if (plen >= 7 && memcmp(path + plen - 7, "/v1beta", 7) == 0)
		plen -= 7;	/* Gemini's version, which its dialect adds back */
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= sizeof u->prefix)
		return fail(e, E_PATH_LONG);
	memcpy(u->prefix, path, plen);
	u->prefix[plen] = '\0';
	*has_port = portp != NULL;
	return 0;
}

int url_parse(const char *s, struct cfg_url *u, char *err, size_t errlen)
{
	enum url_err e;
	int has_port;

	if (parse_url(s, u, &e, &has_port) == 0)
		return 0;
	if (err && errlen)
		fmt_snprintf(err, errlen, "%s", url_errs[e]);
	return -1;
}

int url_parse_host_env(const char *val, unsigned short default_port, struct cfg_url *u, char *err, size_t errlen)
{
	char buf[600];
	enum url_err e;
	int has_port, has_scheme = scheme_end(val) != NULL;

	if (fmt_snprintf(buf, sizeof buf, "%s%s", has_scheme ? "" : "http://", val) >= (int)sizeof buf) {
		fmt_snprintf(err, errlen, "too long");
		return -1;
	}
	/* ":11434" and "0.0.0.0" are how servers are told to listen; as a
	 * client we reach them on loopback. */
	if (!has_scheme && val[0] == ':')
		fmt_snprintf(buf, sizeof buf, "http://127.0.0.1%s", val);
	if (parse_url(buf, u, &e, &has_port) < 0) {
		fmt_snprintf(err, errlen, "%s", url_errs[e]);
		return -1;
	}
	if (!has_port && !has_scheme && default_port)
		u->port = default_port;
	if (strcmp(u->host, "0.0.0.0") == 0)
		memcpy(u->host, "127.0.0.1", sizeof "127.0.0.1");
	else if (strcmp(u->host, "::") == 0)
		memcpy(u->host, "::1", sizeof "::1");
	return 0;
}
