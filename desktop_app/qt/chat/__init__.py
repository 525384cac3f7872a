"""The chat's widgets: the conversation view, message cards, the composer, the sidebar, and
Markdown in Qt's rich-text dialect.
"""
