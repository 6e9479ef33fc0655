"""Mock seal makers and OFD signers: sealed OFD documents for tests, faults on demand.

A :class:`MockSealMaker` (制章系统) makes electronic seals (``SESeal``, GB/T 38540-2020
V4 or GM/T 0031-2014 V1) naming the certificates allowed to use them; a
:class:`MockOFDSigner` applies a seal to an OFD package (GB/T 33190-2016) the way field
signers lay it out, or makes a ``Type="Sign"`` digital signature::

    from bayident.testing import MockSM2CA, MockSealMaker, MockOFDSigner

    ca = MockSM2CA("Sandbox GDCA SM2 Root")
    maker = MockSealMaker(ca.issue_signer("Sandbox Seal Maker"))
    holder = ca.issue_signer("Sandbox Trading Ltd", unified_social_credit_code=...)
    seal = maker.make_seal("Sandbox Trading Ltd 公章", holders=[holder])
    ofd = MockOFDSigner(holder, seal).sign()           # a sealed one-page OFD, bytes

Everything is SM2/SM3 and needs the ``sm`` extra (``pip install 'bayident[sm]'``).
"""

from __future__ import annotations

import base64
import io
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from bayident._exceptions import InvalidArgument
from bayident.sm import SM2PrivateKey, sm2_sign, sm3
from bayident.testing import _der
from bayident.testing._sm2 import MockSM2Signer

__all__ = ["OFD_FAULTS", "SEAL_FAULTS", "MockOFDSigner", "MockSealMaker", "blank_ofd"]

_SM3_WITH_SM2 = "1.2.156.10197.1.501"
_NS = "http://www.ofdspec.org/2016"
_SIGNATURES = "Doc_0/Signs/Signatures.xml"
_SIGNATURE_FILE = re.compile(r"Doc_0/Signs/Sign_\d+/Signature\.xml")
# A 1x1 transparent PNG: the seal's picture (its content is never verified).
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

SealFault = Literal["maker-signature", "expired", "not-yet-valid"]
#: The faults :meth:`MockSealMaker.make_seal` can build in.
SEAL_FAULTS: tuple[str, ...] = ("maker-signature", "expired", "not-yet-valid")

OFDFault = Literal[
    "content-changed",
    "signature-flipped",
    "check-value-altered",
    "signature-xml-changed",
    "signed-value-truncated",
    "seal-file-swapped",
    "referenced-file-removed",
    "reference-escapes-package",
    "zip-path-traversal",
    "zip-duplicate-entry",
    "zip-bomb",
]
#: The faults :meth:`MockOFDSigner.sign` can build in.
OFD_FAULTS: tuple[str, ...] = (
    "content-changed",
    "signature-flipped",
    "check-value-altered",
    "signature-xml-changed",
    "signed-value-truncated",
    "seal-file-swapped",
    "referenced-file-removed",
    "reference-escapes-package",
    "zip-path-traversal",
    "zip-duplicate-entry",
    "zip-bomb",
)


def _key(signer: MockSM2Signer) -> SM2PrivateKey:
    if not isinstance(signer.private_key, SM2PrivateKey):
        raise InvalidArgument(f"{signer.name}: an OFD seal needs an SM2 key")
    return signer.private_key


