"""The API surface: /healthz, /v1/models, chat via route and provider/model,
what the provider receives, client keys, and request errors."""

import json

from harness import (Client, chat, chat_body, chat_content, check, check_error, free_port,
	get, last_body, last_headers, reply_for, test)


@test()
def healthz(ctx):
	mock, gw = ctx.standard()
	r = get(gw.port, "/healthz")
	check(r.status == 200, "healthz: %s" % r.describe())
	check(r.json() == {"status": "ok"}, "healthz body %r" % r.body)
	check((r.header("content-type") or "").startswith("application/json"),
		"healthz content-type %r" % r.header("content-type"))


@test()
def models_list(ctx):
	mock, gw = ctx.standard(models=("mock-1", "mock-2"))
	r = get(gw.port, "/v1/models")
	check(r.status == 200, "models: %s" % r.describe())
	j = r.json()
	check(j.get("object") == "list" and isinstance(j.get("data"), list), "models body %r" % r.body[:300])
	ids = [m.get("id") for m in j["data"]]
	for want in ("fast", "mock/mock-1", "mock/mock-2"):
		check(want in ids, "%r not in /v1/models ids %r" % (want, ids))
	for m in j["data"]:
		check(m.get("object") == "model", "model entry without object=model: %r" % m)
		check("owned_by" in m and "created" in m, "model entry missing owned_by/created: %r" % m)


@test()
def chat_via_route(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "fast", "hello route")
	check(r.status == 200, "chat: %s" % r.describe())
	check(chat_content(r) == reply_for("hello route"), "content %r" % chat_content(r))
	check(r.header("x-llmgw-provider") == "mock", "x-llmgw-provider %r" % r.header("x-llmgw-provider"))
	check(r.header("x-llmgw-model") is not None, "no x-llmgw-model header")
	check("mock-1" in r.header("x-llmgw-model"), "x-llmgw-model %r" % r.header("x-llmgw-model"))


@test()
def chat_via_provider_model(ctx):
	mock, gw = ctx.standard()
	r = chat(gw.port, "mock/some-model", "hello direct")
	check(r.status == 200, "chat: %s" % r.describe())
	check(chat_content(r) == reply_for("hello direct"), "content %r" % chat_content(r))
	check(r.header("x-llmgw-provider") == "mock", "x-llmgw-provider %r" % r.header("x-llmgw-provider"))
	# The model part may itself contain '/'.
	r = chat(gw.port, "mock/org/model-x", "slash")
	check(r.status == 200, "model with '/': %s" % r.describe())
	body = last_body(mock.last())
	check(body.get("model") == "org/model-x", "upstream model %r, want 'org/model-x'" % body.get("model"))


@test()
def upstream_request_rewritten(ctx):
	ckey = "client-key-" + ctx.secret[-12:]
	mock, gw = ctx.standard(clients=[("tablet", ckey, [])])
	r = chat(gw.port, "fast", "who am i", headers={"Authorization": "Bearer " + ckey,
		"x-api-key": ckey})
	check(r.status == 200, "chat: %s" % r.describe())
	last = mock.last()
	hdrs = last_headers(last)
	check(hdrs, "/mock/last has no headers: %r" % last)
	auth = [v for k, v in hdrs if k == "authorization"]
	check(auth == ["Bearer " + ctx.secret], "upstream Authorization %r, want the provider key as Bearer" %
		["<redacted:%d>" % len(a) for a in auth])
	raw = json.dumps(last)
	check(ckey not in raw, "the client key was forwarded upstream")
	check(not [v for k, v in hdrs if k == "x-api-key"], "client x-api-key header forwarded upstream")
	body = last_body(last)
	check(body.get("model") == "mock-1", "upstream model %r, want mock-1" % body.get("model"))
	check(body.get("messages") == [{"role": "user", "content": "who am i"}],
		"upstream messages %r" % body.get("messages"))


# ---------------------------------------------------------------- auth

def auth_setup(ctx):
	key = "tablet-key-" + ctx.secret[-10:]
	other = "phone-key-" + ctx.secret[-10:]
	mock, gw = ctx.standard(clients=[("tablet", key, ["fast"]), ("phone", other, [])],
		routes=[("fast", ["mock/mock-1"]), ("slow", ["mock/mock-2"])])
	return mock, gw, key, other


@test()
def auth_missing_key_401(ctx):
	mock, gw, key, other = auth_setup(ctx)
	r = chat(gw.port, "fast")
	check_error(r, 401, code="invalid_api_key")
	check(mock.stats().get("chat", 0) == 0, "a request without a key reached the provider")


@test()
def auth_wrong_key_401(ctx):
	mock, gw, key, other = auth_setup(ctx)
	for h in ({"Authorization": "Bearer wrong-key"}, {"x-api-key": "wrong"},
			{"Authorization": "Bearer " + key + "x"}, {"Authorization": "Basic " + key}):
		r = chat(gw.port, "fast", headers=h)
		check_error(r, 401, code="invalid_api_key", what=list(h)[0])
		check(key not in r.text(), "401 body echoes a client key")


