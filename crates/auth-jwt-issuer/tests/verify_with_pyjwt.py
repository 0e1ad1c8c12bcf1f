"""Verifies, with PyJWT and `cryptography`, one token per algorithm written by the Rust tests.

Usage: python verify_with_pyjwt.py DIR
DIR holds ALG.jwt (the token) and ALG.key (a PEM public key, or the HMAC secret) pairs, as the
`algorithms` tests write them when AUTH_JWT_EXPORT_DIR is set. Each token must verify, and the
same token with its signature changed must not.
"""
import pathlib
import sys

import jwt

directory = pathlib.Path(sys.argv[1])
passed = failed = 0
for token_file in sorted(directory.glob("*.jwt")):
    alg = token_file.stem
    token = token_file.read_text()
    key = (directory / f"{alg}.key").read_bytes()
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
        print(f"ok   {alg}")
        passed += 1
    except Exception as error:  # noqa: BLE001 - report every failure, then exit non-zero
        print(f"FAIL {alg}: {error!r}")
        failed += 1

if passed == 0:
    print("no tokens found in", directory)
    failed += 1
print(f"pyjwt: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
