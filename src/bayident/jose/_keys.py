"""Finding each signature's key: an ``x5c`` chain (validated against the trust store),
an ``x5t#S256`` reference to one of the extra certificates, or a ``kid`` in a JWKS the
caller named. A key named or carried by the token itself (``jwk``, ``jku``, ``x5u``) is
never trusted (RFC 8725 §3.10).
"""

from __future__ import annotations

import hashlib

from .._algorithms import AlgorithmError
from .._certs import CertRecord
from .._handlers import EvidenceContext
from .._result import CheckOutcome, SubIndication
from ._algs import key_mismatch
from ._b64 import B64Error, b64url_decode, std_b64_decode
from ._jwks import JWKSet, JWKSResolver, KeyLookup
from ._sig import CERTS, Sig

__all__ = ["find_key", "lookup_async", "lookup_sync", "use_lookup"]


def find_key(s: Sig, ctx: EvidenceContext, jwks: JWKSet | JWKSResolver | None) -> None:
    """Bind the key the header names, or mark the signature as waiting for a JWKS look-up."""
    h, where = s.header, s.where
    if "x5c" in h:
        _from_x5c(s, ctx)
    elif "x5t#S256" in h and _x5t_in_extras(s, ctx):
        pass
    elif jwks is not None:
        s.needs_jwks = True
    else:
        carried = [p for p in ("jwk", "jku", "x5u") if p in h]
        extra = ""
        if carried:
            extra = (
                f"; the header's {', '.join(carried)} is not used: a key named or "
                "carried by the token itself is never trusted and no URL from a "
                "token is fetched (RFC 8725 §3.10)"
            )
        if "x5t#S256" in h:
            msg = (
                "'x5t#S256' names a certificate that is neither in the JWS (x5c) nor "
                "among the extra certificates given" + extra
            )
        elif s.kid is not None:
            msg = (
                f"the signature names key {s.kid!r} but no JWKS was given to look it up "
                "(pass jwks=... to bayident.jose.verify_jws / verify_jwt)" + extra
            )
        else:
            msg = (
                "nothing identifies a trusted key: no x5c certificate chain, no "
                "x5t#S256 reference and no JWKS" + extra
            )
        s.fail("signing-key", SubIndication.NO_SIGNING_CERTIFICATE_FOUND, msg, f"{where}.header")


def _from_x5c(s: Sig, ctx: EvidenceContext) -> None:
    h, where, pol = s.header, s.where, ctx.policy
    x5c = h["x5c"]
    concerns = f"{where}.header.x5c"
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        s.fail(
            "x5c",
            SubIndication.FORMAT_FAILURE,
            "'x5c' must be a non-empty array of base64 certificates (RFC 7515 §4.1.6)",
            concerns,
        )
        return
    if len(x5c) > pol.max_certificates:
        s.fail(
            "x5c",
            SubIndication.FORMAT_FAILURE,
            f"'x5c' holds {len(x5c)} certificates, over the policy limit of "
            f"{pol.max_certificates} (Policy.max_certificates)",
            concerns,
        )
        return
    ders: list[bytes] = []
    records: list[CertRecord] = []
    for i, item in enumerate(x5c):
        try:
            der = std_b64_decode(item, f"x5c[{i}]")
            records.append(CERTS.get(der))
        except (B64Error, ValueError) as exc:
            s.fail(
                "x5c",
                SubIndication.FORMAT_FAILURE,
                f"x5c[{i}] is not a certificate: {exc}",
                f"{concerns}[{i}]",
            )
            return
        ders.append(der)
    leaf = records[0]
    s.key_source = "x5c"
    _bind_certificate(s, ctx, leaf, ders[1:])


def _x5t_in_extras(s: Sig, ctx: EvidenceContext) -> bool:
    thumb = _thumbprint(s, "x5t#S256", 32)
    if thumb is None:
        return True  # failed already
    for der in ctx.extra_certs:
        if hashlib.sha256(der).digest() == thumb:
            try:
                rec = CERTS.get(der)
            except ValueError:
                continue
            s.key_source = "x5t#S256"
            others = [d for d in ctx.extra_certs if d is not der]
            _bind_certificate(s, ctx, rec, others)
            return True
    return False


def _thumbprint(s: Sig, name: str, size: int) -> bytes | None:
    value = s.header[name]
    concerns = f"{s.where}.header.{name}"
    try:
        if not isinstance(value, str):
            raise B64Error(f"'{name}' must be a base64url string")
        raw = b64url_decode(value, f"'{name}'")
    except B64Error as exc:
        s.fail(name, SubIndication.FORMAT_FAILURE, str(exc), concerns)
        return None
    if len(raw) != size:
        s.fail(
            name,
            SubIndication.FORMAT_FAILURE,
            f"'{name}' is {len(raw)} octets; a {'SHA-256' if size == 32 else 'SHA-1'} "
            f"thumbprint has {size} (RFC 7515 §4.1.{8 if size == 32 else 7})",
            concerns,
        )
        return None
    return raw


