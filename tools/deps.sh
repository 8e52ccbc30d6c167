#!/bin/sh
# deps.sh check|install - the build and test dependencies of llmgw.
#   check:   exit 0 when everything `make` and `make check` need is present.
#   install: apt-get install what is missing (Debian/Raspberry Pi OS; root or sudo).
# Build: BearSSL and jsmn (headers + library). Tests: clang with the libFuzzer
# and sanitizer runtimes, openssl (test CA), curl, python3, node and npm
# (official SDK clients), chromium (the status page test).
set -u
pkgs_build="libbearssl-dev libjsmn-dev"
pkgs_test="clang libclang-rt-14-dev openssl curl python3 nodejs npm chromium"

have_header() { printf '#include <%s>\nint main(void){return 0;}\n' "$1" | ${CC:-cc} -x c -fsyntax-only - 2>/dev/null; }

missing() {
	m=""
	have_header bearssl.h || m="$m libbearssl-dev"
	have_header jsmn.h || m="$m libjsmn-dev"
	command -v clang >/dev/null 2>&1 || m="$m clang"
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 || m="$m libclang-rt-14-dev"
	command -v openssl >/dev/null 2>&1 || m="$m openssl"
	command -v curl >/dev/null 2>&1 || m="$m curl"
	command -v python3 >/dev/null 2>&1 || m="$m python3"
	command -v node >/dev/null 2>&1 || m="$m nodejs"
	command -v npm >/dev/null 2>&1 || m="$m npm"
	command -v chromium >/dev/null 2>&1 || m="$m chromium"
	echo "$m"
}

case "${1:-check}" in
check)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "deps.sh: missing:$m" >&2
	exit 1 ;;
install)
	m=$(missing)
	[ -z "$m" ] && exit 0
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "deps.sh: installing:$m" >&2
	$SUDO apt-get update -qq || exit 1
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $m || exit 1 ;;
*)
	echo "usage: $0 check|install" >&2; exit 2 ;;
esac
