"""Every backend against the same contract (``tests/helpers/backend_contract.py``) and its own
protocol: llama.cpp in process, the engine process and its crashes, Ollama over a loopback
server, the OpenAI-compatible backend against a real ``llama-server`` and a scripted stub.
"""
