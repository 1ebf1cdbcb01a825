"""The subset of jsonschema 1.5.0 Evolution's schemas use, with its error strings.

Evolution reports the property's ``description`` when it has one, else jsonschema's ``stack``
with ``instance.`` removed (abstract.router.ts ``dataValidate``).
"""

from typing import Any

from .errors import invalid

_TYPES = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def validate(body: Any, schema: dict) -> None:
    """Raise the nested-array 400 when ``body`` breaks ``schema``."""
    errors: list[str] = []
    _check(body, schema, "instance", errors)
    if errors:
        raise invalid(errors)


def _check(value: Any, schema: dict, path: str, errors: list[str]) -> None:
    def fail(stack: str) -> None:
        errors.append(schema.get("description") or stack.replace("instance.", "", 1))

    expected = schema.get("type")
    if expected and not _TYPES[expected](value):
        fail(f"{path} is not of a type(s) {expected}")
        return
    if "enum" in schema and value not in schema["enum"]:
        fail(f"{path} is not one of enum values: {','.join(schema['enum'])}")
    if expected == "object":
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                _check(value[name], sub, f"{path}.{name}", errors)
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f'{path} requires property "{name}"'.replace("instance.", "", 1))
    if expected == "array" and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{index}]", errors)


def string(description: str | None = None) -> dict:
    return {"type": "string", **({"description": description} if description else {})}


NUMBER = string("Invalid format")
DELAY = {"type": "integer", "description": "Enter a value in milliseconds"}
QUOTED = {
    "type": "object",
    "properties": {"key": {"type": "object", "properties": {"id": string()}, "required": ["id"]}},
    "required": ["key"],
}


def message_schema(required: list[str], **properties: dict) -> dict:
    """A /message/send* schema: number, delay, quote and mentions plus ``properties``."""
    return {
        "type": "object",
        "properties": {
            "number": NUMBER,
            "delay": DELAY,
            "quoted": QUOTED,
            "linkPreview": {"type": "boolean"},
            "mentionsEveryOne": {"type": "boolean"},
            "mentioned": {"type": "array", "items": string()},
            **properties,
        },
        "required": required,
    }
