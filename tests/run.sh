#!/bin/bash
# run.sh BUILD [unit|all] - the test runner behind `make check` / `make unit`.
#
# Runs, in order: every unit test binary BUILD/asan/tests/unit/test_*, the
# integration suite (tests/integration/run.py), the SDK suite
# (tests/sdk/run.sh), a fuzz smoke run (tools/fuzz.sh BUILD 5), the
# install check, the smallest build (tools/test-options.sh) and the
# benchmark smoke test (tests/bench-smoke.sh). Each
# suite ends with a "<suite>: N passed, N failed" line; this adds them up.
# A suite that crashes, times out, prints no summary, or exits non-zero
# while claiming no failures counts as one more failure. Lines starting
# "SKIP " are collected. The last lines are exactly
#     skipped: N (name, ...)        (only when something was skipped)
#     N passed, N failed
# and the exit status is 1 when anything failed. "unit" runs unit tests only.
# "emu" is `make check TOOLCHAIN=...`: BUILD is a tree of qemu wrapper
# scripts (Makefile, EMU); unit and integration tests only (the SDK suite
# and the fuzzers are host-only), without the integration tests that measure
# the host process itself (EMU_SKIP: RSS is qemu's, LD_PRELOAD cannot reach a
# static binary), which are reported as skipped.
set -u

[ $# -ge 1 ] || { echo "usage: $0 BUILD [unit|all|emu]" >&2; exit 2; }
build=$1
mode=${2:-all}
case $mode in unit|all|emu) ;; *) echo "usage: $0 BUILD [unit|all|emu]" >&2; exit 2 ;; esac
EMU_SKIP=${EMU_SKIP:-idle_rss_release no_malloc_on_request_path}
case $build in /*) ;; *) build=$PWD/$build ;; esac
cd "$(dirname "$0")/.." || exit 2

logs=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-check.XXXXXX") || exit 2
trap 'rm -rf "$logs"' EXIT

passed=0
failed=0
nskip=0
skipnames=""
problems=""	# one line per failure, repeated at the end
nsuite=0

note_fail() {	# note_fail TEXT: a failure this script found itself
	failed=$((failed + 1))
	problems="$problems$1
"
	echo "FAIL $1"
}

# suite NAME TIMEOUT CMD...: runs CMD (stdout+stderr shown as it goes and
# logged), then adds up its summary line.
suite() {
	local name=$1 limit=$2
	shift 2
	nsuite=$((nsuite + 1))
	local log="$logs/$nsuite.log"
	echo "== $name"
	timeout -k 10 "$limit" "$@" 2>&1 < /dev/null | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line p f
	line=$(grep -E '^[A-Za-z0-9_./ -]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			note_fail "$name: timed out after $limit s without a summary"
		else
			note_fail "$name: crashed or printed no summary (exit $rc)"
		fi
	else
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/')
		f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/')
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -gt 0 ]; then
			problems="$problems$(grep -E '^FAIL ' "$log" | sed "s|^FAIL |$name: |" | cut -c1-200)
"
		fi
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
				note_fail "$name: timed out after $limit s"
			else
				note_fail "$name: exited $rc after reporting no failures (sanitizer report at exit?)"
			fi
		fi
	fi
	local s n
	while IFS= read -r s; do
		n=${s#SKIP }
		n=${n%%:*}
		nskip=$((nskip + 1))
		skipnames="${skipnames:+$skipnames, }$n"
	done < <(grep -E '^SKIP ' "$log")
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Unit tests: one binary per tests/unit/test_*.c; a missing binary is a
# failure (it did not build), not a silent gap.
for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	bin="$build/asan/tests/unit/$name"
	if [ ! -x "$bin" ]; then
		note_fail "$name: $bin was not built"
		continue
	fi
	suite "$name" 300 "$bin"
done

if [ "$mode" = all ]; then
	suite integration 1200 python3 tests/integration/run.py --build "$build"
	suite sdk 900 tests/sdk/run.sh "$build"
	if [ -e "$build/fuzz-build-failed" ]; then
		note_fail "fuzz: the fuzz build failed ($build/fuzz-build-failed)"
	fi
	suite fuzz 600 tools/fuzz.sh "$build" 5
	suite install 300 tools/test-install.sh "$build"
	suite options 600 tools/test-options.sh "$build"
	suite bench 400 tests/bench-smoke.sh "$build"
fi
if [ "$mode" = emu ]; then
	set --
	for t in $(python3 tests/integration/run.py --build "$build" --list | sed 's/ .*//'); do
		case " $EMU_SKIP " in
		*" $t "*)
			echo "SKIP $t: measures the host process, not meaningful under emulation"
			nskip=$((nskip + 1))
			skipnames="${skipnames:+$skipnames, }$t" ;;
		*) set -- "$@" -k "$t" ;;
		esac
	done
	suite integration 2400 python3 tests/integration/run.py --build "$build" "$@"
fi

echo
if [ -n "$problems" ]; then
	echo "failures:"
	printf '%s' "$problems" | sed '/^$/d; s/^/  /'
fi
if [ "$nskip" -gt 0 ]; then
	echo "skipped: $nskip ($skipnames)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
