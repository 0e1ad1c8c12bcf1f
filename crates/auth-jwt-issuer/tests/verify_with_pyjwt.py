"""Verifies, with PyJWT and `cryptography`, the tokens the Rust tests wrote for each algorithm and
signing backend.

Usage: python verify_with_pyjwt.py DIR [BACKEND...]
DIR holds ALG.BACKEND.jwt (the token) and ALG.BACKEND.key (a PEM public key, or the HMAC secret)
pairs, as the `algorithms` tests write them when AUTH_JWT_EXPORT_DIR is set. Each token must
verify, and the same token with its signature changed must not. With BACKEND names given, every
algorithm must have a token from each of them.
"""
import pathlib
import sys

import jwt

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
              "HS256", "HS384", "HS512"]

directory = pathlib.Path(sys.argv[1])
required_backends = sys.argv[2:]
passed = failed = 0
seen = set()
for token_file in sorted(directory.glob("*.jwt")):
    name = token_file.stem
    alg, _, backend = name.partition(".")
    seen.add((alg, backend))
    token = token_file.read_text()
    key = (directory / f"{name}.key").read_bytes()
    if not alg.startswith("HS"):
        key = key.decode()
    options = {"verify_aud": False}
    try:
        claims = jwt.decode(token, key, algorithms=[alg], options=options)
        assert claims.get("iss") == "algorithms-test" or claims.get("sub") == "hmac", claims
        head, _, signature = token.rpartition(".")
        tampered = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
        try:
            jwt.decode(tampered, key, algorithms=[alg], options=options)
        except jwt.InvalidSignatureError:
            pass
        else:
            raise AssertionError("a tampered token verified")
        print(f"ok   {alg} ({backend})")
        passed += 1
    except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
        print(f"FAIL {alg} ({backend}): {error!r}")
        failed += 1

for backend in required_backends:
    for alg in ALGORITHMS:
        if (alg, backend) not in seen:
            print(f"MISSING {alg} ({backend}): no token was exported")
            failed += 1

if passed == 0:
    print("no tokens found in", directory)
    failed += 1
print(f"pyjwt: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
