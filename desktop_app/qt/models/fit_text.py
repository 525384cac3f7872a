"""The memory and disk verdicts (``core/models/fit.py``) in the window's language.

The core writes each verdict's sentence as a translatable ``message`` (``Fit.reason``,
``PairFit.reason``, ``PairFit.label``), which the command line prints as it is; the window
shows the same sentence through ``shown``, so both say the same words in either language.
(Before the core's sentences were translatable, this module wrote each one again with
``tr``: two copies of every sentence to keep equal.)
"""

from __future__ import annotations

from desktop_app.core.models.fit import Fit, PairFit
from desktop_app.qt.common.i18n import shown

__all__ = ["fit_label", "fit_reason", "pair_reason"]


def fit_reason(fit: Fit) -> str:
    """``Fit.reason``, translated: why a model fits, is tight or will not fit ("" unknown)."""
    return shown(fit.reason)


def pair_reason(fit: PairFit) -> str:
    """``PairFit.reason``, translated: memory's then disk's, each only when known."""
    return shown(fit.reason)


def fit_label(fit: PairFit) -> str:
    """``PairFit.label``, translated: the badge's word for the verdict."""
    return shown(fit.label)
