"""End to end, with real llama.cpp runs and real processes: the ``localsight`` command, chat
sessions, rendering against ``llama-server``, the model families and the fast path, context
growth, durability under kill -9 and full disks, CPU variants, ``describe``, downloads and
the model library against the loopback hub, model stores on disk, and the packaged .deb.
"""
