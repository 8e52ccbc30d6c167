"""SSE streaming: relay, timing (no batching), client disconnect, and
streams that break after bytes went out (in-band error, never [DONE])."""

import json
import re
import time

from harness import (Client, chat, chat_body, chat_content, check, reply_for, stream_parts, test)


def stream(port, model, msg="hello", timeout=10.0, headers=None):
	return chat(port, model, msg, stream=True, timeout=timeout, headers=headers)


@test()
def stream_basic(ctx):
	mock, gw = ctx.standard()
	r = stream(gw.port, "fast", "stream me")
	check(r.status == 200, "stream: %s" % r.describe())
	check((r.header("content-type") or "").startswith("text/event-stream"),
		"content-type %r" % r.header("content-type"))
	check(r.header("x-llmgw-provider") == "mock", "x-llmgw-provider %r" % r.header("x-llmgw-provider"))
	content, done, errors, evs = stream_parts(r)
	check(not errors, "error events: %r" % errors)
	check(content == reply_for("stream me"), "reassembled content %r" % content)
	check(done and evs[-1][1].strip() == "[DONE]", "stream does not end with [DONE]: %r" % [e[1] for e in evs[-3:]])
	check(r.complete, "stream body not terminated cleanly")
	check(len(evs) >= 3, "only %d events" % len(evs))
	# The provider was asked to stream, with the target model.
	from harness import last_body
	b = last_body(mock.last())
	check(b.get("stream") is True and b.get("model") == "mock-1", "upstream body %r" % b)


@test()
def stream_keepalive_after(ctx):
	# A finished stream leaves the client connection usable.
	mock, gw = ctx.standard()
	with Client(gw.port) as c:
		for i in range(3):
			r = c.call("POST", "/v1/chat/completions", chat_body("fast", "s%d" % i, stream=True))
			content, done, errors, _ = stream_parts(r)
			check(r.status == 200 and done and content == reply_for("s%d" % i),
				"stream %d on one connection: %s" % (i, r.describe()))
		r = c.call("POST", "/v1/chat/completions", chat_body("fast", "plain"))
		check(r.status == 200 and chat_content(r) == reply_for("plain"), "non-stream after streams: %s" % r.describe())


def delta_content(data):
	try:
		j = json.loads(data)
		return "".join((ch.get("delta") or {}).get("content") or "" for ch in j.get("choices") or [])
	except (ValueError, AttributeError):
		return ""


@test(timeout=20)
def stream_not_batched(ctx):
	mock, gw = ctx.standard()
	r = stream(gw.port, "mock/fault:chunks=5,interval_ms=200", "timing")
	check(r.status == 200, "stream: %s" % r.describe())
	content, done, errors, evs = stream_parts(r)
	check(done and not errors, "stream did not finish cleanly: %r" % [e[1] for e in evs])
	check(content == reply_for("timing"), "content %r" % content)
	cev = [(t, d) for t, d in evs if d.strip() != "[DONE]" and delta_content(d)]
	check(len(cev) >= 4, "only %d content events for chunks=5" % len(cev))
	# mockprov sends the role event at once: relayed at once, too.
	first_any = evs[0][0] - r.t_head
	check(first_any < 0.15, "the first event (sent at once by the provider) arrived %.0f ms after the head"
		% (first_any * 1000))
	first = cev[0][0] - r.t_head
	total = r.t_end - r.t_head
	spread = cev[-1][0] - cev[0][0]
	ctx.note("first content event %.0f ms after the head, last %.0f ms, total %.0f ms"
		% (first * 1000, (cev[-1][0] - r.t_head) * 1000, total * 1000))
	# Mock sends a chunk every 200 ms: relayed one by one, the first event
	# arrives within one interval (+ slack) and the events stay spread out.
	check(first < 0.2 + 0.15, "first content event %.0f ms after the head: batched" % (first * 1000))
	check(spread >= 0.5, "content events arrived within %.0f ms of each other: batched" % (spread * 1000))
	gaps = [b[0] - a[0] for a, b in zip(cev, cev[1:])]
	check(sum(1 for g in gaps if g >= 0.1) >= 3, "gaps between events %r: batched"
		% ["%.0f" % (g * 1000) for g in gaps])


