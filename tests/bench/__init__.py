"""Benchmarks: ``python -m tests.bench.<name>``; results go into docs/performance.md."""
