"""Benchmarks: scripts run by hand, with results in docs/performance.md (not CI tests)."""
