"""Widgets only: everything that imports PySide6 lives here."""
