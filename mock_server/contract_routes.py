"""The mock serves its own contract: ``/openapi.json``, ``/openapi.yaml``, ``/docs``, ``/healthz``.

The served document is the resolved spec with ``servers`` replaced by the mock's own URL (as
the caller reached it), so Swagger UI's "Try it out" calls this mock. Swagger UI's assets come
from the ``flask-swagger-ui`` package: ``/docs`` works with no network.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
import yaml
from flask import Blueprint, Flask, Response, request
from flask_swagger_ui import get_swaggerui_blueprint

from grades_kit.contract.loader import Contract
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.errors import render

DOCS_PATH = "/docs"
SPEC_JSON_PATH = "/openapi.json"


def own_document(contract: Contract) -> dict[str, Any]:
    """The resolved spec, its ``servers`` pointing at this mock."""
    document = copy.deepcopy(dict(contract.document))
    document["servers"] = [{"url": request.host_url.rstrip("/"), "description": "This mock."}]
    return document


def contract_blueprint(contract: Contract, data: DataSet) -> Blueprint:
    blueprint = Blueprint("contract", __name__)

    @blueprint.get(SPEC_JSON_PATH)
    def openapi_json() -> Response:
        return render(200, orjson.dumps(own_document(contract)))

    @blueprint.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        text = yaml.safe_dump(own_document(contract), sort_keys=False, allow_unicode=True)
        return Response(text, mimetype="application/yaml")

    @blueprint.get("/healthz")
    def healthz() -> Response:
        return render(200, orjson.dumps({"status": "ok", "records": len(data.current())}))

    return blueprint


def register_contract_routes(app: Flask, contract: Contract, data: DataSet) -> None:
    app.register_blueprint(contract_blueprint(contract, data))
    title = contract.document.get("info", {}).get("title", "API")
    swagger = get_swaggerui_blueprint(
        DOCS_PATH, SPEC_JSON_PATH, config={"app_name": f"{title} (mock)"}
    )
    app.register_blueprint(swagger)
