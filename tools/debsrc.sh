#!/bin/sh
# debsrc.sh PKG DIR - unpack Debian's source package PKG into DIR and print
# the unpacked directory's path (the last line of output).
#
# Uses a private apt configuration under $APT_PRIV (default build/apt):
# its own deb-src sources.list, package lists and cache, so the system's apt
# sources, lists and cache are never touched (nothing is installed; no root
# needed when build/ is writable). The mirror and suite are taken from the
# system's Debian sources unless DEBIAN_MIRROR / DEBIAN_SUITE are set.
# Needs apt-get and dpkg-source (dpkg-dev). Already unpacked: no network.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 PKG DIR" >&2; exit 2; }
pkg=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
priv=${APT_PRIV:-$top/build/apt}

# Already there (e.g. bearssl-0.6/): reuse it, no network.
for d in "$dir/$pkg"-*/; do
	[ -d "$d" ] && [ -e "$dir/.$pkg.done" ] && { echo "${d%/}"; exit 0; }
done

command -v apt-get >/dev/null || { echo "debsrc.sh: apt-get not found; point ${pkg}'s *_SRC variable at a source tree instead" >&2; exit 1; }
command -v dpkg-source >/dev/null || { echo "debsrc.sh: dpkg-source not found (apt-get install dpkg-dev)" >&2; exit 1; }

mirror=${DEBIAN_MIRROR:-}
suite=${DEBIAN_SUITE:-}
if [ -z "$mirror" ]; then
	# deb822 (.sources) first, then one-line sources.list; the first Debian
	# main archive wins (not -security, not third-party repositories).
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
	[ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\/.*\/debian\/?$/) { print $i; exit } }')
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi
if [ -z "$suite" ]; then
	suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$suite" ] || suite=bookworm
fi
key=/usr/share/keyrings/debian-archive-keyring.gpg
signed=""
[ -r "$key" ] && signed="[signed-by=$key] "

mkdir -p "$priv/lists/partial" "$priv/cache/archives/partial" "$priv/parts" "$dir"
echo "deb-src ${signed}$mirror $suite main" > "$priv/sources.list"
set -- -o Dir::Etc::SourceList="$priv/sources.list" \
	-o Dir::Etc::SourceParts="$priv/parts" \
	-o Dir::State::Lists="$priv/lists" \
	-o Dir::Cache="$priv/cache" \
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
	-o APT::Sandbox::User="$(id -un)" \
	-o Debug::NoLocking=1
# One update per day is plenty for source packages of a stable release.
if [ -z "$(find "$priv/lists" -name '*Sources*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get "$@" -qq update >&2 || { echo "debsrc.sh: apt-get update ($mirror $suite) failed" >&2; exit 1; }
fi
if ! ( cd "$dir" && apt-get "$@" -qq source --only-source "$pkg" >&2 ); then
	# A mirror missing the small debian.tar.* (seen here for jsmn) still
	# gave us the upstream tarball Debian's package is built from: use it,
	# minus Debian's patches, and say so.
	orig=$(ls "$dir/${pkg}"_*.orig.tar.* 2>/dev/null | head -n 1)
	[ -n "$orig" ] || { echo "debsrc.sh: apt-get source $pkg failed" >&2; exit 1; }
	echo "debsrc.sh: $pkg: using the upstream tarball $(basename "$orig") without Debian's patches" >&2
	tar -xf "$orig" -C "$dir" || exit 1
fi
touch "$dir/.$pkg.done"
for d in "$dir/$pkg"-*/; do
	[ -d "$d" ] && { echo "${d%/}"; exit 0; }
done
echo "debsrc.sh: $pkg unpacked, but no $dir/$pkg-*/ directory" >&2
exit 1
