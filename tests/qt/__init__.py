"""The window and its widgets, offscreen, driven like a person would with pytest-qt: the main
window (chats, servers, races), the model manager, Describe, CPU-variant notices, Markdown in
real widgets, theme colours, signals, translations and the settings that reach a window.
"""
