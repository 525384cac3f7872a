"""LocalSight's test suite, laid out like the packages: ``unit/`` (pure Python), ``qt/`` (the
window and widgets), ``contract/`` (every backend's contract and protocol), ``integration/``
(end to end, real llama.cpp and real processes) and ``helpers/`` (what they share).
"""
