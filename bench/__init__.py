"""The benchmark harness of issue 6: ``make bench`` (``python -m bench``) writes docs/benchmarks.md."""
