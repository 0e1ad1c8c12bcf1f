#!/usr/bin/env bash
# Regenerates the key material the auth-jwt-issuer tests load. Needs OpenSSL 3 and a JDK
# (keytool, javac). Every private key here is a throw-away test key.
#
#   bash crates/auth-jwt-issuer/tests/keys/generate.sh
#
# Passwords: encrypted keys use `keypass`; keystores use `storepass` (and `keypass` for the
# one whose key has its own password).
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.pem ./*.der ./*.p12
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

subj="/CN=auth-jwt-issuer test"

# RSA 2048, the key most files below hold, and its public key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
openssl pkey -in rsa.pem -pubout -out rsa.pub.pem
openssl rsa -in rsa.pem -traditional -out rsa-pkcs1.pem
openssl pkey -in rsa.pem -outform DER -out rsa.der
openssl rsa -in rsa.pem -traditional -outform DER -out rsa-pkcs1.der
# "Bag Attributes" text before BEGIN, as `openssl pkcs12 -nocerts` writes it.
{ printf 'Bag Attributes\n    friendlyName: signer\nKey Attributes: <No Attributes>\n'; cat rsa.pem; } > rsa-bag-attributes.pem

# Encrypted PKCS#8.
openssl pkcs8 -topk8 -in rsa.pem -v2 aes-256-cbc -passout pass:keypass -out rsa-pbes2-aes256.pem
openssl pkcs8 -topk8 -in rsa.pem -v2 aes-128-cbc -v2prf hmacWithSHA1 -passout pass:keypass -out rsa-pbes2-aes128-sha1.pem
openssl pkcs8 -topk8 -in rsa.pem -v2 des3 -passout pass:keypass -out rsa-pbes2-des3.pem
openssl pkcs8 -topk8 -in rsa.pem -scrypt -passout pass:keypass -out rsa-scrypt.pem
openssl pkcs8 -topk8 -in rsa.pem -v1 PBE-SHA1-3DES -passout pass:keypass -out rsa-pbe-sha1-3des.pem
openssl pkcs8 -topk8 -in rsa.pem -v1 PBE-SHA1-2DES -passout pass:keypass -out rsa-pbe-sha1-2des.pem
openssl pkcs8 -topk8 -in rsa.pem -v2 aes-256-cbc -passout pass:keypass -outform DER -out rsa-pbes2-aes256.der
# An unsupported scheme, to check the error names it.
openssl pkcs8 -topk8 -in rsa.pem -v2 camellia-256-cbc -passout pass:keypass -out rsa-pbes2-camellia.pem

# OpenSSL traditional encrypted PEM (Proc-Type / DEK-Info).
openssl rsa -in rsa.pem -traditional -aes128 -passout pass:keypass -out rsa-traditional-aes128.pem
openssl rsa -in rsa.pem -traditional -aes192 -passout pass:keypass -out rsa-traditional-aes192.pem
openssl rsa -in rsa.pem -traditional -aes256 -passout pass:keypass -out rsa-traditional-aes256.pem
openssl rsa -in rsa.pem -traditional -des3 -passout pass:keypass -out rsa-traditional-des3.pem

# PKCS#12: OpenSSL 3 defaults (PBES2/AES-256, SHA-256 MAC) and -legacy (RC2-40 + 3DES, SHA-1 MAC).
openssl req -x509 -new -key rsa.pem -subj "$subj" -days 36500 -out "$work/rsa.crt"
openssl pkcs12 -export -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout pass:storepass -out rsa-openssl3.p12
openssl pkcs12 -export -legacy -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout pass:storepass -out rsa-openssl-legacy.p12

# A password with a space, punctuation and non-ASCII text, in every scheme that encodes it
# differently (UTF-8 for PBKDF2 and the traditional PEM, UTF-16 for the PKCS#12 KDF).
printf '%s' 'pä$s wörd:1&+%' > "$work/utf8-password"
openssl pkcs8 -topk8 -in rsa.pem -v2 aes-256-cbc -passout "file:$work/utf8-password" -out rsa-pbes2-aes256-utf8-password.pem
openssl pkcs8 -topk8 -in rsa.pem -v1 PBE-SHA1-3DES -passout "file:$work/utf8-password" -out rsa-pbe-sha1-3des-utf8-password.pem
openssl rsa -in rsa.pem -traditional -aes128 -passout "file:$work/utf8-password" -out rsa-traditional-aes128-utf8-password.pem
openssl pkcs12 -export -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout "file:$work/utf8-password" -out rsa-openssl3-utf8-password.p12
openssl pkcs12 -export -legacy -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout "file:$work/utf8-password" -out rsa-openssl-legacy-utf8-password.p12

# Hostile costs: 2 000 000 iterations, twice the limit auth-keys accepts (with -nomaciter the
# MAC asks for one iteration and only the bags ask for too many).
openssl pkcs8 -topk8 -in rsa.pem -v2 aes-256-cbc -iter 2000000 -passout pass:keypass -out rsa-pbes2-2m-iter.pem
openssl pkcs8 -topk8 -in rsa.pem -v1 PBE-SHA1-3DES -iter 2000000 -passout pass:keypass -out rsa-pbe-sha1-3des-2m-iter.pem
openssl pkcs12 -export -iter 2000000 -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout pass:storepass -out rsa-openssl3-2m-iter.p12
openssl pkcs12 -export -iter 2000000 -nomaciter -inkey rsa.pem -in "$work/rsa.crt" -name Signer -passout pass:storepass -out rsa-openssl3-2m-iter-mac-1.p12

# Too small for RS256.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa-1024.pem

# EC P-256 and P-384: SEC1, PKCS#8, encrypted SEC1; Ed25519.
openssl ecparam -name prime256v1 -genkey -noout -out ec-p256-sec1.pem
openssl pkey -in ec-p256-sec1.pem -out ec-p256.pem
openssl pkey -in ec-p256-sec1.pem -pubout -out ec-p256.pub.pem
openssl ec -in ec-p256-sec1.pem -aes256 -passout pass:keypass -out ec-p256-sec1-aes256.pem
openssl ecparam -name secp384r1 -genkey -noout -out ec-p384-sec1.pem
openssl pkey -in ec-p384-sec1.pem -out ec-p384.pem
openssl pkey -in ec-p384-sec1.pem -pubout -out ec-p384.pub.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
openssl pkey -in ed25519.pem -pubout -out ed25519.pub.pem
openssl genpkey -algorithm ED448 -out ed448.pem

# Java keytool PKCS12 (RSA and EC), alias `JavaSigner` (Java lower-cases it).
keytool -genkeypair -keystore rsa-keytool.p12 -storetype PKCS12 -storepass storepass \
    -alias JavaSigner -keyalg RSA -keysize 2048 -dname "CN=keytool rsa" -validity 36500 -noprompt
keytool -genkeypair -keystore ec-keytool.p12 -storetype PKCS12 -storepass storepass \
    -alias JavaSigner -keyalg EC -groupname secp256r1 -dname "CN=keytool ec" -validity 36500 -noprompt
keytool -exportcert -rfc -keystore rsa-keytool.p12 -storepass storepass -alias javasigner -file "$work/keytool.crt"
openssl x509 -in "$work/keytool.crt" -pubkey -noout > rsa-keytool.pub.pem
keytool -exportcert -rfc -keystore ec-keytool.p12 -storepass storepass -alias javasigner -file "$work/keytool-ec.crt"
openssl x509 -in "$work/keytool-ec.crt" -pubkey -noout > ec-keytool.pub.pem

# A keystore whose key password differs from the store password: only the Java KeyStore API
# writes these (keytool ignores -keypass for PKCS12).
cp SeparateKeyPassword.java "$work/"
javac -d "$work" "$work/SeparateKeyPassword.java"
java -cp "$work" SeparateKeyPassword rsa-keytool.p12 storepass javasigner rsa-separate-key-password.p12 keypass

# The RSA key of RFC 7515 Appendix A.2, for the byte-for-byte RS256 test.
python3 rfc7515_a2.py

echo "generated $(ls | wc -l) files in $(pwd)"
