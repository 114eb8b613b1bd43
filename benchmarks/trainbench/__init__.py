"""Shared pieces of the side-by-side benchmarks (compare_*.py, contention.py, per_step_overhead.py):
child processes, timing, data, the networks described as data and one runner per framework."""