def _flip(signature: bytes) -> bytes:
    # One bit of r (its last byte), keeping the DER valid.
    r_len = signature[3]
    pos = 4 + r_len - 1
    return signature[:pos] + bytes([signature[pos] ^ 0x01]) + signature[pos + 1 :]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class MockSealMaker:
    """A seal maker: its SM2 certificate signs the seals it makes.

    Attributes:
        signer: the maker's :class:`~bayident.testing.MockSM2Signer` (certificate and key).
        vendor: the ``Vid`` written in each seal header.
    """

    def __init__(self, signer: MockSM2Signer, *, vendor: str = "BAYIDENT") -> None:
        _key(signer)
        self.signer = signer
        self.vendor = vendor

    def make_seal(
        self,
        name: str,
        *,
        holders: Sequence[MockSM2Signer],
        seal_id: str = "44010000000001",
        seal_type: int = 1,
        version: Literal[4, 1] = 4,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        created: datetime | None = None,
        cert_digests: bool = False,
        fault: SealFault | None = None,
    ) -> bytes:
        """A DER ``SESeal`` naming ``holders``' certificates, signed by the maker.

        Args:
            name: the seal's name (e.g. the organisation's name and "公章").
            holders: the signers allowed to use the seal (its ``certList``).
            seal_id: ``esID`` (a seal code).
            seal_type: 1 organisation seal (单位印章), 2 personal seal (个人印章).
            version: 4 (GB/T 38540-2020) or 1 (GM/T 0031-2014).
            valid_from, valid_until, created: default: a day ago, in a year, a day ago.
            cert_digests: V4 only: list SM3 digests of the certificates (certListType 2).
            fault: ``maker-signature`` (one bit of the maker's signature flipped),
                ``expired`` (valid until yesterday), ``not-yet-valid`` (from tomorrow).
        """
        if version not in (4, 1):
            raise InvalidArgument(f"version: expected 4 or 1, got {version!r}")
        if fault is not None and fault not in SEAL_FAULTS:
            raise InvalidArgument(f"fault: expected one of {SEAL_FAULTS}, got {fault!r}")
        if not holders:
            raise InvalidArgument("holders: a seal lists at least one certificate")
        now = _now()
        start = valid_from or now - timedelta(days=1)
        end = valid_until or now + timedelta(days=365)
        if fault == "expired":
            start, end = now - timedelta(days=30), now - timedelta(days=1)
        elif fault == "not-yet-valid":
            start, end = now + timedelta(days=1), now + timedelta(days=30)
        made = created or start
        when = _der.generalized_time if version == 4 else _der.utc_time
        if version == 4 and cert_digests:
            listed = _der.sequence(
                *(
                    _der.sequence(_der.printable_string("sm3"), _der.octet_string(sm3(h.cert_der)))
                    for h in holders
                )
            )
            kind = [_der.integer(2), listed]
        else:
            listed = _der.sequence(*(_der.octet_string(h.cert_der) for h in holders))
            kind = [_der.integer(1), listed] if version == 4 else [listed]
        prop = _der.sequence(
            _der.integer(seal_type),
            _der.utf8_string(name),
            *kind,
            when(made),
            when(start),
            when(end),
        )
        info = _der.sequence(
            _der.sequence(
                _der.ia5_string("ES"), _der.integer(version), _der.ia5_string(self.vendor)
            ),
            _der.ia5_string(seal_id),
            prop,
            _der.sequence(
                _der.ia5_string("PNG"), _der.octet_string(_PNG), _der.integer(40), _der.integer(40)
            ),
        )
        cert = _der.octet_string(self.signer.cert_der)
        alg = _der.oid(_SM3_WITH_SM2)
        key = _key(self.signer)
        if version == 4:
            sig = sm2_sign(key, info)
            if fault == "maker-signature":
                sig = _flip(sig)
            return _der.sequence(info, cert, alg, _der.bit_string(sig))
        sig = sm2_sign(key, _der.sequence(info, cert, alg))
        if fault == "maker-signature":
            sig = _flip(sig)
        return _der.sequence(info, _der.sequence(cert, alg, _der.bit_string(sig)))

    def __repr__(self) -> str:
        return f"MockSealMaker({self.signer.name!r})"


