"""Routes across several targets: failover on provider failures (before any
byte reached the client, streams included), health-based skipping, the
cheapest strategy, client headers, per-key limits, and usage totals that
survive a restart."""

import os
import time

from harness import Client, chat, chat_body, chat_content, check, free_port, get, reply_for, stream_parts, test


def two_providers(ctx, route_opts="", extra="", gateway=(), clients=None, a_args=(), b_args=()):
	"""Providers a and b (two mockprovs) and route 'r' -> a/mock-1, b/mock-1."""
	ma = ctx.mockprov(args=a_args, name="mock-a")
	mb = ctx.mockprov(args=b_args, name="mock-b")
	port = free_port()
	conf = ctx.config(port, gateway, providers=[("a", ma.url, []), ("b", mb.url, [])], routes=[],
		clients=clients)
	conf += "\nconfig route 'r'\n\tlist target 'a/mock-1'\n\tlist target 'b/mock-1'\n" + route_opts + "\n" + extra
	return ma, mb, ctx.llmgw(conf)


def chats(ma):
	return ma.stats().get("chat", 0)


@test(timeout=30)
def failover_on_500(ctx):
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "status=500"))
	r = chat(gw.port, "r", "fo")
	check(r.status == 200 and chat_content(r) == reply_for("fo"), "client saw %s" % r.describe())
	check(r.header("x-llmgw-provider") == "b", "served by %r" % r.header("x-llmgw-provider"))
	check(r.header("x-llmgw-attempts") == "2", "attempts %r" % r.header("x-llmgw-attempts"))
	check(chats(ma) == 1 and chats(mb) == 1, "a saw %d, b saw %d" % (chats(ma), chats(mb)))


@test(timeout=30)
def failover_on_connection_refused(ctx):
	mb = ctx.mockprov(name="mock-b")
	dead = free_port()	# nothing listens there
	port = free_port()
	conf = ctx.config(port, (), providers=[("a", "http://127.0.0.1:%d" % dead, []), ("b", mb.url, [])], routes=[])
	conf += "\nconfig route 'r'\n\tlist target 'a/mock-1'\n\tlist target 'b/mock-1'\n"
	gw = ctx.llmgw(conf)
	r = chat(gw.port, "r", "down")
	check(r.status == 200 and chat_content(r) == reply_for("down"), "client saw %s" % r.describe())
	check(r.header("x-llmgw-provider") == "b", "served by %r" % r.header("x-llmgw-provider"))


@test(timeout=30)
def failover_on_429_and_cooldown(ctx):
	"""A 429 moves to the next target, and the limited target is not tried
	again before its Retry-After."""
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "status=429,retry_after=30"))
	r = chat(gw.port, "r", "one")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "first: %s" % r.describe())
	for i in range(3):
		r = chat(gw.port, "r", "again%d" % i)
		check(r.status == 200 and r.header("x-llmgw-attempts") == "1" and r.header("x-llmgw-provider") == "b",
			"request %d: %s attempts=%r" % (i, r.describe(), r.header("x-llmgw-attempts")))
	check(chats(ma) == 1, "the rate-limited target was tried %d times" % chats(ma))


@test(timeout=30)
def failover_on_bad_200(ctx):
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "html502"))
	r = chat(gw.port, "r", "html")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "html502: %s" % r.describe())
	ma2, mb2, gw2 = two_providers(ctx, a_args=("--fault", "error200"))
	r = chat(gw2.port, "r", "e200")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "error200: %s" % r.describe())


@test(timeout=30)
def stream_error_before_first_token_fails_over(ctx):
	"""A stream that dies before any content: the client sees one clean
	stream from the next target, with no trace of the first."""
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "error_event_after=0"))
	r = chat(gw.port, "r", "pre", stream=True)
	content, done, errors, evs = stream_parts(r)
	check(r.status == 200 and done and not errors, "stream: %s errors=%r" % (r.describe(), errors))
	check(content == reply_for("pre"), "content %r" % content)
	check(r.header("x-llmgw-provider") == "b", "served by %r" % r.header("x-llmgw-provider"))
	roles = sum(1 for _, d in evs if '"role"' in d)
	check(roles == 1, "%d role chunks reached the client" % roles)


@test(timeout=30)
def stream_error_after_tokens_is_in_band(ctx):
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "truncate_after=2"))
	r = chat(gw.port, "r", "mid", stream=True)
	content, done, errors, evs = stream_parts(r)
	check(r.status == 200 and errors and not done, "stream: done=%r errors=%r" % (done, errors))
	check(chats(mb) == 0, "b was tried after tokens went out")


