"""Every client dialect against every provider dialect when the provider
misbehaves: errors keep their class and come in the client's own shape,
and a stream that breaks after it started ends with an in-band error in
the client's dialect, never with a clean-looking end."""

import json

from harness import Client, check, free_port, test

DIALECTS = ("openai", "anthropic", "gemini")
PROVIDERS = {"openai": "oai", "anthropic": "ant", "gemini": "gem"}


def setup(ctx):
	mock = ctx.mockprov()
	port = free_port()
	extra = ""
	for typ, name in (("openai-compatible", "oai"), ("anthropic", "ant"), ("gemini", "gem")):
		extra += ("config provider '%s'\n\toption type '%s'\n\toption base_url '%s'\n"
			"\toption key_env 'MOCK_KEY'\n\n" % (name, typ, mock.url))
	gw = ctx.llmgw(ctx.config(port, providers=[], routes=[]) + "\n" + extra)
	return mock, gw


def request(client_dialect, model, stream, msg="hello"):
	"""(path, body, headers) of a minimal chat request in a dialect."""
	if client_dialect == "openai":
		b = {"model": model, "messages": [{"role": "user", "content": msg}]}
		if stream:
			b["stream"] = True
		return "/v1/chat/completions", b, {}
	if client_dialect == "anthropic":
		b = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": msg}]}
		if stream:
			b["stream"] = True
		return "/v1/messages", b, {"anthropic-version": "2023-06-01"}
	method = "streamGenerateContent?alt=sse" if stream else "generateContent"
	return ("/v1beta/models/%s:%s" % (model, method),
		{"contents": [{"role": "user", "parts": [{"text": msg}]}]}, {})


def call(gw, client_dialect, model, stream=False, msg="hello"):
	path, body, headers = request(client_dialect, model, stream, msg)
	with Client(gw.port, 15.0) as c:
		return c.call("POST", path, body, headers)


def error_of(client_dialect, j):
	"""The error message if j is an error in the client's shape, else None."""
	if not isinstance(j, dict):
		return None
	if client_dialect == "anthropic":
		e = j.get("error")
		if j.get("type") == "error" and isinstance(e, dict) and e.get("type") and e.get("message"):
			return e["message"]
		return None
	e = j.get("error")
	if not isinstance(e, dict) or not e.get("message"):
		return None
	if client_dialect == "gemini" and not (isinstance(e.get("code"), int) and e.get("status")):
		return None
	return e["message"]


def clean_end(client_dialect, r):
	"""Whether the stream ended the way a complete one does."""
	raw = r.body.decode("utf-8", "replace")
	if client_dialect == "openai":
		return "data: [DONE]" in raw
	if client_dialect == "anthropic":
		return "event: message_stop" in raw
	return r.complete


def pairs():
	for c in DIALECTS:
		for p in DIALECTS:
			yield c, p


@test(timeout=90)
def dialects_inband_error_after_tokens(ctx):
	"""A provider stream cut after two chunks: every client sees content,
	then an error in its own shape, and no clean end."""
	mock, gw = setup(ctx)
	for c, p in pairs():
		r = call(gw, c, "%s/fault:truncate_after=2" % PROVIDERS[p], stream=True)
		what = "%s client, %s provider" % (c, p)
		check(r.status == 200, "%s: status %d %r" % (what, r.status, r.body[:200]))
		evs = [d for _, d in r.events()]
		errs = []
		for d in evs:
			try:
				j = json.loads(d)
			except ValueError:
				continue
			if error_of(c, j):
				errs.append(j)
		check(errs, "%s: no in-band error event in %r" % (what, evs[-3:]))
		check(not clean_end(c, r), "%s: a broken stream ended cleanly" % what)
		check(not r.complete, "%s: the chunked body was terminated as if complete" % what)


@test(timeout=90)
def dialects_provider_error_event(ctx):
	"""The provider's own mid-stream error event reaches the client as an
	error in the client's shape."""
	mock, gw = setup(ctx)
	for c, p in pairs():
		r = call(gw, c, "%s/fault:error_event_after=2" % PROVIDERS[p], stream=True)
		what = "%s client, %s provider" % (c, p)
		check(r.status == 200, "%s: status %d" % (what, r.status))
		found = False
		for _, d in r.events():
			try:
				if error_of(c, json.loads(d)):
					found = True
			except ValueError:
				pass
		check(found, "%s: no error event: %r" % (what, r.body[-300:]))
		check(not clean_end(c, r), "%s: ended cleanly after an error" % what)


