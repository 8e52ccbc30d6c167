"""The provider side: HTTP errors kept, failures mapped to 502/504, the
connection pool, https with the test CA, and a non-blocking resolver."""

import threading
import time

from harness import (FakeDNS, chat, chat_body, chat_content, check, check_error, free_port, reply_for,
	stream_parts, test, Client)


@test()
def upstream_429_retry_after(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "mock/fault:status=429,retry_after=7")
	check(r.status == 429, "status %s, want 429" % r.describe())
	check(r.header("retry-after") == "7", "Retry-After %r, want '7'" % r.header("retry-after"))
	j = r.json()
	check(isinstance(j.get("error"), dict), "429 body is not the provider's error: %r" % r.body[:300])
	# Streams too: the error comes before any event, so it keeps its status.
	r = chat(gw.port, "mock/fault:status=429,retry_after=3", stream=True)
	check(r.status == 429 and r.header("retry-after") == "3", "stream 429: %s retry-after %r"
		% (r.describe(), r.header("retry-after")))


@test()
def upstream_429_retry_after_ms(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "mock/fault:status=429,retry_after_ms=1500")
	check(r.status == 429, "status %s, want 429" % r.describe())
	check(r.header("retry-after-ms") == "1500", "retry-after-ms %r, want '1500'" % r.header("retry-after-ms"))


@test()
def upstream_500(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "mock/fault:status=500")
	check(r.status == 500, "status %s, want 500" % r.describe())
	r = chat(gw.port, "mock/fault:status=503,retry_after=2")
	check(r.status == 503 and r.header("retry-after") == "2", "503: %s" % r.describe())
	r = chat(gw.port, "fast", "still fine")
	check(r.status == 200 and chat_content(r) == reply_for("still fine"), "after errors: %s" % r.describe())


@test()
def upstream_html502(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "mock/fault:html502")
	check(r.status == 502, "status %s, want 502" % r.describe())
	check((r.header("content-type") or "").startswith("application/json"),
		"an HTML 502 passed through as %r: %r" % (r.header("content-type"), r.body[:200]))
	check_error(r, 502)


@test()
def upstream_reset_502(ctx):
	mock, gw = ctx.standard()
	for spec in ("reset", "delay_ms=100,reset"):
		r = chat(gw.port, "mock/fault:" + spec)
		check_error(r, 502, etype="upstream_error", what=spec)
	r = chat(gw.port, "fast", "after reset")
	check(r.status == 200 and chat_content(r) == reply_for("after reset"), "after resets: %s" % r.describe())
	# A body cut short (non-stream): the head said more bytes would come.
	r = chat(gw.port, "mock/fault:truncate_after=1", "cut body")
	check_error(r, 502, etype="upstream_error", what="truncated non-stream body")


@test()
def upstream_connection_close(ctx):
	# The provider answers with Connection: close each time: the gateway
	# must not reuse those connections.
	mock, gw = ctx.standard()
	for i in range(5):
		r = chat(gw.port, "mock/fault:close", "close %d" % i)
		check(r.status == 200 and chat_content(r) == reply_for("close %d" % i), "request %d: %s" % (i, r.describe()))
	r = chat(gw.port, "fast", "after closes")
	check(r.status == 200 and chat_content(r) == reply_for("after closes"), "after: %s" % r.describe())


@test(timeout=30)
def upstream_stale_pooled_connection(ctx):
	# The provider restarts while llmgw holds an idle pooled connection to
	# it: the next request must not fail (retry on a fresh connection).
	mock, gw = ctx.standard()
	r = chat(gw.port, "fast", "before restart")
	check(r.status == 200, "first request: %s" % r.describe())
	mock.proc.stop()
	mock2 = ctx.mockprov(port=mock.port, name="mockprov-restarted")
	for i in range(3):
		r = chat(gw.port, "fast", "after restart %d" % i)
		check(r.status == 200 and chat_content(r) == reply_for("after restart %d" % i),
			"request %d after the provider restarted: %s" % (i, r.describe()))
	check(mock2.stats().get("chat") == 3, "restarted mock saw %r chats" % mock2.stats().get("chat"))


