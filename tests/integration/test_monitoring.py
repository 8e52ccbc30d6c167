"""Monitoring: /metrics in Prometheus text format with real traffic in it,
/status.json, and the /status page rendered by headless Chromium."""

import json

import chromium_render
from harness import TestSkip, chat, check, check_error, free_port, get, test


def routed(ctx):
	mock = ctx.mockprov()
	port = free_port()
	conf = ctx.config(port, (), providers=[("mock", mock.url, [])], routes=[("fast", ["mock/mock-1"])])
	return mock, ctx.llmgw(conf)


@test(timeout=30)
def metrics_count_real_traffic(ctx):
	mock, gw = routed(ctx)
	for i in range(3):
		check(chat(gw.port, "fast", "m%d" % i).status == 200, "chat")
	check(chat(gw.port, "mock/fault:status=500").status == 500, "500")
	r = get(gw.port, "/metrics")
	check(r.status == 200 and (r.header("content-type") or "").startswith("text/plain"), "metrics: %s" % r.describe())
	lines = r.text().splitlines()
	samples = {}
	for l in lines:
		if l and not l.startswith("#"):
			k, _, v = l.rpartition(" ")
			samples[k] = float(v)
	check(samples.get('llmgw_requests_total{dialect="openai",code="2xx"}') == 3,
		"2xx count %r" % samples.get('llmgw_requests_total{dialect="openai",code="2xx"}'))
	check(samples.get('llmgw_requests_total{dialect="openai",code="5xx"}') == 1, "5xx count")
	check(samples.get('llmgw_target_up{target="mock/mock-1"}') == 1, "target up")
	check(samples.get("llmgw_open_connections", 0) >= 1, "open connections")
	check(samples.get("llmgw_memory_bytes", 0) > 100000, "memory")
	types = [l for l in lines if l.startswith("# TYPE ")]
	check(any("llmgw_request_duration_seconds histogram" in l for l in types), "no latency histogram")
	ctx.note("metrics excerpt: " + "; ".join(l for l in lines if l.startswith("llmgw_requests_total"))[:300])


@test(timeout=30)
def status_json_shows_targets(ctx):
	mock, gw = routed(ctx)
	check(chat(gw.port, "fast", "s").status == 200, "chat")
	r = get(gw.port, "/status.json")
	check(r.status == 200, "status.json: %s" % r.describe())
	j = r.json()
	names = [t["name"] for t in j["targets"]]
	check("mock/mock-1" in names, "targets %r" % names)
	t = [t for t in j["targets"] if t["name"] == "mock/mock-1"][0]
	check(t["state"] == "closed" and t["requests"] >= 1, "target %r" % t)
	check([r_["name"] for r_ in j["routes"]] == ["fast"], "routes %r" % j["routes"])


@test(timeout=120)
def status_page_renders_in_chromium(ctx):
	mock, gw = routed(ctx)
	check(chat(gw.port, "fast", "p").status == 200, "chat")
	try:
		dom = chromium_render.render("http://127.0.0.1:%d/status" % gw.port, timeout=90,
			screenshot=ctx.path("status.png"))
	except chromium_render.ChromiumMissing as e:
		raise TestSkip("chromium not installed: %s" % e)
	d = chromium_render.parse_dom(dom)
	check("mock/mock-1" in d.targets, "the page shows no row for the target: %r" % d.targets)
	check(any(d.tables.values()), "no tables rendered")
	text = " ".join(c for rows in d.tables.values() for row in rows for c in row)
	check("closed" in text, "the target's state is not shown: %r" % text[:300])


@test(timeout=30)
def monitoring_needs_a_monitor_key(ctx):
	"""With client sections, /metrics, /status and /status.json are for
	clients with option monitor '1': any other key (restricted or not) gets
	a JSON 403 naming the option and none of the data; no key is a 401.
	/healthz stays open."""
	keys = {n: "llmgw-test-key-" + n for n in ("tablet", "phone", "prom")}
	mock, gw = ctx.standard(clients=[("tablet", keys["tablet"], ["fast"]), ("phone", keys["phone"], []),
		("prom", keys["prom"], [], [("option", "monitor", "1")])])
	check(chat(gw.port, "fast", "m", headers={"Authorization": "Bearer " + keys["tablet"]}).status == 200, "chat")
	for path in ("/metrics", "/status", "/status.json"):
		for who in ("tablet", "phone"):
			r = get(gw.port, path, headers={"Authorization": "Bearer " + keys[who]})
			msg = check_error(r, 403, code="monitor_not_allowed", etype="permission_error", what="%s %s" % (who, path))
			check("monitor" in msg, "%s %s: message %r" % (who, path, msg))
			check(b"tablet" not in r.body and b"prom" not in r.body, "%s %s: the 403 leaks data" % (who, path))
		check_error(get(gw.port, path), 401, code="invalid_api_key", what="no key " + path)
		for h in ({"Authorization": "Bearer " + keys["prom"]}, {"x-api-key": keys["prom"]}):
			r = get(gw.port, path, headers=h)
			check(r.status == 200 and b"tablet" in r.body, "monitor key on %s: %s" % (path, r.describe()))
	r = get(gw.port, "/healthz")
	check(r.status == 200 and r.json() == {"status": "ok"}, "/healthz without a key: %s" % r.describe())
	# The monitor key is an ordinary client key besides.
	check(chat(gw.port, "fast", "p", headers={"Authorization": "Bearer " + keys["prom"]}).status == 200, "monitor chat")


@test(timeout=30)
def open_gateway_monitoring_from_loopback(ctx):
	"""No client sections (an open gateway): monitoring is served like the
	API, to loopback peers without a key."""
	mock, gw = routed(ctx)
	for path in ("/metrics", "/status", "/status.json"):
		r = get(gw.port, path)
		check(r.status == 200, "%s on an open gateway from loopback: %s" % (path, r.describe()))
