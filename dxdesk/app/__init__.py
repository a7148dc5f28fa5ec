"""The application layer: the use cases the window and the command line share (Qt-free).

Layers, top to bottom::

    dxdesk/ui (PySide6 widgets)     dxdesk/*/cli.py (argument parsing)
                  \\                   /
         dxdesk.app: composition root (AppServices) + use-case services
         (CounterVisits, SettingsChanges, SupportService, home figures, visit PDFs)
                              |
    core: counter/ (Visit state machine), support/, security/ (auth, audit, roles),
          forms/, cardreader/, store/ (SQLAlchemy, writer thread, sync)

Each use case checks the signed-in person's permission and appends its audit event in
the same store transaction as its change. dxdesk/ui never imports SQLAlchemy or the ORM
models (tests/foundation/test_architecture.py).
"""
