"""JSON Web Signatures and JWT credentials: detached JWS (RFC 7515 Appendix F, RFC 7797),
JAdES baseline-B header fields, and JWTs (RFC 7519) checked the RFC 8725 way.

The JWS evidence handler is one of a verifier's built-in handlers, so
``bayident.verify(token, content=..., trust=...)`` verifies a JWS whose key is an
``x5c`` chain. Keys from a JWKS must be named explicitly::

    from bayident.jose import JWKSResolver, verify_jwt

    issuer_keys = JWKSResolver("https://issuer.example/.well-known/jwks.json")
    res = verify_jwt(token, jwks=issuer_keys, issuer="https://issuer.example",
                     audience="my-service")
    if res.passed:
        print(res.claims["sub"])
"""

from __future__ import annotations

from ._algs import ALGORITHMS
from ._api import JWTResult, averify_jws, averify_jwt, verify_jws, verify_jwt
from ._jwks import JsonWebKey, JWKSet, JWKSFetchError, JWKSResolver, KeyLookup
from ._parse import MAX_HEADER_BYTES
from ._verify import UNDERSTOOD_CRIT, JWSHandler

__all__ = [
    "ALGORITHMS",
    "MAX_HEADER_BYTES",
    "UNDERSTOOD_CRIT",
    "JWKSFetchError",
    "JWKSResolver",
    "JWKSet",
    "JWSHandler",
    "JWTResult",
    "JsonWebKey",
    "KeyLookup",
    "averify_jws",
    "averify_jwt",
    "verify_jws",
    "verify_jwt",
]
