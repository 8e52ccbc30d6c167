"""Operations: connection limit, graceful SIGTERM, secrets never leaked,
dropping root, idle memory of the release build."""

import os
import signal
import socket
import time

from harness import (Client, TestSkip, chat, chat_body, chat_content, check, check_error, free_port, get, reply_for,
	rss_kb, stream_parts, test)


@test()
def max_connections_503(ctx):
	mock, gw = ctx.standard(gateway=[("option", "max_connections", "4")])
	held = []
	try:
		for i in range(4):
			c = Client(gw.port)
			held.append(c)
			r = c.call("GET", "/healthz")
			check(r.status == 200, "connection %d: %s" % (i + 1, r.describe()))
		c5 = Client(gw.port, timeout=5)
		held.append(c5)
		# The gateway may answer at once; only send the request if it waits.
		c5.settimeout(0.5)
		try:
			d = c5.sock.recv(65536)
			c5.buf += d
			if not d:
				c5.eof = True
		except socket.timeout:
			c5.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		except ConnectionResetError:
			check(False, "the 5th connection was reset without a 503")
		c5.settimeout(5)
		r = c5.read_response("GET")
		check_error(r, 503, what="5th connection")
		check(r.eof or c5.closed_by_server(2), "the 5th connection was not closed after its 503")
		# The held connections still work, and a slot frees up on close.
		r = held[0].call("GET", "/healthz")
		check(r.status == 200, "held connection after the 503: %s" % r.describe())
		held[1].close()
		time.sleep(0.2)
		r = get(gw.port, "/healthz")
		check(r.status == 200, "new connection after one closed: %s" % r.describe())
	finally:
		for c in held:
			c.close()


@test(timeout=30)
def sigterm_drains_stream(ctx):
	mock, gw = ctx.standard(gateway=[("option", "shutdown_timeout", "5s")])
	c = Client(gw.port, timeout=10)
	ctx.on_cleanup(c.close)
	c.request("POST", "/v1/chat/completions", chat_body("mock/fault:chunks=6,interval_ms=250", "drain me", stream=True))
	state = {"sent": False}

	def on_piece(t, d):
		if not state["sent"]:
			state["sent"] = True
			state["t"] = t
			gw.signal(signal.SIGTERM)
	r = c.read_response(on_piece=on_piece)
	check(state["sent"], "no stream data arrived before SIGTERM")
	content, done, errors, evs = stream_parts(r)
	check(r.status == 200 and not errors, "stream during shutdown: %s" % r.describe())
	check(content == reply_for("drain me"), "stream cut short by SIGTERM: content %r" % content)
	check(done, "the draining stream did not end with [DONE]")
	# New connections are not served once stopping.
	served = False
	try:
		with Client(gw.port, timeout=1) as c2:
			c2.request("GET", "/healthz")
			try:
				r2 = c2.read_response("GET")
				served = r2.status == 200
			except Exception:
				pass
	except OSError:
		pass
	check(not served, "a new connection was served after SIGTERM")
	code = gw.wait(6)
	check(code is not None, "llmgw still running 6 s after SIGTERM (shutdown_timeout 5s)")
	check(code == 0, "llmgw exited %r after SIGTERM, want 0" % code)
	ctx.note("exited %.1f s after SIGTERM" % (time.monotonic() - state["t"]))


@test(timeout=20)
def sigterm_idle_exits(ctx):
	mock, gw = ctx.standard(gateway=[("option", "shutdown_timeout", "10s")])
	c = Client(gw.port)
	ctx.on_cleanup(c.close)
	r = c.call("GET", "/healthz")
	check(r.status == 200, "healthz: %s" % r.describe())
	# An idle keep-alive connection must not hold up the exit.
	t0 = time.monotonic()
	gw.signal(signal.SIGTERM)
	code = gw.wait(5)
	check(code is not None, "llmgw with only an idle connection still running 5 s after SIGTERM")
	check(code == 0, "exit code %r after SIGTERM" % code)
	ctx.note("exited %.2f s after SIGTERM" % (time.monotonic() - t0))


@test(timeout=20)
def root_drops_to_configured_user(ctx):
	"""Started as root with option user 'nobody', llmgw binds its port, then
	runs as nobody: every uid and gid, and nobody's group as the only
	supplementary one. Under `make check TOOLCHAIN=...` this checks the
	target's system call numbers too (qemu-user passes them to the host)."""
	if os.geteuid() != 0:
		raise TestSkip("not running as root")
	mock, gw = ctx.standard(gateway=[("option", "user", "nobody")])
	# The port listens before the drop; an answer means the loop runs, after it.
	r = chat(gw.port, "fast")
	check(r.status == 200, "chat as nobody: %s" % r.describe())
	ids = {}
	with open("/proc/%d/status" % gw.pid) as f:
		for line in f:
			k, _, v = line.partition(":")
			ids[k] = v.split()
	check(ids.get("Uid") == ["65534"] * 4, "Uid after the drop: %r" % ids.get("Uid"))
	check(ids.get("Gid") == ["65534"] * 4, "Gid after the drop: %r" % ids.get("Gid"))
	check(ids.get("Groups") == ["65534"], "supplementary groups after the drop: %r" % ids.get("Groups"))


