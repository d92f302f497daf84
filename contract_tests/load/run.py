"""One process's part of a load run, and the Locust event listeners that drive it.

Locust owns the process (master, worker or both with ``--processes``); the kit plugs into
its documented events:

- ``init_command_line_parser``: the kit's flags, next to Locust's own;
- ``init``: a :class:`LoadRun` per process, hung on Locust's ``Environment`` (the one object
  per run that every user sees); a worker listens for the plan, the master (or the only
  process) watches the error rate;
- ``test_start``: the master (or the only process) fetches the instance's data once and sends
  the plan to the workers as a custom message, ahead of their spawn orders;
- ``report_to_master`` / ``worker_report``: each worker's tally rides on Locust's own stats
  reports as a delta, so the master counts every violation exactly once;
- ``quitting`` / ``quit``: the master's verdict sets the exit code and is printed last.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from gevent.event import Event
from locust.env import Environment
from locust.event import EventHook, Events
from locust.runners import MasterRunner, WorkerRunner

from grades_kit.contract.passive import Judge
from grades_kit.contract_tests.health import NoVerdict
from grades_kit.contract_tests.load.flags import add_kit_flags
from grades_kit.contract_tests.load.load_tally import InFlightLevels, LoadTally
from grades_kit.contract_tests.load.mix import DEFAULT_WEIGHTS, Plan, parse_mix
from grades_kit.contract_tests.load.readiness_check import fetch_plan
from grades_kit.contract_tests.load.summary import KindStats, ending
from grades_kit.contract_tests.options import ENV_TOKEN, RATE_LIMIT_PATTERN
from grades_kit.contract_tests.reports import baseline

__all__ = ["LoadRun", "install", "run_of"]

PLAN_MESSAGE = "grades-kit-plan"
REPORT_KEY = "grades_kit_tally"
ATTRIBUTE = "grades_kit_run"
WATCH_EVERY_S = 1.0
MIN_REQUESTS_FOR_ERROR_RATE = 50
"""The error rate is not judged on fewer requests (a slow start is not a sick instance)."""
PLAN_WAIT_S = 30.0
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class LoadRun:
    """The judge, the plan, the tally and the settings of this process."""

    def __init__(self, environment: Environment, judge: Judge) -> None:
        self.environment = environment
        self.judge = judge
        self.token = os.environ.get(ENV_TOKEN, "")
        self.tally = LoadTally()
        self.plan: Plan | None = None
        self.plan_ready = Event()
        self.in_flight = InFlightLevels()
        self.stopping = False
        """Users are being stopped: requests they abandon still load the server, unseen, so an
        answer now says nothing about the concurrency it was sent at."""
        self.stopped: str | None = None
        self.ending_lines: tuple[str, ...] = ()
        self.weights = dict(DEFAULT_WEIGHTS)
        self.rate: float | None = None

    def option(self, name: str) -> Any:
        """A flag's value as the master sent it (workers get the master's flags at spawn)."""
        return getattr(self.environment.parsed_options, name)

    def settle(self) -> None:
        """Read the flags the run needs per request, once the master's have arrived."""
        self.weights = parse_mix(self.option("mix"))
        self.rate = self.per_user_rate()

    @property
    def accepted(self) -> list[baseline.Accepted]:
        """The baseline's accepted violations (checked by the console script already)."""
        path = self.option("baseline")
        return baseline.load(Path(path)) if path else []

    def per_user_rate(self) -> float | None:
        """Requests per second per user under ``--rate-limit``: the total over the users."""
        limit = self.option("rate_limit")
        if not limit:
            return None
        found = RATE_LIMIT_PATTERN.match(limit)
        assert found is not None  # checked by the console script before Locust started
        users = max(1, int(self.option("num_users") or 1))
        return int(found[1]) / UNIT_S[found[2]] / users

    def receive_plan(self, plan: Plan) -> None:
        self.plan = plan
        self.plan_ready.set()

    def stop(self, reason: str) -> None:
        """End the run without a verdict (the first reason is the one printed)."""
        self.stopped = self.stopped or reason
        self.plan_ready.set()
        runner = self.environment.runner
        if runner is not None:
            gevent.spawn(runner.quit)


def install(hooks: Events, judge: Judge) -> None:
    """Plug the kit into Locust's events (the locustfile calls this once, at import).

    ``judge`` is built at import, before Locust forks ``--processes`` workers (they share it)
    and before a worker connects: a worker reports ready to the master when its runner is
    created, before ``init``, so a contract loaded in ``init`` would stall the first seconds
    of the run while the master's ``--run-time`` clock already runs.
    """
    _listen(hooks.init_command_line_parser, _kit_flags)
    _listen(hooks.init, lambda environment, **_: _on_init(environment, judge))
    _listen(hooks.test_start, _on_test_start)
    _listen(hooks.test_stopping, _on_test_stopping)
    _listen(hooks.quitting, _on_quitting)


