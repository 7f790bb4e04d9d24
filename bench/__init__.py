"""Benchmarks that print their figures (``make bench``); they assert nothing about time.

Each module here with a ``run() -> None`` is one benchmark; ``python -m bench`` runs them
all, ``python -m bench notifications`` only the one named. Modules starting with ``_`` are
helpers.
"""
