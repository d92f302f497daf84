"""A Flask mock of the Grades API, driven by ``spec/openapi.yaml``."""

from __future__ import annotations

from mock_server.settings import Settings

__all__ = ["Settings"]
