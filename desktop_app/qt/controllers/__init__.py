"""The window's behaviour, one controller per job, around ``desktop_app.qt.state.AppState``.

Widgets show and signal intent; a controller decides.  ``chat`` owns conversations and the
generation running (a generation belongs to its conversation, not to the chat on screen).
"""
