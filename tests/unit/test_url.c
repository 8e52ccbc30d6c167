/*
 * test_url.c - unit tests for url.c beyond what test_config.c checks
 * through cfg_parse_url and cfg_parse_hostport: listen addresses into
 * socket addresses, OLLAMA_HOST-style values, host name characters.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "test.h"
#include "url.h"

TEST(test_listen)
{
	struct url_listen l;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&l.addr;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&l.addr;

	CHECK_EQ_INT(url_listen_parse("127.0.0.1:8080", &l), 0);
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 8080 && l.len == sizeof *s4 && !l.any);
	CHECK(ntohl(s4->sin_addr.s_addr) == 0x7f000001);
	CHECK_EQ_INT(url_listen_parse("[::1]:443", &l), 0);
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 443 && l.len == sizeof *s6 && !l.any);
	CHECK(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	CHECK_EQ_INT(url_listen_parse(":8080", &l), 0);
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 8080 && l.any);
	CHECK(IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr));
	CHECK_EQ_INT(url_listen_parse("0.0.0.0:1", &l), 0);
	CHECK(s4->sin_family == AF_INET && !l.any);

	CHECK_EQ_INT(url_listen_parse("localhost:8080", &l), URL_LISTEN_NOT_NUMERIC);
	CHECK_EQ_INT(url_listen_parse("127.0.0.1", &l), URL_LISTEN_NOT_HOSTPORT);
	CHECK_EQ_INT(url_listen_parse("::1:80", &l), URL_LISTEN_NOT_HOSTPORT);
	CHECK_EQ_INT(url_listen_parse("[::1]", &l), URL_LISTEN_NOT_HOSTPORT);
	CHECK_EQ_INT(url_listen_parse("[::1]:0", &l), URL_LISTEN_NOT_HOSTPORT);
	CHECK_EQ_INT(url_listen_parse("1.2.3.4:65536", &l), URL_LISTEN_NOT_HOSTPORT);
	CHECK_EQ_INT(url_listen_parse("", &l), URL_LISTEN_NOT_HOSTPORT);
}

TEST(test_host_env)
{
	struct cfg_url u;
	char err[128];

	CHECK_EQ_INT(url_parse_host_env("gpu-box", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "gpu-box") == 0 && u.port == 11434 && !u.tls && u.prefix[0] == 0);
	CHECK_EQ_INT(url_parse_host_env("gpu-box:8000", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "gpu-box") == 0 && u.port == 8000);
	CHECK_EQ_INT(url_parse_host_env(":9999", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "127.0.0.1") == 0 && u.port == 9999);
	CHECK_EQ_INT(url_parse_host_env("0.0.0.0", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "127.0.0.1") == 0 && u.port == 11434);
	CHECK_EQ_INT(url_parse_host_env("[::]:1", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "::1") == 0 && u.port == 1);
	/* a URL keeps its scheme's port: the default is for bare hosts */
	CHECK_EQ_INT(url_parse_host_env("https://h/v1", 11434, &u, err, sizeof err), 0);
	CHECK(strcmp(u.host, "h") == 0 && u.port == 443 && u.tls);
	CHECK_EQ_INT(url_parse_host_env("h", 0, &u, err, sizeof err), 0);
	CHECK(u.port == 80);

	CHECK_EQ_INT(url_parse_host_env("h:0", 11434, &u, err, sizeof err), -1);
	CHECK(strcmp(err, "bad port (1-65535)") == 0);
	CHECK_EQ_INT(url_parse_host_env("ftp://h", 11434, &u, err, sizeof err), -1);
	CHECK(strcmp(err, "unsupported scheme (use http:// or https://)") == 0);
	static char big[700];
	memset(big, 'a', sizeof big - 1);
	CHECK_EQ_INT(url_parse_host_env(big, 11434, &u, err, sizeof err), -1);
	CHECK(strcmp(err, "too long") == 0);
}

TEST(test_name_chars)
{
	CHECK(url_name_chars_ok("a-b_c.D9", 8));
	CHECK(!url_name_chars_ok("", 0));
	CHECK(!url_name_chars_ok("a b", 3));
	CHECK(!url_name_chars_ok("a/b", 3));
	CHECK(url_name_chars_ok("ab/", 2));	/* only the slice counts */
	CHECK(url_is_ip("10.0.0.1") && url_is_ip("fe80::1") && !url_is_ip("[::1]") && !url_is_ip("host"));
}

int main(void)
{
	test_suite = "url";
	RUN(test_listen);
	RUN(test_host_env);
	RUN(test_name_chars);
	return test_summary();
}
