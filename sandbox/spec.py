"""Loading the Bot API specification and coercing request parameters with it."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("bot-api-spec.json")

_INT_RE = re.compile(r"^\s*[-+]?\d+\s*$")


class ApiError(Exception):
    """A refusal in Telegram's own words; becomes {"ok": false, ...} with HTTP status = code."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class Upload:
    """A file part received in a multipart request."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"


@functools.cache
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def _method_index() -> dict[str, str]:
    return {name.lower(): name for name in load_spec()["methods"]}


def canonical_method(name: str) -> str | None:
    """Spec spelling of a method name (case-insensitive lookup), or None if unknown."""
    return _method_index().get(name.lower())


@functools.cache
def method_fields(method: str) -> dict[str, dict[str, Any]]:
    fields = load_spec()["methods"][method].get("fields", [])
    return {f["name"]: f for f in fields}


def _is_object_type(type_name: str) -> bool:
    return type_name in load_spec()["types"]


def _coerce_one(type_name: str, value: Any) -> Any:
    """Coerce value to a single spec type; raise ValueError if it does not fit."""
    if type_name == "Integer":
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value):
            return int(value)
        raise ValueError
    if type_name == "Float":
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value)
        raise ValueError
    if type_name == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        raise ValueError
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise ValueError
    if type_name == "InputFile":
        if isinstance(value, Upload):
            return value
        raise ValueError
    if type_name.startswith("Array of "):
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, list):
            raise ValueError
        inner = type_name[len("Array of ") :]
        return [_coerce_one(inner, v) for v in value]
    if _is_object_type(type_name):
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict):
            raise ValueError
        return value
    raise ValueError


def coerce_params(method: str, raw: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    """Validate and coerce raw request parameters against the spec for `method`.

    Raises ApiError for unknown parameters, values of the wrong type and missing
    required parameters.
    """
    fields = method_fields(method)
    out: dict[str, Any] = {}
    for name, value in raw.items():
        field = fields.get(name)
        if field is None:
            raise bad_request(f'unknown parameter "{name}"')
        types: list[str] = field["types"]
        if isinstance(value, str) and value.startswith("attach://") and "InputFile" in types:
            part = value[len("attach://") :]
            if part not in uploads:
                raise bad_request(f'file "{value}" not found in the request')
            value = uploads[part]
        if value == "" and not field["required"] and "String" not in types:
            continue  # an empty optional non-string value means "not given"
        if value is None:
            continue
        for type_name in types:
            try:
                out[name] = _coerce_one(type_name, value)
                break
            except (ValueError, TypeError):
                continue
        else:
            expected = " or ".join(types)
            raise bad_request(f'invalid value for parameter "{name}": expected {expected}')
    for name, field in fields.items():
        if field["required"] and name not in out:
            raise bad_request(missing_text(method, name))
    return out


def missing_text(method: str, name: str) -> str:
    if name == "text":
        return "message text is empty"
    if name == "message_id":
        return "message identifier is not specified"
    if name in ("document", "photo", "video", "audio", "sticker", "voice", "animation"):
        return f"there is no {name} in the request"
    return f"{name} is empty"
