"""Sign-in, first administrator, password change and the idle lock screen.

* ``signin`` - ``SignInDialog``, ``FirstAdminDialog``, ``ChangePasswordDialog``
* ``idle`` - ``IdleLockController`` (activity filter, timer, Ctrl+L) and ``LockScreen``
* ``widgets`` - shared pieces: ``NewPasswordFields``, ``BusyRow`` (errors: ``dxdesk.ui.errors``)
"""
