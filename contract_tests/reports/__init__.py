"""The deploy gate's reports: baseline, GitHub summary and annotations, SARIF, verdict JSON,
JUnit, all written from one list of :class:`~contract_tests.reports.findings.RuleFinding`."""