def blank_ofd(pages: int = 1, text: str = "bayident sandbox document") -> dict[str, bytes]:
    """The files of an unsigned OFD package (GB/T 33190), ``pages`` pages of ``text``."""
    if not 1 <= pages <= 100:
        raise InvalidArgument("pages: expected 1 to 100")
    files: dict[str, bytes] = {}
    page_refs = "".join(
        f'<ofd:Page ID="{i + 2}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages)
    )
    files["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_NS}">'
        "<ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea>"
        "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>"
    ).encode()
    files["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{_NS}" BaseLoc="Res">'
        '<ofd:Fonts><ofd:Font ID="1" FontName="SimSun"/></ofd:Fonts></ofd:Res>'
    ).encode()
    for i in range(pages):
        files[f"Doc_0/Pages/Page_{i}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_NS}"><ofd:Content>'
            '<ofd:Layer ID="50"><ofd:TextObject ID="51" Boundary="20 20 170 10" Font="1" '
            f'Size="5"><ofd:TextCode X="0" Y="5">{text} ({i + 1})</ofd:TextCode>'
            "</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
        ).encode()
    files["OFD.xml"] = _ofd_xml(signed=False)
    return files


def _ofd_xml(*, signed: bool) -> bytes:
    sigs = "<ofd:Signatures>/Doc_0/Signs/Signatures.xml</ofd:Signatures>" if signed else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_NS}" Version="1.0" '
        'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0f0e0d0c0b0a09080706050403020100'
        "</ofd:DocID><ofd:Creator>bayident.testing</ofd:Creator></ofd:DocInfo>"
        f"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>{sigs}</ofd:DocBody></ofd:OFD>"
    ).encode()


