"""``grades-contract``'s first step: the suite's own packages are the ``[suite]`` extra.

The mock installs without them (``make run``: ``grades-contract-kit[mock]``), so the console
script checks for them before importing the suite, and says in one line how to add them
instead of failing with a traceback.
"""

from __future__ import annotations

import importlib.util
import sys

SUITE_PACKAGES = ("pytest", "schemathesis", "hypothesis", "xdist")
"""What ``grades-contract-kit[suite]`` adds (pytest-xdist imports as ``xdist``)."""
EXIT_NO_VERDICT = 2


def main() -> int:
    missing = [name for name in SUITE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"grades-contract: the contract suite's packages are not installed "
            f"({', '.join(missing)}): install grades-contract-kit[suite] from where you "
            "installed the kit (in this checkout: .venv/bin/pip install -e '.[suite]')",
            file=sys.stderr,
        )
        return EXIT_NO_VERDICT
    from grades_kit.contract_tests.contract_cli import main as run_suite

    return run_suite()
