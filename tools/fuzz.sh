#!/bin/bash
# fuzz.sh BUILD SECONDS - runs every libFuzzer harness for SECONDS.
#
# Each BUILD/fuzz/tests/fuzz/fuzz_NAME runs on a temporary copy of
# tests/fuzz/corpus/NAME (the committed corpus is never modified), several
# harnesses at once (one per CPU). A crash, leak, timeout or sanitizer report
# is a failure; its reproducer is kept in BUILD/fuzz/artifacts/ and the tail
# of the log is printed. A harness source without a built binary is a
# failure too (the fuzz build broke). Prints "ok   fuzz_NAME" (with runs,
# coverage and corpus growth) / "FAIL ..."
# lines and ends with "fuzz: N passed, N failed"; exits 1 on any failure.
set -u

[ $# -eq 2 ] || { echo "usage: $0 BUILD SECONDS" >&2; exit 2; }
build=$1
secs=$2
case $build in /*) ;; *) build=$PWD/$build ;; esac
cd "$(dirname "$0")/.." || exit 2

work=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz/artifacts"

jobs=$(nproc 2>/dev/null || echo 2)
names=()
pids=()
passed=0
failed=0

finish() {	# finish INDEX: wait for that harness and report it
	local name=${names[$1]} pid=${pids[$1]} rc
	wait "$pid"
	rc=$?
	local log="$work/$name.log"
	local before after
	before=$(cat "$work/$name.count0")
	after=$(find "$work/$name.corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
		passed=$((passed + 1))
		local execs cov
		execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
		# libFuzzer's last status line: edges covered (cov) and features (ft).
		cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
		echo "ok   $name (${secs}s, ${execs:-?} runs, ${cov:-cov: ?}, corpus $before -> $after)"
	else
		failed=$((failed + 1))
		echo "FAIL $name: exit $rc"
		# The report (up to its SUMMARY line), else the end of the log.
		local rep
		rep=$(sed -n '/ERROR: \|runtime error:\|==ERROR/,/SUMMARY:/p' "$log" | head -n 40)
		[ -n "$rep" ] || rep=$(tail -n 20 "$log")
		printf '%s\n' "$rep" | sed 's/^/    | /'
		grep -E 'Test unit written' "$log" | head -n 1 | sed 's/^.*Test unit written to/    reproducer:/'
	fi
}

running=0
first=0
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	bin="$build/fuzz/tests/fuzz/$name"
	if [ ! -x "$bin" ]; then
		failed=$((failed + 1))
		echo "FAIL $name: $bin was not built (see the fuzz build output)"
		continue
	fi
	mkdir -p "$work/$name.corpus"
	if [ -d "tests/fuzz/corpus/$short" ]; then
		cp -R "tests/fuzz/corpus/$short/." "$work/$name.corpus/"
	fi
	find "$work/$name.corpus" -type f | wc -l > "$work/$name.count0"
	# -timeout: one input taking over 10 s is a hang; -rss_limit_mb caps leaks.
	ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/artifacts/$name-" "$work/$name.corpus" \
		> "$work/$name.log" 2>&1 < /dev/null &
	names+=("$name")
	pids+=($!)
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		finish "$first"
		first=$((first + 1))
		running=$((running - 1))
	fi
done
while [ "$first" -lt "${#names[@]}" ]; do
	finish "$first"
	first=$((first + 1))
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
