"""The performance harness: the mock against Stoplight Prism, its scaling, the suite's speed.

Run it with ``make bench`` (``QUICK=1`` for the few-second mode ``make test`` also runs);
docs/benchmarks.md explains every number and quotes a run.
"""
