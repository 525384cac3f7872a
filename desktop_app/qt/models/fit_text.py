"""The memory and disk verdicts (``core/models/fit.py``) in the window's language.

The core is Qt-free and gives English sentences (``Fit.reason``, ``PairFit.label``) for the
command line; the window translates at its edge instead: it reads the verdict's stable parts
(``level``, ``resource`` and the numbers) and writes each sentence here with ``tr``, so a
Chinese window never shows the core's English (issue 19).  The sentences mirror the core's.
"""

from __future__ import annotations

from backends.memory import gb, os_reserve
from desktop_app.core.models.fit import DISK_RESERVE_BYTES, Fit, PairFit
from desktop_app.qt.common.i18n import translator

__all__ = ["fit_label", "fit_reason", "pair_reason"]

tr = translator("FitText")


def fit_reason(fit: Fit) -> str:
    """``Fit.reason``, translated: why a model fits, is tight or will not fit ("" unknown)."""
    if fit.available is None:
        return ""
    need, free = gb(fit.needed), gb(fit.available)
    if fit.resource == "disk":
        if fit.level == "fits":
            return tr("needs {need} of disk, {free} is free", need=need, free=free)
        if fit.level == "tight":
            return tr(
                "needs {need} of disk and would leave less than {reserve} of the {free} free",
                need=need,
                free=free,
                reserve=gb(DISK_RESERVE_BYTES),
            )
        if fit.level == "too-big":
            return tr(
                "needs {need} of disk but only {free} is free: free some space or choose "
                "another models folder",
                need=need,
                free=free,
            )
        return ""
    if fit.level == "fits":
        return tr("needs about {need} of memory, {free} is free", need=need, free=free)
    if fit.level == "tight":
        return tr(
            "needs about {need} of memory and {free} is free now: close other programs "
            "before loading it",
            need=need,
            free=free,
        )
    if fit.level == "too-big" and fit.total is not None:
        return tr(
            "needs about {need} of memory; this machine has {total} and the system keeps "
            "about {reserve} of it: choose a smaller model",
            need=need,
            total=gb(fit.total),
            reserve=gb(os_reserve(fit.total)),
        )
    if fit.level == "too-big":
        return tr(
            "needs about {need} of memory, only {free} is free: choose a smaller model",
            need=need,
            free=free,
        )
    return ""


def pair_reason(fit: PairFit) -> str:
    """``PairFit.reason``, translated: memory's then disk's, each only when known."""
    return tr("; ").join(part for part in (fit_reason(fit.memory), fit_reason(fit.disk)) if part)


def fit_label(fit: PairFit) -> str:
    """``PairFit.label``, translated: the badge's word for the verdict."""
    if fit.level == "too-big" and fit.disk.level == "too-big":
        return tr("no disk space")
    if fit.level == "fits":
        return tr("fits")
    if fit.level == "tight":
        return tr("tight")
    if fit.level == "too-big":
        return tr("will not fit")
    return "?"
