"""Run a command and print the peak resident memory of it and all its descendants, in bytes.

``python -m tests.helpers.scripts.peak_rss -- CMD ARGS...`` exits with the command's status
and prints ``peak_rss_bytes=N`` as the last line of stderr.  Linux reports, for the children
a process has waited for, the largest resident set any of them (or their own waited-for
descendants, such as the CLI's engine process) reached -- so one number covers the whole tree
without sampling.  Memory is a count, not a time: it does not change with a busy machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    status = subprocess.call(command)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    sys.stderr.write(f"peak_rss_bytes={peak_kib * 1024}\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