@test(timeout=30)
def all_targets_down(ctx):
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "status=503"), b_args=("--fault", "status=503"))
	r = chat(gw.port, "r", "x")
	check(r.status == 503, "status %d: %r" % (r.status, r.body[:200]))
	check((r.json().get("error") or {}).get("message"), "no error message: %r" % r.body[:200])
	check(r.header("x-llmgw-attempts") == "2", "attempts %r" % r.header("x-llmgw-attempts"))


@test(timeout=30)
def max_attempts_one(ctx):
	ma, mb, gw = two_providers(ctx, route_opts="\toption max_attempts '1'\n", a_args=("--fault", "status=500"))
	r = chat(gw.port, "r", "x")
	check(r.status == 500 and chats(mb) == 0, "status %d, b saw %d" % (r.status, chats(mb)))


@test(timeout=30)
def cheapest_picks_the_cheaper_target(ctx):
	prices = ("config target\n\toption model 'a/mock-1'\n\toption input_usd_per_mtok '5'\n"
		"\toption output_usd_per_mtok '10'\n\toption quality '4'\n\n"
		"config target\n\toption model 'b/mock-1'\n\toption input_usd_per_mtok '0.5'\n"
		"\toption output_usd_per_mtok '1'\n\toption quality '2'\n")
	ma, mb, gw = two_providers(ctx, route_opts="\toption strategy 'cheapest'\n", extra=prices)
	r = chat(gw.port, "r", "cheap")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "cheapest: %s" % r.describe())
	cost = r.header("x-llmgw-cost-usd")
	check(cost is not None and float(cost) > 0, "x-llmgw-cost-usd %r" % cost)
	# A quality floor the cheap target does not meet moves the choice.
	with Client(gw.port) as c:
		r = c.call("POST", "/v1/chat/completions", chat_body("r", "q"), {"x-llmgw-min-quality": "3"})
	check(r.status == 200 and r.header("x-llmgw-provider") == "a", "min quality 3: %s" % r.header("x-llmgw-provider"))
	# And the client may ask for plain fallback order.
	with Client(gw.port) as c:
		r = c.call("POST", "/v1/chat/completions", chat_body("r", "f"), {"x-llmgw-route-strategy": "fallback"})
	check(r.header("x-llmgw-provider") == "a", "fallback header: %r" % r.header("x-llmgw-provider"))


@test(timeout=30)
def client_rpm_limit(ctx):
	key = "llmgw-test-key-rpm"
	ma, mb, gw = two_providers(ctx, clients=[("limited", key, [])],
		extra="")
	# The client section comes from the harness; add its limit by reloading a config with rpm.
	gw.stop()
	conf = open(gw.conf_path).read().replace("config client 'limited'\n", "config client 'limited'\n\toption rpm '2'\n")
	gw2 = ctx.llmgw(conf, name="llmgw2", port=gw.port)
	h = {"Authorization": "Bearer " + key}
	for i in range(2):
		r = chat(gw2.port, "r", "ok%d" % i, headers=h)
		check(r.status == 200, "request %d: %s" % (i, r.describe()))
	r = chat(gw2.port, "r", "over", headers=h)
	check(r.status == 429, "third request: %s" % r.describe())
	check(r.header("retry-after") and int(r.header("retry-after")) >= 1, "Retry-After %r" % r.header("retry-after"))
	check("requests per minute" in r.json()["error"]["message"], "message %r" % r.json()["error"]["message"])


@test(timeout=40)
def usage_totals_survive_restart(ctx):
	ma, mb, gw = two_providers(ctx)
	for i in range(3):
		check(chat(gw.port, "r", "u%d" % i).status == 200, "chat")
	gw.stop()
	state = os.path.join(ctx.dir, "usage.state")
	check(os.path.exists(state), "no usage.state written at SIGTERM")
	text = open(state).read()
	check("a/mock-1" in text, "target totals missing from %r" % text[:300])
	gw2 = ctx.llmgw(open(gw.conf_path).read(), name="llmgw2", port=gw.port)
	n = billed(gw2.port, "a/mock-1")
	check(n == 3, "after the restart the totals say %d requests, want the 3 saved" % n)
	check(chat(gw2.port, "r", "u9").status == 200, "chat after restart")
	n = billed(gw2.port, "a/mock-1")
	check(n == 4, "the restored totals did not go on counting: %d, want 4" % n)


