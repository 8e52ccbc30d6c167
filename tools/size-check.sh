#!/bin/sh
# size-check.sh FILE TARGET PROFILE [BUDGET_KB] - prints one row of the size
#     table for a stripped llmgw: target, profile, bytes, budget and ok/OVER,
#     and exits 1 when FILE is over BUDGET_KB kilobytes (1024 B) or missing.
#     No BUDGET_KB: no budget (the row says "-").
# size-check.sh --header - the table's heading.
# The Makefile calls it per build (`make TOOLCHAIN=...`, target size-check)
# and per target and profile for `make cross` (target size-row).
set -u
row() { printf '%-20s %-7s %9s  %9s  %s\n' "$@" | sed 's/ *$//'; }
if [ "${1:-}" = --header ]; then
	row target profile bytes budget ""
	exit 0
fi
[ $# -ge 3 ] || { echo "usage: $0 FILE TARGET PROFILE [BUDGET_KB] | --header" >&2; exit 2; }
file=$1 target=$2 profile=$3 budget_kb=${4:-}
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

if [ ! -f "$file" ]; then
	row "$target" "$profile" - "${budget_kb:--}" "not built ($file)"
	exit 1
fi
b=$(wc -c < "$file")
if [ -z "$budget_kb" ]; then
	row "$target" "$profile" "$(commas "$b")" - ""
	exit 0
fi
limit=$((budget_kb * 1024))
if [ "$b" -gt "$limit" ]; then
	row "$target" "$profile" "$(commas "$b")" "$(commas "$limit")" \
		"OVER by $(commas $((b - limit))) B"
	exit 1
fi
row "$target" "$profile" "$(commas "$b")" "$(commas "$limit")" \
	"ok ($(commas $((limit - b))) B to spare)"