def _listen(hook: EventHook, handler: Callable[..., Any]) -> None:
    hook.add_listener(handler)  # type: ignore[no-untyped-call]  # Locust's hooks are untyped


def run_of(environment: Environment) -> LoadRun:
    run = getattr(environment, ATTRIBUTE, None)
    if not isinstance(run, LoadRun):
        raise RuntimeError("the grades-kit load listeners were not installed (see locustfile.py)")
    return run


def _kit_flags(parser: Any, **_: Any) -> None:
    add_kit_flags(parser.add_argument_group("grades-contract-kit"))


def _on_init(environment: Environment, judge: Judge) -> None:
    run = LoadRun(environment, judge)
    setattr(environment, ATTRIBUTE, run)
    # Loading the contract at import blocks for a second or so, and gevent's loop caches its
    # clock: without a fresh one, Locust's --run-time timer would fire that much too early.
    gevent.get_hub().loop.update_now()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message(
            PLAN_MESSAGE, lambda msg, **kw: run.receive_plan(Plan.from_wire(msg.data))
        )
        _listen(environment.events.report_to_master, lambda client_id, data, **kw: _ship(run, data))
        return
    if isinstance(runner, MasterRunner):
        _listen(
            environment.events.worker_report,
            lambda client_id, data, **kw: (
                run.tally.add(data[REPORT_KEY]) if REPORT_KEY in data else None
            ),
        )
    _listen(environment.events.quit, lambda exit_code, **kw: _print(run))
    gevent.spawn(_watch_error_rate, run)


def _ship(run: LoadRun, data: dict[str, Any]) -> None:
    data[REPORT_KEY] = run.tally.to_wire()
    run.tally = LoadTally()


def _on_test_start(environment: Environment, **_: Any) -> None:
    run = run_of(environment)
    run.settle()
    run.stopping = False
    if isinstance(environment.runner, WorkerRunner) or run.plan is not None:
        return
    try:
        plan = fetch_plan(environment.host or "", run.token, run.option("request_timeout"))
    except NoVerdict as exc:
        run.stop(exc.reason)
        return
    if isinstance(environment.runner, MasterRunner):
        environment.runner.send_message(PLAN_MESSAGE, plan.to_wire())
    run.receive_plan(plan)


def _on_test_stopping(environment: Environment, **_: Any) -> None:
    run_of(environment).stopping = True


def _on_quitting(environment: Environment, **_: Any) -> None:
    """Runs after the runner's own quitting (Locust fires ``quitting`` in reverse), so the
    workers' last reports are in."""
    if isinstance(environment.runner, WorkerRunner):
        return
    run = run_of(environment)
    final = ending(
        run.tally,
        _kind_stats(environment),
        stopped=run.stopped,
        rerun=_rerun(environment),
        show_details=bool(run.option("show_details")),
        accepted=run.accepted,
    )
    run.ending_lines = final.lines
    environment.process_exit_code = final.exit_code


def _print(run: LoadRun) -> None:
    print("\n".join(run.ending_lines), file=sys.stderr, flush=True)


def _watch_error_rate(run: LoadRun) -> None:
    """Stop the run when too many requests get no answer: a verdict on them would mislead."""
    while run.stopped is None:
        gevent.sleep(WATCH_EVERY_S)
        tally, limit = run.tally, float(run.option("max_error_rate"))
        if tally.total < MIN_REQUESTS_FOR_ERROR_RATE:
            continue
        share = tally.unanswered_total / tally.total
        if share > limit:
            worst = max(tally.no_answer.items(), key=lambda item: item[1].count)[0]
            run.stop(
                f"{share:.0%} of {tally.total} requests got no answer (mostly {worst}), over "
                f"--max-error-rate {limit:g}: the run was stopped"
            )


def _kind_stats(environment: Environment) -> list[KindStats]:
    """Locust's entry per kind, busiest first, then its total (``all kinds``)."""
    entries = sorted(environment.stats.entries.values(), key=lambda e: -e.num_requests)
    return [_stats_of(e.name, e) for e in entries] + [
        _stats_of("(all kinds)", environment.stats.total)
    ]


def _stats_of(name: str, entry: Any) -> KindStats:
    return KindStats(
        name,
        entry.num_requests,
        entry.num_failures,
        entry.total_rps,
        entry.get_response_time_percentile(0.5) or 0.0,
        entry.get_response_time_percentile(0.95) or 0.0,
        entry.get_response_time_percentile(0.99) or 0.0,
    )


def _rerun(environment: Environment) -> str:
    """The command that sends the same load again (the kit's part of it; no token, no host)."""
    options = environment.parsed_options
    users = getattr(options, "num_users", None) or 1
    spawn = getattr(options, "spawn_rate", None) or 1
    run_time = getattr(options, "run_time", None)
    timed = f" --run-time {run_time}s" if run_time else ""
    return f"grades-contract load --headless --users {users} --spawn-rate {spawn:g}{timed}"
