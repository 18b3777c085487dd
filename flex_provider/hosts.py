"""Spreading a stack's resources over several provider hosts, past the four calls one host serves at once.

Every dynamic resource of a Python program shares one `python -m pulumi.dynamic` process, which
serves at most 4 calls at once (`ThreadPoolExecutor(max_workers=4)` in pulumi/dynamic/__main__.py).
The engine starts one plugin process per provider *resource* (pkg/resource/deploy/providers/
registry.go `loadProvider` → host `Provider(...)` → `plugin.NewProvider`, no cache), and the Python
SDK takes an explicit `pulumi-python` provider for a `pulumi-python:dynamic/...` type (its package).
So `flex:hosts = N` declares N explicit providers and gives each resource one of them, chosen by a
stable hash of its logical name: N hosts, 4×N calls at once. `flex:hosts = 1` (the default) declares
none, and every resource stays on the default provider, exactly as before.

An explicit provider's Configure receives only that provider's own inputs, not the whole stack
config the default provider gets (deploy/target.go GetPackageConfig serves default providers only).
So each shard's inputs are the provider settings read from the stack config, with the same
namespaced keys the default provider sees; a secret (`twilio:authToken`, `twilio:apiSecret`) is
passed as a secret Output, so Pulumi stores it in state only encrypted. Environment variables reach
every plugin process as they are.

Moving a resource to another shard (N changed) is no replace: the engine asks the new provider's
DiffConfig, which this host leaves UNIMPLEMENTED, and provider_plugin.go takes that as "no
replace"; the resource's own Diff then finds its inputs unchanged. tests/test_real_engine_hosts.py
proves each of these on the real engine (the plugin launches it logs, the requests Twilio receives).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping

import pulumi

from flex_provider.errors import ConfigurationError
from flex_provider.settings import SOURCES, Source, from_config
from flex_provider.values import quote

__all__ = ["HOSTS", "MAX_HOSTS", "ProviderHosts", "configured_hosts", "hosts_setting", "provider_inputs", "shard_of"]

HOSTS = Source("hosts", "flex", "FLEX_HOSTS", False,
               "Provider hosts to spread resources over, 4 calls at once each (default 1; read by the program).")
MAX_HOSTS = 32
PACKAGE = "pulumi-python"
"""The package of every dynamic resource type (`pulumi-python:dynamic/flex:FlexChannel`)."""


def hosts_setting(configured: object, environ: Mapping[str, str]) -> int:
    """`flex:hosts` from the stack config (or a program's own value), else `FLEX_HOSTS`, else 1.

    Blank counts as unset, as for every setting; anything but a whole number from 1 to MAX_HOSTS is a
    ConfigurationError naming the setting.
    """
    text = str(configured).strip() if configured is not None else ""
    text = text or environ.get(HOSTS.env_var, "").strip()
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= MAX_HOSTS):
        raise ConfigurationError(f"{HOSTS.label()} must be a whole number from 1 to {MAX_HOSTS}, not {quote(text, 20)}")
    return int(text)


def shard_of(name: str, hosts: int) -> int:
    """The shard of a logical name: stable across runs and machines, so adding a resource moves no other."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % hosts


class ProviderHosts:
    """N explicit `pulumi-python` providers and the shard rule; with N = 1, none (the default provider)."""

    def __init__(self, count: int, name: str, parent: pulumi.Resource | None = None) -> None:
        """`name` prefixes the providers' names (`{name}-hosts-0`…), so two components' hosts never share a URN."""
        self.count = count
        self.providers: list[pulumi.ProviderResource] = []
        if count > 1:
            inputs = provider_inputs()
            self.providers = [pulumi.ProviderResource(PACKAGE, f"{name}-hosts-{index}", inputs,
                                                      pulumi.ResourceOptions(parent=parent))
                              for index in range(count)]

    def provider_for(self, name: str) -> pulumi.ProviderResource | None:
        """The provider of the resource with this logical name; None means the default provider."""
        return self.providers[shard_of(name, self.count)] if self.providers else None


def provider_inputs(native: bool = False) -> dict[str, pulumi.Input[str]]:
    """The provider settings of the stack config, under either namespace (settings.from_config), as the inputs
    of an explicit provider: keyed as the dynamic provider reads them (`twilio:accountSid`), or with `native`
    as the native provider's inputs (`accountSid`).

    A setting that is a secret by nature (the token, the API secret) or that the user stored with
    `--secret` is passed as a secret Output, so state keeps it only encrypted.
    """
    inputs: dict[str, pulumi.Input[str]] = {}
    for source in SOURCES.values():
        try:
            given = from_config(source, pulumi.runtime.get_config)
        except ConfigurationError as error:
            raise pulumi.RunError(str(error)) from None
        if given is not None:
            key, value = given
            secret = source.secret or pulumi.runtime.is_config_secret(key)
            inputs[source.key if native else source.config_key] = pulumi.Output.secret(value) if secret else value
    return inputs


def configured_hosts(given: int | None = None) -> int:
    """The number of hosts for the running program: `given`, else `flex:hosts`; a bad one stops it, named."""
    namespace, key = HOSTS.config_key.split(":", 1)
    try:
        return hosts_setting(given if given is not None else pulumi.Config(namespace).get(key), os.environ)
    except ConfigurationError as error:
        raise pulumi.RunError(str(error)) from None
