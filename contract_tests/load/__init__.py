"""``grades-contract load``: the contract judged on every answer of a Locust run.

Locust is an extra (``grades-contract-kit[load]``): only :mod:`.run`, :mod:`.user` and
:mod:`.locustfile` import it, and only Locust's own process imports them. The rest is pure
and importable without it: :mod:`.mix` (the requests, from the instance's data),
:mod:`.judging` (the passive rules of :mod:`grades_kit.contract.passive` on one answer),
:mod:`.load_tally` (counts that add up across workers), :mod:`.summary` (the verdict and
exit code), :mod:`.flags` (the kit's flags, declared once), :mod:`.readiness_check` and
:mod:`.load_cli` (the console script's part).
"""
