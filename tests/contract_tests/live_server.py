"""A "live staging" server: correct answers, from data that changes while it serves.

A real deployment does not hold still during a contract run: grades move, learners enrol
and leave. :class:`LiveData` is WSGI middleware that keeps its own copy of the records and
changes one of them every ``every`` requests (a grade moves, a record appears, a record
disappears, in turn), and answers every successful grades GET from that copy, filtered
exactly as the spec says. Everything else (auth, validation, errors, CORS) is the wrapped
app's, so the records are the only thing it changes. It shares no code with the mock: its
records come from the wrapped app's own unfiltered answer.

Wrap the mock for a correct live instance, or put a broken server's defect around it
(``server.build(LiveData(mock))``) for a broken live one.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Record = dict[str, Any]
FILTERS = ("course_id", "username")
GRADES_PATH = "/api/so2/v1/grades"
KEPT = 4
"""The first records (the spec's named examples) never change."""


class LiveData:
    """The wrapped app's records, changed by one edit every ``every`` requests."""

    def __init__(self, app: WsgiApp, token: str, *, every: int = 5, seed: int = 1) -> None:
        self.app = app
        self.every = every
        self.requests = 0
        self.changes = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.records = self._initial(token)

    def _initial(self, token: str) -> list[Record]:
        headers = [("Authorization", f"Bearer {token}")]
        environ = EnvironBuilder(path=GRADES_PATH, headers=headers).get_environ()
        records: list[Record] = json.loads(Response.from_app(self.app, environ).get_data())
        return records

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.requests += 1
            if self.requests % self.every == 0:
                self._change()
            snapshot = list(self.records)
        answer = Response.from_app(self.app, environ)
        request = Request(environ)
        if request.method != "GET" or request.path != GRADES_PATH or answer.status_code != 200:
            return answer(environ, start_response)
        wanted = {k: v for k, v in request.args.items() if k in FILTERS}
        records = [r for r in snapshot if all(r[k] == v for k, v in wanted.items())]
        answer.set_data(json.dumps(records))
        return answer(environ, start_response)

    def _change(self) -> None:
        """One edit, in turn: a grade moves, a learner enrols, a record disappears."""
        kind = ("move", "enrol", "leave")[self.changes % 3]
        self.changes += 1
        index = self._rng.randrange(KEPT, len(self.records))
        record = self.records[index]
        if kind == "move":
            percent = self._rng.randint(0, 99)
            self.records[index] = {**record, "percent_grade": f"0.{percent:02d}"}
        elif kind == "enrol":
            self.records.append(self._enrolment(record))
        elif len(self.records) > KEPT + 1:
            del self.records[index]

    def _enrolment(self, like: Record) -> Record:
        """A new learner in ``like``'s course (course fields as that course has them)."""
        username = f"newcomer{self.changes:04d}"
        return {
            **like,
            "username": username,
            "email": f"{username}@example.org",
            "percent_grade": "0.00",
            "letter_grade": "",
            "passed_timestamp": None,
        }
