"""HTTP/1.1 on the client side: keep-alive, limits, timeouts, chunked
request bodies, Expect: 100-continue, malformed input, the Host rule,
pipelining."""

import json
import time

from harness import (Client, build_request, chat_body, chat_content, check, check_error, reply_for, test)


@test(timeout=30)
def keepalive_20_requests(ctx):
	mock, gw = ctx.standard()
	with Client(gw.port) as c:
		for i in range(20):
			msg = "ka %d" % i
			r = c.call("POST", "/v1/chat/completions", chat_body("fast", msg))
			check(r.status == 200, "request %d: %s" % (i, r.describe()))
			check(chat_content(r) == reply_for(msg), "request %d: content %r" % (i, chat_content(r)))
			check(not r.eof, "server closed the connection after request %d" % i)
			check((r.header("connection") or "").lower() != "close", "Connection: close on request %d" % i)


@test()
def header_too_large_431(ctx):
	mock, gw = ctx.standard()
	with Client(gw.port) as c:
		c.request("POST", "/v1/chat/completions", chat_body("fast"), {"X-Big": "a" * (17 * 1024)})
		r = c.read_response()
	check_error(r, 431, what="17 KB header")
	# Several headers adding up to more than 16 KB, too.
	hs = [("X-H%d" % i, "b" * 500) for i in range(36)]
	with Client(gw.port) as c:
		c.request("GET", "/healthz", None, hs)
		r = c.read_response("GET")
	check_error(r, 431, what="36 headers of 500 bytes")
	# Just under the limit is fine.
	with Client(gw.port) as c:
		r = c.call("GET", "/healthz", None, {"X-Big": "c" * (15 * 1024)})
	check(r.status == 200, "a 15 KB head: %s" % r.describe())
	check(mock.stats().get("chat", 0) == 0, "an oversized request reached the provider")


@test()
def too_many_headers(ctx):
	# More header lines than the parser holds, in a head under
	# max_header_kb: too large (431, RFC 6585), not malformed, and a close.
	mock, gw = ctx.standard()
	hs = [("X-H%d" % i, "v") for i in range(300)]
	with Client(gw.port) as c:
		c.request("GET", "/healthz", None, hs)
		r = c.read_response("GET")
		check_error(r, 431, what="300 headers (4 KB)")
		check(c.closed_by_server(3), "connection not closed after the error")
	r = Client(gw.port).call("GET", "/healthz")
	check(r.status == 200, "healthz afterwards: %s" % r.describe())


@test()
def hundred_headers_served(ctx):
	# A browser with cookies or an SDK with its x-stainless-* headers can
	# send many fields: a head is limited by its size, and 100 fields of a
	# few bytes each are served.
	mock, gw = ctx.standard()
	hs = [("X-Stainless-H%d" % i, "value-%d" % i) for i in range(100)]
	with Client(gw.port) as c:
		r = c.call("POST", "/v1/chat/completions", chat_body("fast", "many headers"), hs)
		check(r.status == 200 and chat_content(r) == reply_for("many headers"), "100 headers: %s" % r.describe())
		r = c.call("GET", "/healthz", None, hs)
		check(r.status == 200, "100 headers, keep-alive: %s" % r.describe())


@test()
def host_header_rule(ctx):
	# RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with
	# two, or with a Host that is not a host[:port], is a 400.
	mock, gw = ctx.standard()
	for raw, what in ((b"GET /healthz HTTP/1.1\r\n\r\n", "HTTP/1.1 without Host"),
			(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Host headers"),
			(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: a\r\n\r\n", "the same Host twice"),
			(b"GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.0 with two Host headers"),
			(b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", "a Host with a blank"),
			(b"GET /healthz HTTP/1.1\r\nHost: evil.example/x\r\n\r\n", "a Host with a path")):
		with Client(gw.port) as c:
			c.send(raw)
			c.settimeout(5)
			r = c.read_response("GET")
			msg = check_error(r, 400, what=what)
			check("Host" in msg, "%s: the message does not name Host: %r" % (what, msg))
			check(c.closed_by_server(3), "%s: connection not closed after the 400" % what)
	# HTTP/1.0 may leave Host out; an IP literal with a port is a host.
	for raw in (b"GET /healthz HTTP/1.0\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"):
		with Client(gw.port) as c:
			c.send(raw)
			r = c.read_response("GET")
			check(r.status == 200, "%r: %s" % (raw, r.describe()))
	check(mock.stats().get("chat", 0) == 0, "a refused request reached the provider")


@test()
def body_too_large_413(ctx):
	mock, gw = ctx.standard(gateway=[("option", "max_body_kb", "1")])
	big = chat_body("fast", "x" * 2000)
	with Client(gw.port) as c:
		c.request("POST", "/v1/chat/completions", big)
		r = c.read_response()
	check_error(r, 413, what="2 KB body with max_body_kb 1")
	# Chunked bodies count too.
	data = json.dumps(big).encode()
	with Client(gw.port) as c:
		c.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			b"Transfer-Encoding: chunked\r\n\r\n")
		for i in range(0, len(data), 500):
			part = data[i:i + 500]
			try:
				c.send(b"%x\r\n%s\r\n" % (len(part), part))
			except OSError:
				break
		try:
			c.send(b"0\r\n\r\n")
		except OSError:
			pass
		r = c.read_response()
	check_error(r, 413, what="chunked 2 KB body")
	# Just under the limit passes.
	r = Client(gw.port).call("POST", "/v1/chat/completions", chat_body("fast", "y" * 700))
	check(r.status == 200, "a body under the limit: %s" % r.describe())
	check(mock.stats().get("chat", 0) == 1, "chat count %r, want 1" % mock.stats().get("chat"))


@test()
def slow_client_408(ctx):
	mock, gw = ctx.standard(gateway=[("option", "header_timeout", "1s")])
	with Client(gw.port) as c:
		c.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le")
		t0 = time.monotonic()
		c.settimeout(6)
		r = c.read_response()
		dt = time.monotonic() - t0
	check_error(r, 408, what="half a head")
	check(0.7 <= dt <= 4.0, "408 after %.2f s, want about 1 s" % dt)


@test()
def slow_body_408(ctx):
	mock, gw = ctx.standard(gateway=[("option", "header_timeout", "1s")])
	body = json.dumps(chat_body("fast")).encode()
	with Client(gw.port) as c:
		c.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			b"Content-Length: %d\r\n\r\n%s" % (len(body), body[:10]))
		t0 = time.monotonic()
		c.settimeout(6)
		r = c.read_response()
		dt = time.monotonic() - t0
	check_error(r, 408, what="body stalls")
	check(dt <= 4.0, "408 after %.2f s, want about 1 s" % dt)
	check(mock.stats().get("chat", 0) == 0, "a partial request reached the provider")


@test()
def chunked_request_body(ctx):
	mock, gw = ctx.standard()
	data = json.dumps(chat_body("fast", "chunked hello")).encode()
	parts = [data[:7], data[7:30], data[30:]]
	req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		b"Transfer-Encoding: chunked\r\n\r\n")
	req += b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
	with Client(gw.port) as c:
		c.send(req)
		r = c.read_response()
		check(r.status == 200, "chunked body: %s" % r.describe())
		check(chat_content(r) == reply_for("chunked hello"), "content %r" % chat_content(r))
		# Byte by byte, on the same connection.
		for i in range(len(req)):
			c.send(req[i:i + 1])
		r = c.read_response()
		check(r.status == 200, "chunked body byte by byte: %s" % r.describe())
		check(chat_content(r) == reply_for("chunked hello"), "content %r" % chat_content(r))


