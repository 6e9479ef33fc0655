"""What an iAM Smart reply that is not a success means for a verification result.

A user who declines, a request that timed out or a content key that expired is not a
malformed message: the result says what happened, by the code's meaning and kind (see
:mod:`._codes`), instead of a format failure.
"""

from __future__ import annotations

from ..._result import SubIndication
from .._base import SchemeFailure
from ._codes import ReplyStatus
from ._reply import IAmSmartReply

__all__ = ["reply_failure"]

_WHAT = {
    ReplyStatus.USER_CANCELLED: "the user cancelled",
    ReplyStatus.USER_REJECTED: "the user declined",
    ReplyStatus.TIMEOUT: "the request timed out",
    ReplyStatus.FAILED: "the request failed",
    ReplyStatus.NOT_ALLOWED: "the user may not do this",
    ReplyStatus.API_ERROR: "iAM Smart refused the service's API call",
    ReplyStatus.UNKNOWN: "the code is not in the public code table",
}


def reply_failure(reply: IAmSmartReply, what: str) -> SchemeFailure:
    """The failure a non-success ``reply`` stands for; ``what`` names the evidence."""
    code = reply.code[:16]
    meaning = f"{code} ({reply.description}; status {reply.status.value}, {reply.stage})"
    if reply.status is ReplyStatus.IDENTITY_MISMATCH:
        # 70005: iAM Smart itself found that the person is not the one the HKICHash names.
        return SchemeFailure(
            "hkic-hash",
            SubIndication.HASH_FAILURE,
            f"iAM Smart replied {meaning}: the signature was requested for another person "
            "and was not made",
            "code",
        )
    if reply.renew_key:
        return SchemeFailure(
            "content-key",
            SubIndication.TRY_LATER,
            f"iAM Smart replied {meaning}: call /security/getKey again for a new content "
            "key, then retry",
            "code",
        )
    lead = _WHAT.get(reply.status, "the request did not succeed")
    return SchemeFailure(
        "reply-code",
        SubIndication.SIGNED_DATA_NOT_FOUND,
        f"iAM Smart replied {meaning}: {lead}, so the {what} carries nothing to verify",
        "code",
    )
