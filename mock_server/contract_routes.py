"""The mock serves its own contract: ``/openapi.json``, ``/openapi.yaml``, ``/docs``, ``/healthz``.

The served document is the resolved spec with ``servers`` replaced by the URL the caller
reached (the mock's, or ``grades-mock proxy``'s), so Swagger UI's "Try it out" calls it. The
mock's document also declares the ``Prefer`` header it understands, as an optional parameter
with one example per case, so ``/docs`` can force each of them; ``spec/openapi.yaml`` itself
is unchanged (the real API has no ``Prefer``). Swagger UI's assets come from the
``flask-swagger-ui`` package: ``/docs`` works with no network.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import yaml
from flask import Blueprint, Flask, Response, request
from flask_swagger_ui import get_swaggerui_blueprint

from grades_kit.contract.loader import GRADES_PATH, SUCCESS, Contract
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.errors import render

DOCS_PATH = "/docs"
SPEC_JSON_PATH = "/openapi.json"
SPEC_YAML_PATH = "/openapi.yaml"


def own_document(contract: Contract, served_by: str, prefer: bool) -> dict[str, Any]:
    """The resolved spec, its ``servers`` pointing at where it was fetched from (``served_by``:
    ``mock`` or ``proxy``); with ``prefer``, the grades GET declares the mock's ``Prefer``."""
    document = copy.deepcopy(dict(contract.document))
    server = {"url": request.host_url.rstrip("/"), "description": f"This {served_by}."}
    document["servers"] = [server]
    if prefer:
        operation = document["paths"][GRADES_PATH]["get"]
        operation["parameters"] = [*operation.get("parameters", []), prefer_parameter(contract)]
    return document


def prefer_parameter(contract: Contract) -> dict[str, Any]:
    """``Prefer`` (RFC 7240) as the mock reads it: optional, one example per case it forces,
    after ``none`` (the real API's behaviour)."""
    cases = {"none": ""}  # first: Swagger UI preselects it, and sends no empty header
    cases |= {f"code={s}": f"code={s}" for s in contract.statuses() if s != int(SUCCESS)}
    cases |= {f"example={name}": f"example={name}" for name in contract.response_examples()}
    cases |= {"dynamic=true, seed=7": "dynamic=true, seed=7", "delay=1000": "delay=1000"}
    return {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "Mock only (the real API ignores it): force a declared status "
        "(`code=`), a named example (`example=`), generated records (`dynamic=true`, "
        "`seed=`) or a delay in ms (`delay=`); combine with commas. The answer's "
        "`Preference-Applied` says what was applied.",
        "schema": {"type": "string"},
        "examples": {name: {"value": value} for name, value in cases.items()},
    }


def document_blueprint(contract: Contract, served_by: str, prefer: bool) -> Blueprint:
    """``/openapi.json`` and ``/openapi.yaml``, as served by the mock or the proxy."""
    blueprint = Blueprint("contract", __name__)

    @blueprint.get(SPEC_JSON_PATH)
    def openapi_json() -> Response:
        return render(200, orjson.dumps(own_document(contract, served_by, prefer)))

    @blueprint.get(SPEC_YAML_PATH)
    def openapi_yaml() -> Response:
        document = own_document(contract, served_by, prefer)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return Response(text, mimetype="application/yaml")

    return blueprint


def register_documents(app: Flask, contract: Contract, served_by: str, prefer: bool) -> None:
    """The document at ``/openapi.json`` and ``/openapi.yaml``, and Swagger UI at ``/docs``."""
    app.register_blueprint(document_blueprint(contract, served_by, prefer))
    title = contract.document.get("info", {}).get("title", "API")
    swagger = get_swaggerui_blueprint(
        DOCS_PATH, SPEC_JSON_PATH, config={"app_name": f"{title} ({served_by})"}
    )
    app.register_blueprint(swagger)


def register_contract_routes(app: Flask, contract: Contract, data: DataSet) -> None:
    """The mock's: its documents (``Prefer`` declared), Swagger UI and ``/healthz``."""
    register_documents(app, contract, "mock", prefer=True)

    @app.get("/healthz")
    def healthz() -> Response:
        return render(200, orjson.dumps({"status": "ok", "records": len(data.current())}))
