"""Issue 19: what the backends and the core say reaches the window in its language.

A sentence made where Qt is not (``backends.messages.message``) is translated at the window's
edge (``shown`` / ``error_text``), and must be, before it goes through a Qt signal carrying
``str`` (which hands on a plain English string) or into a widget.

Two kinds of test:

- the plumbing, with a small Chinese translation made here (``Messages`` sentences invented
  for the test, so nothing depends on the backends' wording): a ``Done.notice``, what a
  backend skipped while listing, a Describe row's error, the catalog's chat format notes and
  the export dialogs' filters each show up translated;
- real error paths in the real Chinese window (Settings → Language → 简体中文, the committed
  translation): Ollama at a loopback port nobody listens on, a file that is not a GGUF (the
  in-process llama.cpp backend), a corrupt image added, a conversation longer than the
  context, a setting with a wrong value.  Each checks that the real code's sentence is a
  ``message``, that the window shows exactly ``shown`` of it, and that no English is left
  in what the window shows.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QFileDialog, QLabel, QWidget

from backends.base import ChatRequest, GenerationOptions
from backends.base import Message as ChatMessage
from backends.messages import MESSAGES_CONTEXT, Message, message, sentence_of
from desktop_app.core.describe.output import DescribeRow
from desktop_app.core.images import normalize_image
from desktop_app.core.models.catalog import load_catalog
from desktop_app.core.settings import AppPaths, Settings, app_paths
from desktop_app.qt.common.i18n import shown
from desktop_app.qt.common.language import apply_language
from tests.helpers.fake_backend import MODEL, Script, ScriptedBackend
from tests.helpers.tiny_models import write_tiny_text_model
from tests.helpers.translations import LRELEASE, ts_text
from tests.helpers.window_fixtures import WAIT_MS, open_window, send, wait_idle
from tests.qt.test_chinese_window import english_left, pattern

# -- the plumbing, with a translation made here -----------------------------------------

NOTICE = message("Answered on the CPU: {reason}", reason=message("the GPU ran out of memory."))
NOTICE_ZH = "已改用 CPU 回答：GPU 内存不足。"
SKIPPED = message("{name} is not a model file.", name="notes.gguf")
SKIPPED_ZH = "notes.gguf 不是模型文件。"
ROW_ERROR = message("{name} is damaged or cut short.", name="photo.jpg")
ROW_ERROR_ZH = "photo.jpg 已损坏或不完整。"
STEP = message("checking the pulled files")
STEP_ZH = "正在检查拉取的文件"

SENTENCES: dict[tuple[str, str], str | tuple[str, ...]] = {
    (MESSAGES_CONTEXT, "Answered on the CPU: {reason}"): "已改用 CPU 回答：{reason}",
    (MESSAGES_CONTEXT, "the GPU ran out of memory."): "GPU 内存不足。",
    (MESSAGES_CONTEXT, "{name} is not a model file."): "{name} 不是模型文件。",
    (MESSAGES_CONTEXT, "{name} is damaged or cut short."): "{name} 已损坏或不完整。",
    (MESSAGES_CONTEXT, "checking the pulled files"): STEP_ZH,
    ("DescribePanel", "JSON Lines (*.jsonl)"): "JSON Lines 文件 (*.jsonl)",
    ("DescribePanel", "CSV, for spreadsheets (*.csv)"): "CSV 表格文件 (*.csv)",
    ("ChatTools", "JSON (*.json)"): "JSON 文件 (*.json)",
}


def _app() -> QCoreApplication:
    app = QCoreApplication.instance()
    assert app is not None
    return app


@pytest.fixture
def translated(qapp: Any, tmp_path: Path) -> Iterator[dict[tuple[str, str], str]]:
    """``SENTENCES`` (and the catalog's chat format notes, marked 〔…〕) answered by a
    translator of the test's own, installed beside whatever the window installs."""
    from desktop_app.qt.models.catalog_text import CHAT_FORMAT

    sentences = dict(SENTENCES)
    notes = {
        ("Catalog", text): f"〔{entry_id} 的对话格式〕" for entry_id, text in CHAT_FORMAT.items()
    }
    sentences.update(notes)
    ts = tmp_path / "errors_zh_CN.ts"
    ts.write_text(ts_text(sentences), encoding="utf-8")
    qm = tmp_path / "errors_zh_CN.qm"
    subprocess.run([str(LRELEASE), str(ts), "-qm", str(qm)], check=True, capture_output=True)
    translator = QTranslator()
    assert translator.load(str(qm))
    _app().installTranslator(translator)
    yield notes
    _app().removeTranslator(translator)


def _labels(root: QWidget) -> list[str]:
    return [label.text() for label in root.findChildren(QLabel)]


def test_a_backends_notice_is_shown_under_the_answer_translated(
    qtbot: Any, paths: AppPaths, translated: object
) -> None:
    """``Done.notice`` travels through ``GenerationRunner.notice`` (a ``Signal(str)``)."""
    backend = ScriptedBackend(gated=False)
    backend.script(Script(deltas=["好的。"], notice=NOTICE))
    window = open_window(qtbot, paths, backend)
    send(qtbot, window, "你好")
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: NOTICE_ZH in _labels(window.chat), timeout=WAIT_MS)
    assert window.stage_label.text() == NOTICE_ZH


