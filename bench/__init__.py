"""The benchmark harness: ``make bench`` (``python -m bench``) writes docs/benchmarks.md."""
