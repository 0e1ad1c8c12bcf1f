#!/usr/bin/env bash
# Makes the test PKI that tests/oidc-provider/server.mjs and its clients use, with openssl only:
#   ca.pem / ca-key.pem                    test CA (EC P-256, self-signed)
#   server.pem / server-key.pem            TLS server cert for IP 127.0.0.1 (EC P-256, serverAuth), CA-signed
#   client.pem / client-key.pem            CN=mtls-client (RSA 2048, clientAuth), CA-signed
#   other.pem / other-key.pem              CN=other-client (RSA 2048, clientAuth), CA-signed, for negative tests
#   self-signed.pem / self-signed-key.pem  CN=self-signed-client (RSA 2048, clientAuth), self-signed
# Keys are unencrypted PKCS#8 PEM, mode 0600. Certificates are valid for 3 years.
#
# Usage: make-pki.sh OUTDIR
# Idempotent and safe to run concurrently (flock): if OUTDIR already holds a complete set whose certificates are valid for at least
# another day, nothing is changed; otherwise a whole new set is made (in a temporary directory,
# then moved into place).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
days=1095

certs=(ca server client other self-signed)

complete() {
  local name
  for name in "${certs[@]}"; do
    [ -s "$out/$name.pem" ] && [ -s "$out/$name-key.pem" ] || return 1
    openssl x509 -in "$out/$name.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  done
  # The CA-signed certificates must chain to this CA (a half-replaced set would not).
  openssl verify -CAfile "$out/ca.pem" "$out/server.pem" "$out/client.pem" "$out/other.pem" >/dev/null 2>&1
}

mkdir -p "$out"
# Serialize concurrent runs on the same OUTDIR (e.g. parallel tests): the second one waits and
# then finds the set complete.
exec 9>"$out/.pki.lock"
flock 9

if complete; then
  exit 0
fi

tmp=$(mktemp -d "$out/.pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# CA
ec_key "$tmp/ca-key.pem"
openssl req -x509 -new -key "$tmp/ca-key.pem" -sha256 -days "$days" \
  -subj "/CN=auth-rs test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$tmp/ca.pem"

# issue NAME CN EXTENSIONS: a CSR for NAME-key.pem, signed by the CA.
issue() {
  local name=$1 cn=$2 ext=$3
  printf '%s\n' "$ext" >"$tmp/$name.ext"
  openssl req -new -key "$tmp/$name-key.pem" -subj "/CN=$cn" -out "$tmp/$name.csr"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -sha256 -days "$days" \
    -extfile "$tmp/$name.ext" -out "$tmp/$name.pem" 2>/dev/null
}

client_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid'

ec_key "$tmp/server-key.pem"
issue server 127.0.0.1 'basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid'

rsa_key "$tmp/client-key.pem"
issue client mtls-client "$client_ext"

rsa_key "$tmp/other-key.pem"
issue other other-client "$client_ext"

rsa_key "$tmp/self-signed-key.pem"
openssl req -x509 -new -key "$tmp/self-signed-key.pem" -sha256 -days "$days" \
  -subj "/CN=self-signed-client" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature,keyEncipherment" \
  -addext "extendedKeyUsage=clientAuth" \
  -out "$tmp/self-signed.pem"

for name in "${certs[@]}"; do
  chmod 0600 "$tmp/$name-key.pem"
  chmod 0644 "$tmp/$name.pem"
done
for name in "${certs[@]}"; do mv -f "$tmp/$name-key.pem" "$out/$name-key.pem"; done
for name in "${certs[@]}"; do mv -f "$tmp/$name.pem" "$out/$name.pem"; done
