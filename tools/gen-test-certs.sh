#!/bin/sh
# gen-test-certs.sh DIR - makes the throwaway TLS material the tests use.
#
#   ca.crt / ca.key                  test CA (EC P-256)
#   server-ec.crt / server-ec.key    "localhost" (SAN DNS:localhost, IP:127.0.0.1),
#                                    EC P-256, chain = leaf + CA; the key is in the
#                                    traditional "EC PRIVATE KEY" form after an
#                                    "EC PARAMETERS" block (as `openssl ecparam` writes)
#   server-rsa.crt / server-rsa.key  the same names with an RSA-2048 key (PKCS#8)
#   wrong.crt / wrong.key            signed by the CA, but for "wrong.example"
#   untrusted.crt / untrusted.key    self-signed "localhost", not under the CA
#
# Idempotent: does nothing when DIR already holds the full set. The set is
# made in a scratch directory next to DIR and renamed into place, so two
# runs at once never mix files from different CAs. Never commit the output:
# the private keys are test keys, and the tests call this into build/ or a
# temporary directory.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
files="ca.crt ca.key server-ec.crt server-ec.key server-rsa.crt server-rsa.key wrong.crt wrong.key untrusted.crt untrusted.key"

complete() {
	for f in $files; do
		[ -s "$1/$f" ] || return 1
	done
	return 0
}

complete "$dir" && exit 0
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 1; }

parent=$(dirname "$dir")
mkdir -p "$parent"
tmp=$(mktemp -d "$parent/.gen-test-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
umask 077

# The CA.
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/O=llmgw test/CN=llmgw test CA" \
	-days 3650 -sha256 -config /dev/null \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null

# leaf NAME KEYFILE SAN KEYUSAGE SIGNER: a CSR for NAME signed by the CA
# (SIGNER=ca) or by itself (SIGNER=self).
leaf() {
	name=$1 key=$2 san=$3 ku=$4 signer=$5 out=$6
	cat > "$out.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, $ku
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
	openssl req -new -key "$key" -subj "/O=llmgw test/CN=$name" -config /dev/null \
		-out "$out.csr" 2>/dev/null
	if [ "$signer" = ca ]; then
		openssl x509 -req -in "$out.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 3650 -sha256 -extfile "$out.ext" -out "$out.leaf" 2>/dev/null
		cat "$out.leaf" ca.crt > "$out"
	else
		openssl x509 -req -in "$out.csr" -signkey "$key" \
			-days 3650 -sha256 -extfile "$out.ext" -out "$out" 2>/dev/null
	fi
}

# EC leaf: the key as `openssl ecparam -genkey` writes it (parameters block first).
openssl ecparam -name prime256v1 -genkey -out server-ec.key 2>/dev/null
leaf localhost server-ec.key "DNS:localhost, IP:127.0.0.1" digitalSignature ca server-ec.crt

# RSA leaf: PKCS#8 "PRIVATE KEY".
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server-rsa.key 2>/dev/null
leaf localhost server-rsa.key "DNS:localhost, IP:127.0.0.1" "digitalSignature, keyEncipherment" ca server-rsa.crt

openssl ecparam -name prime256v1 -genkey -noout -out wrong.key 2>/dev/null
leaf wrong.example wrong.key "DNS:wrong.example" digitalSignature ca wrong.crt

openssl ecparam -name prime256v1 -genkey -noout -out untrusted.key 2>/dev/null
leaf localhost untrusted.key "DNS:localhost, IP:127.0.0.1" digitalSignature self untrusted.crt

rm -f ./*.csr ./*.ext ./*.leaf ./*.srl
chmod 755 "$tmp"
chmod 644 ./*.crt
complete . || { echo "$0: generation incomplete" >&2; exit 1; }

# Rename the finished set into place: atomic when DIR is missing or empty.
cd "$parent"
if mv -T "$tmp" "$dir" 2>/dev/null; then
	trap - EXIT
	exit 0
fi
# DIR exists with other contents: another run may have just finished.
complete "$dir" && exit 0
mkdir -p "$dir"
for f in $files; do
	cp "$tmp/$f" "$dir/$f"
done
complete "$dir"
