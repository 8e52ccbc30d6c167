-- wrk.lua - the benchmark's wrk script (tools/bench.sh): one fixed POST for
-- every request. The body comes from the file named by BENCH_BODY_FILE,
-- extra headers from BENCH_HEADERS ("Name: value" lines). At the end it
-- prints one line "BENCHJSON {...}" with the counts, errors and latency
-- percentiles (microseconds) that bench.py parses.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
	local k, v = string.match(line, "^([^:]+):%s*(.*)$")
	if k then wrk.headers[k] = v end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
		'"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.max, latency.mean))
end
