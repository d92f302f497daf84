"""The kit's one installed top-level package.

- ``grades_kit.contract``: the executable meaning of ``spec/openapi.yaml`` (the loader, the rule
  registry, the checks, the invariants, query validation, redaction), which every other part uses.
- ``grades_kit.mock_server``, ``grades_kit.proxy``, ``grades_kit.contract_tests``: the mock, the
  validating proxy and the contract suite.
- ``grades_kit.drift``: the drift tool, the upstream GitBook page against the spec.

The repository keeps the top-level folders ``spec/`` (data only), ``mock_server/``,
``contract_tests/`` and ``fixtures/``; every import names ``grades_kit.<package>``.

- The wheel is built from the real folders: ``[tool.hatch.build.targets.wheel.sources]``
  maps ``spec/`` to ``grades_kit/spec/`` and so on, and ``fixtures/`` to
  ``grades_kit/mock_server/bundled_fixtures/``. Nothing here rewrites ``__path__``.
- In the checkout, ``grades_kit/spec``, ``grades_kit/mock_server`` and
  ``grades_kit/contract_tests`` are relative symlinks to those folders (git stores them as
  links; clone with symlinks enabled, which is the default everywhere but plain Windows).
  They are why an editable install, pytest, mypy and ruff all resolve ``grades_kit.mock_server``
  to ``mock_server/`` with no import hook. A hook would do for Python alone, but mypy, ruff and
  editors cannot follow one, and hatchling's own editable modes refuse a ``sources`` rewrite
  that adds a prefix (editables issue 20). The editable install's ``.pth`` names
  ``.editable/``, which holds one link to this folder, so it exposes ``grades_kit`` and
  nothing else of the checkout. A checkout made without symlinks is refused below, in one line.
"""

from __future__ import annotations

from pathlib import Path

LINKS = ("spec", "mock_server", "contract_tests")
"""The folders of the checkout that ``grades_kit/`` reaches through symlinks."""


def _refuse_a_checkout_without_symlinks() -> None:
    """Git writes a link as a small text file where symlinks are off: say so, not a bare
    ``ModuleNotFoundError`` several imports later."""
    here = Path(__file__).parent
    for name in LINKS:
        if (here / name).is_file():
            raise ImportError(
                f"grades_kit/{name} is a plain file, not a symlink: this checkout was made without "
                "symlinks; run `git config core.symlinks true && git checkout -- grades_kit "
                ".editable` (on Windows, enable Developer Mode first)"
            )


_refuse_a_checkout_without_symlinks()
