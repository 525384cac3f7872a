"""A small Chinese translation made for a test: a .ts written here, compiled with
``pyside6-lrelease`` into ``localsight_zh_CN.qm`` in a folder the language code is pointed at
(``desktop_app.qt.common.language.TRANSLATIONS_DIR`` or ``apply_language(folder=…)``).

The sentences are real ones of the window, under their real contexts, so a test sees them
change on screen; the real translation (``desktop_app/translations``) is not needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")

#: (context, source) -> translation; a tuple translation is a count's forms (numerus).
SENTENCES: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("SettingsDialog", "Settings"): "设置",
    ("SettingsDialog", "Language"): "语言",
    ("SettingsDialog", "Appearance"): "外观",
    ("SettingsDialog", "Theme"): "主题",
    ("SettingsDialog", "Same as the system"): "跟随系统",
    ("MainWindow", "Settings"): "设置",
    ("MainWindow", "&Chat"): "聊天(&C)",
    ("MainWindow", "&Model"): "模型(&M)",
    ("MainWindow", "&View"): "视图(&V)",
    ("MainWindow", "&Help"): "帮助(&H)",
    ("MainWindow", "New chat"): "新建聊天",
    ("Composer", "Send"): "发送",
    ("DescribePanel", "Describe each image"): "逐张描述图片",
    ("Composer", "Attach"): "附加",
    ("Sidebar", "+  New chat"): "+  新建聊天",
    ("DescribePanel", "%n image(s)"): ("%n 张图片",),
    ("DescribePanel", "Describe this image in one or two sentences."): "用一两句话描述这张图片。",
    ("ChatTools", "Write alt text for this image."): "为这张图片写替代文字。",
}


def ts_text(sentences: dict[tuple[str, str], str | tuple[str, ...]] = SENTENCES) -> str:
    contexts: dict[str, list[str]] = {}
    for (context, source), translation in sentences.items():
        if isinstance(translation, tuple):
            forms = "".join(f"<numerusform>{escape(f)}</numerusform>" for f in translation)
            message = (
                f'<message numerus="yes"><source>{escape(source)}</source>'
                f"<translation>{forms}</translation></message>"
            )
        else:
            message = (
                f"<message><source>{escape(source)}</source>"
                f"<translation>{escape(translation)}</translation></message>"
            )
        contexts.setdefault(context, []).append(message)
    body = "".join(
        f"<context><name>{escape(name)}</name>{''.join(messages)}</context>\n"
        for name, messages in contexts.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
        f'<TS version="2.1" language="zh_CN">\n{body}</TS>\n'
    )


def write_qm(folder: Path, name: str = "localsight_zh_CN") -> Path:
    """``folder/<name>.qm`` compiled from ``SENTENCES``; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    ts = folder / f"{name}.ts"
    ts.write_text(ts_text(), encoding="utf-8")
    subprocess.run(
        [str(LRELEASE), str(ts), "-qm", str(folder / f"{name}.qm")],
        check=True,
        capture_output=True,
    )
    return folder
