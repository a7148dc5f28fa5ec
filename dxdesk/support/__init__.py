"""Digital-support session log: records, KPIs, reports (Qt-free).

Map of the package (screens use these; nothing here imports Qt):

* :mod:`.model`       ``SupportSession`` (frozen dataclass), ``new_session()``, ``validate()``/``check()``
                      with ja/en ``FieldError`` messages, ``validate_topic()``.
* :mod:`.catalog`     code lists (``VENUE_TYPES``, ``DEVICES``, ``AGE_BANDS``, ``OUTCOMES`` + ja/en labels) and
                      the editable ``Catalog`` of ``Topic``/``Venue`` seeded from resources/support/*.toml.
* :mod:`.repository`  ``SupportRepository`` protocol, ``SessionQuery``, ``ChangeEvent`` (the ``on_change``
                      hook for audit), ``InMemoryRepository``.
* :mod:`.sql_repository`  ``SqlRepository(db)`` over ``dxdesk.store`` (imports SQLAlchemy; import it lazily).
* :mod:`.kpi`         pure KPI functions and ``summarize() -> KpiSummary``; definitions in its docstring.
* :mod:`.periods`     fiscal-year (April-March), month and ISO-week helpers.
* :mod:`.csvio` / :mod:`.csv_import`  Excel-friendly CSV export (+ summary) and idempotent import.
* :mod:`.report` / :mod:`.charts`     A4 PDF report with B/W charts (ReportLab).
* :mod:`.cli`                         ``dxdesk support ...`` (benchmark: tools/bench/support.py).

Only the light modules are re-exported here so ``import dxdesk.support`` stays cheap.
"""
from __future__ import annotations

from dxdesk.support.catalog import Catalog, Topic, Venue
from dxdesk.support.model import FieldError, SessionValidationError, SupportSession, new_session, validate
from dxdesk.support.repository import ChangeEvent, InMemoryRepository, SessionQuery, SupportRepository

__all__ = [
    "Catalog",
    "ChangeEvent",
    "FieldError",
    "InMemoryRepository",
    "SessionQuery",
    "SessionValidationError",
    "SupportRepository",
    "SupportSession",
    "Topic",
    "Venue",
    "new_session",
    "validate",
]