@test(timeout=60)
def breaker_opens_probes_and_closes(ctx):
	"""A dead target: after breaker_failures failures its breaker opens and
	requests go straight to the next target; when it comes back, the
	probes see it and it takes traffic again."""
	mb = ctx.mockprov(name="mock-b")
	dead = free_port()
	port = free_port()
	gwopts = [("option", "breaker_failures", "2"), ("option", "breaker_cooldown", "1s"),
		("option", "probe_interval", "1s"), ("option", "probe_interval_open", "1s")]
	conf = ctx.config(port, gwopts, providers=[("a", "http://127.0.0.1:%d" % dead, []), ("b", mb.url, [])], routes=[])
	conf += "\nconfig route 'r'\n\tlist target 'a/mock-1'\n\tlist target 'b/mock-1'\n"
	gw = ctx.llmgw(conf)
	attempts = []
	for i in range(4):
		r = chat(gw.port, "r", "x%d" % i)
		check(r.status == 200 and r.header("x-llmgw-provider") == "b", "request %d: %s" % (i, r.describe()))
		attempts.append(r.header("x-llmgw-attempts"))
	check(attempts[-1] == "1", "the open breaker was still tried: attempts %r" % attempts)
	ma = ctx.mockprov(name="mock-a", port=dead)	# a comes back
	deadline = time.monotonic() + 15
	served = None
	while time.monotonic() < deadline:
		r = chat(gw.port, "r", "back")
		check(r.status == 200, "while recovering: %s" % r.describe())
		served = r.header("x-llmgw-provider")
		if served == "a":
			break
		time.sleep(0.3)
	check(served == "a", "target a never took traffic again after it came back")
	r = chat(gw.port, "r", "steady")
	check(r.header("x-llmgw-provider") == "a" and r.header("x-llmgw-attempts") == "1",
		"after recovery: %r attempts %r" % (r.header("x-llmgw-provider"), r.header("x-llmgw-attempts")))
	check(ma.stats().get("models", 0) >= 1, "no probe reached the revived provider: %r" % ma.stats())


@test(timeout=40)
def revoked_key_is_survived(ctx):
	"""A provider that rejects its key (401): requests move to the next
	target, the bad target is not used again, and the log says so loudly."""
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "status=401"))
	for i in range(3):
		r = chat(gw.port, "r", "k%d" % i)
		check(r.status == 200 and r.header("x-llmgw-provider") == "b", "request %d: %s" % (i, r.describe()))
	check(chats(ma) == 1, "the target with a rejected key was tried %d times" % chats(ma))
	check("rejected its key" in gw.stderr(), "no loud log line about the rejected key")


PRICED = ("config target\n\toption model 'a/mock-1'\n\toption input_usd_per_mtok '1000'\n"
	"\toption output_usd_per_mtok '1000'\n")


@test(timeout=30)
def client_daily_budget(ctx):
	key = "llmgw-test-key-budget"
	ma, mb, gw = two_providers(ctx, clients=[("spender", key, [])], extra=PRICED)
	gw.stop()
	conf = open(gw.conf_path).read().replace("config client 'spender'\n",
		"config client 'spender'\n\toption daily_usd '0.00001'\n")
	gw2 = ctx.llmgw(conf, name="llmgw2", port=gw.port)
	h = {"Authorization": "Bearer " + key}
	r = chat(gw2.port, "r", "first", headers=h)
	check(r.status == 200, "first request: %s" % r.describe())
	cost = float(r.header("x-llmgw-cost-usd") or 0)
	check(cost > 0.00001, "the first request cost %r, not over the budget" % cost)
	r = chat(gw2.port, "r", "second", headers=h)
	check(r.status == 429, "over budget: %s" % r.describe())
	check("daily budget" in r.json()["error"]["message"], "message %r" % r.json()["error"]["message"])
	check(int(r.header("retry-after") or 0) >= 1, "Retry-After %r" % r.header("retry-after"))


def billed(port, name):
	r = get(port, "/status.json")
	for t in r.json()["targets"]:
		if t["name"] == name:
			return t.get("billed_requests", 0)
	return 0


@test(timeout=40)
def kill_9_loses_at_most_the_unflushed_interval(ctx):
	import signal
	ma, mb, gw = two_providers(ctx, gateway=[("option", "flush_interval", "1s")])
	for i in range(4):
		check(chat(gw.port, "r", "f%d" % i).status == 200, "chat")
	time.sleep(1.6)		# one flush happened after these
	check(chat(gw.port, "r", "unflushed").status == 200, "chat")
	gw.check_exit = False	# killed on purpose
	gw.signal(signal.SIGKILL)
	gw.wait(5)
	gw2 = ctx.llmgw(open(gw.conf_path).read(), name="llmgw2", port=gw.port)
	n = billed(gw2.port, "a/mock-1")
	check(4 <= n <= 5, "after kill -9 the totals say %d requests, want 4 (flushed) or 5" % n)


