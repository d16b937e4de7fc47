"""Benchmarks (loopback only): `python -m benchmarks.run`."""
