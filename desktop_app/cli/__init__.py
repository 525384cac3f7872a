"""The ``localsight`` command: headless subcommands for scripts (no command opens the window).

* ``app``: the parser and ``main``, which turns every failure into one line and an exit code.
* ``common``: what the commands share (exit codes, ``CliError``, backend and model options).
* ``progress``: progress on stderr (downloads, pulls, ``describe``), drawn by tqdm.
* one module per command: ``ask``, ``models`` (with ``catalog``), ``describe``,
  ``history`` (``ask --save`` and ``export``); ``openai`` holds the options for
  OpenAI-compatible servers.
* ``i18n``: the person's language for every line a person reads (``tr``, ``shown``); what a
  script reads (``--json``, ``--stats``, describe's rows) never changes with it.

Nothing here imports Qt (an import-linter contract): ``desktop_app.__main__`` hands ``main``
the function that opens the window.
"""