@test(timeout=40)
def cooldown_honours_each_retry_hint(ctx):
	"""429s that say when to come back in each provider's own way (OpenAI
	retry-after-ms and x-ratelimit-reset-*, Gemini's RetryInfo in the body,
	Anthropic's retry-after and anthropic-ratelimit-*-reset): the target is
	not tried again before then."""
	for typ, fault in (("openai-compatible", "status=429,retry_after_ms=30000"),
			("openai-compatible", "status=429,reset_s=30"),	# x-ratelimit-reset-requests
			("gemini", "status=429,retry_after=30"), ("anthropic", "status=429,retry_after=30"),
			("anthropic", "status=429,reset_s=30")):	# anthropic-ratelimit-requests-reset
		tag = typ + "-" + fault.split(",")[1].split("=")[0]
		ma = ctx.mockprov(args=("--fault", fault), name="mock-a-" + tag)
		mb = ctx.mockprov(name="mock-b-" + tag)
		port = free_port()
		conf = ctx.config(port, (), providers=[("a", ma.url, [("option", "type", typ)]), ("b", mb.url, [])],
			routes=[])
		conf = conf.replace("\toption type 'openai-compatible'\n\toption base_url '%s'" % ma.url,
			"\toption base_url '%s'" % ma.url, 1)
		conf += "\nconfig route 'r'\n\tlist target 'a/mock-1'\n\tlist target 'b/mock-1'\n"
		gw = ctx.llmgw(conf, name="llmgw-" + tag)
		for i in range(3):
			r = chat(gw.port, "r", "c%d" % i)
			check(r.status == 200 and r.header("x-llmgw-provider") == "b", "%s, request %d: %s" % (typ, i, r.describe()))
		check(chats(ma) == 1, "%s: the rate-limited target was tried %d times" % (tag, chats(ma)))
		# The provider's 30 s, not the 5 s a hint-less 429 gets.
		back = [t.get("back_in_ms", 0) for t in get(gw.port, "/status.json").json()["targets"]
			if t["name"] == "a/mock-1"]
		check(back and 20000 < back[0] <= 30000, "%s: target a is back in %r ms, want about 30000" % (tag, back))
		gw.stop()


@test(timeout=30)
def rate_limit_headers_reach_the_client(ctx):
	"""When no other target can take a rate-limited request, the client gets
	the provider's 429 with its rate-limit headers (OpenAI x-ratelimit-*,
	Anthropic anthropic-ratelimit-*), whatever dialect the client speaks."""
	for typ, name in (("openai-compatible", "x-ratelimit-reset-requests"),
			("anthropic", "anthropic-ratelimit-requests-reset")):
		m = ctx.mockprov(args=("--fault", "status=429,reset_s=30"), name="mock-rl-" + typ)
		port = free_port()
		conf = ctx.config(port, (), providers=[("a", m.url, [("option", "type", typ)])], routes=[])
		conf = conf.replace("\toption type 'openai-compatible'\n\toption base_url '%s'" % m.url,
			"\toption base_url '%s'" % m.url, 1)
		gw = ctx.llmgw(conf, name="llmgw-rl-" + typ)
		r = chat(gw.port, "a/mock-1", "limited")
		check(r.status == 429, "%s: %s" % (typ, r.describe()))
		check(r.header(name), "%s: no %s header in %s" % (typ, name, r.describe()))
		gw.stop()


@test(timeout=60)
def sighup_reload_keeps_connections(ctx):
	"""SIGHUP: a stream in flight finishes, a kept-alive connection stays
	usable, new requests follow the new routes; a bad config is refused
	and the old one keeps serving."""
	import signal
	import threading
	ma = ctx.mockprov(name="mock-a")
	mb = ctx.mockprov(name="mock-b")
	port = free_port()
	base = ctx.config(port, (), providers=[("a", ma.url, []), ("b", mb.url, [])], routes=[])
	conf_a = base + "\nconfig route 'r'\n\tlist target 'a/mock-1'\n"
	conf_b = base + "\nconfig route 'r'\n\tlist target 'b/mock-1'\n"
	gw = ctx.llmgw(conf_a)
	result = {}

	def slow():
		result["r"] = chat(gw.port, "a/fault:chunks=6,interval_ms=150", "slow", stream=True, timeout=15)
	th = threading.Thread(target=slow)
	th.start()
	with Client(gw.port) as keep:
		r = keep.call("POST", "/v1/chat/completions", chat_body("r", "before"))
		check(r.header("x-llmgw-provider") == "a", "before: %r" % r.header("x-llmgw-provider"))
		time.sleep(0.2)
		with open(gw.conf_path, "w") as f:
			f.write(conf_b)
		gw.signal(signal.SIGHUP)
		time.sleep(0.3)
		r = keep.call("POST", "/v1/chat/completions", chat_body("r", "after"))
		check(r.status == 200 and r.header("x-llmgw-provider") == "b",
			"kept-alive connection after reload: %s %r" % (r.describe(), r.header("x-llmgw-provider")))
	th.join(15)
	content, done, errors, _ = stream_parts(result["r"])
	check(done and not errors and content == reply_for("slow"), "the stream in flight broke: %r" % content)
	with open(gw.conf_path, "w") as f:
		f.write("config gateway 'main'\n\toption lisen 'oops'\n")
	gw.signal(signal.SIGHUP)
	time.sleep(0.3)
	r = chat(gw.port, "r", "still")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "after a bad reload: %s" % r.describe())
	check("reload refused" in gw.stderr(), "no log line refusing the bad configuration")


