#!/bin/bash
# run.sh BUILD - llmgw against the official OpenAI Node SDK.
#
# Installs tests/sdk/package.json into BUILD/sdk (npm; node_modules never in
# the source tree), copies openai.test.mjs next to it so that its
# `import "openai"` resolves there, and runs it through serve.py, which
# starts mockprov + llmgw. Without node or npm it reports a skip; a failed
# npm install (no network, registry down) is a failure.
# Ends with "sdk: N passed, N failed".
set -u
[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
build=$1
case $build in /*) ;; *) build=$PWD/$build ;; esac
cd "$(dirname "$0")/../.." || exit 2

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "SKIP sdk: node/npm not found"
	echo "sdk: 0 passed, 0 failed"
	exit 0
fi

dir=$build/sdk
mkdir -p "$dir"
# Reinstall only when package.json changed since the last install.
if ! cmp -s tests/sdk/package.json "$dir/package.json" || [ ! -d "$dir/node_modules/openai" ]; then
	cp tests/sdk/package.json "$dir/package.json"
	rm -f "$dir/package-lock.json"
	if ! timeout 300 npm install --prefix "$dir" --no-audit --no-fund --loglevel=error > "$dir/npm-install.log" 2>&1; then
		rm -f "$dir/package.json"	# retry next time
		echo "FAIL sdk_install: npm install failed (network?):"
		tail -n 15 "$dir/npm-install.log" | sed 's/^/    | /'
		echo "sdk: 0 passed, 1 failed"
		exit 1
	fi
fi
echo "sdk: node $(node --version), openai $(node -p 'require(process.argv[1]).version' "$dir/node_modules/openai/package.json" 2>/dev/null)"
cp tests/sdk/openai.test.mjs "$dir/openai.test.mjs"
python3 tests/sdk/serve.py "$build" -- node "$dir/openai.test.mjs"
