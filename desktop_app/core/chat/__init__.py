"""A conversation in progress (``session``) and its export."""
