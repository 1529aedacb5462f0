"""Benchmarks: each script prints its figures; ``python -m bench`` (``make bench``) measures them all against their
targets and writes a table and a chart (bench/run.py)."""
