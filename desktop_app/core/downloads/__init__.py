"""Getting model files: the hub's URLs, resumable verified downloads, hashes recorded on first
download.
"""
