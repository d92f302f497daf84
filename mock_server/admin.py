"""The admin API under ``/__mock/``: runtime control of the mock for end-to-end tests.

Off unless an admin token is configured. It swaps the served records (every record checked
like a fixture; one bad record rejects the request and changes nothing), keeps a journal
of the other requests, and queues sticky scenarios. Described by ``admin-openapi.yaml``,
served at ``/__mock/openapi.json``; request bodies are validated against its schemas.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
from flask import Blueprint, Flask, Response, request
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract.schema_errors import schema_problem
from grades_kit.mock_server.answer import Answer
from grades_kit.mock_server.authentication import Authenticator
from grades_kit.mock_server.cors import Cors
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.errors import ApiError, render
from grades_kit.mock_server.fixtures import RecordChecker
from grades_kit.mock_server.journal import Entry, Journal
from grades_kit.mock_server.sticky import Scenario, StickyScenarios
from grades_kit.mock_server.store import RecordStore

PREFIX = "/__mock"
ADMIN_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS")
ADMIN_SPEC = Path(__file__).with_name("admin-openapi.yaml")


@dataclass(frozen=True)
class AdminApi:
    """What the admin routes act on; ``reload`` rebuilds the start-up data."""

    token: str
    contract: Contract
    data: DataSet
    journal: Journal
    sticky: StickyScenarios
    reload: Callable[[], RecordStore]
    cors: Cors

    def authorize(self) -> None:
        """Pass with the admin token (the API's Bearer parsing), else the admin's own 401."""
        try:
            Authenticator((self.token,), ()).check(request.headers.get("Authorization"))
        except ApiError as exc:
            raise ApiError(
                401, "Missing or wrong admin token (Authorization: Bearer <admin token>).",
                {"WWW-Authenticate": 'Bearer realm="grades-mock admin"'},
            ) from exc  # fmt: skip

    def record(self, request: Request, answer: Answer, started: float) -> None:
        """The pipeline's after-hook: journal every request but the admin API's own."""
        if request.path.startswith(PREFIX + "/"):
            return
        elapsed = time.perf_counter() - started
        arrived = datetime.now(UTC) - timedelta(seconds=elapsed)
        self.journal.add(Entry(
            method=request.method, path=request.path,
            query=request.args.to_dict(flat=False), status=answer.status,
            time=arrived.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            ms=round(elapsed * 1000, 3),
        ))  # fmt: skip

    def preflight(self) -> WsgiResponse:
        """A CORS preflight: a page may call the admin API with its token (and JSON)."""
        requested = request.headers.get("Access-Control-Request-Headers")
        return self.cors.preflight(requested, ADMIN_METHODS)

    def count(self) -> Response:
        return _json(200, {"count": len(self.data.current())})

    def replace_records(self) -> Response:
        store = self._checked(_records_body())
        self.data.swap(store)
        return _json(200, {"count": len(store)})

    def add_records(self) -> Response:
        added = _records_body()

        def extend(current: RecordStore) -> RecordStore:
            existing = (orjson.loads(current.record(i)) for i in range(len(current)))
            return self._checked(added, existing, offset=len(current))

        return _json(200, {"count": len(self.data.update(extend))})

    def reset(self) -> Response:
        try:
            store = self.reload()
        except Exception as exc:  # FixtureError/GeneratorError: the files changed since start
            raise ApiError(422, f"cannot reload the start-up data: {exc}") from exc
        self.data.swap(store)
        return _json(200, {"count": len(store)})

    def list_journal(self) -> Response:
        status = request.args.get("status")
        if status is not None and not status.isdigit():
            raise ApiError(400, f"status: {status!r} is not an integer")
        entries = self.journal.entries(
            request.args.get("method"), request.args.get("path"),
            None if status is None else int(status),
        )  # fmt: skip
        return _json(200, {"entries": [e.as_json() for e in entries]})

    def clear_journal(self) -> Response:
        self.journal.clear()
        return Response(status=204)

    def list_scenarios(self) -> Response:
        return _json(200, {"scenarios": [s.as_json() for s in self.sticky.pending()]})

    def add_scenario(self) -> Response:
        body = _json_body()
        if isinstance(body, dict) and not {"status", "delay_ms"} & body.keys():
            raise ApiError(422, "give a status and/or a delay_ms for the scenario")
        _validate(self._admin_contract().validator("ScenarioRequest"), body)
        scenario = Scenario(
            body["count"], body.get("status"), body.get("delay_ms", 0), body.get("match", {})
        )
        self._check_scenario(scenario)
        self.sticky.add(scenario)
        return _json(201, scenario.as_json())

    def clear_scenarios(self) -> Response:
        self.sticky.clear()
        return Response(status=204)

    def document(self) -> Response:
        document = dict(self._admin_contract().document)
        document["servers"] = [{"url": request.host_url.rstrip("/")}]
        return _json(200, document)

    def _checked(self, records: list[Any], existing: Any = (), offset: int = 0) -> RecordStore:
        """A new store of ``existing`` + ``records``, or a 422 naming the first bad record."""
        checker = RecordChecker(self.contract)
        for record in existing:
            checker.add(record)
        for index, record in enumerate(records):
            problem = checker.add(record)
            if problem is not None:
                field, reason = problem
                where = f"record {index}" + (f", field {field!r}" if field else "")
                raise ApiError(422, f"{where}: {reason} (nothing changed)")
        return checker.build()

    def _check_scenario(self, scenario: Scenario) -> None:
        statuses = self.contract.statuses()
        if scenario.status is not None and scenario.status not in statuses:
            declared = ", ".join(map(str, statuses))
            raise ApiError(422, f"status: {scenario.status} is not declared (use {declared})")
        unknown = sorted(set(scenario.match) - set(self.contract.query_parameters()))
        if unknown:
            raise ApiError(422, f"match: {unknown[0]!r} is not a query parameter of the spec")

    @staticmethod
    def _admin_contract() -> Contract:
        return load_contract(ADMIN_SPEC)  # cached by the loader


def _json(status: int, value: Any) -> Response:
    return render(status, orjson.dumps(value))


def _json_body() -> Any:
    try:
        return orjson.loads(request.get_data())
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from exc


def _records_body() -> list[Any]:
    body = _json_body()
    if not isinstance(body, list):
        raise ApiError(422, f"expected a JSON array of records, found {type(body).__name__}")
    return body


def _validate(validator: jsonschema.protocols.Validator, value: Any) -> None:
    problem = schema_problem(validator.iter_errors(value))
    if problem is not None:
        raise ApiError(422, str(problem))


_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/records", "GET", "count"),
    ("/records", "PUT", "replace_records"),
    ("/records", "POST", "add_records"),
    ("/reset", "POST", "reset"),
    ("/journal", "GET", "list_journal"),
    ("/journal", "DELETE", "clear_journal"),
    ("/scenarios", "GET", "list_scenarios"),
    ("/scenarios", "POST", "add_scenario"),
    ("/scenarios", "DELETE", "clear_scenarios"),
)


def admin_blueprint(admin: AdminApi) -> Blueprint:
    blueprint = Blueprint("admin", __name__, url_prefix=PREFIX)
    blueprint.add_url_rule("/openapi.json", "openapi", admin.document, methods=["GET"])
    for path, method, name in _ROUTES:
        blueprint.add_url_rule(path, f"{name}", getattr(admin, name), methods=[method])

    @blueprint.before_request
    def authorize() -> WsgiResponse | None:
        if request.method == "OPTIONS":  # a browser's preflight carries no credentials
            return admin.preflight()
        if request.endpoint != "admin.openapi":
            admin.authorize()
        return None

    return blueprint


def register_admin(app: Flask, admin: AdminApi) -> None:
    """The admin routes (the journal is fed by the pipeline: :meth:`AdminApi.record`)."""
    app.register_blueprint(admin_blueprint(admin))
