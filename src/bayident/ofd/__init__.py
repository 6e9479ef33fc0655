"""OFD documents (GB/T 33190-2016) with electronic seals and signatures.

The OFD evidence handler is one of a verifier's built-in handlers, so an ``.ofd`` file
goes through the same call as every other evidence::

    result = bayident.verify("invoice.ofd", trust=["tax-ca.pem"])
    for signer in result.signers:
        print(signer.details["seal"]["name"], signer.certificate.subject)

Every signature of the package is verified: seal signatures (``Type="Seal"``,
GB/T 38540-2020 V4 and GM/T 0031-2014 V1, with the seal maker's signature, the seal's
certificate list and validity and both certificate paths), digital signatures
(``Type="Sign"``: GB/T 35275 SignedData or a bare SM2 signature) and GM/T 0099
integrity protection. It needs the ``sm`` extra (``pip install 'bayident[sm]'``: SM2 and
the hardened XML parser); without it an OFD is ``INDETERMINATE`` with a message naming it.
See ``docs/ofd.md``.
"""

from __future__ import annotations

from ._handler import OFDHandler
from ._ses import Seal, SealSignature, SESFormatError, parse_seal, parse_seal_signature
from ._zip import ZipFormatError, ZipLimits, ZipPackage

__all__ = [
    "OFDHandler",
    "SESFormatError",
    "Seal",
    "SealSignature",
    "ZipFormatError",
    "ZipLimits",
    "ZipPackage",
    "parse_seal",
    "parse_seal_signature",
]
