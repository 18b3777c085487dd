"""The structural facts of the Flex chat channel API, cut from Twilio's OpenAPI description.

The repository ships them as tests/fixtures/flex_channel_contract.json so the tests run where
../shared is absent; test_spec_contract.py checks the fixture still equals what this derives.
Regenerate with `python -m tests.spec_contract > tests/fixtures/flex_channel_contract.json`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "flex_channel_contract.json"
SPEC = Path(os.environ.get("FLEX_SPEC", ROOT.parent / "shared" / "specs" / "twilio_flex_v1.json"))
_STRUCTURAL = {"type", "properties", "required", "items", "pattern", "minLength", "maxLength", "format",
               "nullable", "minimum", "maximum", "$ref"}


def _structure(node: Any) -> Any:
    """Keep the schema keywords that carry structure; drop prose (descriptions, examples)."""
    if isinstance(node, dict):
        kept = {}
        for key, value in node.items():
            if key == "properties":
                kept[key] = {name: _structure(prop) for name, prop in value.items()}
            elif key in _STRUCTURAL:
                kept[key] = _structure(value)
        return kept
    if isinstance(node, list):
        return [_structure(item) for item in node]
    return node


def derive(spec: dict[str, Any]) -> dict[str, Any]:
    """The request and response schemas of the four channel operations, with refs resolved."""
    channel = _structure(spec["components"]["schemas"]["flex.v1.channel"])

    def resolve(schema: Any) -> Any:
        if isinstance(schema, dict):
            if schema.get("$ref") == "#/components/schemas/flex.v1.channel":
                return channel
            return {key: resolve(value) for key, value in schema.items()}
        return schema

    paths = spec["paths"]
    create = paths["/v1/Channels"]["post"]
    listing = paths["/v1/Channels"]["get"]
    fetch = paths["/v1/Channels/{Sid}"]["get"]
    return {
        "create_request": _structure(create["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]),
        "create_status": sorted(create["responses"]),
        "channel": channel,
        "list_response": resolve(_structure(listing["responses"]["200"]["content"]["application/json"]["schema"])),
        "list_parameters": {p["name"]: _structure(p["schema"]) for p in listing["parameters"]},
        "list_example_meta_keys": sorted(
            listing["responses"]["200"]["content"]["application/json"]["examples"]["readFull"]["value"]["meta"]),
        "sid_parameter": _structure(fetch["parameters"][0]["schema"]),
        "delete_status": sorted(paths["/v1/Channels/{Sid}"]["delete"]["responses"]),
        "security": spec["components"]["securitySchemes"],
    }


def load_fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


if __name__ == "__main__":
    json.dump(derive(json.loads(SPEC.read_text())), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