@test(timeout=25)
def stream_client_disconnect(ctx):
	mock, gw = ctx.standard()
	c = Client(gw.port)
	c.request("POST", "/v1/chat/completions", chat_body("mock/fault:chunks=20,interval_ms=100", "bye", stream=True))
	got = []

	class Enough(Exception):
		pass

	def on_piece(t, d):
		got.append(d)
		if b"".join(got).count(b"\n\n") >= 2:
			raise Enough()
	try:
		c.read_response(on_piece=on_piece)
		check(False, "the stream ended before the client hung up")
	except Enough:
		pass
	c.close()
	t_close = time.monotonic()
	# The gateway must drop the upstream exchange: mockprov's "active"
	# count (open connections, this stats query included) falls back to 1
	# well before the 2 s the stream would have run. A pooled or still
	# reading upstream connection would keep it at 2.
	active = None
	while time.monotonic() < t_close + 1.5:
		active = mock.stats().get("active")
		if active is not None and active <= 1:
			break
		time.sleep(0.05)
	check(active is not None, "/mock/stats has no 'active' count")
	check(active <= 1, "the upstream connection is still open 1.5 s after the client hung up (mock active=%r)" % active)
	ctx.note("upstream closed %.0f ms after the hang-up" % ((time.monotonic() - t_close) * 1000))
	check(gw.alive(), "llmgw died after a client hung up mid-stream")
	r = stream(gw.port, "fast", "after hangup")
	content, done, errors, _ = stream_parts(r)
	check(r.status == 200 and done and content == reply_for("after hangup"),
		"stream after a hung-up stream: %s" % r.describe())
	r = chat(gw.port, "fast", "plain after hangup")
	check(r.status == 200 and chat_content(r) == reply_for("plain after hangup"),
		"request after a hung-up stream: %s" % r.describe())
	bad = [l for l in gw.stderr().splitlines() if re.match(r"^llmgw\[\d+\]: (error|err|fatal|crit)\b", l, re.I)]
	check(not bad, "llmgw logged an error for a client hang-up: %r" % bad[:3])


def broken_stream(ctx, spec, gateway=(), want_some=True):
	mock, gw = ctx.standard(gateway=gateway)
	t0 = time.monotonic()
	r = stream(gw.port, "mock/fault:" + spec, "broken stream", timeout=15)
	dt = time.monotonic() - t0
	check(r.status == 200, "%s: status %s (the stream had started)" % (spec, r.describe()))
	content, done, errors, evs = stream_parts(r)
	if want_some:
		check(content, "%s: no content before the break" % spec)
		check(reply_for("broken stream").startswith(content) and content != reply_for("broken stream"),
			"%s: content %r is not a strict prefix of the reply" % (spec, content))
	check(not done, "%s: a broken stream ended with a clean [DONE]" % spec)
	check(errors, "%s: no in-band error event; events %r" % (spec, [e[1] for e in evs]))
	last = evs[-1][1]
	check("error" in json.loads(last), "%s: the error is not the last event: %r" % (spec, last))
	e = errors[-1]["error"]
	check(isinstance(e, dict) and e.get("message"), "%s: error event without a message: %r" % (spec, errors[-1]))
	check(r.eof or r.complete, "%s: connection neither closed nor the body terminated" % spec)
	return gw, dt, e


@test()
def stream_truncated_error_event(ctx):
	broken_stream(ctx, "chunks=5,interval_ms=50,truncate_after=2")


@test()
def stream_reset_error_event(ctx):
	broken_stream(ctx, "chunks=5,interval_ms=50,reset_after=2")


@test()
def stream_upstream_error_event(ctx):
	mock, gw = ctx.standard()
	r = stream(gw.port, "mock/fault:chunks=5,error_event_after=2", "err event")
	check(r.status == 200, "status %s" % r.describe())
	content, done, errors, evs = stream_parts(r)
	check(errors, "the upstream's in-band error was not relayed: %r" % [e[1] for e in evs])
	check(content, "no content before the error event")


@test(timeout=20)
def stream_stall_idle_timeout(ctx):
	gw, dt, e = broken_stream(ctx, "chunks=5,interval_ms=50,stall_after=2",
		gateway=[("option", "stream_idle_timeout", "1s")])
	check(dt < 5, "stall noticed after %.1f s with stream_idle_timeout 1s" % dt)


# ---- aborted requests: billed, logged, and counted for limits ----

# Prices high enough that a handful of tokens is visible in usd_today.
PRICED_SLOW = ("config target\n\toption model 'mock/mock-1'\n\toption input_usd_per_mtok '1000'\n"
	"\toption output_usd_per_mtok '2000'\n")


