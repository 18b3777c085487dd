"""The `flex` package's Pulumi schema, read off the declarations and the settings: nothing in it is written by hand.

`GetSchema` answers it, `pulumi package gen-sdk` makes the typed SDKs from it (sdk/python is the one this
project ships), and the docs' tables come from the same declarations. Every field is an input property
with its description; a field Twilio cannot change in place is marked `replaceOnChanges`, so the SDKs
and `pulumi preview --diff` show its change as a replace. Credentials are config variables marked secret.

Properties keep the declarations' names (`flex_flow_sid`), not Pulumi's usual camelCase: the names are
those of the dynamic front end's state, so a stack moves between the front ends with the same inputs and
outputs (the engine keeps a resource's old outputs when nothing changed), and stack files and YAML
programs write them alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from flex_provider.declaration import Field, ResourceType
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.options import IMPORT_INPUT, OPTIONS_BY_KEY
from flex_provider.settings import NATIVE_NAMESPACE, SOURCES
from flex_provider.version import __version__

__all__ = ["PACKAGE", "build_schema", "schema_text", "type_token"]

PACKAGE = NATIVE_NAMESPACE
"""The package name: resource types are `flex:index:<Name>`, settings `flex:<key>`."""
PYTHON_PACKAGE = "pulumi_flex"
"""The Python SDK's package (sdk/python), as `pulumi package gen-sdk` names it from the schema."""


def type_token(rtype: ResourceType) -> str:
    """`flex:index:FlexChannel`: every resource is in the package's one module."""
    return f"{PACKAGE}:index:{rtype.name}"


def _object_token(rtype: ResourceType, spec: Field) -> str:
    """`flex:index:FlexFlowIntegration`: a mapping field's object type."""
    return f"{PACKAGE}:index:{rtype.name}{''.join(part.capitalize() for part in spec.name.split('_'))}"


def _property(rtype: ResourceType, spec: Field) -> dict[str, Any]:
    prop = {**spec.kind.pulumi_type(spec, lambda field: _object_token(rtype, field)), "description": spec.description}
    if spec.choices:
        prop["description"] += f" One of: {', '.join(spec.choices)}."
    return prop


def _resource(rtype: ResourceType) -> dict[str, Any]:
    inputs = {spec.name: {**_property(rtype, spec), **({} if spec.updatable else {"replaceOnChanges": True})}
              for spec in rtype.fields}
    inputs[IMPORT_INPUT] = {"type": "string", "description": OPTIONS_BY_KEY["import"].describe(rtype)}
    # State holds every input beside what Twilio answers (core.py), so each is an output too.
    outputs = {**{spec.name: _property(rtype, spec) for spec in rtype.fields},
               **{name: {"type": "string", "description": rtype.output_description(name)}
                  for name in rtype.outputs if name not in rtype.by_name},
               IMPORT_INPUT: inputs[IMPORT_INPUT]}
    required = [spec.name for spec in rtype.fields if spec.required]
    return {"description": f"A Twilio {rtype.title}; its id is its SID ({rtype.sid_prefix}…).",
            "inputProperties": inputs, "requiredInputs": required, "properties": outputs,
            "required": sorted({"sid", *required})}


def _types(rtypes: Iterable[ResourceType]) -> dict[str, Any]:
    return {_object_token(rtype, spec): {"type": "object", "description": spec.description,
                                         "properties": {sub.name: _property(rtype, sub) for sub in spec.fields}}
            for rtype in rtypes for spec in rtype.fields if spec.fields}


def _settings() -> dict[str, Any]:
    return {source.key: {"type": "string", "secret": source.secret,
                         "description": f"{source.description} Default: the {source.env_var} variable."}
            for source in SOURCES.values()}


@cache
def build_schema(rtypes: tuple[ResourceType, ...] = RESOURCE_TYPES) -> dict[str, Any]:
    """The package schema of the declared resource types."""
    settings = _settings()
    return {
        "name": PACKAGE,
        "displayName": "Twilio Flex (flex-channels)",
        "version": __version__,
        "description": "Twilio Flex Flows, chat channels and Conversations address configurations.",
        "keywords": ["twilio", "flex", "conversations"],
        "license": "Apache-2.0",
        "meta": {"moduleFormat": "(.*)"},
        "language": {"python": {"packageName": PYTHON_PACKAGE, "respectSchemaVersion": True,
                                "pyproject": {"enabled": True}}},
        "config": {"variables": settings},
        "provider": {"description": "The Twilio account and API endpoint resources are managed in.",
                     "inputProperties": settings},
        "resources": {type_token(rtype): _resource(rtype) for rtype in rtypes},
        "types": _types(rtypes),
    }


@cache
def schema_text() -> str:
    """The schema as `GetSchema` answers it."""
    return json.dumps(build_schema(), indent=2, sort_keys=True)
