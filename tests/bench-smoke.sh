#!/bin/sh
# bench-smoke.sh BUILD - `make bench-quick` as a smoke test of the benchmark:
# runs tools/bench.sh BUILD quick, then checks that every leg started and
# answered without errors and that the report was written.
# The numbers themselves are never judged here (the machine is shared and
# noisy); the full run is `make bench`. Prints one line per check and
# "bench: N passed, N failed" (a leg the machine cannot run, Portkey when
# npm is unreachable, is a SKIP line, which tests/run.sh counts apart).
set -u
[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
build=$1
cd "$(dirname "$0")/.."
out=$build/bench
start=$(date +%s)
tools/bench.sh "$build" quick
rc=$?
echo
echo "== bench smoke checks"
python3 - "$out" "$rc" "$start" <<'EOF'
import json, os, sys
out, rc, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = 0
def check(ok, what):
	global passed, failed
	print(("ok   " if ok else "FAIL ") + what)
	if ok:
		passed += 1
	else:
		failed += 1
check(rc == 0, "tools/bench.sh quick exits 0 (got %d)" % rc)
res_path = os.path.join(out, "results.json")
rep_path = os.path.join(out, "report.md")
fresh = lambda p: os.path.exists(p) and os.path.getmtime(p) >= start
check(fresh(rep_path), "report.md written by this run")
res = {}
if fresh(res_path):
	with open(res_path) as f:
		res = json.load(f)
check(bool(res), "results.json written by this run")
legs = {}
for r in res.get("wrk", []):
	legs.setdefault(r["leg"], []).append(r)
for leg in ("direct", "llmgw", "llmgw-xlate", "llmgw-tls", "llmgw-tlsin", "nginx"):
	runs = legs.get(leg, [])
	if leg == "nginx" and not runs:
		print("SKIP nginx leg: nginx is not on this machine")
		continue
	check(bool(runs) and all(r["requests"] > 0 for r in runs),
		"%s leg: every wrk run completed requests (%s)" % (leg, [r["requests"] for r in runs]))
	check(bool(runs) and all(r["errors"] == 0 for r in runs),
		"%s leg: no errors (%s)" % (leg, [r["errors"] for r in runs]))
if "portkey" in legs:
	check(all(r["requests"] > 0 and r["errors"] == 0 for r in legs["portkey"]),
		"portkey leg: requests completed, no errors")
else:
	print("SKIP portkey leg: not installed (see %s/npm.log)" % out)
cg = res.get("callgrind", {})
check(cg.get("llmgw|same dialect", 0) > 0 and cg.get("llmgw|translated", 0) > 0,
	"callgrind counted instructions per request for llmgw (%s)" % cg)
hold = res.get("hold", {})
check(bool(hold.get("llmgw-tls", {}).get("ok")),
	"1024 idle + 64 TLS streams held by llmgw (%s)" % hold.get("llmgw-tls", {}).get("out"))
streams = res.get("stream", {})
check(any(k.startswith("llmgw") for k in streams) and "direct" in streams,
	"paced streams measured for direct and llmgw (%s)" % sorted(streams))
mem = res.get("mem", {}).get("llmgw", {})
check(all(mem.get(k, {}).get("rss", 0) > 0 for k in ("idle", "load", "after")),
	"llmgw memory sampled idle, under load and after")
print("bench: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
