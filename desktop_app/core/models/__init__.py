"""Which models there are and which fit: the catalog, the library on disk, the fit rule, the first-
run choice, and the factory that opens backends.
"""
