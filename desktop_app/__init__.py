"""LocalSight: a local-first desktop assistant for vision-language models."""