def slow_gateway(ctx, clients=None, chunks=40, interval_ms=100):
	"""mockprov streaming `chunks` pieces `interval_ms` apart, route 'fast'
	-> mock/mock-1 priced by PRICED_SLOW."""
	from harness import free_port
	mock = ctx.mockprov(args=("--chunks", str(chunks), "--interval-ms", str(interval_ms)))
	port = free_port()
	conf = ctx.config(port, (), providers=[("mock", mock.url, [])], routes=[("fast", ["mock/mock-1"])],
		clients=clients, extra=PRICED_SLOW)
	return mock, ctx.llmgw(conf)


def hang_up_after(port, body, n_events, headers=None, path="/v1/chat/completions"):
	"""Sends a stream request, reads n_events SSE events, then closes."""
	c = Client(port)
	c.request("POST", path, body, headers)
	got = []

	class Enough(Exception):
		pass

	def on_piece(t, d):
		got.append(d)
		if b"".join(got).count(b"\n\n") >= n_events:
			raise Enough()
	try:
		r = c.read_response(on_piece=on_piece)
		check(False, "the stream ended before the client hung up: %s" % r.describe())
	except Enough:
		pass
	c.close()
	return b"".join(got)


def access_lines(gw, status):
	return [l for l in gw.stderr().splitlines() if " access " in l and " status=%d " % status in l]


def wait_for(what, fn, timeout=5.0):
	deadline = time.monotonic() + timeout
	while True:
		v = fn()
		if v:
			return v
		check(time.monotonic() < deadline, "timed out waiting for %s" % what)
		time.sleep(0.05)


def anon_row(gw):
	from harness import get
	for c in get(gw.port, "/status.json").json()["clients"]:
		if c.get("anonymous"):
			return c
	return None


@test(timeout=30)
def aborted_stream_is_billed_and_logged(ctx):
	"""A client that reads part of a stream and hangs up is billed for what
	was relayed (an estimate: the provider's final usage never came), marked
	as estimated, and gets an access-log line with status 499."""
	mock, gw = slow_gateway(ctx)
	hang_up_after(gw.port, chat_body("fast", "abort me please", stream=True), 4)
	line = wait_for("the access-log line of the aborted stream", lambda: access_lines(gw, 499))[0]
	check("estimated=1" in line, "the access line does not say the usage is estimated: %r" % line)
	check(re.search(r" out=[1-9]", line) and re.search(r" in=[1-9]", line), "no tokens in %r" % line)
	check(re.search(r" usd=0\.0*[1-9]", line), "no cost in %r" % line)
	row = wait_for("the anonymous client's totals", lambda: (lambda r: r if r and r["requests"] else None)(anon_row(gw)))
	check(row["requests"] == 1, "requests %r, want 1" % row["requests"])
	check(row["usd_today"] > 0, "usd_today %r: the aborted stream was not billed" % row["usd_today"])
	check(row.get("estimated_requests") == 1, "estimated_requests %r, want 1" % row.get("estimated_requests"))
	check(row["output_tokens"] >= 1 and row["input_tokens"] >= 1, "tokens %r" % row)
	# The upstream stream is dropped at once, not read to its end.
	active = wait_for("the upstream connection to close", lambda: mock.stats().get("active", 9) <= 1 or None, 1.5)
	check(active, "upstream still open")
	# A complete stream is billed from the provider's usage, not estimated.
	r = chat(gw.port, "mock/mock-1", "whole", stream=True, timeout=15)
	check(r.status == 200 and stream_parts(r)[1], "a whole stream: %s" % r.describe())
	ok = wait_for("the whole stream's log line",
		lambda: [l for l in access_lines(gw, 200) if "path=\"/v1/chat/completions\"" in l])
	check("estimated" not in ok[-1] and " out=" in ok[-1], "the whole stream's line: %r" % ok[-1])
	row = anon_row(gw)
	check(row["requests"] == 2 and row["estimated_requests"] == 1, "after a whole stream: %r" % row)


