"""Shared test helpers: an app factory, a client that validates every answer against the spec.

``conforms(...)`` checks one response: its status is declared for the operation, its body
matches the declared schema (formats asserted) and its required headers are present and
valid. The ``client`` fixture runs it on every response the mock gives a test, so no test
can see the mock break the contract without failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from grades_kit.contract.loader import GRADES_PATH, Contract, load_contract
from grades_kit.mock_server import Settings, create_app

SPEC_DOC_PATHS = ("/openapi.json", "/openapi.yaml", "/healthz")
AUTH = {"Authorization": "Bearer local-dev-token"}


def _schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    cls = jsonschema.Draft202012Validator
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(value)]


def conforms(
    contract: Contract,
    method: str,
    path: str,
    status: int,
    headers: Mapping[str, str] | Any,
    body: bytes,
) -> None:
    """Assert that a response is one the spec allows (see the module docstring)."""
    method = method.lower()
    if path != GRADES_PATH or method not in {m.lower() for m in contract.methods()} | {"head"}:
        if path in SPEC_DOC_PATHS or path.startswith("/docs") and status < 400:
            return  # the mock's own pages: not part of the API's contract
        assert status in (404, 405), f"{method} {path}: unexpected {status}"
        if status == 405:
            assert {"GET", "OPTIONS"} <= {m.strip() for m in headers["Allow"].split(",")}
        _check_json(contract.schema("Error"), body, f"{status} body")
        return
    operation = "get" if method == "head" else method
    assert status in contract.statuses(operation), f"{method} {status} not declared"
    response = contract.response(status, operation)
    for name, header in response.get("headers", {}).items():
        value = headers.get(name)
        if header.get("required"):
            assert value is not None, f"{status}: required header {name} missing"
        if value is not None:
            assert not _schema_errors(header.get("schema", {}), value), f"{name}: {value!r}"
    content = response.get("content", {}).get("application/json")
    if content is None or method == "head":
        assert method == "head" or not body, f"{status}: body where the spec declares none"
        return
    assert headers.get("Content-Type", "").startswith("application/json")
    _check_json(content["schema"], body, f"{status} body")


def _check_json(schema: dict[str, Any], body: bytes, what: str) -> None:
    value = orjson.loads(body)
    errors = _schema_errors(schema, value)
    assert not errors, f"{what}: {errors[:3]}"


class ValidatingClient(FlaskClient):
    """A Flask test client that checks every response against the contract."""

    contract: Contract

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        request = response.request
        conforms(
            self.contract,
            request.method,
            request.path,
            response.status_code,
            response.headers,
            response.get_data(),
        )
        return response


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def make_app() -> Callable[..., Flask]:
    """Build an app from Settings keyword arguments (a cache keeps the default one cheap)."""
    cache: dict[tuple[tuple[str, Any], ...], Flask] = {}

    def make(**overrides: Any) -> Flask:
        key = tuple(sorted(overrides.items()))
        if key not in cache:
            cache[key] = create_app(Settings(**overrides))
        return cache[key]

    return make


@pytest.fixture
def make_client(make_app: Callable[..., Flask], contract: Contract) -> Callable[..., FlaskClient]:
    """A spec-validating test client for an app built with the given settings."""

    def make(**overrides: Any) -> FlaskClient:
        app = make_app(**overrides)
        app.test_client_class = ValidatingClient
        ValidatingClient.contract = contract
        return app.test_client()

    return make


@pytest.fixture
def client(make_client: Callable[..., FlaskClient]) -> FlaskClient:
    """A spec-validating test client of the mock with its default settings."""
    return make_client()
