#!/bin/bash
# run.sh BUILD - llmgw against the official OpenAI, Anthropic and Google
# GenAI Node SDKs.
#
# Installs tests/sdk/package.json into BUILD/sdk (npm; node_modules never in
# the source tree), copies tests/sdk/*.mjs next to it so that their SDK
# imports resolve there, and runs main.mjs through serve.py, which starts
# the mockprovs + llmgw. Without node or npm it reports a skip; a failed
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
if ! cmp -s tests/sdk/package.json "$dir/package.json" || [ ! -d "$dir/node_modules/openai" ] ||
	[ ! -d "$dir/node_modules/@anthropic-ai/sdk" ] || [ ! -d "$dir/node_modules/@google/genai" ]; then
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
ver() { node -p 'require(process.argv[1]).version' "$dir/node_modules/$1/package.json" 2>/dev/null; }
echo "sdk: node $(node --version), openai $(ver openai), @anthropic-ai/sdk $(ver @anthropic-ai/sdk), @google/genai $(ver @google/genai)"
rm -f "$dir"/*.mjs
cp tests/sdk/*.mjs "$dir/"
python3 tests/sdk/serve.py "$build" -- node "$dir/main.mjs"
