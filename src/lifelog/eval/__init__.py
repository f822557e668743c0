"""Benchmarks and their metrics (``lifelog eval``)."""
