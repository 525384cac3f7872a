"""Light and dark appearance: the person's choice in Settings, or the system's scheme.

Qt 6.5+ reports the desktop's colour scheme; we pick Fusion (identical on every platform and
on a Raspberry Pi) with a palette to match, and re-apply when the system switches.  The
``theme`` setting ("system", "light", "dark") chooses; under "system",
``LOCALSIGHT_THEME=dark|light`` stands in for the desktop (screenshots, desktops that do
not report a scheme).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# WCAG 2.x AA for normal-size text; badges and buttons use small text, so this is the bar.
MIN_TEXT_CONTRAST = 4.5
INK_LIGHT = "#ffffff"
INK_DARK = "#0b1a33"  # a near-black blue: reads as part of the accent, not as a hole in it


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of ``#rrggbb``: 0 for black, 1 for white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    hex_digits = color.lstrip("#")
    if len(hex_digits) != 6:
        raise ValueError(f"expected #rrggbb, got {color!r}")
    r, g, b = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours, from 1 (same) to 21 (black on white)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(background: str) -> str:
    """White or dark ink, whichever reads better on ``background``.

    Why computed, not written per scheme: the dark scheme's accent is a light blue (it has
    to stand out on a dark window), and white on it measured 2.5:1; a fixed "white" on
    every accent surface was right in one scheme only.
    """
    return max((INK_LIGHT, INK_DARK), key=lambda ink: contrast_ratio(ink, background))


def mix(a: str, b: str, share_of_b: float) -> str:
    """``#rrggbb`` between ``a`` and ``b`` (0: ``a``, 1: ``b``)."""
    pairs = zip(
        (int(a[i : i + 2], 16) for i in (1, 3, 5)),
        (int(b[i : i + 2], 16) for i in (1, 3, 5)),
        strict=True,
    )
    return "#" + "".join(f"{round(x + (y - x) * share_of_b):02x}" for x, y in pairs)


@dataclass(frozen=True)
class Colors:
    dark: bool
    window: str
    surface: str
    sidebar: str
    text: str
    muted: str
    accent: str
    user_bubble: str
    assistant_bubble: str
    border: str
    error_bg: str
    error_text: str

    @property
    def on_accent(self) -> str:
        """Text colour for anything painted with the accent (Send, the vision badge)."""
        return text_on(self.accent)

    @property
    def disabled_text(self) -> str:
        """Text of a control that cannot be used now: fainter than ``muted``.

        Why: the message actions are ``muted`` when usable, so a disabled Regenerate in
        the palette's disabled colour (also ``muted``) looked exactly like one that works
        (issue 17).  Halfway from ``muted`` to the card it sits on reads as "off".
        """
        return mix(self.muted, self.surface, 0.5)


LIGHT = Colors(
    False,
    "#f6f7f9",
    "#ffffff",
    "#eef0f3",
    "#1d2026",
    "#6b7280",
    "#2f6fde",
    "#e3edff",
    "#ffffff",
    "#d9dde3",
    "#fdecec",
    "#9b1c1c",
)
DARK = Colors(
    True,
    "#1b1d21",
    "#24272c",
    "#16181b",
    "#e6e8eb",
    "#9aa1ab",
    "#6ea2ff",
    "#263a5c",
    "#24272c",
    "#363a41",
    "#3a1f22",
    "#ffb4b4",
)