@test(timeout=30)
def aborted_streams_count_against_budget(ctx):
	"""Closing every stream early does not get around daily_usd or rpm."""
	key = "llmgw-test-key-abort"
	mock, gw = slow_gateway(ctx, clients=[("tablet", key, [])])
	gw.stop()
	conf = open(gw.conf_path).read().replace("config client 'tablet'\n",
		"config client 'tablet'\n\toption daily_usd '0.00001'\n")
	gw = ctx.llmgw(conf, name="llmgw2", port=gw.port)
	h = {"Authorization": "Bearer " + key}
	hang_up_after(gw.port, chat_body("fast", "first", stream=True), 3, headers=h)
	wait_for("the aborted stream's log line", lambda: access_lines(gw, 499))
	r = chat(gw.port, "fast", "second", headers=h)
	check(r.status == 429, "after an aborted stream over the budget: %s" % r.describe())
	check("daily budget" in r.json()["error"]["message"], "message %r" % r.json()["error"]["message"])
	# rpm counts aborted requests too.
	gw.stop()
	conf = open(gw.conf_path).read().replace("\toption daily_usd '0.00001'\n", "\toption rpm '2'\n")
	gw = ctx.llmgw(conf, name="llmgw3", port=gw.port)
	for i in range(2):
		hang_up_after(gw.port, chat_body("fast", "r%d" % i, stream=True), 3, headers=h)
	wait_for("two aborted lines", lambda: len(access_lines(gw, 499)) >= 2 or None)
	r = chat(gw.port, "fast", "third", headers=h)
	check(r.status == 429 and "requests per minute" in r.json()["error"]["message"],
		"third request after two aborted ones: %s" % r.describe())


@test(timeout=30)
def aborted_non_stream_is_billed_and_logged(ctx):
	"""A client that leaves while the provider works on a non-stream answer:
	the provider has read the prompt, so the input is billed (estimated from
	the request), no output; the access log says 499."""
	mock, gw = slow_gateway(ctx)
	c = Client(gw.port)
	c.request("POST", "/v1/chat/completions", chat_body("mock/fault:delay_ms=3000", "think long"))
	wait_for("the provider to get the request", lambda: mock.stats().get("chat", 0) >= 1 or None)
	c.close()
	line = wait_for("the access-log line", lambda: access_lines(gw, 499))[0]
	check("estimated=1" in line and re.search(r" in=[1-9]", line) and " out=0" in line,
		"the line does not bill the estimated input: %r" % line)
	row = wait_for("the anonymous client's totals", lambda: (lambda r: r if r and r["requests"] else None)(anon_row(gw)))
	check(row["requests"] == 1 and row["estimated_requests"] == 1 and row["input_tokens"] >= 1
		and row["output_tokens"] == 0, "totals %r" % row)


@test(timeout=30)
def aborted_stream_keeps_the_providers_input_count(ctx):
	"""An Anthropic stream reports its input tokens first (message_start):
	an aborted stream is billed that count, only the output is estimated."""
	from harness import free_port
	mock = ctx.mockprov(args=("--chunks", "40", "--interval-ms", "100"))
	port = free_port()
	conf = ctx.config(port, (), providers=[("ant", mock.url, [("option", "type", "anthropic")])], routes=[])
	conf = conf.replace("\toption type 'openai-compatible'\n\toption base_url '%s'" % mock.url,
		"\toption base_url '%s'" % mock.url, 1)
	gw = ctx.llmgw(conf)
	hang_up_after(gw.port, chat_body("ant/mock-1", "a question " * 40, stream=True), 4)
	line = wait_for("the access-log line", lambda: access_lines(gw, 499))[0]
	sent = mock.last().get("body_len")
	check(isinstance(sent, int) and sent > 0, "/mock/last has no body_len")
	check(" in=%d " % max(1, sent // 4) in line, "not the provider's input count (%d): %r" % (max(1, sent // 4), line))
	check("estimated=1" in line and re.search(r" out=[1-9]", line), "the output is not estimated: %r" % line)


@test()
def stream_usage_asked_whatever_the_client_says(ctx):
	"""A streamed OpenAI request that turns usage off (false, null) still
	reaches the provider asking for it, so it is billed; the client gets
	no usage chunk it did not ask for. One that asks gets it."""
	mock, gw = ctx.standard()
	for so, want_usage in (({"include_usage": False}, False), (None, False),
			({"include_usage": False, "x": 1}, False), ({"include_usage": True}, True)):
		body = chat_body("fast", "count me", stream=True, stream_options=so)
		with Client(gw.port) as c:
			r = c.call("POST", "/v1/chat/completions", body)
		check(r.status == 200, "stream_options %r: %s" % (so, r.describe()))
		content, done, errors, evs = stream_parts(r)
		check(done and not errors and content == reply_for("count me"), "stream_options %r: %r" % (so, evs[-3:]))
		got = any(json.loads(d).get("usage") for _, d in evs if d.strip() != "[DONE]")
		check(got == want_usage, "stream_options %r: the client got a usage chunk: %s" % (so, got))
		from harness import last_body
		b = last_body(mock.last())
		check(b.get("stream_options") == {"include_usage": True}, "stream_options %r went up as %r" % (so, b.get("stream_options")))
		check(b.get("model") == "mock-1", "upstream model %r" % b.get("model"))
