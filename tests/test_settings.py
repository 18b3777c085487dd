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
    assert settings.endpoints.base_url("conversations") == "http://127.0.0.1:1", "one URL serves every API"


def test_environment_fills_what_config_leaves_out() -> None:
    settings = resolve({"twilio:accountSid": ACCOUNT},
                       {"TWILIO_AUTH_TOKEN": "env-token", "TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"})
    assert settings.credentials.password == "env-token"
    assert settings.base_url == "https://flex-api.sydney.au1.twilio.com"
    assert settings.endpoints.base_url("conversations") == "https://conversations.sydney.au1.twilio.com"
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


def _refusal(config: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t", **config}, {})
    return str(caught.value)


@pytest.mark.parametrize(("key", "value"), [
    ("twilio:region", "evil.example#"), ("twilio:region", "au1/x"), ("twilio:region", "AU1"),
    ("twilio:region", "-au1"), ("twilio:region", "a" * 64), ("twilio:region", "au1\n.evil"),
    ("twilio:edge", "sydney.evil.example"), ("twilio:edge", "x@evil.example"),
])
def test_region_and_edge_must_be_dns_labels_and_the_error_names_the_setting(key: str, value: str) -> None:
    """`evil.example#` made the base URL https://flex-api.evil.example#.twilio.com: credentials went there."""
    what, setting, example = {"twilio:region": ("Region", "twilio:region / TWILIO_REGION", "au1 or ie1"),
                              "twilio:edge": ("Edge", "twilio:edge / TWILIO_EDGE", "sydney or dublin")}[key]
    assert _refusal({key: value}) == (f"{setting} must be a Twilio {what} such as {example} (lowercase letters, "
                                      f"digits and hyphens), not {value[:60]!a}{'…' if len(value) > 60 else ''}")


def test_region_from_the_environment_is_checked_too() -> None:
    with pytest.raises(ConfigurationError, match=r"^twilio:region / TWILIO_REGION must be a Twilio Region"):
        resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t"}, {"TWILIO_REGION": "evil.example#"})


def test_a_url_with_a_space_or_control_character_is_refused() -> None:
    """urlsplit silently drops a tab or newline, so 'https://flex-\napi.twilio.com' passed as flex-api.twilio.com."""
    for url in ("https://flex-\napi.twilio.com", "https://flex api.twilio.com", "https://bob:Super\tSecretPw@x.com"):
        text = _refusal({"flex:apiUrl": url})
        assert text == f"flex:apiUrl / FLEX_API_URL {_shown(url)!a} holds a space or a control character"
        assert "Secret" not in text


def _shown(url: str) -> str:
    return url if "@" not in url else "https://***@" + url.rsplit("@", 1)[1]


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://bob:SuperSecretPw@example.com", "'ftp://***@example.com' is not an absolute http(s) URL; use something "
                                            "like https://flex-api.twilio.com, or http://127.0.0.1:8080 for a local "
                                            "emulator"),
    ("bob:SuperSecretPw@example.com", "'***@example.com' is not an absolute http(s) URL; use something like "
                                      "https://flex-api.twilio.com, or http://127.0.0.1:8080 for a local emulator"),
    ("https://bob:SuperSecretPw@[::1", "'https://***@[::1' is not an absolute http(s) URL; use something like "
                                       "https://flex-api.twilio.com, or http://127.0.0.1:8080 for a local emulator"),
    ("https://bob:Super@SecretPw@flex.example.com", "'https://***@flex.example.com' must be a scheme, host and port "
                                                    "only (no path, query, fragment or user info)"),
    ("http://bob:SuperSecretPw@10.0.0.5:8080", "'http://***@10.0.0.5:8080' must be a scheme, host and port only (no "
                                               "path, query, fragment or user info)"),
    ("https://flex.example.com#bob:SuperSecretPw@x", "'https://***@x' must be a scheme, host and port only (no path, "
                                                     "query, fragment or user info)"),
])
def test_no_url_is_ever_echoed_with_its_user_info(url: str, message: str) -> None:
    text = _refusal({"flex:apiUrl": url})
    assert text == f"flex:apiUrl / FLEX_API_URL {message}"
    assert "SuperSecretPw" not in text and "bob" not in text


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:http"])
def test_an_invalid_port_is_a_configuration_error_not_a_lost_answer(url: str) -> None:
    """Such a URL got 'the request was sent but no answer came back': nothing had been sent."""
    assert _refusal({"flex:apiUrl": url}) == (f"flex:apiUrl / FLEX_API_URL {url!a} has no valid port: give one "
                                              "from 1 to 65535, or none")


