#!/bin/sh
# bench.sh BUILD quick|full|cg - the side-by-side benchmark of llmgw, nginx
# and Portkey, run by `make bench` (full, < 10 min), `make bench-quick`
# (quick, < 2 min; the smoke test: every leg starts, answers, no errors,
# report written) and `make bench-cg` (cg: only the instructions per
# request under callgrind, llmgw same dialect and translated beside nginx,
# about a minute).
#
# Prepares what tools/bench/bench.py needs, then runs it:
#   - wrk, valgrind, strace and nginx (Debian's nginx-light) with apt-get when
#     missing;
#   - Portkey's gateway (@portkey-ai/gateway from npm) in BUILD/bench/portkey,
#     once; when npm fails, bench.py prints a SKIP line and goes on without it;
#   - BUILD/bench/sseclient (tools/bench/sseclient.c), the streaming client;
#   - ulimit -n raised for the 1024-connection legs.
# The make targets build BUILD/release/{llmgw,mockprov} first. Loopback only.
# Every process bench.py starts is stopped by PID when it exits, however it
# exits. Exit status: 0, or 1 on a real failure (a leg of ours that cannot
# start, error responses); slow numbers never fail it.
# BENCH_PIN=0 turns CPU pinning off (by default wrk and the clients run on
# CPU 0 and every server on CPU 1). BENCH_NO_INSTALL=1 installs nothing.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 BUILD quick|full|cg" >&2; exit 2; }
arg=$1
mode=$2
case $mode in quick|full|cg) ;; *) echo "usage: $0 BUILD quick|full|cg" >&2; exit 2 ;; esac
case $arg in /*) build=$arg ;; *) build=$PWD/$arg ;; esac
cd "$(dirname "$0")/.."
out=$build/bench
mkdir -p "$out"

say() { echo "bench: $*"; }

# Debian packages, installed only when their command is missing.
need=""
command -v wrk >/dev/null 2>&1 || need="$need wrk"
command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$need nginx-light"
command -v strace >/dev/null 2>&1 || need="$need strace"
if [ -n "$need" ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
	say "installing$need (apt-get)"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		{ timeout 120 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 \
			apt-get install -y -qq --no-install-recommends $need; } >"$out/apt.log" 2>&1 ||
			say "apt-get install$need failed (see $out/apt.log)"
	else
		say "not root or no apt-get: cannot install$need"
	fi
fi

# Portkey's gateway, once per build directory. Bounded: npm gets 3 minutes.
pk=$out/portkey
if [ "$mode" != cg ] && [ ! -f "$pk/node_modules/@portkey-ai/gateway/build/start-server.js" ] &&
	[ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
	if command -v npm >/dev/null 2>&1; then
		say "installing @portkey-ai/gateway with npm into $pk"
		mkdir -p "$pk"
		[ -f "$pk/package.json" ] || echo '{"name":"llmgw-bench-portkey","private":true}' >"$pk/package.json"
		(cd "$pk" && timeout 180 npm install --no-audit --no-fund --loglevel=error @portkey-ai/gateway) \
			>"$out/npm.log" 2>&1 || say "npm install failed (see $out/npm.log); Portkey will be skipped"
	else
		say "npm not found; Portkey will be skipped"
	fi
fi

# The streaming client.
cc=${CC:-cc}
if [ ! -x "$out/sseclient" ] || [ tools/bench/sseclient.c -nt "$out/sseclient" ]; then
	$cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$out/sseclient" tools/bench/sseclient.c
fi

# 1024 client connections, as many upstream ones, and the proxies' own.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [ -n "${MAKELEVEL:-}" ]; then
	cmd="make $( [ "$mode" = quick ] && echo bench-quick || echo bench )"
	[ "$arg" = build ] || cmd="$cmd BUILD=$arg"
else
	cmd="tools/bench.sh $arg $mode"
fi
BENCH_COMMAND=$cmd exec python3 tools/bench/bench.py "$build" "$mode"
