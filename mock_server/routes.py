"""The grades operation: sticky scenarios, auth, Prefer scenarios, query validation, records."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import orjson
from flask import Blueprint, Response, request
from werkzeug.wrappers import Request

from mock_server.auth import Authenticator
from mock_server.cors import Cors
from mock_server.dataset import DataSet
from mock_server.errors import JSON, render
from mock_server.generator import RecordGenerator
from mock_server.prefer import Preferences, parse_prefer
from mock_server.scenarios import forced_response
from mock_server.settings import MAX_DELAY_MS, Settings
from mock_server.sticky import StickyScenarios
from mock_server.store import RecordStore
from mock_server.validation import QueryValidator
from spec.loader import GRADES_PATH, SUCCESS, Contract

DYNAMIC_RECORDS = 12
"""How many records ``Prefer: dynamic=true`` makes (one when both filters are given)."""


@dataclass(frozen=True)
class GradesApi:
    """What the grades operation needs, built once by ``create_app``."""

    settings: Settings
    contract: Contract
    data: DataSet
    auth: Authenticator
    cors: Cors
    validate: QueryValidator
    sticky: StickyScenarios

    @property
    def store(self) -> RecordStore:
        """The records served right now (the admin API and ``--watch`` swap them)."""
        return self.data.current()

    def list_grades(self, request: Request) -> Response:
        """GET (and HEAD): the real API's behaviour, or the scenario ``Prefer`` asks for.

        It takes a plain Werkzeug request, so the Flask route and the WSGI fast path
        (:mod:`mock_server.fast_path`) run this same code.
        """
        sticky = self.sticky.take(request.args)
        if sticky is not None:
            time.sleep(sticky.delay_ms / 1000)
            if sticky.status is not None and sticky.status != int(SUCCESS):
                body, headers = forced_response(self.contract, sticky.status)
                return render(sticky.status, body, headers)
        # A WSGI environ holds one (comma-joined) value per header: .get, not .getlist, which
        # scans every environ key (all of os.environ under granian) on each request.
        prefer = request.headers.get("Prefer")
        prefs = parse_prefer([prefer] if prefer else [], self.contract, MAX_DELAY_MS)
        delay = self.settings.delay_ms if prefs.delay_ms is None else prefs.delay_ms
        if delay:
            time.sleep(delay / 1000)
        if prefs.code is not None and prefs.code != int(SUCCESS):
            body, headers = forced_response(self.contract, prefs.code)
            return render(prefs.code, body, headers)
        if prefs.code is None:  # a forced code overrides auth, as in Prism
            self.auth.check(request.headers.get("Authorization"))
        query = self.validate(request.args)
        course_id, username = query.get("course_id"), query.get("username")
        if prefs.example is not None:
            example = self.contract.response_examples()[prefs.example]
            return render(200, orjson.dumps(example))
        if prefs.dynamic:
            return render(200, self._dynamic(prefs, course_id, username))
        return self._records(course_id, username)

    def _records(self, course_id: str | None, username: str | None) -> Response:
        store = self.data.current()  # once: a swap mid-request must not mix two data sets
        if course_id is None and username is None:
            response = Response(store.dump(), status=200, mimetype=JSON)
            response.headers["Content-Length"] = str(store.dump_length())
            return response
        return render(200, store.render(store.matching(course_id, username)))

    def _dynamic(self, prefs: Preferences, course_id: str | None, username: str | None) -> bytes:
        seed = prefs.seed if prefs.seed is not None else random.randrange(2**31)
        store = RecordGenerator(self.contract, seed).store(DYNAMIC_RECORDS, course_id, username)
        return store.render(list(range(len(store))))

    def preflight(self) -> Response:
        """OPTIONS: the CORS preflight; it carries no credentials, so it needs none."""
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, so no type
        self.cors.preflight(response.headers)
        return response


def grades_blueprint(api: GradesApi) -> Blueprint:
    """The grades path, with the methods the contract declares (HEAD comes with GET)."""
    blueprint = Blueprint("grades", __name__)
    methods = api.contract.methods()
    if "GET" in methods:

        def list_grades() -> Response:
            return api.list_grades(request)

        blueprint.add_url_rule(
            GRADES_PATH, "list", list_grades, methods=["GET"],
            provide_automatic_options=False,
        )  # fmt: skip
    if "OPTIONS" in methods:
        blueprint.add_url_rule(
            GRADES_PATH, "preflight", api.preflight, methods=["OPTIONS"],
            provide_automatic_options=False,
        )  # fmt: skip
    return blueprint
