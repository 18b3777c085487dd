"""flex-channels: Twilio Flex chat channels as Pulumi resources, declared in YAML stack files."""

from flex_provider.client import Credentials, FlexClient, RetryPolicy, Timeouts, resolve_base_url
from flex_provider.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    FlexError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    TransportError,
    ValidationError,
)
from flex_provider.fields import CHANNEL_FIELDS, Channel, FieldSpec
from flex_provider.version import __version__

__all__ = [
    "CHANNEL_FIELDS",
    "ApiError",
    "AuthenticationError",
    "Channel",
    "ConfigurationError",
    "ConflictError",
    "Credentials",
    "FieldSpec",
    "FlexClient",
    "FlexError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RetryPolicy",
    "Timeouts",
    "TransportError",
    "ValidationError",
    "__version__",
    "resolve_base_url",
]
