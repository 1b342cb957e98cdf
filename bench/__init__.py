"""Benchmarks that print figures (not tests).

Run each as a module from the repo root, e.g. ``.venv/bin/python -m bench.daily_path``.
"""
