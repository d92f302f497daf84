"""A Flask mock of the Grades API, driven by ``spec/openapi.yaml``."""

from __future__ import annotations

from grades_kit.mock_server.app import create_app
from grades_kit.mock_server.fixtures import FixtureError
from grades_kit.mock_server.generator import GeneratorError
from grades_kit.mock_server.settings import Settings, SettingsError

__all__ = ["FixtureError", "GeneratorError", "Settings", "SettingsError", "create_app"]