@test()
def auth_right_key_200(ctx):
	mock, gw, key, other = auth_setup(ctx)
	for h in ({"Authorization": "Bearer " + key}, {"x-api-key": key}, {"x-goog-api-key": key},
			{"authorization": "Bearer " + other}):
		r = chat(gw.port, "fast", "hi", headers=h)
		check(r.status == 200, "%s: %s" % (list(h)[0], r.describe()))
		check(chat_content(r) == reply_for("hi"), "%s: content %r" % (list(h)[0], chat_content(r)))


@test()
def auth_model_not_allowed_403(ctx):
	mock, gw, key, other = auth_setup(ctx)
	h = {"Authorization": "Bearer " + key}
	for model in ("slow", "mock/mock-1"):
		r = chat(gw.port, model, headers=h)
		check_error(r, 403, code="model_not_allowed", what=model)
	check(mock.stats().get("chat", 0) == 0, "a forbidden request reached the provider")
	# The unrestricted client may use it.
	r = chat(gw.port, "slow", headers={"Authorization": "Bearer " + other})
	check(r.status == 200, "unrestricted client: %s" % r.describe())
	# /v1/models lists only what the client may use.
	r = get(gw.port, "/v1/models", headers=h)
	check(r.status == 200, "models: %s" % r.describe())
	ids = [m.get("id") for m in r.json().get("data", [])]
	check("fast" in ids and "slow" not in ids and "mock/mock-1" not in ids,
		"models for a client allowed only 'fast': %r" % ids)
	r = get(gw.port, "/v1/models")
	check_error(r, 401, code="invalid_api_key", what="/v1/models without a key")


@test()
def auth_duplicate_model_refused(ctx):
	"""A client allowed only 'fast' cannot smuggle another model in a second
	"model" key (either order, however escaped): the gateway would check
	and route one copy while a provider that keeps the first reads the
	other. 400, and nothing reaches the provider."""
	mock, gw, key, other = auth_setup(ctx)
	h = {"Authorization": "Bearer " + key}
	msgs = json.dumps([{"role": "user", "content": "hi"}])
	for first, second in (("mock/mock-2", "fast"), ("fast", "mock/mock-2"), ("fast", "fast")):
		for k2 in ("model", "m\\u006fdel"):
			body = '{"model":"%s","%s":"%s","messages":%s}' % (first, k2, second, msgs)
			with Client(gw.port) as c:
				r = c.call("POST", "/v1/chat/completions", body, h)
			msg = check_error(r, 400, etype="invalid_request_error", what=body)
			check("twice" in msg and "del'" in msg, "the message does not name the key: %r" % msg)
	check(mock.stats().get("requests", 0) == 0, "a refused request reached the provider")
	r = chat(gw.port, "fast", headers=h)
	check(r.status == 200, "the same client, one model key: %s" % r.describe())


# ---------------------------------------------------------------- request errors

@test()
def unknown_model_404(ctx):
	mock, gw = ctx.standard()
	for model in ("nope", "nosuchprovider/m"):
		r = chat(gw.port, model)
		msg = check_error(r, 404, code="model_not_found", what=model)
		check("fast" in msg, "404 message does not list the available route 'fast': %r" % msg)


@test()
def no_providers_503(ctx):
	port = free_port()
	gw = ctx.llmgw(ctx.config(port))
	r = chat(gw.port, "anything")
	msg = check_error(r, 503, code="no_providers")
	check("provider" in msg.lower(), "503 message does not say how to add a provider: %r" % msg)
	r = get(gw.port, "/healthz")
	check(r.status == 200, "healthz without providers: %s" % r.describe())


@test()
def bad_json_400(ctx):
	mock, gw = ctx.standard()
	for body in (b"{", b"not json", b'{"model":"fast","messages":[}', b"", b"[]", b'"str"'):
		r = chat_raw(gw.port, body)
		check_error(r, 400, etype="invalid_request_error", what="body %r" % body)
	check(mock.stats().get("chat", 0) == 0, "an invalid request reached the provider")


@test()
def missing_model_400(ctx):
	mock, gw = ctx.standard()
	cases = [
		{"messages": [{"role": "user", "content": "x"}]},
		{"model": "fast"},
		{"model": 7, "messages": [{"role": "user", "content": "x"}]},
		{"model": "", "messages": [{"role": "user", "content": "x"}]},
	]
	for b in cases:
		r = chat_raw(gw.port, json.dumps(b).encode())
		if b.get("model") == "":
			check(r.status in (400, 404), "empty model: %s" % r.describe())
			continue
		check_error(r, 400, etype="invalid_request_error", what=json.dumps(b))


def chat_raw(port, body):
	with Client(port) as c:
		return c.call("POST", "/v1/chat/completions", body,
			{"Content-Type": "application/json", "Content-Length": str(len(body))})


@test()
def unknown_path_404(ctx):
	mock, gw = ctx.standard()
	for path in ("/nope", "/v1/nope", "/v1/chat/completions/x", "/v2/chat/completions"):
		r = get(gw.port, path)
		check_error(r, 404, what=path)


@test()
def wrong_method_405(ctx):
	mock, gw = ctx.standard()
	for method, path, body in (("GET", "/v1/chat/completions", None), ("DELETE", "/v1/models", None),
			("PUT", "/v1/chat/completions", chat_body("fast"))):
		with Client(gw.port) as c:
			r = c.call(method, path, body)
		check_error(r, 405, what="%s %s" % (method, path))