def _zip(files: Sequence[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def _declare_huge(package: bytes, name: str, size: int) -> bytes:
    """Make the ZIP declare ``size`` expanded bytes for ``name`` (a lying bomb header)."""
    out = bytearray(package)
    encoded = name.encode()
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        nlen = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + nlen]) == encoded:
            struct.pack_into("<I", out, pos + 24, size)
            offset = struct.unpack_from("<I", out, pos + 42)[0]
            struct.pack_into("<I", out, offset + 22, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


class MockOFDSigner:
    """Applies a seal (or a digital signature) to an OFD package.

    Attributes:
        signer: the :class:`~bayident.testing.MockSM2Signer` who signs.
        seal: the ``SESeal`` DER the signer applies (from :meth:`MockSealMaker.make_seal`);
            None for ``Type="Sign"`` signatures.
    """

    def __init__(self, signer: MockSM2Signer, seal: bytes | None = None) -> None:
        _key(signer)
        self.signer = signer
        self.seal = seal

    def sign(
        self,
        files: dict[str, bytes] | None = None,
        *,
        version: Literal[4, 1] = 4,
        kind: Literal["Seal", "Sign", "Sign-SignedData"] = "Seal",
        signing_time: datetime | None = None,
        check_method: str | None = "SM3",
        seal_file: bool = True,
        timestamp: bytes | Callable[[bytes], bytes] | None = None,
        fault: OFDFault | None = None,
    ) -> bytes:
        """A signed OFD package (ZIP bytes).

        Args:
            files: the unsigned package's files (default :func:`blank_ofd`).
            version: the SES_Signature layout for ``kind="Seal"``: 4 (GB/T 38540) or 1
                (GM/T 0031); match the seal's version.
            kind: ``"Seal"`` (an e-seal), ``"Sign"`` (a bare SM2 signature over
                Signature.xml, naming no certificate) or ``"Sign-SignedData"`` (a GB/T 35275
                SignedData over Signature.xml).
            signing_time: TBS_Sign.timeInfo (default now).
            check_method: References/@CheckMethod (``SM3``, the SM3 OID, ``SHA-256``; None
                leaves it out, which means MD5).
            seal_file: also store the seal as ``Seal.esl`` (referenced and signed).
            timestamp: an RFC 3161 token to put in the V4 ``timeStamp`` field, or a function
                of the signature value returning one (e.g. ``lambda sig: tsa.token(sig)``
                with a :class:`~bayident.testing.MockTSA`).
            fault: one of :data:`OFD_FAULTS`.
        """
        if fault is not None and fault not in OFD_FAULTS:
            raise InvalidArgument(f"fault: expected one of {OFD_FAULTS}, got {fault!r}")
        if kind == "Seal" and self.seal is None:
            raise InvalidArgument("a seal signature needs the seal (MockOFDSigner(signer, seal))")
        pkg = dict(files if files is not None else blank_ofd())
        pkg["OFD.xml"] = _ofd_xml(signed=True)
        # A package already signed gets one more signature, in the next Sign_N folder.
        n = sum(1 for name in pkg if _SIGNATURE_FILE.fullmatch(name))
        sign_dir = f"Doc_0/Signs/Sign_{n}"
        sig_type = "Seal" if kind == "Seal" else "Sign"
        entry = (
            f'<ofd:Signature ID="{n + 1}" Type="{sig_type}" BaseLoc="/{sign_dir}/Signature.xml"/>'
        ).encode()
        listing = pkg.get(_SIGNATURES)
        if listing is None:
            listing = (
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="{_NS}">'
                "<ofd:MaxSignId>0</ofd:MaxSignId></ofd:Signatures>"
            ).encode()
        listing = re.sub(
            rb"<ofd:MaxSignId>\d+</ofd:MaxSignId>",
            f"<ofd:MaxSignId>{n + 1}</ofd:MaxSignId>".encode(),
            listing,
        )
        pkg[_SIGNATURES] = listing.replace(b"</ofd:Signatures>", entry + b"</ofd:Signatures>")
        with_seal = kind == "Seal" and seal_file
        if with_seal:
            assert self.seal is not None
            pkg[f"{sign_dir}/Seal.esl"] = self.seal
        # Signatures.xml changes with every signature, so none references it; a later
        # signature covers the earlier ones' files.
        signed = [
            name
            for name in sorted(pkg)
            if name != _SIGNATURES and not name.startswith(sign_dir + "/Sign")
        ]
        when = (signing_time or _now()).astimezone(UTC)
        sig_xml = self._signature_xml(pkg, signed, check_method, with_seal, when, fault, sign_dir)
        pkg[f"{sign_dir}/Signature.xml"] = sig_xml
        if kind == "Seal":
            value = self._seal_value(sig_xml, version, when, timestamp, fault, sign_dir)
        elif kind == "Sign":
            value = sm2_sign(_key(self.signer), sig_xml)
            if fault == "signature-flipped":
                value = _flip(value)
        else:
            value = self.signer.sign_detached_cms(sig_xml, attributes=True)
        if fault == "signed-value-truncated":
            value = value[: len(value) // 2]
        pkg[f"{sign_dir}/SignedValue.dat"] = value
        return self._package(pkg, fault, sign_dir)

    @staticmethod
    def files_of(package: bytes) -> dict[str, bytes]:
        """The files of an OFD package (ZIP bytes), to sign it again with :meth:`sign`."""
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}

    def _signature_xml(
        self,
        pkg: dict[str, bytes],
        signed: list[str],
        check_method: str | None,
        with_seal: bool,
        when: datetime,
        fault: OFDFault | None,
        sign_dir: str,
    ) -> bytes:
        method = check_method or "md5"
        digest = {"sm3": sm3, "1.2.156.10197.1.401": sm3}.get(method.lower())
        refs = []
        for name in signed:
            if digest is not None:
                value = digest(pkg[name])
            else:
                import hashlib

                algo = {"sha-256": "sha256", "sha256": "sha256", "md5": "md5"}[method.lower()]
                value = hashlib.new(algo, pkg[name]).digest()
            if fault == "check-value-altered" and name.endswith("Content.xml"):
                value = bytes([value[0] ^ 0x01]) + value[1:]
            refs.append(
                f'<ofd:Reference FileRef="/{name}"><ofd:CheckValue>'
                f"{base64.b64encode(value).decode()}</ofd:CheckValue></ofd:Reference>"
            )
        if fault == "reference-escapes-package":
            refs.append(
                '<ofd:Reference FileRef="/../outside.xml"><ofd:CheckValue>'
                f"{base64.b64encode(sm3(b'')).decode()}</ofd:CheckValue></ofd:Reference>"
            )
        attr = f' CheckMethod="{check_method}"' if check_method is not None else ""
        local = when.astimezone(UTC) + timedelta(hours=8)
        seal = (
            f"<ofd:Seal><ofd:BaseLoc>/{sign_dir}/Seal.esl</ofd:BaseLoc></ofd:Seal>"
            if with_seal
            else ""
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="{_NS}">'
            f'<ofd:SignedInfo><ofd:Provider ProviderName="bayident.testing" Version="1"/>'
            f"<ofd:SignatureMethod>{_SM3_WITH_SM2}</ofd:SignatureMethod>"
            f"<ofd:SignatureDateTime>{local:%Y-%m-%d %H:%M:%S}</ofd:SignatureDateTime>{seal}"
            '<ofd:StampAnnot ID="90" Boundary="50 50 40 40" PageRef="2"/>'
            f"<ofd:References{attr}>{''.join(refs)}</ofd:References></ofd:SignedInfo>"
            f"<ofd:SignedValue>/{sign_dir}/SignedValue.dat</ofd:SignedValue></ofd:Signature>"
        ).encode()

    def _seal_value(
        self,
        sig_xml: bytes,
        version: int,
        when: datetime,
        timestamp: bytes | Callable[[bytes], bytes] | None,
        fault: OFDFault | None,
        sign_dir: str,
    ) -> bytes:
        assert self.seal is not None
        key = _key(self.signer)
        prop = _der.ia5_string(f"/{sign_dir}/Signature.xml")
        data_hash = _der.bit_string(sm3(sig_xml))
        seal = _der.raw(self.seal)
        cert = _der.octet_string(self.signer.cert_der)
        alg = _der.oid(_SM3_WITH_SM2)
        if version == 4:
            tbs = _der.sequence(_der.integer(4), seal, _der.generalized_time(when), data_hash, prop)
            sig = sm2_sign(key, tbs)
            if fault == "signature-flipped":
                sig = _flip(sig)
            parts = [tbs, cert, alg, _der.bit_string(sig)]
            if timestamp is not None:
                token = timestamp(sig) if callable(timestamp) else timestamp
                parts.append(_der.implicit(0, _der.bit_string(token)))
            return _der.sequence(*parts)
        local = when + timedelta(hours=8)
        time_info = _der.bit_string(f"{local:%Y-%m-%d %H:%M:%S}".encode())
        tbs = _der.sequence(_der.integer(1), seal, time_info, data_hash, prop, cert, alg)
        sig = sm2_sign(key, tbs)
        if fault == "signature-flipped":
            sig = _flip(sig)
        return _der.sequence(tbs, _der.bit_string(sig))

    @staticmethod
    def _package(pkg: dict[str, bytes], fault: OFDFault | None, sign_dir: str) -> bytes:
        page = "Doc_0/Pages/Page_0/Content.xml"
        if fault == "content-changed":
            pkg[page] = pkg[page].replace(b"</ofd:TextCode>", b" (changed)</ofd:TextCode>")
        elif fault == "signature-xml-changed":
            name = f"{sign_dir}/Signature.xml"
            pkg[name] = pkg[name].replace(b'Version="1"', b'Version="2"')
        elif fault == "seal-file-swapped":
            name = f"{sign_dir}/Seal.esl"
            if name in pkg:
                pkg[name] = pkg[name][:-1] + bytes([pkg[name][-1] ^ 0x01])
        elif fault == "referenced-file-removed":
            del pkg[page]
        items = list(pkg.items())
        if fault == "zip-path-traversal":
            items.append(("../outside.txt", b"outside"))
        elif fault == "zip-duplicate-entry":
            items.append((page, pkg[page] + b" "))
        elif fault == "zip-bomb":
            items.append(("Doc_0/Res/bomb.bin", b"\x00" * 4096))
        if fault == "zip-duplicate-entry":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = _zip(items)
        else:
            data = _zip(items)
        if fault == "zip-bomb":
            data = _declare_huge(data, "Doc_0/Res/bomb.bin", 1 << 30)
        return data

    def __repr__(self) -> str:
        return f"MockOFDSigner({self.signer.name!r})"
