"""Repository-only tools: benchmarks and the throw-away PostgreSQL cluster the tests use.

Nothing here is installed or frozen (the wheel and build.spec ship only ``dxdesk/``):
a town's counter PC has no use for them. Run them from a source checkout, e.g.
``uv run python -m tools.bench startup``.
"""
