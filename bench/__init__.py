"""Benchmarks for the targets in DESIGN.md §7. Run `make bench` or `python -m bench NAME…`."""
