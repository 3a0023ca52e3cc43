"""Validate HTTP requests against Google's discovery documents, as Google's front end does.

Source of truth: the discovery documents bundled in google-api-python-client
(`googleapiclient/discovery_cache/documents/*.json`). Error bodies follow Google's JSON
error format (https://cloud.google.com/apis/design/errors#http_mapping):
{"error": {"code": 400, "message": ..., "status": "INVALID_ARGUMENT"}}. The messages copy
the wording Google gives for an unknown field ("Invalid JSON payload received. Unknown name
...: Cannot find field.") as seen in recorded responses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import googleapiclient

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


class ApiError(Exception):
    """An error Google would answer with: HTTP status and its JSON body."""

    STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }

    def __init__(
        self,
        code: int,
        message: str,
        reason: str = "",
        *,
        domain: str = "global",
        location: str = "",
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason
        self.domain, self.location = domain, location

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": self.STATUS.get(self.code, "UNKNOWN"),
        }
        if self.reason:  # Drive's v2-style detail, as in its "Resolve errors" samples
            detail = {"domain": self.domain, "reason": self.reason, "message": self.message}
            if self.location:  # e.g. notFound names the parameter: fileId
                detail.update(locationType="parameter", location=self.location)
            error["errors"] = [detail]
        return {"error": error}


@dataclass(frozen=True)
class Method:
    id: str
    http_method: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # path parameter names, in the order of the pattern's groups
    spec: dict[str, Any]
    upload: bool


@dataclass(frozen=True)
class Call:
    """A request matched to its discovery method, with its decoded parameters."""

    method: Method
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: Any


@cache
def document(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DOCUMENTS / f"{name}.json").read_text())
    return doc


def _path_regex(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []

    def group(m: re.Match[str]) -> str:
        names.append(m[1].lstrip("+"))
        return "(.+)" if m[1].startswith("+") else "([^/]+)"

    body = re.sub(
        r"\{([^}]+)\}", group, re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.compile(f"^{body}$"), tuple(names)


@cache
def methods(name: str) -> tuple[Method, ...]:
    doc = document(name)
    found: list[Method] = []

    def walk(resource: dict[str, Any]) -> None:
        for spec in resource.get("methods", {}).values():
            service = doc["servicePath"]
            template = spec.get("flatPath") or spec["path"]
            pattern, names = _path_regex("/" + service + template)
            found.append(Method(spec["id"], spec["httpMethod"], pattern, names, spec, False))
            upload = spec.get("mediaUpload", {}).get("protocols", {}).get("simple")
            if upload:
                pattern, names = _path_regex(upload["path"])
                found.append(Method(spec["id"], spec["httpMethod"], pattern, names, spec, True))
        for child in resource.get("resources", {}).values():
            walk(child)

    walk(doc)
    return tuple(found)


def match(name: str, http_method: str, path: str, query: dict[str, list[str]], body: Any) -> Call:
    """The discovery method a request calls, its parameters checked; ApiError otherwise."""
    doc = document(name)
    for method in methods(name):
        if method.http_method != http_method:
            continue
        m = method.pattern.match(path)
        if m is None:
            continue
        path_params = {n: unquote(v) for n, v in zip(method.names, m.groups(), strict=True)}
        _check_query(doc, method, query)
        if method.spec.get("request") and not method.upload:
            _check_body(doc, method.spec["request"]["$ref"], body, "")
        elif body not in (None, b"", "") and not method.upload:
            raise ApiError(400, f"Invalid JSON payload received. {method.id} takes no body.")
        return Call(method, path_params, query, body)
    raise ApiError(404, f"No {http_method} method at {path} in {name}.")


def _check_query(doc: dict[str, Any], method: Method, query: dict[str, list[str]]) -> None:
    params = method.spec.get("parameters", {})
    for key, values in query.items():
        spec = params.get(key) or doc["parameters"].get(key)
        if spec is None or spec.get("location") == "path":
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{key}": '
                "Cannot bind query parameter. Field '" + key + "' could not be "
                "found in request message.",
            )
        if len(values) > 1 and not spec.get("repeated"):
            raise ApiError(400, f"Invalid value at '{key}': only one value allowed.")
        for value in values:
            _check_scalar(spec, value, key, from_query=True)
    for key, spec in params.items():
        if spec.get("required") and spec.get("location") == "query" and key not in query:
            raise ApiError(400, f"Required parameter {key} is missing.")


def _check_scalar(spec: dict[str, Any], value: Any, where: str, from_query: bool) -> None:
    kind = spec.get("type")
    if "enum" in spec and value not in spec["enum"]:
        raise ApiError(
            400, f"Invalid value at '{where}' ({spec.get('format', 'TYPE_ENUM')}), \"{value}\""
        )
    if kind == "boolean":
        ok = value in ("true", "false") if from_query else isinstance(value, bool)
    elif kind == "integer":
        ok = (
            bool(re.fullmatch(r"-?\d+", str(value)))
            if from_query or isinstance(value, str)
            else isinstance(value, int) and not isinstance(value, bool)
        )
    elif kind == "number":
        ok = (isinstance(value, int | float) and not isinstance(value, bool)) or (
            isinstance(value, str) and bool(re.fullmatch(r"-?[\d.eE+-]+|NaN|-?Infinity", value))
        )
    elif kind == "string":
        ok = isinstance(value, str) or (
            spec.get("format") in ("int64", "uint64") and isinstance(value, int)
        )
    else:
        ok = True
    if not ok:
        raise ApiError(
            400, f"Invalid value at '{where}' (TYPE_{str(kind).upper()}), {json.dumps(value)}"
        )


def _check_body(doc: dict[str, Any], ref: str, body: Any, where: str) -> None:
    _check_value(doc, {"$ref": ref}, body, where)


def _check_value(doc: dict[str, Any], spec: dict[str, Any], value: Any, where: str) -> None:
    if "$ref" in spec:
        spec = doc["schemas"][spec["$ref"]]
    kind = spec.get("type")
    if value is None:
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise ApiError(
                400, f"Invalid JSON payload received. Expected an object at '{where or 'body'}'."
            )
        props = spec.get("properties", {})
        extra = spec.get("additionalProperties")
        for key, item in value.items():
            here = f"{where}.{key}" if where else key
            if key in props:
                _check_value(doc, props[key], item, here)
            elif extra is not None:
                _check_value(doc, extra, item, here)
            else:
                raise ApiError(
                    400,
                    f'Invalid JSON payload received. Unknown name "{key}" '
                    f"at '{where or 'body'}': Cannot find field.",
                )
    elif kind == "array":
        if not isinstance(value, list):
            raise ApiError(400, f"Invalid JSON payload received. Expected a list at '{where}'.")
        for i, item in enumerate(value):
            _check_value(doc, spec.get("items", {}), item, f"{where}[{i}]")
    elif kind == "any":
        return
    else:
        _check_scalar(spec, value, where, from_query=False)
