"""Clerk accounts, roles, the tamper-evident audit log and My Number handling.

Qt-free: the UI drives these services; every service checks the caller's role
itself, so a bypassed screen grants nothing. Where things are:

* ``permissions`` - ``Role``, ``Permission``, ``ROLE_PERMISSIONS``, ``Session``,
  ``require(session, Permission.X)``, ``@requires(Permission.X)``, ``PermissionDeniedError``
* ``passwords`` - scrypt ``hash_password`` / ``verify_password`` / ``needs_rehash``, ``password_problems``
* ``auth`` - ``AuthService`` (sign-in, lockout, first administrator, password change, accounts)
* ``idlelock`` - ``IdleLock`` policy the UI drives (touch / is_locked / unlock with password)
* ``audit`` - ``AuditLog.append(AuditEntry(...))`` / ``append_in(orm, entry)``, ``EventType``, ``Item``, ``Result``
* ``auditchain`` - canonical hashing (keyed ``h1:`` HMAC-SHA256; legacy SHA-256 verified) and
  ``verify_chain(records, key, head) -> VerifyResult``
* ``auditkey`` - the desk's audit key and chain head, kept with the other secrets (never in the database)
* ``auditview`` - ``AuditService`` list / verify / export_csv (supervisor)
* ``mynumber`` - ``MaskedNumber``, ``JimuType``, ``ReadPurpose``, ``reveal_my_number``
* ``retention`` - ``RetentionService.purge`` (``dxdesk purge``)
* ``crashreport`` - ``safe_crash_report(exc_type, exc, tb)`` for the excepthook
"""
