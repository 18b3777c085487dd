"""The error tree: each API error class stands for its HTTP statuses, and the tree answers for a status."""

from __future__ import annotations

import pytest

from flex_provider.errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    ValidationError,
    answer_lost,
    api_error_type,
)


@pytest.mark.parametrize(("status", "error_type"), [
    (400, ValidationError), (401, AuthenticationError), (403, AuthenticationError), (404, NotFoundError),
    (409, ConflictError), (429, RateLimitedError), (418, ApiError), (500, ApiError), (302, ApiError),
])
def test_each_status_maps_to_the_class_that_claims_it(status: int, error_type: type[ApiError]) -> None:
    assert api_error_type(status) is error_type


def test_no_two_classes_claim_one_status() -> None:
    claimed = [status for cls in ApiError.__subclasses__() for status in cls.statuses]
    assert len(claimed) == len(set(claimed))


def test_a_lost_answer_is_an_unknown_outcome_only_for_a_post() -> None:
    lost = answer_lost("POST", "https://x/v1/Channels", "connection lost", "Look for it.")
    assert type(lost) is OutcomeUnknownError
    assert str(lost) == ("POST https://x/v1/Channels: the request was sent but no answer came back (connection "
                         "lost). Look for it.")
    for method in ("GET", "DELETE"):
        assert type(answer_lost(method, "https://x", "connection lost", "Look for it.")) is TransportError
