"""The grades operation: sticky scenarios, Prefer scenarios, delay, auth, validation, records.

Planned in two halves so the pipeline owns the wait between them: :meth:`GradesApi.plan`
(sticky scenario, ``Prefer``: how long to wait, what to answer), then
:meth:`GradesApi.answer` (forced status, or auth → query validation → records).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import orjson
from flask import Blueprint
from flask import request as flask_request
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from grades_kit.contract.loader import GRADES_PATH, SUCCESS, Contract
from grades_kit.contract.queries import QueryValidator
from grades_kit.mock_server.answer import Answer, json_answer, streamed_json
from grades_kit.mock_server.authentication import Authenticator
from grades_kit.mock_server.cors import Cors
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.errors import BadRequest
from grades_kit.mock_server.generator import RecordGenerator
from grades_kit.mock_server.prefer import NO_PREFERENCES, Preferences, parse_prefer
from grades_kit.mock_server.scenarios import forced_response
from grades_kit.mock_server.settings import MAX_DELAY_MS, Settings
from grades_kit.mock_server.sticky import StickyScenarios
from grades_kit.mock_server.store import RecordStore

DYNAMIC_RECORDS = 12
"""How many records ``Prefer: dynamic=true`` makes (one when both filters are given)."""
PREFER_VALUES = 256
"""Distinct ``Prefer`` values whose parsed form is kept (an app sends a handful)."""


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

    @cached_property
    def preferences(self) -> Callable[[str], Preferences]:
        """A ``Prefer`` value, parsed and checked against the contract, remembered per value
        (an unusable one raises each time): parsing cost more than the answer it selects."""

        def parse(value: str) -> Preferences:
            return parse_prefer([value], self.contract, MAX_DELAY_MS)

        return lru_cache(maxsize=PREFER_VALUES)(parse)

    @cached_property
    def example_bodies(self) -> dict[str, bytes]:
        """The spec's named 200 examples, serialised once (``Prefer: example=``)."""
        return {
            name: orjson.dumps(value) for name, value in self.contract.response_examples().items()
        }

    @property
    def store(self) -> RecordStore:
        """The records served right now (the admin API and ``--watch`` swap them)."""
        return self.data.current()

    def plan(self, request: Request) -> GradesCall:
        """How a GET (or HEAD) will be answered: first a delay, then :meth:`answer`.

        The delay (sticky scenario, ``Prefer: delay=``, ``--delay``) is returned, not slept,
        so the pipeline owns the wait as a step of its own. Never raises: a bad ``Prefer`` is
        the answer's 400, after any sticky delay.
        """
        sticky = self.sticky.take(request.args)
        waited = 0 if sticky is None else sticky.delay_ms
        if sticky is not None and sticky.status is not None and sticky.status != int(SUCCESS):
            return GradesCall(request, waited, forced=sticky.status)
        # A WSGI environ holds one (comma-joined) value per header: .get, not .getlist, which
        # scans every environ key (all of os.environ under granian) on each request.
        prefer = request.headers.get("Prefer")
        try:
            prefs = self.preferences(prefer) if prefer else NO_PREFERENCES
        except BadRequest as error:
            return GradesCall(request, waited, error=error)
        delay = self.settings.delay_ms if prefs.delay_ms is None else prefs.delay_ms
        call = GradesCall(request, waited + delay, prefs=prefs)
        if prefs.delay_ms is not None:
            call.applied.append(f"delay={prefs.delay_ms}")
        return call

    def answer(self, call: GradesCall) -> Answer:
        """The answer once the delay is over: the real API's, or the scenario asked for;
        raises the spec's errors (an unusable ``Prefer`` first: its 400)."""
        if call.error is not None:
            raise call.error
        prefs = call.prefs
        if call.forced is not None:
            return self._forced(call.forced)
        if prefs.code is not None and prefs.code != int(SUCCESS):
            call.applied.append(f"code={prefs.code}")
            return self._forced(prefs.code)
        if prefs.code is None:  # a forced code overrides auth, as in Prism
            self.auth.check(call.request.headers.get("Authorization"))
        else:
            call.applied.append(f"code={prefs.code}")
        query = self.validate(call.request.args)
        course_id, username = query.get("course_id"), query.get("username")
        if prefs.example is not None:
            call.applied.append(f"example={prefs.example}")
            return json_answer(200, self.example_bodies[prefs.example])
        if prefs.dynamic:
            call.applied.append("dynamic=true")
            call.applied.extend([] if prefs.seed is None else [f"seed={prefs.seed}"])
            return json_answer(200, self._dynamic(prefs, course_id, username))
        return self._records(course_id, username)

    def _forced(self, status: int) -> Answer:
        body, headers = forced_response(self.contract, status)
        return json_answer(status, body, headers)

    def _records(self, course_id: str | None, username: str | None) -> Answer:
        store = self.data.current()  # once: a swap mid-request must not mix two data sets
        if course_id is None and username is None:
            return streamed_json(store.dump(), store.dump_length())
        return json_answer(200, store.render(store.matching(course_id, username)))

    def _dynamic(self, prefs: Preferences, course_id: str | None, username: str | None) -> bytes:
        seed = prefs.seed if prefs.seed is not None else random.randrange(2**31)
        store = RecordGenerator(self.contract, seed).store(DYNAMIC_RECORDS, course_id, username)
        return store.render(list(range(len(store))))

    def preflight(self) -> WsgiResponse:
        """OPTIONS: the CORS preflight; it carries no credentials, so it needs none."""
        return self.cors.preflight(flask_request.headers.get("Access-Control-Request-Headers"))


@dataclass
class GradesCall:
    """One grades request between :meth:`GradesApi.plan` and its answer.

    ``delay_ms`` is what the pipeline waits first; ``applied`` collects the preferences that
    took effect, for ``Preference-Applied`` (RFC 7240).
    """

    request: Request
    delay_ms: int
    prefs: Preferences = field(default_factory=Preferences)
    forced: int | None = None
    """A sticky scenario's status: answered as is, ``Prefer`` unread."""
    error: BadRequest | None = None
    """An unusable ``Prefer``: the answer is this 400."""
    applied: list[str] = field(default_factory=list)

    def label(self, answer: Answer) -> None:
        """Say which preferences were applied (none: no header), whatever the answer."""
        if self.applied:
            answer.headers.append(("Preference-Applied", ", ".join(self.applied)))


def _served_by_the_pipeline() -> WsgiResponse:
    """Never called: the pipeline answers GET and HEAD on the grades path itself."""
    raise RuntimeError("the grades GET is routed by grades_kit.mock_server.pipeline, not by Flask")


def grades_blueprint(api: GradesApi) -> Blueprint:
    """The grades path, with the methods the contract declares (HEAD comes with GET).

    The GET rule is there so Flask's routing knows the path's methods (a 405's ``Allow``);
    the answers come from the pipeline's grades branch (:mod:`mock_server.pipeline`).
    """
    blueprint = Blueprint("grades", __name__)
    methods = api.contract.methods()
    if "GET" in methods:
        blueprint.add_url_rule(
            GRADES_PATH, "list", _served_by_the_pipeline, methods=["GET"],
            provide_automatic_options=False,
        )  # fmt: skip
    if "OPTIONS" in methods:
        blueprint.add_url_rule(
            GRADES_PATH, "preflight", api.preflight, methods=["OPTIONS"],
            provide_automatic_options=False,
        )  # fmt: skip
    return blueprint