def system_prefers_dark() -> bool:
    forced = os.environ.get("LOCALSIGHT_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def current_colors(preference: str = "system") -> Colors:
    """The colours for the ``theme`` setting: "light" and "dark" are fixed, anything else
    follows the system."""
    if preference == "light":
        return LIGHT
    if preference == "dark":
        return DARK
    return DARK if system_prefers_dark() else LIGHT


def apply_theme(app: QApplication, preference: str = "system") -> Colors:
    """Fusion style with a palette for the chosen scheme; returns the colours in use."""
    colors = current_colors(preference)
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: colors.window,
        QPalette.ColorRole.WindowText: colors.text,
        QPalette.ColorRole.Base: colors.surface,
        QPalette.ColorRole.AlternateBase: colors.sidebar,
        QPalette.ColorRole.Text: colors.text,
        QPalette.ColorRole.Button: colors.surface,
        QPalette.ColorRole.ButtonText: colors.text,
        QPalette.ColorRole.Highlight: colors.accent,
        QPalette.ColorRole.HighlightedText: colors.on_accent,
        QPalette.ColorRole.ToolTipBase: colors.surface,
        QPalette.ColorRole.ToolTipText: colors.text,
        QPalette.ColorRole.PlaceholderText: colors.muted,
        QPalette.ColorRole.Link: colors.accent,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(colors.muted))
    palette.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(colors.muted)
    )
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(colors))
    return colors


def stylesheet(c: Colors) -> str:
    return f"""
    QWidget#Sidebar {{ background: {c.sidebar}; }}
    QListWidget#ConversationList {{ background: transparent; border: none; }}
    QListWidget#ConversationList::item {{ padding: 5px 6px; border-radius: 6px;
        border: 2px solid transparent; }}
    QListWidget#ConversationList::item:selected {{ background: {c.user_bubble}; color: {c.text}; }}
    QListWidget#ConversationList::item:focus {{ border-color: {c.accent}; }}
    QFrame#Bubble[role="user"] {{ background: {c.user_bubble}; border-radius: 12px; }}
    QFrame#Bubble[role="assistant"] {{ background: {c.assistant_bubble};
        border: 1px solid {c.border}; border-radius: 12px; }}
    QFrame#Bubble[state="error"] {{ background: {c.error_bg}; border: 1px solid {c.error_text}; }}
    QFrame#Bubble[highlight="true"] {{ border: 2px solid {c.accent}; }}
    QTableWidget#DescribeResults::item:selected {{ background: {c.user_bubble};
        color: {c.text}; }}
    QLabel#Muted {{ color: {c.muted}; }}
    QLabel#VisionBadge {{ background: {c.accent}; color: {c.on_accent}; border-radius: 9px;
        padding: 2px 9px; font-weight: 600; }}
    QLabel#TextBadge {{ background: {c.border}; color: {c.text}; border-radius: 9px;
        padding: 2px 9px; }}
    QToolButton#AttachButton {{ border: 1px solid {c.border}; border-radius: 8px;
        padding: 5px 10px; }}
    QToolButton#AttachButton:hover {{ border-color: {c.accent}; }}
    QToolButton#AttachButton:focus {{ border: 2px solid {c.accent}; padding: 4px 9px; }}
    QLabel#ErrorText {{ color: {c.error_text}; }}
    QFrame#Composer {{ background: {c.surface}; border: 1px solid {c.border};
        border-radius: 12px; }}
    QPlainTextEdit#ComposerEdit {{ background: transparent; border: none; }}
    QFrame#AttachmentStrip {{ background: transparent; }}
    QLabel#ReadState {{ background: {read_state_background(c)}; color: {c.muted};
        font-size: 9px; padding: 1px 1px; }}
    QLabel#ReadState[state="read"] {{ color: {c.accent}; font-weight: 600; }}
    QToolButton#MessageAction {{ border: 1px solid transparent; border-radius: 4px;
        padding: 1px 5px; color: {c.muted}; }}
    QToolButton#MessageAction:hover {{ color: {c.accent}; }}
    QToolButton#MessageAction:disabled {{ color: {c.disabled_text}; }}
    QToolButton#MessageAction[shown="false"] {{ color: transparent; }}
    QToolButton#MessageAction:focus {{ border-color: {c.accent}; }}
    QPushButton#SendButton {{ background: {c.accent}; color: {c.on_accent}; border-radius: 8px;
        padding: 6px 14px; font-weight: 600; border: none; }}
    QPushButton#SendButton:disabled {{ background: {c.border}; color: {c.muted}; }}
    QPushButton#StopButton {{ background: {c.error_bg}; color: {c.error_text};
        border-radius: 8px; padding: 6px 14px; font-weight: 600; border: none; }}
    QPushButton#JumpButton {{ background: {c.accent}; color: {c.on_accent}; border-radius: 14px;
        padding: 4px 12px; border: none; }}
    QFrame#DropOverlay {{ background: rgba(47, 111, 222, 40);
        border: 3px dashed {c.accent}; border-radius: 16px; }}
    QLabel#DropOverlayText {{ color: {c.accent}; font-size: 20px; font-weight: 600; }}
    QLabel#EmptyTitle {{ font-size: 22px; font-weight: 600; }}
    QPushButton#ExamplePrompt {{ text-align: left; padding: 8px 12px; border-radius: 8px;
        border: 1px solid {c.border}; background: {c.surface}; }}
    QPushButton#ExamplePrompt:hover {{ border-color: {c.accent}; }}
    QLabel#Notice {{ background: {c.error_bg}; color: {c.error_text}; border-radius: 6px;
        padding: 6px 10px; }}
    {model_manager_stylesheet(c)}
    """


