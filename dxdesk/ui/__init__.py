"""PySide6 screens. Thin: every decision lives in the Qt-free core packages."""
