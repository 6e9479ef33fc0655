"""Trusted lists: anchor look-up time against list size, and parse + verify against signxml.

Run: ``python bench/bench_trustlist.py [path/to/eu-lotl.xml]`` (needs the ``etsi`` extra).

1. Look-up: stores built from lists of 100, 10,000 and 100,000 services (one
   certificate each); the median time of a look-up by fingerprint, subject, key
   identifier and of ``services_for``, for a working set of 100 anchors (a verifier
   meets few issuers at a time). Target: the largest store ≤ 2× the smallest. The same
   over uniformly random anchors is shown for information: past the CPU caches every
   look-up waits on memory, whatever the data structure.
2. The EU list of lists (``eu-lotl.xml``, from ``../shared/conformance/etsi-tl/`` by
   default): ``read_etsi_xml`` — hardened parse, anti-wrapping checks, signxml
   verification, the whole model — against signxml's bare ``XMLVerifier().verify``
   of the same bytes with the KeyInfo certificate. Target: ≤ 1.5×.

Both sides of each comparison run in the same process, in alternating rounds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from bayident.trustlist import (  # noqa: E402
    DigitalIdentity,
    ServiceStatus,
    ServiceType,
    TrustedList,
    TrustService,
    TrustServiceProvider,
    read_etsi_xml,
    trust_store_from_lists,
)

SIZES = (100, 10_000, 100_000)
LOOKUPS = 20_000
ROUNDS = 7
NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _template() -> tuple[bytes, bytes, bytes]:
    """A certificate whose CN digits and SKI can be patched in place (lengths unchanged)."""
    key = ec.generate_private_key(ec.SECP256R1())
    marker = "Bench service 0000000"
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, marker)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench issuer")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER), marker.encode(), ski.digest


def certificates(n: int) -> list[bytes]:
    """``n`` distinct certificates (signatures not valid: look-ups never check them)."""
    der, marker, ski = _template()
    out = []
    for i in range(n):
        name = marker[:-7] + b"%07d" % i
        out.append(der.replace(marker, name).replace(ski, hashlib.sha1(name).digest()))
    return out


def build_list(n: int) -> TrustedList:
    services = tuple(
        TrustService(
            service_type=ServiceType.CA_QC,
            name=f"service {i}",
            status=ServiceStatus.GRANTED,
            status_starting_time=NOW - dt.timedelta(days=30),
            identity=DigitalIdentity(certificates=(der,)),
        )
        for i, der in enumerate(certificates(n))
    )
    return TrustedList(
        scheme_operator_name="Bench operator",
        scheme_name="Bench scheme",
        territory="HK",
        sequence_number=1,
        issue_date=NOW,
        next_update=NOW + dt.timedelta(days=180),
        version=5,
        tsl_type="http://uri.etsi.org/TrstSvc/TrustedList/TSLType/HKlist",
        providers=(TrustServiceProvider("Bench provider", services),),
    )


def per_op(fn: Callable[[], object], ops: int) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / ops


def lookups() -> tuple[dict[int, float], dict[int, float]]:
    """Median per-anchor look-up time: over a working set of 100 anchors, and over all."""
    stores = {}
    for n in SIZES:
        tl = build_list(n)
        start = time.perf_counter()
        store = trust_store_from_lists([tl], at=NOW)
        built = time.perf_counter() - start
        anchors = list(store)
        assert len(anchors) == n
        rng = random.Random(n)
        working = rng.sample(anchors, 100)
        # Keys as a verifier has them: fresh copies taken from the certificate in hand.
        hot = [
            (bytes(a.fingerprint.encode()).decode(), bytes(a.subject_der), bytes(a.key_id or b""))
            for a in (working[rng.randrange(100)] for _ in range(LOOKUPS))
        ]
        cold = [
            (bytes(a.fingerprint.encode()).decode(), bytes(a.subject_der), bytes(a.key_id or b""))
            for a in (anchors[rng.randrange(n)] for _ in range(LOOKUPS))
        ]
        stores[n] = (store, hot, cold)
        print(
            f"  store of {n:>7,} services built in {built:6.2f} s ({built / n * 1e6:5.1f} µs/service)"
        )

    def one_round(n: int, which: int) -> float:
        store, *queries = stores[n]
        keys = queries[which]

        def run() -> None:
            for fp, subject, key_id in keys:
                a = store.by_fingerprint(fp)
                store.by_subject(subject)
                store.by_key_id(key_id)
                store.services_for(fp)
                assert a is not None

        return per_op(run, len(keys))

    hot_t: dict[int, list[float]] = {n: [] for n in SIZES}
    cold_t: dict[int, list[float]] = {n: [] for n in SIZES}
    for _ in range(ROUNDS):
        for n in SIZES:
            hot_t[n].append(one_round(n, 0))
            cold_t[n].append(one_round(n, 1))
    return (
        {n: statistics.median(v) for n, v in hot_t.items()},
        {n: statistics.median(v) for n, v in cold_t.items()},
    )


def lotl(path: Path) -> tuple[float, float]:
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    data = path.read_bytes()
    doc = read_etsi_xml(data)
    if not doc.valid or doc.signer_certificate is None:
        sys.exit(f"{path} does not verify: {doc.describe()}")
    cert = doc.signer_certificate
    config = SignatureConfiguration(
        expect_references=2, verification_time=cert.not_valid_before_utc
    )

    def bare() -> None:
        XMLVerifier().verify(data, x509_cert=cert, expect_config=config)

    def ours() -> None:
        assert read_etsi_xml(data).valid

    ours_t: list[float] = []
    bare_t: list[float] = []
    for i in range(ROUNDS * 3):
        pair = [(ours, ours_t), (bare, bare_t)]
        for fn, acc in pair if i % 2 else reversed(pair):
            acc.append(per_op(lambda f=fn: [f() for _ in range(5)], 5))  # type: ignore[misc]
    return statistics.median(ours_t), statistics.median(bare_t)


def main() -> None:
    default = HERE.parent.parent / "shared" / "conformance" / "etsi-tl" / "eu-lotl.xml"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print("1. anchor look-up (fingerprint + subject + key id + services_for), median per anchor")
    hot, cold = lookups()
    print("  working set of 100 anchors (the target):")
    for n, t in hot.items():
        print(f"  {n:>7,} services: {t * 1e6:6.2f} µs")
    ratio = hot[SIZES[-1]] / hot[SIZES[0]]
    verdict = "met" if ratio <= 2.0 else "NOT met"
    print(f"  largest / smallest: {ratio:.2f}× (target ≤ 2×: {verdict})")
    print("  uniformly random over every anchor (information: memory-bound once the store")
    print("  outgrows the CPU caches):")
    for n, t in cold.items():
        print(f"  {n:>7,} services: {t * 1e6:6.2f} µs")
    print(f"  largest / smallest: {cold[SIZES[-1]] / cold[SIZES[0]]:.2f}×")
    if not path.is_file():
        print(f"2. skipped: {path} not found (pass the path to eu-lotl.xml)")
        return
    print(f"2. {path.name} ({path.stat().st_size:,} bytes), median of {ROUNDS * 3} rounds")
    ours, bare = lotl(path)
    print(f"  bayident read_etsi_xml (parse, checks, verify, model): {ours * 1e3:7.2f} ms")
    print(f"  signxml XMLVerifier().verify (bare):                   {bare * 1e3:7.2f} ms")
    r = ours / bare
    print(f"  ratio: {r:.2f}× (target ≤ 1.5×: {'met' if r <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