def read_state_background(c: Colors) -> str:
    """The band under an attached image's "Reading…" / "Ready": the window's colour, a
    little see-through, so the words read on any picture and the picture shows through."""
    red, green, blue = (int(c.window[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, 215)"


# Fit badges: the words say the verdict, the colour only repeats it (green, amber, red).
FIT_BADGE_COLORS = {
    False: {
        "fits": ("#e3f4e8", "#17652f"),
        "tight": ("#fdf1d8", "#7a4b00"),
        "too-big": ("#fdecec", "#9b1c1c"),
        "unknown": ("#eef0f3", "#4b5563"),
    },
    True: {
        "fits": ("#1d3a27", "#9be3b1"),
        "tight": ("#3d3119", "#ffd58a"),
        "too-big": ("#3a1f22", "#ffb4b4"),
        "unknown": ("#2c2f35", "#c4c9d0"),
    },
}


def model_manager_stylesheet(c: Colors) -> str:
    """The model manager's rows and the first-run card (desktop_app/qt/models/manager.py)."""
    badges = "".join(
        f'QLabel#FitBadge[level="{level}"] {{ background: {bg}; color: {fg}; '
        "border-radius: 9px; padding: 2px 9px; font-weight: 600; }\n"
        for level, (bg, fg) in FIT_BADGE_COLORS[c.dark].items()
    )
    return (
        badges
        + f"""
    QFrame#CatalogRow, QFrame#FirstRunCard {{ background: {c.surface};
        border: 1px solid {c.border}; border-radius: 10px; }}
    QLabel#RowTitle {{ font-weight: 600; font-size: 15px; }}
    QLabel#FirstRunTitle {{ font-weight: 600; font-size: 17px; }}
    QLabel#RecommendedBadge {{ background: {c.user_bubble}; color: {c.accent};
        border-radius: 9px; padding: 2px 9px; font-weight: 600; }}
    QPushButton#PrimaryButton {{ background: {c.accent}; color: {c.on_accent};
        border-radius: 6px;
        padding: 5px 14px; font-weight: 600; border: none; }}
    QPushButton#PrimaryButton:disabled {{ background: {c.border}; color: {c.muted}; }}
    QLabel#SectionTitle {{ font-weight: 600; font-size: 16px; }}
    QProgressBar#ContextBar {{ background: {c.border}; border: none; border-radius: 2px; }}
    QProgressBar#ContextBar::chunk {{ background: {c.accent}; border-radius: 2px; }}
    QProgressBar#ContextBar[full="true"]::chunk {{ background: {c.error_text}; }}
    QProgressBar#TransferBar {{ background: {c.border}; border: none; border-radius: 4px; }}
    QProgressBar#TransferBar::chunk {{ background: {c.accent}; border-radius: 4px; }}
    QPushButton#LinkButton {{ color: {c.accent}; background: transparent; border: none;
        padding: 2px 0px; text-align: left; }}
    QPushButton#LinkButton:hover, QPushButton#LinkButton:focus {{
        text-decoration: underline; }}
    """
    )
