"""A mock time-stamping authority (RFC 3161), served like the mock revocation services.

:class:`MockTSA` answers time-stamp requests in process or from a
:class:`~bayident.testing.RevocationServer`, and stamps CMS signatures directly
(:meth:`MockTSA.timestamp_signature`); faults are set as on the other services.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from bayident._exceptions import InvalidArgument
from bayident.testing import _der
from bayident.testing._ca import MockCA
from bayident.testing._cms import SignerSpec, build_signed_data
from bayident.testing._revocation import (
    _SIGNATURE_TIMESTAMP,
    _TST_INFO,
    _now,
    _Service,
    _stranger_key,
    add_unsigned_attribute,
)

__all__ = ["MockTSA"]

_TSA_FAULTS = {None, "down", "slow", "garbage", "http-error", "wrong-key"}


class MockTSA(_Service):
    """A time-stamping authority (RFC 3161) whose certificate ``ca`` issues.

    The TSA certificate has the extended key usage id-kp-timeStamping alone, critical,
    unless ``eku_critical=False``; it is valid for ``validity`` (ten years by default).
    """

    kind = "tsa"
    faults = _TSA_FAULTS

    def __init__(
        self,
        ca: MockCA,
        name: str = "Sandbox Time-Stamping Authority",
        *,
        clock: Any = None,
        eku_critical: bool = True,
        policy_oid: str = "1.3.6.1.4.1.57264.2.1",
        validity: _dt.timedelta = _dt.timedelta(days=3650),
        ocsp_url: str | None = None,
        crl_url: str | None = None,
    ) -> None:
        super().__init__(ca, clock)
        self.policy_oid = policy_oid
        now = _now(self.clock)
        self.signer = ca.issue_signer(
            name,
            key_type="ec",
            key_usage=("digital_signature",),
            extended_key_usage=None,
            extra_extensions=[
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), eku_critical)
            ],
            not_before=now - _dt.timedelta(days=1),
            not_after=now + validity,
            ocsp_url=ocsp_url,
            crl_url=crl_url,
        )
        self._serials = itertools.count(1)

    @property
    def certificate(self) -> x509.Certificate:
        """The TSA certificate."""
        return self.signer.certificate

    def token(
        self,
        data: bytes | None = None,
        *,
        digest: str = "sha256",
        imprint: bytes | None = None,
        gen_time: _dt.datetime | None = None,
        nonce: int | None = None,
        key: Any = None,
    ) -> bytes:
        """A TimeStampToken (DER ContentInfo) over ``data``, or over the given ``imprint``."""
        algorithms = {
            "sha256": ("2.16.840.1.101.3.4.2.1", hashlib.sha256),
            "sha384": ("2.16.840.1.101.3.4.2.2", hashlib.sha384),
            "sha512": ("2.16.840.1.101.3.4.2.3", hashlib.sha512),
        }
        if digest not in algorithms:
            raise InvalidArgument(f"digest: expected one of {', '.join(algorithms)}")
        oid, fn = algorithms[digest]
        if imprint is None:
            if data is None:
                raise InvalidArgument("data: give data or imprint")
            imprint = fn(data).digest()
        when = (gen_time or _now(self.clock)).astimezone(_dt.UTC).replace(microsecond=0)
        fields = [
            _der.integer(1),
            _der.oid(self.policy_oid),
            _der.sequence(_der.sequence(_der.oid(oid)), _der.octet_string(imprint)),
            _der.integer(next(self._serials)),
            _der.generalized_time(when),
        ]
        if nonce is not None:
            fields.append(_der.integer(nonce))
        tst_info = _der.sequence(*fields)
        spec = SignerSpec(
            private_key=self.signer.private_key,
            certificate=self.signer.certificate,
            digest="sha256",
            signing_certificate="v2",
        )
        if key is not None:
            # The same token, but its signature made with another key than the TSA's.
            spec = replace(spec, private_key=key)
        return build_signed_data(
            tst_info,
            [spec],
            certificates=[self.signer.certificate],
            detached=False,
            econtent_type=_TST_INFO,
        )

    def timestamp_signature(
        self,
        cms: bytes,
        *,
        signer_index: int = 0,
        gen_time: _dt.datetime | None = None,
        imprint: bytes | None = None,
    ) -> bytes:
        """``cms`` with a signature time-stamp (CAdES-T) on one of its signers."""
        from asn1crypto import cms as acms

        info = acms.ContentInfo.load(cms)
        si = info["content"]["signer_infos"][signer_index]
        value = si["signature"].native
        token = self.token(
            value if imprint is None else None,
            imprint=imprint,
            gen_time=gen_time,
            key=_stranger_key() if self._fault == "wrong-key" else None,
        )
        return add_unsigned_attribute(cms, _SIGNATURE_TIMESTAMP, [token], signer_index=signer_index)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        from asn1crypto import tsp

        try:
            request = tsp.TimeStampReq.load(body)
            imprint = request["message_imprint"]["hashed_message"].native
            algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
            nonce = request["nonce"].native
        except (ValueError, TypeError, KeyError):
            status = _der.sequence(_der.integer(2))  # rejection
            return 200, "application/timestamp-reply", _der.sequence(status)
        token = self.token(
            imprint=imprint,
            digest=algorithm if algorithm in ("sha256", "sha384", "sha512") else "sha256",
            nonce=nonce,
            key=_stranger_key() if self._fault == "wrong-key" else None,
        )
        reply = _der.sequence(_der.sequence(_der.integer(0)), token)
        return 200, "application/timestamp-reply", reply
