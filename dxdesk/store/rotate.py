"""Database key rotation: re-encrypt every encrypted column under a new key, in one transaction.

Order matters for crash safety: the new key is stored (next to the old ones) before
any row is re-encrypted, and the old keys are dropped only after the transaction
has committed. A crash at any point leaves every row readable.
"""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dxdesk.store.base import Base
from dxdesk.store.crypto import KeySet, _Encrypted
from dxdesk.store.database import Database
from dxdesk.store.escrow import ensure_wrapped_keys
from dxdesk.store.keys import save_keyset
from dxdesk.store.session import queue_for_server
from dxdesk.store.server import raw_table

log = logging.getLogger(__name__)


def encrypted_fields() -> dict[str, dict[str, str]]:
    """{table: {column: associated-data context}} for every encrypted column."""
    found: dict[str, dict[str, str]] = {}
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            if isinstance(col.type, _Encrypted):
                found.setdefault(table.name, {})[col.name] = col.type.context
    return found


def rotate_key(db: Database) -> int:
    """Re-encrypt all personal fields with a fresh key; returns the number of records changed."""
    staged = db.keyset.with_new_key()
    save_keyset(db.desk_id, staged, db.paths)
    db.set_keyset(staged)

    def reencrypt(session: Session) -> int:
        changed = 0
        for name, columns in encrypted_fields().items():
            table = raw_table(name)
            rows = session.execute(select(table.c.id, *(table.c[c] for c in columns))).mappings().all()
            for row in rows:
                values = {}
                for column, context in columns.items():
                    stored = row[column]
                    if stored is None or KeySet.key_id_of(stored) == staged.current:
                        continue
                    values[column] = staged.encrypt(staged.decrypt(stored, context), context)
                if values:
                    session.execute(update(table).where(table.c.id == row["id"]).values(**values))
                    # The server keeps ciphertext under the old key otherwise; resend the record.
                    queue_for_server(session, name, row["id"])
                    changed += 1
        return changed

    changed = db.writer.run(reencrypt, timeout=None)
    # Earlier backups still hold rows under the old keys: they must stay readable. With a town
    # recovery key the old keys live on only wrapped (desk_keys, also in those backups), so the
    # key store keeps just the new one; without it the key store keeps them.
    if ensure_wrapped_keys(db) or _escrowed(db, staged):
        final = staged.only_current()
        save_keyset(db.desk_id, final, db.paths)
        db.set_keyset(final)
        ensure_wrapped_keys(db)
    else:
        log.warning("no town recovery key: the old database keys stay in the key store so earlier backups "
                    "remain readable (set one up with dxdesk db recovery-setup)")
    log.info("database key rotated; %d records re-encrypted", changed)
    return changed


def _escrowed(db: Database, keyset: KeySet) -> bool:
    """True when ``keyset`` (old and new keys) is already wrapped with the town recovery key."""
    from dxdesk.store.escrow import DATABASE
    from dxdesk.store.models import DeskKey

    with db.session() as s:
        return s.scalar(select(DeskKey.id).where(
            DeskKey.desk_id == db.desk_id, DeskKey.kind == DATABASE,
            DeskKey.key_ids == ",".join(sorted(keyset.keys)))) is not None
