"""Where credentials and endpoint come from: Pulumi config first, then the environment."""

from __future__ import annotations

import pytest

from flex_provider.errors import ConfigurationError
from flex_provider.settings import SOURCES, ProviderSettings

ACCOUNT = "AC" + "1" * 32


def resolve(config: dict[str, str], env: dict[str, str]) -> ProviderSettings:
    return ProviderSettings.resolve(config.get, env)


def test_config_wins_over_the_environment() -> None:
    settings = resolve(
        {"twilio:accountSid": ACCOUNT, "twilio:authToken": "from-config", "flex:apiUrl": "http://127.0.0.1:1"},
        {"TWILIO_ACCOUNT_SID": "AC" + "2" * 32, "TWILIO_AUTH_TOKEN": "from-env", "FLEX_API_URL": "http://127.0.0.1:2"},
    )
    assert (settings.credentials.username, settings.credentials.password) == (ACCOUNT, "from-config")
    assert settings.base_url == "http://127.0.0.1:1"


def test_environment_fills_what_config_leaves_out() -> None:
    settings = resolve({"twilio:accountSid": ACCOUNT},
                       {"TWILIO_AUTH_TOKEN": "env-token", "TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"})
    assert settings.credentials.password == "env-token"
    assert settings.base_url == "https://flex-api.sydney.au1.twilio.com"
    assert settings.timeouts.read == 30.0
    assert settings.retry.attempts == 6


def test_api_key_is_preferred_to_the_auth_token() -> None:
    settings = resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t", "twilio:apiKey": "SK" + "3" * 32,
                        "twilio:apiSecret": "s"}, {})
    assert (settings.credentials.account_sid, settings.credentials.username) == (ACCOUNT, "SK" + "3" * 32)


def test_missing_credentials_name_both_ways_to_set_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve({"twilio:accountSid": ACCOUNT}, {})
    message = str(caught.value)
    assert "pulumi config set --secret twilio:authToken" in message
    assert "TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN" in message


def test_a_malformed_account_sid_is_refused_without_echoing_secrets() -> None:
    with pytest.raises(ConfigurationError, match="must be an Account SID") as caught:
        resolve({"twilio:accountSid": "nope", "twilio:authToken": "hush-hush"}, {})
    assert "hush-hush" not in str(caught.value)


@pytest.mark.parametrize("value", ["0", "abc", "601"])
def test_timeout_must_be_sensible(value: str) -> None:
    with pytest.raises(ConfigurationError, match="flex:timeoutSeconds / FLEX_TIMEOUT_SECONDS must be"):
        resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t", "flex:timeoutSeconds": value}, {})


@pytest.mark.parametrize("value", ["-1", "many", "21"])
def test_max_retries_must_be_a_small_whole_number(value: str) -> None:
    with pytest.raises(ConfigurationError, match="flex:maxRetries / FLEX_MAX_RETRIES must be a whole number"):
        resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t", "flex:maxRetries": value}, {})


def test_every_setting_has_a_config_key_and_an_env_var() -> None:
    assert all(s.config_key.count(":") == 1 and s.env_var.isupper() for s in SOURCES.values())
    assert {name for name, s in SOURCES.items() if s.secret} == {"auth_token", "api_secret"}
