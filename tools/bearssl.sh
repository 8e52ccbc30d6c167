#!/bin/sh
# bearssl.sh OUT - builds BearSSL (libbearssl.a) for one target and puts it,
# with BearSSL's and jsmn's headers from the same sources, under OUT:
#     OUT/lib/libbearssl.a   OUT/include/bearssl*.h   OUT/include/jsmn.h
#     OUT/SOURCES            which source trees were used
#
# The target compiler and flags come from the environment: CC, AR and
# CFLAGS (the Makefile passes the toolchain's; e.g. -Os -ffunction-sections
# -fdata-sections, so --gc-sections keeps only what llmgw calls).
#
# Sources: BEARSSL_SRC / JSMN_SRC when set (an unpacked BearSSL tree with
# src/ and inc/; a directory holding jsmn.h), otherwise Debian's source
# packages `bearssl` and `jsmn`, fetched once into SRCDIR (default
# build/src) by tools/debsrc.sh with a private apt configuration. The
# headers always come from the tree the library is built from: BearSSL's
# structures differ between versions, and mixing one version's headers with
# another's library corrupts memory at run time.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
srcdir=${SRCDIR:-$top/build/src}
cc=${CC:-cc}
ar=${AR:-ar}
cflags=${CFLAGS:--Os -ffunction-sections -fdata-sections}

bsrc=${BEARSSL_SRC:-}
[ -n "$bsrc" ] || bsrc=$("$top/tools/debsrc.sh" bearssl "$srcdir" | tail -n 1)
jsrc=${JSMN_SRC:-}
[ -n "$jsrc" ] || jsrc=$("$top/tools/debsrc.sh" jsmn "$srcdir" | tail -n 1)
[ -f "$bsrc/inc/bearssl.h" ] && [ -d "$bsrc/src" ] ||
	{ echo "bearssl.sh: $bsrc is not a BearSSL source tree (no inc/bearssl.h)" >&2; exit 1; }
[ -f "$jsrc/jsmn.h" ] || { echo "bearssl.sh: no jsmn.h in $jsrc" >&2; exit 1; }
bsrc=$(cd "$bsrc" && pwd)

obj=$out/obj
rm -rf "$obj" "$out/lib" "$out/include"
mkdir -p "$obj" "$out/lib" "$out/include"
echo "bearssl.sh: $cc $cflags: $bsrc" >&2
# One compiler per core; BearSSL is ~280 small files.
jobs=$(nproc 2>/dev/null || echo 2)
export cc cflags bsrc obj
find "$bsrc/src" -name '*.c' | sort | xargs -P "$jobs" -n 8 sh -c '
	for f do
		o=$obj/$(echo "${f#"$bsrc"/src/}" | tr / _ | sed "s/\.c\$/.o/")
		# shellcheck disable=SC2086
		$cc $cflags -I"$bsrc/inc" -I"$bsrc/src" -c "$f" -o "$o" || exit 255
	done' sh
"$ar" rcs "$out/lib/libbearssl.a.tmp" "$obj"/*.o
mv "$out/lib/libbearssl.a.tmp" "$out/lib/libbearssl.a"
rm -rf "$obj"
cp "$bsrc"/inc/*.h "$out/include/"
cp "$jsrc/jsmn.h" "$out/include/"
printf 'bearssl %s\njsmn %s\ncc %s\ncflags %s\n' "$bsrc" "$(cd "$jsrc" && pwd)" "$cc" "$cflags" > "$out/SOURCES"
echo "bearssl.sh: $out/lib/libbearssl.a ($(wc -c < "$out/lib/libbearssl.a") bytes)" >&2
