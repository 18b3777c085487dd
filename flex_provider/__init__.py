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
from flex_provider.provider import FlexChannelProvider
from flex_provider.resource import FlexChannel, FlexChannelArgs
from flex_provider.settings import ProviderSettings
from flex_provider.stackfile import (
    ChannelDeclaration,
    ChannelOptions,
    Problem,
    StackFile,
    StackFileError,
    check_stack_file,
    load_stack_file,
)
from flex_provider.version import __version__

__all__ = [
    "CHANNEL_FIELDS",
    "ApiError",
    "AuthenticationError",
    "Channel",
    "ChannelDeclaration",
    "ChannelOptions",
    "ConfigurationError",
    "ConflictError",
    "Credentials",
    "FieldSpec",
    "FlexChannel",
    "FlexChannelArgs",
    "FlexChannelProvider",
    "FlexClient",
    "FlexError",
    "NotFoundError",
    "OutcomeUnknownError",
    "Problem",
    "ProviderSettings",
    "RateLimitedError",
    "RetryPolicy",
    "StackFile",
    "StackFileError",
    "Timeouts",
    "TransportError",
    "ValidationError",
    "__version__",
    "check_stack_file",
    "load_stack_file",
    "resolve_base_url",
]
