"""The kit's one installed top-level package: ``.spec``, ``.mock_server``, ``.contract_tests``.

The repository keeps its layout (``spec/``, ``mock_server/``, ``contract_tests/``,
``fixtures/`` at the top); every import names ``grades_kit.<package>``.

- The wheel is built from the real folders: ``[tool.hatch.build.targets.wheel.sources]``
  maps ``spec/`` to ``grades_kit/spec/`` and so on, and ``fixtures/`` to
  ``grades_kit/mock_server/bundled_fixtures/``. Nothing here rewrites ``__path__``.
- In the checkout, ``grades_kit/spec``, ``grades_kit/mock_server`` and
  ``grades_kit/contract_tests`` are relative symlinks to those folders (git stores them as
  links; clone with symlinks enabled, which is the default everywhere but plain Windows).
  They are why an editable install (hatchling ``dev-mode-dirs = ["."]``: a ``.pth`` naming the
  checkout), pytest, mypy and ruff all resolve ``grades_kit.spec`` to ``spec/`` with no
  import hook. A hook would do for Python alone, but mypy, ruff and editors cannot follow one,
  and hatchling's own editable modes refuse a ``sources`` rewrite that adds a prefix
  (editables issue 20). The symlinks are left out of the sdist, which holds the real folders.
"""