@test(timeout=90)
def dialects_error_status_and_shape(ctx):
	"""Upstream 429/401/500/HTML 502 keep their class, in the client's shape."""
	mock, gw = setup(ctx)
	cases = (("status=429,retry_after=7", (429,)), ("status=401", (401,)), ("status=500", (500,)),
		("html502", (502,)), ("status=503", (503, 529)))
	for c, p in pairs():
		for fault, want in cases:
			want_here = want
			if fault == "status=503":
				# Overload keeps its class: Anthropic's SDK knows it as 529,
				# but a same-dialect relay keeps the provider's own 503.
				want_here = (529, 503) if c == "anthropic" else (503,)
			r = call(gw, c, "%s/fault:%s" % (PROVIDERS[p], fault))
			what = "%s client, %s provider, %s" % (c, p, fault)
			check(r.status in want_here, "%s: status %d, want %s: %r" % (what, r.status, want_here, r.body[:200]))
			check(error_of(c, r.json()), "%s: not an error in the client's shape: %r" % (what, r.body[:300]))
			if fault.startswith("status=429"):
				check(r.header("retry-after") == "7", "%s: Retry-After %r, want '7'" % (what, r.header("retry-after")))


@test(timeout=90)
def dialects_bad_200_is_502(ctx):
	"""A 200 that is empty or carries an error is a failure, in every pair."""
	mock, gw = setup(ctx)
	for c, p in pairs():
		for fault in ("empty200", "error200"):
			r = call(gw, c, "%s/fault:%s" % (PROVIDERS[p], fault))
			what = "%s client, %s provider, %s" % (c, p, fault)
			check(r.status == 502, "%s: status %d, want 502: %r" % (what, r.status, r.body[:200]))
			check(error_of(c, r.json()), "%s: not an error in the client's shape: %r" % (what, r.body[:300]))


@test(timeout=60)
def dialects_refusal_keeps_connection(ctx):
	"""A request refused while the upstream request is built (a model name a
	Gemini URL cannot hold) is answered, and the keep-alive connection
	still serves the next request."""
	mock, gw = setup(ctx)
	with Client(gw.port, 10.0) as cl:
		path, body, headers = request("openai", "gem/bad?name", False)
		r = cl.call("POST", path, body, headers)
		check(r.status == 400 and error_of("openai", r.json()), "refusal: %s" % r.describe())
		path, body, headers = request("openai", "gem/mock-1", False)
		r = cl.call("POST", path, body, headers)
		check(r.status == 200, "next request on the same connection: %s" % r.describe())


@test(timeout=60)
def dialects_gemini_array_stream(ctx):
	"""A Gemini client streaming without alt=sse gets one JSON array, from
	every provider dialect (even Gemini to Gemini, which is re-encoded)."""
	mock, gw = setup(ctx)
	for p in DIALECTS:
		with Client(gw.port, 10.0) as cl:
			r = cl.call("POST", "/v1beta/models/%s/mock-1:streamGenerateContent" % PROVIDERS[p],
				{"contents": [{"role": "user", "parts": [{"text": "arr"}]}]})
		check(r.status == 200, "%s provider: %s" % (p, r.describe()))
		check((r.header("content-type") or "").startswith("application/json"),
			"%s provider: content-type %r" % (p, r.header("content-type")))
		arr = r.json()
		check(isinstance(arr, list) and arr, "%s provider: not a JSON array: %r" % (p, r.body[:200]))
		text = "".join(part.get("text", "") for el in arr for cand in el.get("candidates", [])
			for part in (cand.get("content") or {}).get("parts", []))
		check(text == "mock reply to: arr", "%s provider: text %r" % (p, text))
		check(arr[-1]["candidates"][0].get("finishReason") == "STOP",
			"%s provider: last element %r" % (p, arr[-1]))
