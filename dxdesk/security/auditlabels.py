"""Human labels for what the audit log stores as codes: event types, results, card items, detail keys and
the coded values inside details (#14: a supervisor saw 「support.change」 and 「basic4, pinless」).

Qt-free data and functions, shared by the 監査ログ screen and anything else that shows an event to a person.
A code with no label here is never shown raw on a screen: events and items fall back to a generic
sentence, details with an unknown key to 「その他」 with the value only (the key is a programmer's name).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from dxdesk.i18n import Msg
from dxdesk.security.audit import EventType, Item, Result
from dxdesk.security.permissions import PERMISSION_LABELS as PERMISSIONS_IN_WORDS
from dxdesk.security.permissions import Role

EVENT_LABELS: Mapping[str, Msg] = {
    EventType.SIGN_IN.value: Msg("サインイン", "Sign-in"),
    EventType.SIGN_OUT.value: Msg("サインアウト", "Sign-out"),
    EventType.UNLOCK.value: Msg("ロック解除", "Unlock"),
    EventType.PASSWORD_CHANGE.value: Msg("パスワード変更", "Password change"),
    EventType.CARD_READ.value: Msg("カード読取", "Card read"),
    EventType.PRINT.value: Msg("帳票印刷", "Form printed"),
    EventType.VISIT_CLOSE.value: Msg("受付記録", "Visit recorded"),
    EventType.EXPORT.value: Msg("データ出力", "Data export"),
    EventType.REPORT.value: Msg("報告書作成", "Report created"),
    EventType.SETTINGS_CHANGE.value: Msg("設定変更", "Settings change"),
    EventType.ACCOUNT_CHANGE.value: Msg("アカウント変更", "Account change"),
    EventType.MY_NUMBER_REVEAL.value: Msg("個人番号表示", "My Number shown"),
    EventType.PURGE.value: Msg("保存期間切れデータの削除", "Expired data removed"),
    EventType.SUPPORT_CHANGE.value: Msg("支援記録の変更", "Support record change"),
    EventType.ACCOUNT_REFUSED.value: Msg("署名のないアカウントを拒否", "Unsigned account refused"),
    EventType.SERVER_JOIN.value: Msg("町のサーバーに参加", "Joined the town's server"),
    EventType.CHECKPOINT.value: Msg("チェックポイント", "Checkpoint"),
    EventType.GAP.value: Msg("記録の欠落を検出", "Missing events detected"),
    EventType.DB_BACKUP.value: Msg("バックアップ", "Backup"),
    EventType.DB_RESTORE.value: Msg("バックアップから復元", "Restore from backup"),
    EventType.DB_ROTATE_KEY.value: Msg("暗号鍵の更新", "Encryption key rotated"),
    EventType.DB_SET_SERVER.value: Msg("サーバー設定", "Server set"),
    EventType.DB_WORK_OFFLINE.value: Msg("オフライン作業の切替", "Offline work switched"),
    EventType.DB_UPGRADE.value: Msg("データベース更新", "Database upgrade"),
    EventType.SYNC_RUN.value: Msg("同期", "Sync"),
    EventType.AUDIT_TRIGGERS.value: Msg("監査ログ保護の修復", "Audit protection repaired"),
    EventType.HANDOFF_WRITE.value: Msg("引き渡しフォルダーへの書き出し", "Hand-off written"),
    EventType.HANDOFF_PICKUP.value: Msg("引き渡しフォルダーからの取り出し", "Hand-off picked up"),
    "key.recovery_setup": Msg("復旧キーの作成", "Recovery key created"),
    "key.recovery_accept": Msg("復旧キーの確認", "Recovery key confirmed"),
}
UNKNOWN_EVENT = Msg("その他の操作", "Other operation")

RESULT_LABELS: Mapping[str, Msg] = {
    Result.SUCCESS.value: Msg("成功", "Success"),
    Result.FAILURE.value: Msg("失敗", "Failure"),
    Result.DENIED.value: Msg("拒否", "Denied"),
    Result.LOCKED.value: Msg("ロック中", "Locked"),
}

ITEM_LABELS: Mapping[str, Msg] = {
    Item.BASIC4: Msg("基本4情報", "Basic four items"),
    Item.NAME: Msg("氏名", "Name"),
    Item.ADDRESS: Msg("住所", "Address"),
    Item.BIRTH_DATE: Msg("生年月日", "Date of birth"),
    Item.SEX: Msg("性別", "Sex"),
    Item.MY_NUMBER: Msg("個人番号", "My Number"),
    Item.FACE_IMAGE: Msg("顔写真", "Face image"),
    Item.FACE_PHOTO: Msg("券面の顔写真", "Card face photo"),
    Item.PINLESS: Msg("照合番号Bで読取", "Read with verification code B"),
}

# The words a refusal uses (dxdesk.security.permissions), by the id the audit log stores.
PERMISSION_LABELS: Mapping[str, Msg] = {p.value: label for p, label in PERMISSIONS_IN_WORDS.items()}

# Coded values inside details, by detail key.
VALUE_LABELS: Mapping[str, Mapping[str, Msg]] = {
    "action": {
        "create_first_admin": Msg("初期管理者作成", "First administrator created"),
        "create": Msg("作成", "Created"), "deactivate": Msg("無効化", "Deactivated"),
        "reactivate": Msg("有効化", "Reactivated"), "set_role": Msg("役割変更", "Role changed"),
        "reset_password": Msg("パスワード再設定", "Password reset"), "unlock": Msg("ロック解除", "Unlocked"),
    },
    "cause": {
        "bad_password": Msg("パスワード誤り", "Wrong password"),
        "unknown_login": Msg("未登録のログインID", "Unknown login"),
        "inactive": Msg("無効なアカウント", "Inactive account"), "locked": Msg("ロック中", "Locked"),
        "server_not_set_by_administrator": Msg("サーバーが管理者により設定されていません",
                                               "No server set by an administrator"),
    },
    "kind": {
        "added": Msg("記録の追加", "Record added"), "imported": Msg("CSV取り込み", "CSV import"),
        "updated": Msg("記録の編集", "Record edited"), "deleted": Msg("記録の削除", "Record deleted"),
        "follow_up_closed": Msg("フォローアップ完了", "Follow-up closed"),
        "topic_saved": Msg("相談内容の保存", "Topic saved"),
        "support_totals_rebuilt": Msg("集計の再作成", "Totals rebuilt"),
        "support_pdf": Msg("支援記録PDFレポート", "Support PDF report"),
        "support_csv": Msg("支援記録CSV", "Support CSV"),
        "support_classes_csv": Msg("講座CSV", "Classes CSV"),
    },
    "what": {"audit_events": Msg("監査ログ", "Audit log")},
    "method": {
        "card_pin": Msg("暗証番号", "PIN"), "card_matching_b": Msg("照合番号B", "Verification code B"),
        "manual": Msg("手入力", "Manual entry"),
    },
    "outcome": {"closed": Msg("完了", "Completed"), "abandoned": Msg("中止", "Cancelled")},
    "via": {"cli": Msg("コマンド", "Command line")},
    "folder": {"custom": Msg("指定のフォルダー", "A chosen folder"), "default": Msg("既定のフォルダー", "The default folder")},
    "setting": {
        "forms.calibrations": Msg("プリンタ調整", "Printer calibration"),
        "store.keep_support_notes_on_desk": Msg("支援メモの保存先", "Where support notes are kept"),
        "general.language": Msg("表示言語", "Display language"),
        "handoff": Msg("データ引き渡し", "Data hand-off"),  # the 管理 tab's title
    },
    "permission": {key: label for key, label in PERMISSION_LABELS.items()},
}

# Detail keys in the order they are shown; a key not here is shown as 「その他」 with its value.
DETAIL_LABELS: Mapping[str, Msg] = {
    "kind": Msg("内容", "What"), "action": Msg("操作", "Action"), "clerk_id": Msg("対象", "Account"),
    "login": Msg("ログインID", "Login"), "role": Msg("役割", "Role"), "old_role": Msg("元の役割", "Previous role"),
    "cause": Msg("原因", "Cause"), "locked": Msg("ロック", "Lock"), "setting": Msg("設定", "Setting"),
    "value": Msg("値", "Value"), "what": Msg("対象", "What"), "permission": Msg("必要な権限", "Permission needed"),
    "rows": Msg("対象件数", "Rows"), "from": Msg("から", "From"), "to": Msg("まで", "To"),
    "sessions": Msg("件数", "Sessions"), "period_from": Msg("期間の始め", "Period from"),
    "period_to": Msg("期間の終わり", "Period to"), "venue_filter": Msg("会場で絞り込み", "One venue only"),
    "files": Msg("ファイル数", "Files"), "added": Msg("追加", "Added"),
    "already_present": Msg("登録済み", "Already present"),
    "topic": Msg("相談内容", "Topic"), "active": Msg("使用中", "In use"),
    "method": Msg("本人確認の方法", "Identified by"),
    "simulated": Msg("研修カード", "Training card"), "forms": Msg("帳票", "Forms"), "pages": Msg("ページ数", "Pages"),
    "outcome": Msg("結果", "Outcome"), "procedures": Msg("手続き", "Procedures"),
    "forms_printed": Msg("印刷した帳票数", "Forms printed"), "printer": Msg("プリンタ", "Printer"),
    "copies": Msg("部数", "Copies"), "path": Msg("印刷方式", "Print path"), "via": Msg("操作元", "Via"),
    "command": Msg("コマンド", "Command"), "purged": Msg("削除したファイル", "Files removed"),
    "records_written": Msg("書き出した件数", "Records written"), "error": Msg("エラー", "Error"),
    "sha256": Msg("ハッシュ", "Hash"), "records": Msg("件数", "Records"),
    "from_seq": Msg("復元前の番号", "From seq"), "to_seq": Msg("復元後の番号", "To seq"),
    "from_hash": Msg("復元前のハッシュ", "From hash"), "to_hash": Msg("復元後のハッシュ", "To hash"),
    "from_revision": Msg("更新前の版", "From revision"), "to_revision": Msg("更新後の版", "To revision"),
    "waiting": Msg("未送信件数", "Waiting"), "recreated": Msg("作り直した数", "Recreated"),
    "public_key_sha256": Msg("公開鍵のハッシュ", "Public key hash"), "os_user": Msg("OSのユーザー", "OS user"),
    "town_key_sha256": Msg("町の鍵のハッシュ", "Town key hash"), "first_desk": Msg("最初の端末", "First desk"),
    "renamed_clerk_ids": Msg("名前を変えたアカウント", "Renamed accounts"),
    "signed_clerk_ids": Msg("署名したアカウント", "Signed accounts"), "reason": Msg("理由", "Reason"),
    "removed_through_seq": Msg("削除した最後の番号", "Removed through seq"),
    "removed_last_hash": Msg("削除した最後のハッシュ", "Last removed hash"),
    "removed_count": Msg("削除件数", "Removed"), "removed_before": Msg("この日時より前", "Before"),
    "visits_cleared": Msg("個人情報を消した受付", "Visits cleared"),
    "support_contacts_cleared": Msg("消した連絡先", "Contacts cleared"),
    "printed_records_removed": Msg("削除した印刷記録", "Print records removed"),
    "audit_events_removed": Msg("削除した監査記録", "Audit events removed"),
    "personal_before": Msg("個人情報の保存期限", "Personal data before"),
    "server_sha256": Msg("サーバーのハッシュ", "Server hash"),
    "forced": Msg("管理者が設定したパスワードからの変更", "Replaced an issued password"),
    "signed": Msg("町の署名", "Town signature"),
    # Ids last: the list's 詳細 column shows the words first, the dialog has them all.
    "session_id": Msg("記録ID", "Record id"), "visit_id": Msg("受付ID", "Visit id"), "cleared": Msg("サーバー設定の解除", "Server cleared"),
    "tls": Msg("暗号化通信", "TLS"), "offline": Msg("オフライン", "Offline"),
    "enabled": Msg("使用", "Enabled"), "folder": Msg("フォルダー", "Folder"),
    "retention_days": Msg("保存日数", "Retention days"), "qr": Msg("QRコード", "QR codes"),
}
OTHER_DETAIL = Msg("その他", "Other")
ON_OFF = (Msg("オフ", "Off"), Msg("オン", "On"))
LOCKED_NOW = Msg("ロックしました", "Locked")
SEPARATOR = Msg("、", ", ")


def event_label(code: str, language: str | None = None) -> str:
    return EVENT_LABELS.get(code, UNKNOWN_EVENT).text(language)


def result_label(code: str, language: str | None = None) -> str:
    label = RESULT_LABELS.get(code)
    return label.text(language) if label else code


def items_text(items: Iterable[str], language: str | None = None) -> str:
    """「基本4情報、照合番号Bで読取」 for the stored item names."""
    return SEPARATOR.text(language).join(
        ITEM_LABELS[i].text(language) if i in ITEM_LABELS else OTHER_DETAIL.text(language) for i in items)


def role_label(value: object, language: str | None = None) -> str:
    try:
        return Role(str(value)).label.text(language)
    except ValueError:
        return OTHER_DETAIL.text(language)


@functools.cache
def _national_topics() -> Mapping[str, Msg]:
    """The national support topics, from the seed file (labels of a town's own topics come from its store)."""
    from dxdesk.support.catalog import Catalog

    return {t.code: t.label for t in Catalog.seeded().topics}


def topic_label(code: str, topics: Mapping[str, Msg] | None, language: str | None) -> str | None:
    """A support topic's label: the town's catalogue (``topics``, the store's support_topics) first, else the
    national seed; None for a code known to neither (a topic deleted since, or a desk not yet synced)."""
    label = (topics or {}).get(code) or _national_topics().get(code)
    return label.text(language) if label is not None else None


def _value_text(key: str, value: Any, logins: Mapping[str, str], language: str | None,
                topics: Mapping[str, Msg] | None = None) -> str:
    if key == "topic" and (topic := topic_label(str(value), topics, language)) is not None:
        return topic
    if key in VALUE_LABELS and not isinstance(value, (list, tuple, bool)):
        label = VALUE_LABELS[key].get(str(value))
        return label.text(language) if label else str(value)
    if key in ("role", "old_role"):
        return role_label(value, language)
    if key == "clerk_id":
        return logins.get(str(value), str(value)[:8])
    if isinstance(value, bool):
        return ON_OFF[value].text(language)
    if isinstance(value, (list, tuple)):
        return SEPARATOR.text(language).join(str(v) for v in value)
    return str(value)


def detail_pairs(details: Mapping[str, Any], logins: Mapping[str, str] | None = None,
                 language: str | None = None, topics: Mapping[str, Msg] | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of an event's details, in the catalogue's order; clerk ids by login when known,
    support topics by the label in ``topics`` (the town's catalogue: AuditService.topic_labels) or the national one."""
    logins = logins or {}
    order = {key: i for i, key in enumerate(DETAIL_LABELS)}
    pairs: list[tuple[str, str]] = []
    for key, value in sorted(details.items(), key=lambda kv: order.get(kv[0], len(order))):
        if key == "locked":
            if value:
                pairs.append((DETAIL_LABELS[key].text(language), LOCKED_NOW.text(language)))
            continue  # "not locked" is the normal case: omitted
        label = DETAIL_LABELS.get(key, OTHER_DETAIL).text(language)
        pairs.append((label, _value_text(key, value, logins, language, topics)))
    return pairs


def details_text(details: Mapping[str, Any], logins: Mapping[str, str] | None = None,
                 language: str | None = None, topics: Mapping[str, Msg] | None = None) -> str:
    """The details as one line of 'label: value' pairs (the list's 詳細 column)."""
    return SEPARATOR.text(language).join(f"{label}: {value}" for label, value in
                                         detail_pairs(details, logins, language, topics))