class SkippingBackend(ScriptedBackend):
    """Lists its models and says what it skipped, as the llama.cpp backend does."""

    def __init__(self) -> None:
        super().__init__(gated=False)
        self.problems = [SKIPPED]


def test_what_a_backend_skipped_is_told_translated(
    qtbot: Any, paths: AppPaths, translated: object, tmp_path: Path
) -> None:
    window = open_window(qtbot, paths, SkippingBackend())
    qtbot.waitUntil(lambda: SKIPPED_ZH in window.composer.notice.text(), timeout=WAIT_MS)
    assert str(SKIPPED) not in window.composer.notice.text()
    window.grab().save(str(tmp_path / "skipped_zh_CN.png"))  # to look at (--basetemp)


def test_a_describe_rows_error_is_shown_and_copied_translated(
    qtbot: Any, paths: AppPaths, translated: object, tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication

    window = open_window(qtbot, paths, ScriptedBackend(gated=False))
    window.open_describe([])
    qtbot.waitUntil(lambda: window.describe_panel is not None, timeout=WAIT_MS)
    panel = window.describe_panel
    path = tmp_path / "photo.jpg"
    panel.table.add_paths([path])
    row = DescribeRow(str(path), "", 0, 0, MODEL, "Describe.", "", 0.0, ROW_ERROR)
    panel.runner.row_ready.emit(row, None)
    cells = [
        item.text()
        for r in range(panel.table.rowCount())
        for c in range(panel.table.columnCount())
        if (item := panel.table.item(r, c)) is not None
    ]
    assert any(ROW_ERROR_ZH in cell for cell in cells), cells
    assert not any(str(ROW_ERROR) in cell for cell in cells), cells
    panel.table.selectAll()
    panel.copy_selected()
    assert QGuiApplication.clipboard().text() == ROW_ERROR_ZH


def test_a_pull_step_from_the_backend_is_shown_translated(qtbot: Any, translated: object) -> None:
    """``PullStatus.text`` writes the step into a line: it is translated before that."""
    from backends.ollama.backend import PullProgress
    from desktop_app.qt.models.transfers import PullJob

    class Puller:
        def pull(self, _tag: str, _cancel: object) -> Iterator[PullProgress]:
            yield PullProgress(status=STEP)
            yield PullProgress(status="success")

    job = PullJob(Puller(), "tiny:1b")
    lines: list[str] = []
    job.progress.connect(lambda status: lines.append(status.text()))
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        job.start()
    assert STEP_ZH in lines, lines


def test_the_export_dialogs_filters_are_translated_and_still_choose_the_format(
    qtbot: Any,
    paths: AppPaths,
    translated: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(qtbot, paths, ScriptedBackend(gated=False))
    window.open_describe([])
    qtbot.waitUntil(lambda: window.describe_panel is not None, timeout=WAIT_MS)
    panel = window.describe_panel
    offered: list[str] = []

    def save_as(_parent: object, _title: str, _where: str, filters: str) -> tuple[str, str]:
        offered.extend(filters.split(";;"))
        return str(tmp_path / "results"), "CSV 表格文件 (*.csv)"  # no suffix: the filter's

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    exported: list[tuple[Path, str]] = []
    monkeypatch.setattr(panel, "export_to", lambda path, fmt: exported.append((path, fmt)))
    panel.choose_export()
    assert offered == ["JSON Lines 文件 (*.jsonl)", "CSV 表格文件 (*.csv)"]
    assert exported == [(tmp_path / "results.csv", "csv")]

    # Chat → Export chat…: the JSON filter is the translated one, and still means JSON.
    send(qtbot, window, "你好")
    wait_idle(qtbot, window)
    offered.clear()
    written: list[Path] = []

    def save_chat(_parent: object, _title: str, _where: str, filters: str) -> tuple[str, str]:
        offered.extend(filters.split(";;"))
        return str(tmp_path / "chat"), "JSON 文件 (*.json)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_chat)
    tools = window.chat_tools
    monkeypatch.setattr(tools, "_in_background", lambda work, then: written.append(work()))
    tools.export_chat()
    assert "JSON 文件 (*.json)" in offered
    assert written == [tmp_path / "chat.json"]


def test_the_catalogs_chat_format_notes_are_translated(
    qtbot: Any, paths: AppPaths, translated: dict[tuple[str, str], str]
) -> None:
    window = open_window(qtbot, paths, ScriptedBackend(gated=False))
    window.open_model_manager()
    manager = window.model_manager
    qtbot.waitUntil(lambda: manager.loaded, timeout=WAIT_MS)
    tips = {widget.toolTip() for widget in manager.findChildren(QWidget)}
    for entry in load_catalog():
        assert any(f"〔{entry.id} 的对话格式〕" in tip for tip in tips), entry.id
        assert not any(entry.chat_format[:40] in tip for tip in tips), entry.id
    manager.close()


# -- real error paths in the real Chinese window -----------------------------------------

#: Names and data in the real errors' texts, left as they are in Chinese.
NAMES = [r"junk\.gguf", r"bad\.png", r"tiny-text(\.gguf)?", r"ollama serve", r"--host", "word"]


def _all_chinese(sentence: str, text_shown: str) -> None:
    """``sentence`` is a translatable ``message`` and no English is left in ``text_shown``."""
    assert isinstance(sentence, Message), f"not a message: {sentence!r}"
    words = english_left(text_shown, pattern(NAMES))
    assert words == [], f"English left in {text_shown!r}: {words}"


@pytest.fixture
def chinese(qapp: Any) -> Iterator[None]:
    yield
    apply_language(_app(), "system")  # conftest sets LANGUAGE=en: English again


@pytest.fixture
def tiny_home(localsight_home: Path, chinese: None) -> tuple[AppPaths, Path]:
    """The app's folders in Chinese with the tiny text model in the models folder, a small
    context, and a file that is not a GGUF beside it."""
    paths = app_paths().ensure()
    model = write_tiny_text_model(paths.models_dir / "tiny-text.gguf")
    (paths.models_dir / "junk.gguf").write_bytes(b"this is not a model at all\n" * 8)
    Settings(
        model=str(model.resolve()), max_tokens=8, temperature=0.0, num_ctx=512, language="zh_CN"
    ).save(paths.settings_path)
    return paths, model


def _llama_window(qtbot: Any, paths: AppPaths) -> Any:
    from backends.llama_cpp.backend import LlamaCppBackend

    backend = LlamaCppBackend(model_dirs=[paths.models_dir], include_embedded=False)
    return open_window(qtbot, paths, backend)


def test_ollama_not_running_is_said_in_chinese(
    qtbot: Any, localsight_home: Path, chinese: None
) -> None:
    from backends.base import BackendError
    from backends.ollama.backend import OllamaBackend
    from desktop_app.qt.app import create_window
    from desktop_app.qt.controllers.models import first_sentence

    paths = app_paths().ensure()
    Settings(model=MODEL, language="zh_CN").save(paths.settings_path)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host = f"127.0.0.1:{port}"
    with pytest.raises(BackendError) as refused:
        OllamaBackend(host=host).list_models()
    sentence = sentence_of(refused.value)

    window = create_window(
        paths,
        backend=ScriptedBackend(gated=False),
        extra_backends={"ollama": OllamaBackend(host=host)},
    )
    qtbot.addWidget(window)
    window.show()
    note = first_sentence(shown(sentence))
    qtbot.waitUntil(lambda: note in window.stage_label.text(), timeout=WAIT_MS)
    _all_chinese(sentence, window.stage_label.text())


def test_a_file_that_is_not_a_gguf_is_said_in_chinese(
    qtbot: Any, tiny_home: tuple[AppPaths, Path]
) -> None:
    from backends.llama_cpp.backend import LlamaCppBackend

    paths, _model = tiny_home
    junk = paths.models_dir / "junk.gguf"
    probe = LlamaCppBackend(include_embedded=False)
    try:
        with pytest.raises(Exception) as refused:
            probe.register(junk)
    finally:
        probe.close()
    sentence = sentence_of(refused.value)

    window = _llama_window(qtbot, paths)
    notice = window.composer.notice
    # The listing skipped it (told above the message box), and adding it says why not.
    qtbot.waitUntil(lambda: "junk.gguf" in notice.text(), timeout=WAIT_MS)
    window.models_controller.add_model_path(junk)
    qtbot.waitUntil(lambda: shown(sentence) in notice.text(), timeout=WAIT_MS)
    _all_chinese(sentence, notice.text())


def test_a_corrupt_image_added_is_said_in_chinese(
    qtbot: Any, paths: AppPaths, chinese: None, tmp_path: Path
) -> None:
    from desktop_app.core.images import ImageError

    Settings(model=MODEL, max_tokens=64, language="zh_CN").save(paths.settings_path)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    with pytest.raises(ImageError) as refused:
        normalize_image(bad)
    sentence = sentence_of(refused.value)

    window = open_window(qtbot, paths, ScriptedBackend(gated=False))
    window.images_controller.attach_files([bad])
    qtbot.waitUntil(lambda: window.composer.notice.text() == shown(sentence), timeout=WAIT_MS)
    _all_chinese(sentence, window.composer.notice.text())


def test_a_conversation_longer_than_the_context_is_said_in_chinese(
    qtbot: Any, tiny_home: tuple[AppPaths, Path]
) -> None:
    from backends.base import ContextOverflow
    from backends.llama_cpp.backend import LlamaCppBackend

    paths, model = tiny_home
    long_text = "word " * 1500
    probe = LlamaCppBackend(model_dirs=[paths.models_dir], include_embedded=False)
    request = ChatRequest(
        str(model.resolve()),
        (ChatMessage("user", long_text),),
        GenerationOptions(max_tokens=8, num_ctx=512),
    )
    try:
        with pytest.raises(ContextOverflow) as refused:
            for _chunk in probe.stream_chat(request):
                pass
    finally:
        probe.close()
    sentence = sentence_of(refused.value)

    window = _llama_window(qtbot, paths)
    send(qtbot, window, long_text)
    wait_idle(qtbot, window)
    errors = [
        label
        for label in window.chat.findChildren(QLabel, "ErrorText")
        if label.isVisibleTo(window)
    ]
    # The answer card shows the failure's sentence.  ``ChatSession`` reads the finished row
    # back from the database (English): the row it hands on must carry the failure's
    # ``message`` for the card to show it translated.
    assert [label.text() for label in errors] == [shown(sentence)]
    _all_chinese(sentence, errors[0].text())


def test_a_setting_with_a_wrong_value_is_said_in_chinese(
    qtbot: Any, localsight_home: Path, chinese: None
) -> None:
    """The settings' problems are told above the message box once, at start."""
    import json

    paths = app_paths().ensure()
    Settings(model=MODEL, language="zh_CN").save(paths.settings_path)
    saved = json.loads(paths.settings_path.read_text(encoding="utf-8"))
    saved["max_tokens"] = -5
    paths.settings_path.write_text(json.dumps(saved), encoding="utf-8")
    [sentence] = Settings.load_with_problems(paths.settings_path).problems

    window = open_window(qtbot, paths, ScriptedBackend(gated=False))
    qtbot.waitUntil(lambda: shown(sentence) in window.composer.notice.text(), timeout=WAIT_MS)
    _all_chinese(sentence, window.composer.notice.text())
