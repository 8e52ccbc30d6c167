#!/bin/sh
# deps.sh check|install - the build and test dependencies of llmgw.
#   check:   exit 0 when everything `make` and `make check` need is present.
#   install: apt-get install what is missing (Debian/Raspberry Pi OS; root or sudo).
# deps.sh cross TARGET... - the cross compiler and emulator for each target
#   of port/toolchain/ (aarch64-linux-musl, armhf-linux-musl,
#   mipsel-linux-musl, mips-linux-musl, x86_64-linux-musl), Debian 12 hosts:
#     - qemu-user-static (qemu-<arch>-static, called explicitly by make check;
#       no binfmt registration is needed or made);
#     - aarch64/armhf/mipsel: enables that dpkg architecture (multiarch:
#       `dpkg --add-architecture arm64|armhf|mipsel`, then apt-get update)
#       and installs musl-dev:<arch>, which brings Debian's wrapper
#       /usr/bin/<musl triplet>-gcc (GNU cross gcc + musl's specs) and pulls
#       in gcc-<gnu triplet> (the GNU cross compiler and binutils);
#     - x86_64: musl-tools + musl-dev (x86_64-linux-musl-gcc);
#     - mips: Debian 12 has no mips architecture: gcc-mips-linux-gnu, then
#       tools/musl.sh builds musl from Debian's source package into
#       build/toolchain/mips-linux-musl/.
#   Also dpkg-dev (apt-get source, for tools/bearssl.sh).
# Build: BearSSL and jsmn (headers + library). Tests: clang with the libFuzzer
# and sanitizer runtimes, openssl (test CA), curl, python3, node and npm
# (official SDK clients), chromium (the status page test), mandoc and
# shellcheck (man page and init script lints; systemd-analyze comes with
# systemd).
set -u
pkgs_build="libbearssl-dev libjsmn-dev"
pkgs_test="clang libclang-rt-14-dev openssl curl python3 nodejs npm chromium mandoc shellcheck"

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
	command -v mandoc >/dev/null 2>&1 || m="$m mandoc"
	command -v shellcheck >/dev/null 2>&1 || m="$m shellcheck"
	echo "$m"
}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
apt_install() {
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

cross() {	# cross TARGET: see the top of this file
	pkgs=""
	arch=""
	case $1 in
	aarch64-linux-musl) arch=arm64; cc=aarch64-linux-musl-gcc; emu=qemu-aarch64-static ;;
	armhf-linux-musl) arch=armhf; cc=arm-linux-musleabihf-gcc; emu=qemu-arm-static ;;
	mipsel-linux-musl) arch=mipsel; cc=mipsel-linux-musl-gcc; emu=qemu-mipsel-static ;;
	mips-linux-musl) cc=mips-linux-gnu-gcc; emu=qemu-mips-static ;;
	x86_64-linux-musl) cc=x86_64-linux-musl-gcc; emu=true ;;
	*) echo "deps.sh: unknown cross target $1 (see port/toolchain/)" >&2; return 1 ;;
	esac
	command -v "$emu" >/dev/null 2>&1 || pkgs="$pkgs qemu-user-static"
	command -v dpkg-source >/dev/null 2>&1 || pkgs="$pkgs dpkg-dev"
	if ! command -v "$cc" >/dev/null 2>&1; then
		case $1 in
		mips-*) pkgs="$pkgs gcc-mips-linux-gnu" ;;
		x86_64-*) pkgs="$pkgs musl-tools musl-dev" ;;
		*) pkgs="$pkgs musl-dev:$arch" ;;
		esac
	fi
	if [ -n "$pkgs" ]; then
		echo "deps.sh: $1: installing:$pkgs" >&2
		if [ -n "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
			echo "deps.sh: enabling the dpkg architecture $arch (multiarch)" >&2
			$SUDO dpkg --add-architecture "$arch" || return 1
		fi
		# A mirror caught mid-sync fails some index (seen: security armhf);
		# what install needs is then usually there anyway, and install
		# itself says when it is not.
		$SUDO apt-get update -qq || echo "deps.sh: apt-get update reported errors; trying anyway" >&2
		# shellcheck disable=SC2086
		apt_install $pkgs || return 1
	fi
	case $1 in
	mips-*) "$(dirname "$0")/musl.sh" mips-linux-musl mips-linux-gnu \
		"$(cd "$(dirname "$0")/.." && pwd)/build/toolchain/mips-linux-musl" || return 1 ;;
	esac
}

case "${1:-check}" in
cross)
	shift
	[ $# -ge 1 ] || { echo "usage: $0 cross TARGET..." >&2; exit 2; }
	for t in "$@"; do cross "$t" || exit 1; done ;;
check)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "deps.sh: missing:$m" >&2
	exit 1 ;;
install)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "deps.sh: installing:$m" >&2
	$SUDO apt-get update -qq || exit 1
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $m || exit 1 ;;
*)
	echo "usage: $0 check|install|cross TARGET..." >&2; exit 2 ;;
esac