@test(timeout=40)
def failover_on_timeout_529_and_empty(ctx):
	"""No answer within first_byte_timeout, a 529, an empty 200: each moves
	the request to the next target."""
	for fault, route_opts in (("delay_ms=3000", "\toption first_byte_timeout '500ms'\n"),
			("status=529", ""), ("empty200", ""), ("html200", "")):
		ma, mb, gw = two_providers(ctx, route_opts=route_opts, a_args=("--fault", fault))
		t0 = time.monotonic()
		r = chat(gw.port, "r", "t")
		took = time.monotonic() - t0
		check(r.status == 200 and r.header("x-llmgw-provider") == "b", "%s: %s" % (fault, r.describe()))
		if fault.startswith("delay"):
			check(took < 2.5, "the first-byte timeout did not cut the wait: %.1f s" % took)
		gw.stop()


@test(timeout=30)
def cheapest_follows_health(ctx):
	"""When the cheapest target fails, cheapest serves from the next cheapest."""
	prices = ("config target\n\toption model 'a/mock-1'\n\toption input_usd_per_mtok '0.1'\n"
		"\toption output_usd_per_mtok '0.1'\n\n"
		"config target\n\toption model 'b/mock-1'\n\toption input_usd_per_mtok '9'\n"
		"\toption output_usd_per_mtok '9'\n")
	ma, mb, gw = two_providers(ctx, route_opts="\toption strategy 'cheapest'\n", extra=prices,
		a_args=("--fault", "status=503"))
	for i in range(3):
		r = chat(gw.port, "r", "c%d" % i)
		check(r.status == 200 and r.header("x-llmgw-provider") == "b", "request %d: %s" % (i, r.describe()))


@test(timeout=30)
def failover_on_slow_connect(ctx):
	"""A provider whose accept queue is full drops our SYNs: the connect
	hangs until connect_timeout, then the next target serves."""
	import socket
	hole = socket.socket()
	hole.bind(("127.0.0.1", 0))
	hole.listen(0)
	fill = []
	for _ in range(5):	# fill the accept queue; later SYNs are dropped
		c = socket.socket()
		c.setblocking(False)
		try:
			c.connect(hole.getsockname())
		except BlockingIOError:
			pass
		fill.append(c)
	try:
		mb = ctx.mockprov(name="mock-b")
		port = free_port()
		conf = ctx.config(port, [("option", "connect_timeout", "500ms")],
			providers=[("a", "http://127.0.0.1:%d" % hole.getsockname()[1], []), ("b", mb.url, [])], routes=[])
		conf += "\nconfig route 'r'\n\tlist target 'a/mock-1'\n\tlist target 'b/mock-1'\n"
		gw = ctx.llmgw(conf)
		t0 = time.monotonic()
		r = chat(gw.port, "r", "sc")
		took = time.monotonic() - t0
		check(r.status == 200 and r.header("x-llmgw-provider") == "b", "slow connect: %s" % r.describe())
		check(0.4 < took < 3.0, "took %.2f s; connect_timeout is 0.5 s" % took)
	finally:
		for c in fill:
			c.close()
		hole.close()