@test()
def expect_100_continue(ctx):
	mock, gw = ctx.standard()
	body = json.dumps(chat_body("fast", "after continue")).encode()
	with Client(gw.port) as c:
		c.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
		c.settimeout(3)
		r = c.read_response()
		check(r.status == 100, "want an interim 100 Continue first, got %s" % r.describe())
		c.send(body)
		r = c.read_response()
		check(r.status == 200, "after 100: %s" % r.describe())
		check(chat_content(r) == reply_for("after continue"), "content %r" % chat_content(r))


@test()
def malformed_request_400(ctx):
	mock, gw = ctx.standard()
	for raw in (b"GARBAGE\r\n\r\n", b"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
			b"\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n", b"GET /healthz XTTP/1.1\r\n\r\n",
			b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
			b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
		with Client(gw.port) as c:
			c.send(raw)
			c.settimeout(5)
			r = c.read_response()
			check(r.status == 400, "%r: %s" % (raw, r.describe()))
			check(c.closed_by_server(3), "%r: connection not closed after 400" % raw)
	r = Client(gw.port).call("GET", "/healthz")
	check(r.status == 200, "healthz after malformed requests: %s" % r.describe())


@test()
def pipelined_requests(ctx):
	mock, gw = ctx.standard()
	req = (build_request("POST", "/v1/chat/completions", chat_body("fast", "first"))
		+ build_request("GET", "/healthz")
		+ build_request("POST", "/v1/chat/completions", chat_body("fast", "second")))
	with Client(gw.port) as c:
		c.send(req)
		r1 = c.read_response()
		r2 = c.read_response("GET")
		r3 = c.read_response()
	check(r1.status == 200 and chat_content(r1) == reply_for("first"), "first: %s" % r1.describe())
	check(r2.status == 200 and r2.json() == {"status": "ok"}, "second (healthz): %s" % r2.describe())
	check(r3.status == 200 and chat_content(r3) == reply_for("second"), "third: %s" % r3.describe())


@test()
def http10_and_connection_close(ctx):
	mock, gw = ctx.standard()
	with Client(gw.port) as c:
		c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		r = c.read_response("GET")
		check(r.status == 200, "Connection: close: %s" % r.describe())
		check(c.closed_by_server(3), "server kept a Connection: close connection open")
	with Client(gw.port) as c:
		c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
		r = c.read_response("GET")
		check(r.status == 200, "HTTP/1.0: %s" % r.describe())
		check(c.closed_by_server(3), "server kept an HTTP/1.0 connection open")


@test()
def idle_timeout_closes(ctx):
	mock, gw = ctx.standard(gateway=[("option", "idle_timeout", "1s"), ("option", "header_timeout", "2s")])
	with Client(gw.port) as c:
		r = c.call("GET", "/healthz")
		check(r.status == 200, "healthz: %s" % r.describe())
		t0 = time.monotonic()
		check(c.closed_by_server(4), "an idle keep-alive connection was still open 4 s after its request (idle_timeout 1s)")
		dt = time.monotonic() - t0
		check(0.7 <= dt <= 3.0, "idle connection closed after %.2f s, want about 1 s" % dt)
		check(not c.buf, "the server sent %r on an idle connection" % c.buf[:200])
	# A fresh connection that never sends anything is closed too, by
	# header_timeout (a 408 or a bare close are both fine: no request began).
	with Client(gw.port) as c:
		t0 = time.monotonic()
		check(c.closed_by_server(5), "a silent new connection was still open after 5 s (header_timeout 2s)")
		dt = time.monotonic() - t0
		check(dt <= 3.5, "a silent new connection closed after %.2f s (header_timeout 2s)" % dt)
		check(not c.buf or c.buf.startswith(b"HTTP/1.1 408"), "silent connection got %r" % c.buf[:100])
