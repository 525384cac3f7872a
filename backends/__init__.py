"""Runtimes that answer chats: the Backend protocol and its implementations."""
