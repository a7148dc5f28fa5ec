"""Performance numbers, printed and never asserted in tests (docs/performance.md).

``uv run python -m tools.bench startup|card|form|support|sync [options]`` from a
source checkout; one module per measurement, next to nothing else.
"""
