"""A desk a supervisor would open: support records logged this month by a signed-in supporter, and an audit log
with the events a town's week leaves (sign-ins, a failed one, account changes, card reads with 照合番号B,
support edits and deletes, a failed sync) and a failed retention purge noted for the home page. Shared by the supervisor landing test, the fit harness and the
1366 screenshots. Everything goes through the services and sessions as the app writes it.
"""
from __future__ import annotations

import dataclasses
import sys
from datetime import datetime, timedelta
from pathlib import Path

from accounts import add_ready_account

sys.path.insert(0, str(Path(__file__).parent / "ui" / "support"))
from support_ui_sample import sessions as sample_sessions  # noqa: E402

from dxdesk.app.composition import AppServices  # noqa: E402
from dxdesk.app.visit_records import card_read_entry  # noqa: E402
from dxdesk.counter.card import IdentifyMethod  # noqa: E402
from dxdesk.security.audit import AuditEntry, EventType, Result  # noqa: E402
from dxdesk.security.auth import InvalidCredentialsError  # noqa: E402
from dxdesk.security.permissions import Role, Session  # noqa: E402
from dxdesk.store.problems import PURGE, note_problem  # noqa: E402
from signin import admin_session  # noqa: E402

PASSWORD = "correct horse 3"
LONG_NOTE = ("口座登録は次回。通帳と本人確認書類を持参してもらう。スマートフォンの画面ロックの暗証番号を忘れており、"
             "携帯ショップでの初期化が必要になる可能性があるため、家族の同行をお願いした。")


def add_people(services: AppServices) -> dict[str, Session]:
    """The administrator, a supporter and a supervisor, signed in (their sign-ins are in the audit log)."""
    admin = admin_session(services.auth)
    people = {"administrator": admin}
    for login, name, role in (("sato", "デジタル推進 佐藤", Role.SUPPORTER),
                              ("takahashi", "市民課長 高橋", Role.SUPERVISOR),
                              ("tanaka", "市民課 田中", Role.CLERK)):
        people[role.value] = add_ready_account(services.auth, admin, login, name, role, PASSWORD)
    try:
        services.auth.sign_in("tanaka", "typo")
    except InvalidCredentialsError:
        pass  # a failed sign-in, as every week has one
    return people


def add_support_records(services: AppServices, supporter: Session, now: datetime | None = None) -> int:
    """The sample week's records moved into this month (the list's default period), one with a long note;
    one record edited and one deleted (support.change events). Returns how many records remain."""
    now = now or datetime.now().replace(microsecond=0)
    month_start = now.replace(day=1, hour=0, minute=0, second=0)
    support = services.support_service(supporter)
    stored = []
    for n, session in enumerate(sample_sessions()):
        when = now - timedelta(days=min(n, 20), hours=1 + n)
        when = max(when, month_start + timedelta(hours=9 + n))
        when = min(when, now - timedelta(minutes=5 + n))
        note = LONG_NOTE if n == 2 else session.note
        stored.append(support.add(dataclasses.replace(session, started_at=when, note=note), by="佐藤"))
    support.update(dataclasses.replace(stored[0], duration_minutes=75), by="佐藤", now=now)
    support.delete(stored[-1].id, by="佐藤", now=now)
    return len(stored) - 1


def add_counter_events(services: AppServices, clerk: Session) -> None:
    """Card reads as the counter writes them: one with the PIN, one with 照合番号B (items basic4, pinless)."""
    audit = services.audit
    audit.append(card_read_entry(clerk.clerk_id, "visit-1", IdentifyMethod.CARD_PIN, ["basic4", "face_photo"],
                                 simulated=True, jimu_type="住民基本台帳事務", reason="転入届"))
    audit.append(card_read_entry(clerk.clerk_id, "visit-2", IdentifyMethod.CARD_MATCHING_B, ["basic4"],
                                 simulated=True, jimu_type="住民基本台帳事務", reason="住民票の写しの交付"))
    audit.append(AuditEntry(EventType.SYNC_RUN, clerk.clerk_id, Result.FAILURE))


def add_failed_purge(services: AppServices) -> None:
    """The daily retention purge failed last night: the job notes it as it does (dxdesk.security.purgeschedule)."""
    note_problem(services.database, PURGE, "OperationalError")


def seed_desk(services: AppServices) -> dict[str, Session]:
    people = add_people(services)
    add_support_records(services, people["supporter"])
    add_counter_events(services, people["clerk"])
    add_failed_purge(services)
    return people
