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


def raw_call(gw, c, model, members, stream=False, path=None):
	"""A request of dialect c whose body is the minimal one with the raw
	JSON text members (say '"stream":"yes"') put first, so a duplicate
	comes before the minimal body's own key."""
	p, body, headers = request(c, model, stream)
	raw = "{" + members + "," + json.dumps(body)[1:]
	with Client(gw.port, 15.0) as cl:
		return cl.call("POST", path or p, raw, headers)


def refused_naming(c, r, name, what):
	check(r.status == 400, "%s: status %d, want 400: %r" % (what, r.status, r.body[:300]))
	msg = error_of(c, r.json())
	check(msg, "%s: not an error in the client's shape: %r" % (what, r.body[:300]))
	check(name in msg, "%s: the message does not name %r: %r" % (what, name, msg))


@test(timeout=90)
def dialects_duplicate_keys_refused(ctx):
	"""A top-level key given twice is a 400 naming it, in the client's
	shape, on the same-dialect path (which forwards the body) and the
	translated one alike, streamed or not: the gateway must never route or
	authorize by one copy while the provider reads the other."""
	mock, gw = setup(ctx)
	for c, p in pairs():
		model = "%s/mock-1" % PROVIDERS[p]
		if c == "gemini":
			dups = (('"contents":[{"role":"user","parts":[{"text":"other"}]}]', "contents"),
				('"generationConfig":{},"generationConfig":{"maxOutputTokens":5}', "generationConfig"))
		else:
			dups = (('"model":"%s/other"' % PROVIDERS[p], "model"),
				# named by its second copy, here the plain one
				('"m\\u006fdel":"%s/other"' % PROVIDERS[p], "'model'"),
				('"stream":false,"stream":true', "stream"))
		for members, name in dups:
			for stream in (False, True):
				what = "%s client, %s provider, %s, stream %s" % (c, p, members, stream)
				refused_naming(c, raw_call(gw, c, model, members, stream), name, what)
	# Token counting reads the body the same way.
	for p in ("anthropic", "gemini"):
		r = raw_call(gw, "anthropic", "%s/mock-1" % PROVIDERS[p], '"messages":[]', path="/v1/messages/count_tokens")
		refused_naming("anthropic", r, "messages", "count_tokens, %s provider" % p)
	check(mock.stats().get("requests", 0) == 0, "a refused request reached the provider: %r" % mock.stats())
	# Nested objects may repeat a key (the gateway reads none of them on
	# the forwarded path, and a translation writes the one value it read).
	r = raw_call(gw, "openai", "oai/mock-1", '"metadata":{"a":"1","a":"2"}')
	check(r.status == 200, "a nested repeat: %s" % r.describe())


@test(timeout=90)
def dialects_wrongly_typed_refused(ctx):
	"""A member the gateway reads, of the wrong type or out of range, is a
	400 naming it on every path ("stream":"yes" is not a non-stream
	request); null stays accepted as absent, as the SDKs send it."""
	mock, gw = setup(ctx)
	for c, p in pairs():
		model = "%s/mock-1" % PROVIDERS[p]
		cases = [('"stream":"yes"', "stream"), ('"stream":1', "stream")]
		if c == "openai":
			cases += [('"max_tokens":1e400', "max_tokens"), ('"max_tokens":12345678901234567890123456', "max_tokens"),
				('"max_completion_tokens":-1', "max_completion_tokens"), ('"stream_options":true', "stream_options"),
				('"messages":{}', "messages")]
		if c == "anthropic":
			# Its minimal body has max_tokens already: replace it.
			cases += [('"messages":"hi"', "messages")]
		for members, name in cases:
			what = "%s client, %s provider, %s" % (c, p, members)
			refused_naming(c, raw_call(gw, c, model, members), name, what)
		if c == "anthropic":
			for bad in ("1e400", "12345678901234567890123456", "\"64\""):
				path, body, headers = request(c, model, False)
				raw = json.dumps(body).replace('"max_tokens": 64', '"max_tokens": ' + bad)
				with Client(gw.port, 15.0) as cl:
					r = cl.call("POST", path, raw, headers)
				refused_naming(c, r, "max_tokens", "%s client, %s provider, max_tokens %s" % (c, p, bad))
		if c == "gemini" and p != "gemini":
			# Read by the translation only (a Gemini provider reads its own).
			for members in ('"generationConfig":{"maxOutputTokens":1e400}',
					'"generationConfig":{"temperature":"hot"}'):
				refused_naming(c, raw_call(gw, c, model, members), "generationConfig.",
					"%s client, %s provider, %s" % (c, p, members))
	check(mock.stats().get("requests", 0) == 0, "a refused request reached the provider: %r" % mock.stats())
	# null for optional members, as SDKs send them, on every path.
	for c, p in pairs():
		model = "%s/mock-1" % PROVIDERS[p]
		if c == "openai":
			members = ('"stream":null,"stream_options":null,"max_tokens":null,"max_completion_tokens":null,'
				'"temperature":null,"top_p":null,"stop":null,"tools":null,"tool_choice":null,"user":null,'
				'"seed":null,"n":null,"response_format":null,"parallel_tool_calls":null')
		elif c == "anthropic":
			members = '"stream":null,"temperature":null,"metadata":{"user_id":null}'
		else:
			members = '"generationConfig":{"maxOutputTokens":null,"temperature":null}'
		r = raw_call(gw, c, model, members)
		check(r.status == 200, "%s client, %s provider, nulls: %s" % (c, p, r.describe()))
