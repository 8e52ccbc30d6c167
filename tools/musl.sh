#!/bin/sh
# musl.sh TRIPLET GNU-TRIPLET OUT - builds musl's static C library for a
# target Debian has no musl-dev package for (mips big-endian: Debian 12
# dropped the mips architecture, so there is no musl-dev:mips), from
# Debian's `musl` source package (tools/debsrc.sh, private apt
# configuration), with Debian's GNU cross compiler GNU-TRIPLET-gcc.
#
# Result, like Debian's musl-dev wrappers: OUT/bin/TRIPLET-gcc runs
# GNU-TRIPLET-gcc with musl's specs file, so it compiles and links against
# OUT/include and OUT/lib/libc.a only. MUSL_SRC: use that musl tree instead.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 TRIPLET GNU-TRIPLET OUT" >&2; exit 2; }
triplet=$1
gnu=$2
out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
case $out in /*) ;; *) out=$PWD/$out ;; esac
[ -x "$out/bin/$triplet-gcc" ] && [ -e "$out/lib/libc.a" ] && exit 0
command -v "$gnu-gcc" >/dev/null || { echo "musl.sh: $gnu-gcc not found (apt-get install gcc-$gnu)" >&2; exit 1; }

src=${MUSL_SRC:-}
[ -n "$src" ] || src=$("$top/tools/debsrc.sh" musl "$top/build/src" | tail -n 1)
work=$top/build/src/musl-$triplet
rm -rf "$work"
cp -a "$src" "$work"
cd "$work"
echo "musl.sh: building musl for $triplet with $gnu-gcc into $out" >&2
./configure --target="$gnu" --prefix="$out" --syslibdir="$out/lib" \
	--disable-shared --enable-wrapper=gcc \
	CC="$gnu-gcc" CROSS_COMPILE="$gnu-" CFLAGS="-Os -ffunction-sections -fdata-sections" >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
make install >/dev/null
# musl installs its wrapper as bin/musl-gcc; give it the triplet name too.
ln -sf musl-gcc "$out/bin/$triplet-gcc"
cd "$top" && rm -rf "$work"
echo "musl.sh: $out/bin/$triplet-gcc" >&2
