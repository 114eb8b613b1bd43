"""Shared pieces of the side-by-side training benchmark (compare_training.py)."""
