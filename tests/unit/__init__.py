"""Pure Python, fast: no llama.cpp model runs and no Qt. The GGUF validator, model names,
the chat store on real SQLite files, hostile images, and the import layering of the packages.
"""