@pytest.mark.parametrize("url", ["https://a..b", "https://-flex.example.com", "https://exa\u00dfmple.com"])
def test_a_host_that_is_not_a_host_name_is_refused(url: str) -> None:
    assert _refusal({"flex:apiUrl": url}) == (f"flex:apiUrl / FLEX_API_URL {url!a} has no valid host: use a name of "
                                              "letters, digits, hyphens and dots, or an IP address")


@pytest.mark.parametrize(("config", "message"), [
    ({"twilio:accountSid": "AC" + "z" * 32}, "twilio:accountSid / TWILIO_ACCOUNT_SID must be an Account SID: 'AC' "
                                             "and 32 hex digits"),
    ({"twilio:accountSid": "AC" + "1" * 32 + "\n" + "1"}, "twilio:accountSid / TWILIO_ACCOUNT_SID must be an "
                                                          "Account SID: 'AC' and 32 hex digits"),
    ({"twilio:apiKey": "SK" + "z" * 32, "twilio:apiSecret": "s"}, "twilio:apiKey / TWILIO_API_KEY must be an API "
                                                                  "Key SID: 'SK' and 32 hex digits"),
    ({"twilio:authToken": "tok€n-hush"}, "twilio:authToken / TWILIO_AUTH_TOKEN holds a space, a control character "
                                         "or a non-ASCII character; copy it again from the Twilio Console"),
    ({"twilio:apiKey": "SK" + "1" * 32, "twilio:apiSecret": "a\x1bhush"}, "twilio:apiSecret / TWILIO_API_SECRET "
                                                                          "holds a space, a control character or a "
                                                                          "non-ASCII character; copy it again from "
                                                                          "the Twilio Console"),
])
def test_every_sid_and_secret_is_checked_and_never_echoed(config: dict[str, str], message: str) -> None:
    """`AC` + 32 letters passed; a token Latin-1 cannot encode raised UnicodeEncodeError at the first request."""
    text = _refusal(config)
    assert text == message
    assert "zzzz" not in text and "hush" not in text


@pytest.mark.parametrize("value", ["²", "٣", "-1", "1.5", "nan", "inf", " 3 3", "1_0", "21", "0x3"])
def test_max_retries_takes_ascii_digits_only(value: str) -> None:
    """`str.isdigit` accepts '²', which `int` refuses: the host raised ValueError."""
    assert _refusal({"flex:maxRetries": value}) == (
        f"flex:maxRetries / FLEX_MAX_RETRIES must be a whole number from 0 to 20, not {value.strip()!a}")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "١٠", "1_0", "1e1", "0", "600.5", "٣.5"])
def test_timeout_takes_ascii_decimal_seconds_only(value: str) -> None:
    """`float` takes 'nan', '١٠' and '1_0'; each got past or around the range check."""
    assert _refusal({"flex:timeoutSeconds": value}) == (
        f"flex:timeoutSeconds / FLEX_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 600, not "
        f"{value!a}")


def test_numbers_in_range_are_taken() -> None:
    settings = resolve({"twilio:accountSid": ACCOUNT, "twilio:authToken": "t", "flex:timeoutSeconds": "0.25",
                        "flex:maxRetries": "0"}, {"FLEX_TIMEOUT_SECONDS": "nan"})
    assert (settings.timeouts.read, settings.retry.attempts) == (0.25, 0)


def test_a_blank_config_value_falls_back_to_the_environment() -> None:
    settings = resolve({"twilio:accountSid": "  ", "twilio:authToken": "t"}, {"TWILIO_ACCOUNT_SID": ACCOUNT})
    assert settings.credentials.account_sid == ACCOUNT
