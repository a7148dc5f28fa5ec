"""Clerk accounts, roles, the tamper-evident audit log and My Number handling.

Qt-free: the UI drives these services; every service checks the caller's role
itself (``dxdesk.security.permissions.require``) so a bypassed screen grants nothing.
"""