@test(timeout=40)
def cheapest_follows_price_changes(ctx):
	"""New prices (a reload) move cheapest to the target that is now cheaper."""
	import signal

	def prices(pa, pb):
		return ("config target\n\toption model 'a/mock-1'\n\toption input_usd_per_mtok '%s'\n"
			"\toption output_usd_per_mtok '%s'\n\nconfig target\n\toption model 'b/mock-1'\n"
			"\toption input_usd_per_mtok '%s'\n\toption output_usd_per_mtok '%s'\n" % (pa, pa, pb, pb))
	ma, mb, gw = two_providers(ctx, route_opts="\toption strategy 'cheapest'\n", extra=prices("0.1", "5"))
	r = chat(gw.port, "r", "p1")
	check(r.status == 200 and r.header("x-llmgw-provider") == "a", "before: %r" % r.header("x-llmgw-provider"))
	conf = open(gw.conf_path).read().replace(prices("0.1", "5"), prices("5", "0.1"))
	with open(gw.conf_path, "w") as f:
		f.write(conf)
	gw.signal(signal.SIGHUP)
	deadline = time.monotonic() + 5
	while time.monotonic() < deadline and "configuration reloaded" not in gw.stderr():
		time.sleep(0.05)
	r = chat(gw.port, "r", "p2")
	check(r.status == 200 and r.header("x-llmgw-provider") == "b", "after new prices: %r" % r.header("x-llmgw-provider"))


