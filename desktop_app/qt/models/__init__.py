"""The models' widgets: the picker, the model manager, catalog rows, the first-run card, Ollama's
section, transfers.
"""
