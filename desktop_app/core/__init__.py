"""Qt-free application logic: images, settings, storage, sessions."""
