#!/bin/sh
# test-install.sh [BUILD] - checks the Debian/Pi packaging pieces:
#   - `make install` into a temporary DESTDIR (PREFIX=/usr) installs exactly
#     the expected file list, with the unit's paths filled in;
#   - `systemd-analyze verify` accepts the installed unit (--root=DESTDIR);
#   - `systemd-analyze security --offline=yes` rates it OK or better
#     (exposure < 5.0; the README quotes the number);
#   - the man page passes `mandoc -T lint` (warnings count), when mandoc is
#     there, and the default configuration passes `llmgw -t`;
#   - the OpenWrt init script passes `sh -n` and shellcheck (when installed).
# Prints "ok ..."/"FAIL ..."/"SKIP ..." lines and "install: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
build=${1:-build}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
d=$(mktemp -d "${TMPDIR:-/tmp}/llmgw-install.XXXXXX") || exit 2
trap 'rm -rf "$d"' EXIT

# 1. install and its file list
if make -s install BUILD="$build" DESTDIR="$d/root" PREFIX=/usr > "$d/install.log" 2>&1; then
	( cd "$d/root" && find . \( -type f -o -type d \) | sort ) > "$d/got"
	cat > "$d/want" <<'LIST'
.
./etc
./etc/llmgw
./etc/llmgw/keys
./etc/llmgw/llmgw.conf
./usr
./usr/bin
./usr/bin/llmgw
./usr/lib
./usr/lib/systemd
./usr/lib/systemd/system
./usr/lib/systemd/system/llmgw.service
./usr/share
./usr/share/doc
./usr/share/doc/llmgw
./usr/share/doc/llmgw/llmgw.conf.example
./usr/share/man
./usr/share/man/man8
./usr/share/man/man8/llmgw.8
LIST
	if cmp -s "$d/want" "$d/got"; then ok install_file_list; else
		bad "install_file_list: differs from the expected list:"; diff "$d/want" "$d/got" | sed 's/^/    | /'; fi
	u=$d/root/usr/lib/systemd/system/llmgw.service
	if grep -q '^ExecStart=/usr/bin/llmgw -c /etc/llmgw/llmgw.conf$' "$u" && ! grep -Eq '@[A-Z]+@' "$u"; then
		ok install_unit_paths; else bad "install_unit_paths: ExecStart or a @VAR@ left in $u"; fi
	m=$(stat -c %a "$d/root/etc/llmgw/keys")
	if [ "$m" = 700 ]; then ok install_keys_dir_0700; else bad "install_keys_dir_0700: mode $m"; fi
else
	bad "install: make install failed:"; tail -n 20 "$d/install.log" | sed 's/^/    | /'
fi

# 2. systemd checks
u=$d/root/usr/lib/systemd/system/llmgw.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP systemd_verify: systemd-analyze not found (apt-get install systemd)"
elif [ -f "$u" ]; then
	# verify checks that ExecStart's binary and the man page exist: point
	# it at the ones in DESTDIR (a copy of the unit, same name).
	mkdir -p "$d/unit"
	sed "s|^ExecStart=/usr/bin/|ExecStart=$d/root/usr/bin/|" "$u" > "$d/unit/llmgw.service"
	if MANPATH=$d/root/usr/share/man systemd-analyze verify "$d/unit/llmgw.service" \
		> "$d/verify.log" 2>&1 && ! [ -s "$d/verify.log" ]; then
		ok systemd_verify
	else
		bad "systemd_verify:"; sed 's/^/    | /' "$d/verify.log"
	fi
	systemd-analyze security --offline=yes --root="$d/root" llmgw.service > "$d/sec.log" 2>&1
	score=$(sed -n 's/.*Overall exposure level for llmgw.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$d/sec.log")
	case $score in
	*" OK"|*" SAFE"|*" PERFECT") ok "systemd_security ($score)" ;;
	*) bad "systemd_security: exposure '$score', want OK or better:"; tail -n 5 "$d/sec.log" | sed 's/^/    | /' ;;
	esac
fi

# 3. man page, default configuration, init script
if command -v mandoc >/dev/null 2>&1; then
	if mandoc -T lint -W warning port/llmgw.8 > "$d/man.log" 2>&1; then ok man_lint
	else bad "man_lint:"; sed 's/^/    | /' "$d/man.log"; fi
else
	echo "SKIP man_lint: mandoc not found"
fi
if [ -x "$build/release/llmgw" ]; then
	if "$build/release/llmgw" -t -c port/openwrt/files/llmgw.config > "$d/t.log" 2>&1; then ok default_config_valid
	else bad "default_config_valid:"; sed 's/^/    | /' "$d/t.log"; fi
fi
if sh -n port/openwrt/files/llmgw.init; then ok init_script_syntax; else bad init_script_syntax; fi
if command -v shellcheck >/dev/null 2>&1; then
	if shellcheck -s sh port/openwrt/files/llmgw.init > "$d/sc.log" 2>&1; then ok init_script_shellcheck
	else bad "init_script_shellcheck:"; sed 's/^/    | /' "$d/sc.log"; fi
else
	echo "SKIP init_script_shellcheck: shellcheck not found"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
