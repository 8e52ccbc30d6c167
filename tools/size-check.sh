#!/bin/sh
# size-check.sh FILE TARGET [BUDGET_KB] - prints the size of a stripped
#     llmgw and fails (exit 1) when it is over BUDGET_KB kilobytes (1024 B).
# size-check.sh --table TARGET... - one line per cross target built in
#     build/<target>/release/llmgw, with its budget when its toolchain file
#     has one; exit 1 when any is over or missing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)

check() {	# check FILE TARGET BUDGET
	[ -f "$1" ] || { printf '%-20s not built (%s)\n' "$2" "$1"; return 1; }
	b=$(wc -c < "$1")
	kb=$(( (b + 1023) / 1024 ))
	if [ -n "$3" ] && [ "$b" -gt $(( $3 * 1024 )) ]; then
		printf '%-20s %7d bytes (%d KB)  OVER the %s KB budget\n' "$2" "$b" "$kb" "$3"
		return 1
	fi
	printf '%-20s %7d bytes (%d KB)%s\n' "$2" "$b" "$kb" "${3:+  budget $3 KB}"
}

if [ "${1:-}" = --table ]; then
	shift
	rc=0
	echo "stripped static llmgw:"
	for t in "$@"; do
		budget=$(sed -n 's/^SIZE_BUDGET_KB *?= *\([0-9]*\).*/\1/p' "$top/port/toolchain/$t.mk" 2>/dev/null)
		check "$top/build/$t/release/llmgw" "$t" "$budget" || rc=1
	done
	exit $rc
fi
[ $# -ge 2 ] || { echo "usage: $0 FILE TARGET [BUDGET_KB] | --table TARGET..." >&2; exit 2; }
check "$1" "$2" "${3:-}"