@test()
def upstream_connect_refused_502(ctx):
	port = free_port()
	dead = free_port()
	gw = ctx.llmgw(ctx.config(port, gateway=[("option", "connect_timeout", "2s")],
		providers=[("dead", "http://127.0.0.1:%d" % dead, [])]))
	t0 = time.monotonic()
	r = chat(gw.port, "dead/m")
	dt = time.monotonic() - t0
	check_error(r, 502, etype="upstream_error")
	check(dt < 2.5, "connection refused took %.1f s to report" % dt)


@test(timeout=20)
def upstream_first_byte_timeout_504(ctx):
	mock, gw = ctx.standard(gateway=[("option", "first_byte_timeout", "1s")])
	for stream in (False, True):
		t0 = time.monotonic()
		r = chat(gw.port, "mock/fault:delay_ms=4000", stream=stream, timeout=8)
		dt = time.monotonic() - t0
		check_error(r, 504, what="stream" if stream else "non-stream")
		check(0.8 <= dt <= 3.0, "504 after %.1f s with first_byte_timeout 1s" % dt)
	r = chat(gw.port, "fast", "after timeout")
	check(r.status == 200 and chat_content(r) == reply_for("after timeout"), "after 504: %s" % r.describe())


@test(timeout=40)
def upstream_connection_reuse(ctx):
	mock, gw = ctx.standard()
	n = 50
	t_end = time.monotonic() + 25
	for i in range(n):
		check(time.monotonic() < t_end, "50 requests took longer than 25 s")
		# Half on fresh client connections, half on one keep-alive one:
		# the upstream pool must not depend on the client connection.
		r = chat(gw.port, "fast", "reuse %d" % i) if i % 2 else None
		if r is None:
			if i == 0:
				ka = Client(gw.port)
				ctx.on_cleanup(ka.close)
			r = ka.call("POST", "/v1/chat/completions", chat_body("fast", "reuse %d" % i))
		check(r.status == 200 and chat_content(r) == reply_for("reuse %d" % i), "request %d: %s" % (i, r.describe()))
	st = mock.stats()
	check(st.get("chat") == n, "mockprov saw %r chats, want %d" % (st.get("chat"), n))
	conns = st.get("connections")
	check(isinstance(conns, int), "no 'connections' in /mock/stats: %r" % st)
	# /mock/stats itself costs this test's own connections, not llmgw's.
	ctx.note("%d upstream connections for %d requests" % (conns, n))
	check(conns <= 5, "%d upstream connections for %d sequential requests (want <= 5)" % (conns, n))


@test()
def https_upstream(ctx):
	mock, gw = ctx.standard(tls=True)
	r = chat(gw.port, "fast", "over tls")
	check(r.status == 200 and chat_content(r) == reply_for("over tls"), "https chat: %s" % r.describe())
	r = chat(gw.port, "fast", "tls stream", stream=True)
	content, done, errors, _ = stream_parts(r)
	check(r.status == 200 and done and content == reply_for("tls stream"), "https stream: %s" % r.describe())
	for i in range(5):
		r = chat(gw.port, "fast", "again %d" % i)
		check(r.status == 200, "https request %d: %s" % (i, r.describe()))
	conns = mock.stats().get("connections")
	check(isinstance(conns, int) and conns <= 3, "%r TLS connections for 7 requests" % conns)


def tls_failure(ctx, cert, what):
	mock = ctx.mockprov(tls=True, cert=cert)
	port = free_port()
	gw = ctx.llmgw(ctx.config(port, gateway=[("option", "ca_file", ctx.certs("ca.crt")),
		("option", "connect_timeout", "3s")], providers=[("mock", mock.url, [])]))
	r = chat(gw.port, "mock/m")
	msg = check_error(r, 502, etype="upstream_error", what=what)
	low = msg.lower()
	check(any(w in low for w in ("tls", "certificate", "ssl", "x509", "trust")),
		"%s: the 502 message does not say it is a TLS/certificate problem: %r" % (what, msg))
	check(mock.stats().get("chat", 0) == 0, "%s: the request was sent over an unverified connection" % what)
	return msg


@test()
def https_untrusted_ca_502(ctx):
	tls_failure(ctx, "untrusted", "self-signed server certificate")


@test()
def https_wrong_name_502(ctx):
	tls_failure(ctx, "wrong", "certificate for another name")


