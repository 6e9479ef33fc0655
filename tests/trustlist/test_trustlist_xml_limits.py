"""XML memory bounded by input size: nodes and depth counted before any tree is built."""

from __future__ import annotations

import pytest

import bayident
from _trustlist_kit import conformance_dir, operator
from bayident.trustlist import SignatureStatus, load_trusted_list, read_trusted_list
from bayident.trustlist._xmllimits import XmlLimitExceeded, XmlLimits, check_xml_limits

HEAD = b'<?xml version="1.0" encoding="UTF-8"?><TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#">'
TAIL = b"</TrustServiceStatusList>"


def signed_with(padding: bytes) -> bytes:
    data = operator("HK").etsi_xml()
    at = data.index(b">", data.index(b"<TrustServiceStatusList")) + 1
    return data[:at] + padding + data[at:]


@pytest.mark.parametrize(
    "unit",
    [b"<a/>", b"<a/> ", b'<a b="" c="" d="" e="" f=""/>', b"<!---->", b"<?p?>"],
    ids=["empty", "whitespace", "attributes", "comments", "pis"],
)
def test_dense_markup_is_refused_before_parsing(unit: bytes) -> None:
    doc = read_trusted_list(signed_with(unit * 200_000))
    assert doc.status is SignatureStatus.MALFORMED
    assert "XML" in doc.reason
    assert "refused before parsing" in doc.reason
    assert doc.field == "document"


def test_deep_nesting_is_refused() -> None:
    depth = 100
    doc = read_trusted_list(HEAD + b"<a>" * depth + b"x" * 10_000 + b"</a>" * depth + TAIL)
    assert doc.status is SignatureStatus.MALFORMED
    assert "nested more than 64 deep" in doc.reason


def test_the_limits_come_from_the_policy() -> None:
    dense = signed_with(b"<a/> " * 20_000)
    assert read_trusted_list(dense).status is SignatureStatus.MALFORMED
    lenient = bayident.Policy(xml_min_bytes_per_node=1, xml_free_nodes=100_000)
    doc = read_trusted_list(dense, policy=lenient)
    assert doc.status is SignatureStatus.INVALID  # reaches the signature: the padding broke it
    shallow = bayident.Policy(xml_max_depth=8)
    assert (
        "nested more than 8 deep"
        in read_trusted_list(operator("HK").etsi_xml(), policy=shallow).reason
    )


def test_a_document_at_the_limit_is_read_and_one_past_it_is_not() -> None:
    limits = XmlLimits(min_bytes_per_node=26, free_nodes=0, max_depth=64)
    unit = b"<a/>" + b" " * 48  # 52 bytes, two nodes: exactly the density allowed
    body = HEAD + unit * 1000 + TAIL
    assert check_xml_limits(body, limits) <= limits.node_budget(len(body))
    denser = HEAD + (b"<a/>" + b" " * 40) * 1200 + TAIL
    with pytest.raises(XmlLimitExceeded):
        check_xml_limits(denser, limits)


def test_every_real_list_is_within_the_default_limits() -> None:
    for d in (conformance_dir(), conformance_dir().parent / "etsi-tl-more"):
        for p in sorted(d.glob("*.xml")):
            doc = load_trusted_list(p)
            assert "refused before parsing" not in doc.reason, p.name
            assert "nested more than" not in doc.reason, p.name


def test_text_and_certificates_are_not_limited_by_count() -> None:
    # One long text costs one node: a big certificate-like blob is fine.
    doc = read_trusted_list(signed_with(b"<a>" + b"A" * 2_000_000 + b"</a>"))
    assert doc.status is SignatureStatus.INVALID
    assert "digest mismatch" in doc.reason


def test_dense_json_is_refused_before_parsing() -> None:
    from bayident.trustlist import read_json_list

    dense = read_json_list(b'{"a":[' + b"{}," * 100_000 + b"{}]}")
    assert dense.status is SignatureStatus.MALFORMED
    assert "refused before parsing" in dense.reason
    # The same values spread out are parsed (and refused for what they say).
    sparse = read_json_list(b'{"a":[' + (b"{}," + b" " * 15) * 10_000 + b"{}]}")
    assert "refused before parsing" not in sparse.reason
    # Real-shaped lists from the kit are far from the limit.
    assert read_json_list(operator("HK").json_jws()).status is SignatureStatus.VALID


def test_depth_is_checked_on_both_paths() -> None:
    depth = 100
    nested = b"<a>" * depth + b"x" + b"</a>" * depth
    # Few '<' and '=': parsed directly, the depth checked on the tree before it is read.
    direct = read_trusted_list(HEAD + nested + TAIL)
    # Many '=' in a text make the quick bound inconclusive: the streaming pass decides.
    streamed = read_trusted_list(HEAD + b"<b>" + b"=" * 100_000 + b"</b>" + nested + TAIL)
    for doc in (direct, streamed):
        assert doc.status is SignatureStatus.MALFORMED
        assert "nested more than 64 deep" in doc.reason
    with pytest.raises(XmlLimitExceeded):
        check_xml_limits(HEAD + b"<b>" + b"=" * 100_000 + b"</b>" + nested + TAIL, XmlLimits())