@test(timeout=40)
def every_target_rate_limited_is_429(ctx):
	"""Every target of a route cooling down after its provider's 429 with
	retry-after 20: the next request is a 429 in the client's dialect (not a
	503 'retry in 1 s') with Retry-After and retry-after-ms saying when the
	first target is back, and no provider is asked."""
	fault = ("--fault", "status=429,retry_after=20")
	ma, mb, gw = two_providers(ctx, a_args=fault, b_args=fault)
	r = chat(gw.port, "r", "first")
	check(r.status == 429, "first request (both providers answer 429): %s" % r.describe())
	asked = chats(ma) + chats(mb)
	anth = {"model": "r", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
	gem = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
	for dialect, path, body in (("openai", "/v1/chat/completions", chat_body("r", "again")),
			("anthropic", "/v1/messages", anth),
			("gemini", "/v1beta/models/r:generateContent", gem)):
		with Client(gw.port) as c:
			r = c.call("POST", path, body, {"anthropic-version": "2023-06-01"})
		check(r.status == 429, "%s: all targets rate-limited: %s" % (dialect, r.describe()))
		ra = r.header("retry-after")
		check(ra and ra.isdigit() and 15 <= int(ra) <= 20, "%s: Retry-After %r, want about 20" % (dialect, ra))
		ms = r.header("retry-after-ms")
		if dialect == "gemini":
			check(ms is None, "gemini: retry-after-ms %r is not Gemini's" % ms)
		else:
			check(ms and ms.isdigit() and 15000 <= int(ms) <= 20000 and int(ra) == (int(ms) + 999) // 1000,
				"%s: retry-after-ms %r with Retry-After %r" % (dialect, ms, ra))
		j = r.json()
		if dialect == "openai":
			check(j["error"].get("code") == "rate_limit_exceeded", "openai error %r" % j)
		elif dialect == "anthropic":
			check(j.get("type") == "error" and j["error"].get("type") == "rate_limit_error", "anthropic error %r" % j)
		else:
			check(j["error"].get("code") == 429 and j["error"].get("status") == "RESOURCE_EXHAUSTED",
				"gemini error %r" % j)
	check(chats(ma) + chats(mb) == asked, "a cooling provider was asked again")


@test(timeout=30)
def targets_down_not_rate_limited_stay_503(ctx):
	"""Every target unusable for another reason (its key rejected): still 503."""
	ma, mb, gw = two_providers(ctx, a_args=("--fault", "status=401"), b_args=("--fault", "status=401"))
	r = chat(gw.port, "r", "first")
	check(r.status == 401, "first: %s" % r.describe())
	r = chat(gw.port, "r", "second")
	check(r.status == 503, "every key rejected: %s" % r.describe())
	check(r.header("retry-after-ms") is None, "retry-after-ms on a 503 for rejected keys: %r" % r.header("retry-after-ms"))


# ---------------------------------------------------------------- prices and budgets by model name

def table_priced(ctx, clients=None):
	"""Provider 'oai' of type openai (its models priced by the compiled-in
	table) served by a mockprov, and 'mock' (openai-compatible: unpriced)."""
	m = ctx.mockprov()
	port = free_port()
	conf = ctx.config(port, (), providers=[("mock", m.url, [])], routes=[], clients=clients)
	conf += ("\nconfig provider 'oai'\n\toption type 'openai'\n\toption base_url '%s'\n"
		"\toption key_env 'MOCK_KEY'\n" % m.url)
	return m, ctx.llmgw(conf)


def usage_cost(r, in_mtok, out_mtok):
	u = r.json()["usage"]
	return (u["prompt_tokens"] * in_mtok + u["completion_tokens"] * out_mtok) / 1e6


@test(timeout=30)
def direct_name_gets_table_price(ctx):
	"""oai/gpt-4.1-mini sent directly (named by no route or target section)
	is billed at the compiled-in table's $0.40/$1.60, snapshots too, and a
	daily budget trips on it."""
	key = "llmgw-test-key-direct"
	m, gw = table_priced(ctx, clients=[("spender", key, [], [("option", "daily_usd", "0.00002")])])
	h = {"Authorization": "Bearer " + key}
	r = chat(gw.port, "oai/gpt-4.1-mini", "price me " * 40, headers=h)
	check(r.status == 200, "first request: %s" % r.describe())
	cost = r.header("x-llmgw-cost-usd")
	check(cost is not None, "a table-priced model sent directly has no x-llmgw-cost-usd (counted as unpriced)")
	want = usage_cost(r, 0.40, 1.60)
	check(abs(float(cost) - want) < 2e-6 and want > 0.00002, "cost %s, want %.6f (over the budget)" % (cost, want))
	r = chat(gw.port, "oai/gpt-4.1-mini-2025-04-14", "again", headers=h)
	check(r.status == 429 and "daily budget" in r.json()["error"]["message"],
		"the daily budget did not trip on a table-priced direct name: %s" % r.describe())
	check(m.stats().get("chat", 0) == 1, "the provider saw %d requests, want 1" % m.stats().get("chat", 0))


@test(timeout=30)
def direct_snapshot_name_is_priced(ctx):
	m, gw = table_priced(ctx)
	r = chat(gw.port, "oai/gpt-4.1-mini-2025-04-14", "snap")
	check(r.status == 200 and r.header("x-llmgw-cost-usd") is not None, "snapshot: %s cost %r" %
		(r.describe(), r.header("x-llmgw-cost-usd")))
	check(abs(float(r.header("x-llmgw-cost-usd")) - usage_cost(r, 0.40, 1.60)) < 2e-6, "snapshot cost")
	totals = [t for t in get(gw.port, "/status.json").json()["targets"] if t["name"] == "oai/*"]
	check(totals and totals[0]["usd"] > 0 and totals[0]["unpriced_requests"] == 0,
		"the provider's other bucket: %r" % totals)


def dialect_request(dialect, model, key):
	"""(path, body, headers) of a chat request in a dialect with the key."""
	if dialect == "openai":
		return ("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]},
			{"Authorization": "Bearer " + key})
	if dialect == "anthropic":
		return ("/v1/messages", {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]},
			{"x-api-key": key, "anthropic-version": "2023-06-01"})
	return ("/v1beta/models/%s:generateContent" % model, {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
		{"x-goog-api-key": key})


def forbidden_message(dialect, r, what):
	"""The message of a 403 in the dialect's own error shape."""
	check(r.status == 403, "%s: status %d, want 403: %s" % (what, r.status, r.describe()))
	j = r.json()
	if dialect == "openai":
		check(j["error"]["type"] == "permission_error", "openai shape: %r" % j)
	elif dialect == "anthropic":
		check(j.get("type") == "error" and j["error"]["type"] == "permission_error", "anthropic shape: %r" % j)
	else:
		check(j["error"]["code"] == 403 and j["error"]["status"] == "PERMISSION_DENIED", "gemini shape: %r" % j)
	return j["error"]["message"]


@test(timeout=40)
def budget_refuses_unpriced_models(ctx):
	"""A client with a USD budget (daily or monthly) may not use a model of
	unknown price: a 403 in its dialect naming the model and the option,
	before any provider sees it. allow_unpriced lets it; a client without a
	USD limit is not concerned; priced models stay usable."""
	keys = {n: "llmgw-test-key-" + n for n in ("daily", "monthly", "allowed", "rpmonly")}
	clients = [("daily", keys["daily"], [], [("option", "daily_usd", "5")]),
		("monthly", keys["monthly"], [], [("option", "monthly_usd", "50")]),
		("allowed", keys["allowed"], [], [("option", "daily_usd", "5"), ("option", "allow_unpriced", "1")]),
		("rpmonly", keys["rpmonly"], [], [("option", "rpm", "100")])]
	m = ctx.mockprov()
	port = free_port()
	conf = ctx.config(port, (), providers=[("mock", m.url, [])], routes=[("u", ["mock/mock-1"])], clients=clients)
	conf += ("\nconfig provider 'oai'\n\toption type 'openai'\n\toption base_url '%s'\n"
		"\toption key_env 'MOCK_KEY'\n\tlist model 'gpt-4.1-mini'\n" % m.url)
	gw = ctx.llmgw(conf)
	# /v1/models lists what each key may use.
	for who, want in (("daily", ["oai/gpt-4.1-mini"]), ("allowed", ["u", "oai/gpt-4.1-mini", "mock/mock-1"])):
		r = get(gw.port, "/v1/models", headers={"Authorization": "Bearer " + keys[who]})
		ids = sorted(d["id"] for d in r.json()["data"])
		check(ids == sorted(want), "/v1/models for %s: %r, want %r" % (who, ids, sorted(want)))
	for who in ("daily", "monthly"):
		for dialect in ("openai", "anthropic", "gemini"):
			for model in ("mock/mock-1", "u"):
				path, body, h = dialect_request(dialect, model, keys[who])
				with Client(gw.port) as c:
					r = c.call("POST", path, body, h)
				msg = forbidden_message(dialect, r, "%s/%s/%s" % (who, dialect, model))
				check("'%s'" % model in msg and "allow_unpriced" in msg, "%s: message %r" % (dialect, msg))
	check(m.stats().get("chat", 0) == 0, "an unpriced request of a budgeted client reached the provider")
	# Free token counting is not spending.
	with Client(gw.port) as c:
		r = c.call("POST", "/v1/messages/count_tokens", {"model": "mock/mock-1", "messages": [{"role": "user", "content": "x"}]},
			{"x-api-key": keys["daily"], "anthropic-version": "2023-06-01"})
	check(r.status != 403, "count_tokens refused as spending: %s" % r.describe())
	for who in ("allowed", "rpmonly"):
		for model in ("mock/mock-1", "u"):
			r = chat(gw.port, model, "ok", headers={"Authorization": "Bearer " + keys[who]})
			check(r.status == 200, "%s, %s: %s" % (who, model, r.describe()))
	r = chat(gw.port, "oai/gpt-4.1-mini", "priced", headers={"Authorization": "Bearer " + keys["daily"]})
	check(r.status == 200 and r.header("x-llmgw-cost-usd"), "budgeted client, priced model: %s" % r.describe())


@test(timeout=40)
def budget_route_uses_only_priced_targets(ctx):
	"""A route whose targets are partly priced: a client with a USD budget
	is served by the priced targets only, in failover too (a failing priced
	target is not replaced by an unpriced one); allow_unpriced restores the
	whole route."""
	spender, free = "llmgw-test-key-spender", "llmgw-test-key-free"
	prices = ("config target\n\toption model 'b/mock-1'\n\toption input_usd_per_mtok '1'\n"
		"\toption output_usd_per_mtok '1'\n\nconfig target\n\toption model 'b/fault:status=500'\n"
		"\toption input_usd_per_mtok '1'\n\toption output_usd_per_mtok '1'\n\n"
		"config route 'r2'\n\tlist target 'a/mock-1'\n\tlist target 'b/fault:status=500'\n")
	ma, mb, gw = two_providers(ctx, extra=prices, clients=[
		("spender", spender, [], [("option", "daily_usd", "5")]),
		("free", free, [], [("option", "daily_usd", "5"), ("option", "allow_unpriced", "1")])])
	hs, hf = {"Authorization": "Bearer " + spender}, {"Authorization": "Bearer " + free}
	for i in range(2):
		r = chat(gw.port, "r", "s%d" % i, headers=hs)
		check(r.status == 200 and r.header("x-llmgw-provider") == "b" and r.header("x-llmgw-attempts") == "1",
			"budgeted client on r: %s provider %r attempts %r" % (r.describe(), r.header("x-llmgw-provider"),
			r.header("x-llmgw-attempts")))
		check(float(r.header("x-llmgw-cost-usd") or 0) > 0, "not billed: %r" % r.header("x-llmgw-cost-usd"))
	check(chats(ma) == 0, "the unpriced target served a budgeted client %d times" % chats(ma))
	r = chat(gw.port, "r2", "fails", headers=hs)
	check(r.status == 500, "r2 for the budgeted client: want the priced target's 500, got %s" % r.describe())
	check(chats(ma) == 0, "failover went to the unpriced target for a budgeted client")
	r = chat(gw.port, "r", "f", headers=hf)
	check(r.status == 200 and r.header("x-llmgw-provider") == "a", "allow_unpriced on r: %r" % r.header("x-llmgw-provider"))
	r = chat(gw.port, "r2", "f2", headers=hf)
	check(r.status == 200 and r.header("x-llmgw-provider") == "a", "allow_unpriced on r2: %s" % r.describe())
