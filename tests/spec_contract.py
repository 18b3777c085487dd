"""The structural facts of the Twilio APIs we use, cut from Twilio's OpenAPI descriptions.

The repository ships them where ../shared is absent, and tests check each copy still equals what
this derives from the specs:
- tests/fixtures/flex_channel_contract.json: the channel operations' schemas (and the Flex Flow's), for
  contract tests;
- tests/fixtures/conversations_address_contract.json: the address configuration's answers, for contract tests;
- twilio_emulator/contract.json: every operation the emulator's backends serve (each backend's noun with
  each verb the specs give it), with its parameters, which the emulator validates requests against as
  Twilio does, and each resource's answer, which tests validate the emulator's answers against.

Regenerate them with `python -m tests.spec_contract --write`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from twilio_emulator.backends import BACKENDS
from twilio_emulator.contract import VERBS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "flex_channel_contract.json"
SPECS_DIR = ROOT.parent / "shared" / "specs"
SPEC = Path(os.environ.get("FLEX_SPEC", SPECS_DIR / "twilio_flex_v1.json"))
CONVERSATIONS_SPEC = SPECS_DIR / "twilio_conversations_v1.json"
CONVERSATIONS_FIXTURE = ROOT / "tests" / "fixtures" / "conversations_address_contract.json"
EMULATOR_CONTRACT = ROOT / "twilio_emulator" / "contract.json"
SERVED = {f"{verb}{backend.noun}" for backend in BACKENDS for verb in VERBS}
"""The operations the emulator serves, if the specs have them: every verb of each registered backend's noun."""
_PARAMETER_KEYS = ("type", "pattern", "enum", "format", "minimum", "maximum", "items")
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


def _resolved(schema: Any, name: str, component: Any) -> Any:
    """`schema` with every `$ref` to the component `name` replaced by `component`."""
    if isinstance(schema, dict):
        if schema.get("$ref") == f"#/components/schemas/{name}":
            return component
        return {key: _resolved(value, name, component) for key, value in schema.items()}
    return schema


def derive(spec: dict[str, Any]) -> dict[str, Any]:
    """The request and response schemas of the four channel operations, with refs resolved."""
    channel = _structure(spec["components"]["schemas"]["flex.v1.channel"])

    def resolve(schema: Any) -> Any:
        return _resolved(schema, "flex.v1.channel", channel)

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
        "flex_flow": _inline(_structure(spec["components"]["schemas"]["flex.v1.flex_flow"]), spec),
        "security": spec["components"]["securitySchemes"],
    }


def derive_conversations(spec: dict[str, Any]) -> dict[str, Any]:
    """The address configuration's answers: the resource (`conversations.v1.configuration_address`), a list
    page of them, and the success statuses of its operations."""
    name = "conversations.v1.configuration_address"
    address = _structure(spec["components"]["schemas"][name])
    collection, instance = (spec["paths"][path] for path in ("/v1/Configuration/Addresses",
                                                            "/v1/Configuration/Addresses/{Sid}"))
    listing = collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    statuses = {item[method]["operationId"]: sorted(item[method]["responses"])
                for item in (collection, instance) for method in ("get", "post", "delete") if method in item}
    return {"configuration_address": address, "list_response": _resolved(_structure(listing), name, address),
            "statuses": dict(sorted(statuses.items()))}


def _inline(node: Any, spec: dict[str, Any]) -> Any:
    """A schema with each `$ref` to a component (an enum) replaced by that component's structure."""
    if isinstance(node, dict):
        if "$ref" in node:
            component = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
            return {key: value for key, value in component.items() if key in ("type", "enum")}
        return {key: _inline(value, spec) for key, value in node.items()}
    return node


def _parameter(schema: dict[str, Any], spec: dict[str, Any], required: bool) -> dict[str, Any]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    kept = {key: schema[key] for key in _PARAMETER_KEYS if key in schema}
    return {**kept, "required": required} if required else kept


def derive_emulator_contract(specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every served operation (method, path, API host, success status, list key and parameters), and each served
    resource's answer (its Fetch operation's, structure only), by noun."""
    operations: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for spec in specs.values():
        host = spec["servers"][0]["url"].removeprefix("https://").split(".")[0]
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or operation.get("operationId") not in SERVED:
                    continue
                params = {p["name"]: _parameter(p["schema"], spec, bool(p.get("required")))
                          for p in operation.get("parameters", []) if p["in"] == "query"}
                body = operation.get("requestBody", {}).get("content", {})
                form = body.get("application/x-www-form-urlencoded", {}).get("schema", {})
                params.update({key: _parameter(value, spec, key in form.get("required", []))
                               for key, value in form.get("properties", {}).items()})
                status = min(code for code in operation["responses"] if code.startswith("2"))
                entry = {"method": method.upper(), "path": path, "api": host, "status": int(status),
                         "params": params}
                answer = operation["responses"][status].get("content", {}).get("application/json", {})
                listed = [key for key, value in answer.get("schema", {}).get("properties", {}).items()
                          if value.get("type") == "array"]
                if listed:
                    entry["list_key"] = listed[0]
                operations[operation["operationId"]] = entry
                if operation["operationId"].startswith("Fetch"):
                    answer_ref = answer["schema"]["$ref"].rsplit("/", 1)[1]
                    resources[operation["operationId"].removeprefix("Fetch")] = _inline(
                        _structure(spec["components"]["schemas"][answer_ref]), spec)
    return {"source": "Twilio OpenAPI descriptions, @twilio/cli-core 8.3.2 (see ../shared/specs/README.md)",
            "operations": dict(sorted(operations.items())), "resources": dict(sorted(resources.items()))}


def load_specs() -> dict[str, dict[str, Any]]:
    """Every spec in the shared specs folder, by file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(SPECS_DIR.glob("*.json"))}


def load_emulator_contract() -> dict[str, Any]:
    """The shipped contract's operations by ID."""
    return json.loads(EMULATOR_CONTRACT.read_text())["operations"]


def load_resources() -> dict[str, Any]:
    """The shipped contract's resources (each one's answer, structure only), by the noun of its operations."""
    return json.loads(EMULATOR_CONTRACT.read_text())["resources"]


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a union with null; a nullable property
    with no type takes anything."""
    if isinstance(node, dict):
        out = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable"):
            out = {"anyOf": [{"type": "null"}, out]} if "type" in out else {}
        return out
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    return node


def load_fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def load_conversations_fixture() -> dict[str, Any]:
    return json.loads(CONVERSATIONS_FIXTURE.read_text())


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        FIXTURE.write_text(_dump(derive(json.loads(SPEC.read_text()))))
        CONVERSATIONS_FIXTURE.write_text(_dump(derive_conversations(json.loads(CONVERSATIONS_SPEC.read_text()))))
        EMULATOR_CONTRACT.write_text(json.dumps(derive_emulator_contract(load_specs()), indent=1) + "\n")
        print(f"wrote {FIXTURE}, {CONVERSATIONS_FIXTURE} and {EMULATOR_CONTRACT}")
    else:
        sys.stdout.write(_dump(derive(json.loads(SPEC.read_text()))))
