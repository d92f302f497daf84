"""``create_app(settings)``: settings → data → the request pipeline (limits, CORS, hooks, routes,
errors)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from grades_kit.contract.loader import Contract, load_contract
from grades_kit.contract.queries import QueryValidator
from grades_kit.mock_server.access_log import AccessLog
from grades_kit.mock_server.admin import AdminApi, register_admin
from grades_kit.mock_server.authentication import Authenticator
from grades_kit.mock_server.contract_routes import register_contract_routes
from grades_kit.mock_server.cors import Cors
from grades_kit.mock_server.dataset import DataSet
from grades_kit.mock_server.errors import register_error_handlers
from grades_kit.mock_server.fixtures import default_fixture_dir, load_fixtures
from grades_kit.mock_server.generator import RecordGenerator
from grades_kit.mock_server.journal import Journal
from grades_kit.mock_server.pipeline import AfterHook, BeforeHook, Pipeline
from grades_kit.mock_server.routes import GradesApi, grades_blueprint
from grades_kit.mock_server.settings import Settings
from grades_kit.mock_server.sticky import StickyScenarios
from grades_kit.mock_server.store import RecordStore
from grades_kit.mock_server.watch import FixtureWatcher

EXTENSION = "grades_mock"
WATCH_EXTENSION = "grades_mock_watch"
ACCESS_LOG_EXTENSION = "grades_mock_access_log"


def access_log(app: Flask) -> AccessLog:
    """The access log of an app ``create_app`` built (the CLI points it at stderr)."""
    log: AccessLog = app.extensions[ACCESS_LOG_EXTENSION]
    return log


def create_app(settings: Settings | None = None) -> Flask:
    """The whole production app: every engine and every test serves exactly this.

    A Flask object (routes, test client, ``extensions``) whose ``wsgi_app`` is the one
    request pipeline (:mod:`mock_server.pipeline`), assembled here: the limits, the one
    :class:`Cors`, the hooks every request runs, the grades branch and Flask. Raises
    ``spec.SpecError``, ``mock_server.fixtures.FixtureError`` or
    ``mock_server.generator.GeneratorError`` (one-line messages) when it cannot start.
    """
    settings = settings or Settings()
    contract = load_contract(settings.spec_path)
    data = DataSet(load_store(settings, contract))
    api = GradesApi(
        settings=settings,
        contract=contract,
        data=data,
        auth=Authenticator(settings.tokens, settings.forbidden_tokens),
        cors=Cors(settings.cors_policy, allowed_methods(contract)),
        validate=QueryValidator(contract, strict=settings.strict_params),
        sticky=StickyScenarios(),
    )
    app = Flask(__name__)
    app.extensions[EXTENSION] = api
    register_error_handlers(app)
    app.register_blueprint(grades_blueprint(api))
    register_contract_routes(app, contract, data)
    access_log = AccessLog()
    app.extensions[ACCESS_LOG_EXTENSION] = access_log
    before, after = _hooks(app, settings, api, access_log)
    pipeline = Pipeline(
        app, api, api.cors, before, after, threads=settings.thread_count, access_log=access_log
    )
    app.wsgi_app = pipeline  # type: ignore[method-assign]
    return app


def _hooks(
    app: Flask, settings: Settings, api: GradesApi, access_log: AccessLog
) -> tuple[list[BeforeHook], list[AfterHook]]:
    """What must see every request, whichever branch answers it: the one list of it."""
    before: list[BeforeHook] = []
    after: list[AfterHook] = [access_log]
    if settings.admin_token is not None:  # the admin API, and its journal of the rest
        admin = AdminApi(
            token=settings.admin_token,
            contract=api.contract,
            data=api.data,
            journal=Journal(settings.journal_size),
            sticky=api.sticky,
            reload=lambda: load_store(settings, api.contract),
            cors=api.cors,
        )
        register_admin(app, admin)
        after.append(admin.record)
    if settings.watch:  # the poller, started in the serving process (after any fork)
        paths = settings.fixtures or (default_fixture_dir(),)
        watcher = FixtureWatcher(paths, api.contract, api.data)
        app.extensions[WATCH_EXTENSION] = watcher
        before.append(lambda _request: watcher.ensure_running())
    return before, after


def load_store(settings: Settings, contract: Contract) -> RecordStore:
    """The records to serve: generated when ``settings.generate`` is set, else the fixtures."""
    with _gc_paused():
        if settings.generate is not None:
            store = RecordGenerator(contract, settings.seed).store(settings.generate)
        else:
            store = load_fixtures(settings.fixtures or (default_fixture_dir(),), contract)
    gc.freeze()  # long-lived from here on: keep them out of every later collection
    return store


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading allocates millions of long-lived objects and no cycles; collecting while it
    runs only costs time (a third of the start-up at 1M records)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def allowed_methods(contract: Contract) -> tuple[str, ...]:
    """The contract's methods, plus HEAD wherever GET is (HTTP gives one with the other)."""
    methods = set(contract.methods())
    if "GET" in methods:
        methods.add("HEAD")
    return tuple(m for m in ("GET", "HEAD", "OPTIONS") if m in methods) + tuple(
        sorted(methods - {"GET", "HEAD", "OPTIONS"})
    )
