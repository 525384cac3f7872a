"""LocalSight benchmarks: ``python -m benchmarks`` compares the app against raw llama.cpp."""