@test(timeout=25)
def slow_dns_does_not_stall(ctx):
	dns = FakeDNS({"slow.test": ("127.0.0.1", 2.0), "mock.test": ("127.0.0.1", 0)})
	ctx.on_cleanup(dns.stop)
	mock = ctx.mockprov()
	hosts = ctx.path("hosts")
	resolv = ctx.path("resolv.conf")
	with open(hosts, "w") as f:
		f.write("127.0.0.1 localhost\n")
	with open(resolv, "w") as f:
		f.write("nameserver 127.0.0.1\n")
	port = free_port()
	gw = ctx.llmgw(ctx.config(port, gateway=[("list", "nameserver", "127.0.0.1:%d" % dns.port),
		("option", "hosts_file", hosts), ("option", "resolv_conf", resolv)],
		providers=[("slow", "http://slow.test:%d" % mock.port, []),
			("quick", "http://mock.test:%d" % mock.port, [])]))
	res = {}

	def slow():
		t0 = time.monotonic()
		try:
			res["slow"] = chat(gw.port, "slow/m", "via slow dns", timeout=12)
		except Exception as e:
			res["slow_exc"] = e
		res["slow_dt"] = time.monotonic() - t0
	th = threading.Thread(target=slow, daemon=True)
	th.start()
	# Wait until the slow query is at the resolver, then go through the other.
	deadline = time.monotonic() + 3
	while not any(q[1] == "slow.test" for q in dns.queries) and time.monotonic() < deadline:
		time.sleep(0.01)
	check(any(q[1] == "slow.test" for q in dns.queries), "llmgw never asked the nameserver for slow.test: %r" % dns.queries)
	t0 = time.monotonic()
	r = chat(gw.port, "quick/m", "via quick dns", timeout=5)
	dt = time.monotonic() - t0
	check(r.status == 200 and chat_content(r) == reply_for("via quick dns"), "quick provider: %s" % r.describe())
	r2 = Client(gw.port).call("GET", "/healthz")
	check(r2.status == 200, "healthz while a lookup is slow: %s" % r2.describe())
	ctx.note("quick request took %.0f ms while slow.test was pending" % (dt * 1000))
	check(dt < 0.8, "a request to another provider took %.2f s while a DNS lookup was slow" % dt)
	th.join(10)
	check("slow_exc" not in res, "slow request raised %r" % res.get("slow_exc"))
	rs = res.get("slow")
	check(rs is not None and rs.status == 200 and chat_content(rs) == reply_for("via slow dns"),
		"slow provider request: %s" % (rs.describe() if rs else "none"))
	check(res["slow_dt"] >= 1.8, "the slow request finished in %.2f s, before its DNS answer" % res["slow_dt"])


@test(timeout=30)
def upstream_errors_name_the_provider_not_its_address(ctx):
	"""A connection failure tells the client which provider (its config
	name) and what kind of failure, never the provider's address and port;
	those are for the log."""
	mock, gw = ctx.standard()
	dead = free_port()
	port = free_port()
	gw2 = ctx.llmgw(ctx.config(port, providers=[("deadprov", "http://127.0.0.1:%d" % dead, [])]), name="llmgw2")
	cases = (
		(gw, "mock/fault:reset", False, "mock", mock.port, ("reset",)),
		(gw, "mock/fault:delay_ms=100,reset", False, "mock", mock.port, ("reset",)),
		(gw, "mock/fault:chunks=5,interval_ms=50,reset_after=2", True, "mock", mock.port, ("reset",)),
		(gw2, "deadprov/m", False, "deadprov", dead, ("refused", "connect")),
	)
	for g, model, stream, name, pport, words in cases:
		r = chat(g.port, model, "where", stream=stream)
		if stream:
			errs = stream_parts(r)[2]
			check(errs, "%s: no in-band error: %s" % (model, r.describe()))
			msg = errs[-1]["error"]["message"]
		else:
			msg = check_error(r, 502, etype="upstream_error", what=model)
		check("'%s'" % name in msg, "%s: the message does not name provider '%s': %r" % (model, name, msg))
		check(any(w in msg.lower() for w in words), "%s: the message does not say what failed: %r" % (model, msg))
		check("127.0.0.1" not in msg and str(pport) not in msg,
			"%s: the client sees the provider's address: %r" % (model, msg))
		check("127.0.0.1:%d" % pport in g.stderr(), "%s: the log lost the provider's address" % model)
