"""Describing many images with one prompt: the run, and its rows written as JSON Lines or CSV."""
