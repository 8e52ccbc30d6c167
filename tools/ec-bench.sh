#!/bin/sh
# ec-bench.sh QEMU EC_BENCH TARGET - BearSSL's P-256 implementations (and
# X25519's) compared on one target: `make ec-bench TOOLCHAIN=...` builds
# tools/ec_bench.c for the target and runs this.
#
# For each implementation and operation it prints
#   - the instructions one operation executes on the target, counted under
#     qemu-user: the count of a run with one operation minus that of a run
#     with none. Two ways of counting (EC_BENCH_COUNT):
#       blocks  qemu logs each translated block's instructions (-d in_asm)
#               and each run of a block (-d exec; nochain so that every run
#               is logged); about half a minute per run. Needs qemu's
#               disassembler to decode the code right, which it does not
#               for MIPS16.
#       steps   qemu translates one instruction per block (-singlestep) and
#               logs each run; the number of runs is the count. Right for
#               every instruction set, ten times slower. Default for mips*.
#     Exact for the emulated instruction set, but every instruction counts
#     as one: a multiply costs more than an add on real cores, and qemu says
#     nothing about caches or pipelines.
#   - operations per second of CPU time under qemu (best of three runs of
#     20): only relative to one another, since qemu translates the code; a
#     second opinion on the count.
# Both as a ratio to br_ec_prime_i31 (the generic code), lower is faster.
# EC_BENCH_IMPLS and EC_BENCH_OPS choose what is measured; EC_BENCH_COUNT=no
# (and no QEMU, a native target) gives the timings only.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 QEMU EC_BENCH TARGET" >&2; exit 2; }
qemu=$1 bin=$2 target=$3
impls=${EC_BENCH_IMPLS:-prime_i31 p256_m31 p256_m15 prime_i15 c25519_i31}
ops=${EC_BENCH_OPS:-mul mulgen muladd}
case $target in mips*) method=${EC_BENCH_COUNT:-steps} ;; *) method=${EC_BENCH_COUNT:-blocks} ;; esac
[ -n "$qemu" ] || method=no

count() {	# count IMPL OP N: instructions executed by `ec_bench IMPL OP N`
	if [ "$method" = steps ]; then
		# shellcheck disable=SC2086
		$qemu -singlestep -d nochain,exec "$bin" "$1" "$2" "$3" 2>&1 >/dev/null | grep -c '^Trace'
		return
	fi
	# shellcheck disable=SC2086
	$qemu -d nochain,in_asm,exec "$bin" "$1" "$2" "$3" 2>&1 >/dev/null | awk '
	/^IN:/ { blk = 1; first = ""; n = 0; next }
	blk && /^0x[0-9a-f]+:/ { if (first == "") { first = $1; sub(/^0x0*/, "", first); sub(/:$/, "", first) } n++; next }
	blk && /^$/ { if (first != "") len[first] = n; blk = 0; next }
	/^Trace/ { split($0, f, "["); split(f[2], g, "/"); pc = g[2]; sub(/^0+/, "", pc); runs[pc]++; next }
	END {
		t = 0
		for (pc in runs) {
			if (!(pc in len)) { print "no block at " pc > "/dev/stderr"; exit 1 }
			t += runs[pc] * len[pc]
		}
		print t
	}'
}

best() {	# best IMPL OP N: the highest operations per second of three runs
	for _ in 1 2 3; do
		# shellcheck disable=SC2086
		$qemu "$bin" "$1" "$2" "$3" | sed 's/.*: \([0-9.]*\) per second/\1/'
	done | sort -g | tail -n 1
}

echo "$target: BearSSL elliptic-curve operations (tools/ec-bench.sh, counting: $method)"
printf '%-11s %-7s %13s %7s %12s %7s\n' implementation op instructions ratio "ops/s(qemu)" ratio
for op in $ops; do
	base_i= base_t=
	for impl in $impls; do
		[ "$impl" = c25519_i31 ] && [ "$op" != mul ] && continue
		i=-
		[ "$method" = no ] || i=$(( $(count "$impl" "$op" 1) - $(count "$impl" "$op" 0) ))
		t=$(best "$impl" "$op" 20)
		[ -n "$base_t" ] || { base_i=$i; base_t=$t; }
		ri=-
		[ "$i" = - ] || ri=$(awk -v a="$i" -v b="$base_i" 'BEGIN { printf "%.2f", a / b }')
		rt=$(awk -v a="$t" -v b="$base_t" 'BEGIN { printf "%.2f", b / a }')
		printf '%-11s %-7s %13s %7s %12s %7s\n' "$impl" "$op" "$i" "$ri" "$t" "$rt"
	done
done
