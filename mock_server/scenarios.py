"""Spec-valid answers for a forced status (``Prefer: code=NNN``), read from the contract.

The body is the response's own example (or its first named example); the headers are the
ones the response declares, filled with their examples. Nothing here names a status: add a
response to the spec and it can be forced.
"""

from __future__ import annotations

from typing import Any

import orjson

from grades_kit.contract.loader import Contract
from grades_kit.mock_server.generator import minimal_value

JSON = "application/json"


def forced_response(contract: Contract, status: int) -> tuple[bytes, dict[str, str]]:
    """Body and headers for ``status`` as the contract declares it for the GET operation."""
    response = contract.response(status)
    body = orjson.dumps(_example(response))
    headers = {
        name: str(_header_example(name, header))
        for name, header in response.get("headers", {}).items()
    }
    return body, headers


def _example(response: dict[str, Any]) -> Any:
    content = response.get("content", {}).get(JSON, {})
    if "example" in content:
        return content["example"]
    named = content.get("examples", {})
    if named:
        return next(iter(named.values()))["value"]
    return {"detail": response.get("description", "").strip().splitlines()[0] or "Error"}


def _header_example(name: str, header: dict[str, Any]) -> Any:
    schema = header.get("schema", {})
    for source in (header, schema):
        if "example" in source:
            return source["example"]
    return minimal_value(name, schema)