def _bind_certificate(s: Sig, ctx: EvidenceContext, leaf: CertRecord, others: list[bytes]) -> None:
    where = s.where
    s.cert = leaf
    s.key_label = leaf.describe()
    # Thumbprints bind the header to one certificate (JAdES baseline-B uses x5t#S256).
    for name, size, fn in (("x5t#S256", 32, hashlib.sha256), ("x5t", 20, hashlib.sha1)):
        if name not in s.header:
            continue
        thumb = _thumbprint(s, name, size)
        if thumb is None:
            return
        if fn(leaf.der).digest() != thumb:
            s.fail(
                name,
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"'{name}' does not match {leaf.describe()}: the header names another "
                "certificate than the one that signed",
                f"{where}.header.{name}",
            )
            return
        s.add(
            name,
            CheckOutcome.PASSED,
            f"'{name}' matches {leaf.describe()}",
            f"{where}.header.{name}",
        )
    try:
        s.key = leaf.public_key
    except AlgorithmError as exc:
        s.fail("signing-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.reason, leaf.describe())
        return
    how = (
        "carried in x5c"
        if s.key_source == "x5c"
        else "found among the extra certificates by its x5t#S256 thumbprint"
    )
    s.add(
        "signing-key",
        CheckOutcome.PASSED,
        f"signed with the key of {leaf.describe()}, {how}",
        leaf.describe(),
    )
    try:
        s.path = ctx.validate_chain(leaf.der, others)
    except ValueError as exc:  # pragma: no cover - certificates were parsed above
        s.fail("certificate-path", SubIndication.FORMAT_FAILURE, str(exc), where)


def lookup_sync(s: Sig, ctx: EvidenceContext, js: JWKSet | JWKSResolver | None) -> KeyLookup:
    """The JWKS keys for the signature's kid (fetching a resolver's set if needed)."""
    if isinstance(js, JWKSResolver):
        return js.lookup(s.kid, client=ctx.http_client)
    assert js is not None
    return js.lookup(s.kid)


async def lookup_async(s: Sig, ctx: EvidenceContext, js: JWKSet | JWKSResolver | None) -> KeyLookup:
    """:func:`lookup_sync` without blocking the event loop on the fetch."""
    if isinstance(js, JWKSResolver):
        return await js.alookup(s.kid, client=ctx.async_http_client)
    assert js is not None
    return js.lookup(s.kid)


def use_lookup(s: Sig, found: KeyLookup) -> None:
    """Bind the one JWKS key that fits the signature, or record why none does."""
    where = f"{s.where}.header.kid"
    if found.error is not None:
        s.fail(
            "signing-key",
            SubIndication.TRY_LATER,
            f"the key set could not be had: {found.error}",
            found.source,
        )
        return
    assert s.alg is not None
    usable = [k for k in found.keys if key_mismatch(s.alg, k.key) is None]
    notes = f" ({'; '.join(found.notes)})" if found.notes else ""
    if s.kid is None:
        if len(usable) != 1:
            s.fail(
                "signing-key",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"the signature has no 'kid' and {found.source} holds {len(usable)} "
                f"{s.alg.key_type} keys usable with {s.alg.name}; without a kid exactly "
                "one may match",
                f"{s.where}.header",
            )
            return
    elif not found.keys:
        s.fail(
            "signing-key",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            f"no key with kid {s.kid!r} in {found.source}{notes}",
            where,
        )
        return
    elif not usable:
        k = found.keys[0]
        s.fail(
            "signing-key",
            SubIndication.FORMAT_FAILURE,
            f"{key_mismatch(s.alg, k.key)}: {k.describe()}",
            where,
        )
        return
    elif len(usable) > 1:
        s.fail(
            "signing-key",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            f"{len(usable)} keys in {found.source} have kid {s.kid!r}; the key is ambiguous",
            where,
        )
        return
    k = usable[0]
    if k.alg is not None and k.alg != s.alg.name:
        s.fail(
            "signing-key",
            SubIndication.FORMAT_FAILURE,
            f"{k.describe()} is for {k.alg}, but the signature uses {s.alg.name} "
            "(RFC 7517 §4.4, RFC 8725 §3.1)",
            where,
        )
        return
    s.jwk = k
    s.key = k.key
    s.key_source = "jwks"
    s.key_label = k.describe()
    s.details["jwks"] = k.source
    s.add(
        "signing-key",
        CheckOutcome.PASSED,
        f"{k.describe()}, trusted because the caller configured that key set",
        where,
    )
