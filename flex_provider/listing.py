"""`python -m flex_provider <section> list`: what the account holds, read with the provider's own settings.

For finding a resource to adopt (`import: CH…`), above all after a create whose answer was lost.
Settings come as the provider reads them: the stack's Pulumi config (from `Pulumi.<stack>.yaml`
when `--stack` is given; secret values there are encrypted, so secrets come from the
environment), then the `TWILIO_*` / `FLEX_*` environment variables.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

import yaml

from flex_provider.client import ApiObject
from flex_provider.declaration import ResourceType
from flex_provider.errors import ConfigurationError
from flex_provider.settings import ProviderSettings

__all__ = ["list_resources", "stack_config"]


def stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The plain values of a stack's Pulumi config file; encrypted (`secure:`) values are left out."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}; is '{stack}' a stack of this "
                                 "project?") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path} is not valid YAML: {exc}") from exc
    config = data.get("config") if isinstance(data, Mapping) else None
    if not isinstance(config, Mapping):
        return {}
    return {str(key): value for key, value in config.items() if not isinstance(value, Mapping)}


def list_resources(rtype: ResourceType, filters: Mapping[str, str], config: Mapping[str, Any], *,
                   as_json: bool = False, out: TextIO = sys.stdout, environ: Mapping[str, str] | None = None) -> int:
    """Print every resource of `rtype` that matches `filters` (by output name); returns how many.

    Settings come from `config`, then `environ` (default: this process's environment)."""
    settings = ProviderSettings.resolve(config.get, os.environ if environ is None else environ)
    query = {f.query: filters[f.output] for f in rtype.list_filters if f.query and f.output in filters}
    local = {f.output: filters[f.output] for f in rtype.list_filters if not f.query and f.output in filters}
    with settings.client() as client:
        found = [item for item in client.list(rtype, **query)
                 if all(item.values.get(key) == value for key, value in local.items())]
    if as_json:
        json.dump([item.to_outputs() for item in found], out, indent=2)
        out.write("\n")
    else:
        _table(rtype, found, out)
    return len(found)


def _table(rtype: ResourceType, items: Iterable[ApiObject], out: TextIO) -> None:
    rows = [[str(item.values.get(column) or "") for column in rtype.columns] for item in items]
    header = [column.upper() for column in rtype.columns]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n")
