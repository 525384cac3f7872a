"""Crash isolation: the llama.cpp backend hosted in a child engine process.

See ``host.py`` for why.  Qt-free, like all of ``backends``; the engine is started with
``multiprocessing``'s spawn method, never fork (the window process has Qt threads).
"""

from backends.engine.host import EngineBackend

__all__ = ["EngineBackend"]
