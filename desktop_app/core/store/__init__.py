"""The chat history: one SQLite file, its records, migrations and the rules that keep it whole."""
