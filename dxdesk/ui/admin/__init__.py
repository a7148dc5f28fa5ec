"""The administration area: accounts, audit log, connection/sync and printer calibration.

``AdminPage(session, auth, audit_service, connectivity, settings, runner, sync=None)`` shows
only the tabs the signed-in clerk's role allows (``Session.can``); every service call still
checks the role itself, and a refusal is shown as its Japanese message.
"""
from dxdesk.ui.admin.page import AdminPage

__all__ = ["AdminPage"]