@test(timeout=30)
def secrets_never_leak(ctx):
	ckey = "llmgw-client-" + ctx.secret[-20:]
	mock, gw = ctx.standard(clients=[("tablet", ckey, [])])
	ok = {"Authorization": "Bearer " + ckey}
	seen = []

	def keep(r):
		seen.append(r.raw_head + b"\r\n\r\n" + r.body)
		return r
	keep(chat(gw.port, "fast", "hi", headers=ok))
	keep(chat(gw.port, "fast", "hi", stream=True, headers=ok))
	keep(chat(gw.port, "mock/fault:status=429,retry_after=1", headers=ok))
	keep(chat(gw.port, "mock/fault:html502", headers=ok))
	keep(chat(gw.port, "mock/fault:reset", headers=ok))
	keep(chat(gw.port, "mock/fault:chunks=4,truncate_after=2", stream=True, headers=ok))
	keep(chat(gw.port, "nope", headers=ok))
	keep(chat(gw.port, "fast", headers={"Authorization": "Bearer " + ckey + "-wrong"}))
	keep(chat(gw.port, "fast", headers={"Authorization": "Bearer " + ctx.secret}))
	keep(get(gw.port, "/v1/models", headers=ok))
	keep(get(gw.port, "/nope", headers=ok))
	# A provider that rejects the key: the gateway relays the error, not the key.
	with Client(gw.port) as c:
		keep(c.call("POST", "/v1/chat/completions", b"{bad json " + ckey.encode(),
			{"Authorization": "Bearer " + ckey, "Content-Type": "application/json"}))
	gw.stop()
	blob = b"\n".join(seen)
	for what, s in (("provider key", ctx.secret), ("client key", ckey)):
		check(s.encode() not in blob, "the %s appears in a response" % what)
		check(s not in gw.stderr(), "the %s appears in llmgw's log" % what)
	# Partial leaks (a log printing a prefix of the key) count too.
	check(ctx.secret[8:24] not in gw.stderr(), "part of the provider key appears in llmgw's log")
	check(ctx.secret[8:24].encode() not in blob, "part of the provider key appears in a response")


@test(timeout=30)
def idle_rss_release(ctx):
	mock = ctx.mockprov()
	port = free_port()
	gw = ctx.llmgw(ctx.config(port, providers=[("mock", mock.url, [("list", "model", "mock-1")])],
		routes=[("fast", ["mock/mock-1"])]), flavor="release")
	for i in range(10):
		r = chat(gw.port, "fast", "rss %d" % i, stream=bool(i % 2))
		check(r.status == 200, "request %d: %s" % (i, r.describe()))
	time.sleep(0.3)
	kb = rss_kb(gw.pid)
	ctx.note("idle VmRSS %d kB" % kb)
	check(kb < 4096, "idle VmRSS %d kB, budget 4096 kB" % kb)


def malloc_run(ctx, mock, rounds, tag):
	"""Runs the release llmgw under malloc_count.so for `rounds` rounds of a
	fixed request mix; returns the allocation count it wrote at exit."""
	import os
	shim = os.path.join(ctx.build, "release", "malloc_count.so")
	check(os.path.exists(shim), "%s is not built" % shim)
	out = ctx.path("malloc-%s.count" % tag)
	port = free_port()
	# Each run keeps its usage totals apart: loading the other run's file
	# would be a (start-up) allocation the other run did not make.
	gw = ctx.llmgw(ctx.config(port, gateway=[("option", "log_level", "info"),
			("option", "state_dir", ctx.path("state-" + tag))],
		providers=[("mock", mock.url, [("list", "model", "mock-1")])],
		routes=[("fast", ["mock/mock-1"])]), flavor="release", name="llmgw-" + tag,
		env={"LD_PRELOAD": shim, "MALLOC_COUNT_FILE": out})
	t_end = time.monotonic() + 20
	for i in range(rounds):
		check(time.monotonic() < t_end, "%d rounds took longer than 20 s" % rounds)
		r = chat(gw.port, "fast", "m%d" % i)
		check(r.status == 200, "chat: %s" % r.describe())
		r = chat(gw.port, "fast", "s%d" % i, stream=True)
		check(r.status == 200, "stream: %s" % r.describe())
		with Client(gw.port) as c:
			for _ in range(3):
				check(c.call("POST", "/v1/chat/completions", chat_body("fast", "k")).status == 200, "keep-alive chat")
			check(c.call("GET", "/v1/models").status == 200, "models")
			check(c.call("GET", "/healthz").status == 200, "healthz")
		check(chat(gw.port, "nope").status == 404, "unknown model")
		check(chat(gw.port, "mock/fault:status=429,retry_after=1").status == 429, "429")
		check(chat(gw.port, "mock/fault:chunks=3,truncate_after=1", stream=True).status == 200, "truncated stream")
	code, killed = gw.stop()
	check(code == 0 and not killed, "llmgw-%s exit %r after SIGTERM" % (tag, code))
	check(os.path.exists(out), "malloc_count.so wrote no count (did llmgw exit through exit()?)")
	with open(out) as f:
		return int(f.read().strip())


@test(timeout=60)
def no_malloc_on_request_path(ctx):
	mock = ctx.mockprov()
	few = malloc_run(ctx, mock, 2, "few")
	many = malloc_run(ctx, mock, 20, "many")
	ctx.note("%d allocations with 2 rounds, %d with 20" % (few, many))
	check(many == few, "%d allocations serving 2 rounds of requests but %d serving 20: "
		"about %.1f per round on the request path" % (few, many, (many - few) / 18.0))
