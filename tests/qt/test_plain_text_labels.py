"""Text that is not ours shows as text, never as HTML (issue 16: a settings value injected HTML).

A QLabel or QMessageBox left at Qt's default, AutoText, renders its text as HTML whenever
``Qt.mightBeRichText`` guesses so, and it does for a refused settings value such as
``{"<img src=x>": 1}``, for a file named ``<img src=x>``, a model so named by a server, a
chat title.  Each label or question that shows such text must show it literally.

"Shows literally" is checked on what Qt renders, not only on the property: the accessible
name of a label with no name of its own is its text as displayed (Qt turns rich text into
the words a reader would see), so ``<img src=x>`` rendered as HTML is an empty string there.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QWidget

from backends.base import Capabilities, ModelInfo
from backends.llama_cpp import LlamaCppBackend
from desktop_app.core.images import normalize_image
from desktop_app.core.models.catalog import load_catalog
from desktop_app.core.models.fit import GIB, Resources
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.settings import app_paths
from tests.helpers import REPO
from tests.helpers.images import png_bytes
from tests.helpers.window_fixtures import open_window, seed_tiny_vlm

pytestmark = pytest.mark.usefixtures("qapp")

#: Markup a person could meet as data; no "/" so it can also be a file name.
HOSTILE = "<img src=x> <b>bold<b> &amp;"


def rendered(label: QLabel) -> str:
    """The label's text as Qt displays it (its accessible name, with no name of its own)."""
    label.setAccessibleName("")
    interface = QAccessible.queryAccessibleInterface(label)
    assert interface is not None
    return str(interface.text(QAccessible.Text.Name))


def shows_literally(label: QLabel, text: str) -> None:
    assert text in label.text(), label.text()
    assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert rendered(label) == label.text()


def asked_literally(question: str, text: str) -> None:
    """A question handed to ``QMessageBox.question`` displays ``text`` as it is."""
    box = QMessageBox(QMessageBox.Icon.Question, "title", question)  # as question() builds it
    label = box.findChild(QLabel, "qt_msgbox_label")
    assert label is not None
    assert text in rendered(label), rendered(label)


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer every ``QMessageBox.question`` with No; the texts asked, in order."""
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.fixture
def backend() -> Iterator[LlamaCppBackend]:
    made = LlamaCppBackend([app_paths().models_dir], include_stores=False)
    yield made
    made.close()


def test_a_refused_settings_value_and_other_window_text_show_as_text(
    qtbot: Any,
    tiny_vlm: tuple[Path, Path],
    backend: LlamaCppBackend,
    tmp_path: Path,
    questions: list[str],
) -> None:
    paths = seed_tiny_vlm(tiny_vlm, max_tokens=4)
    settings = json.loads(paths.settings_path.read_text(encoding="utf-8"))
    settings["ollama_host"] = {"<img src=x>": 1}
    paths.settings_path.write_text(json.dumps(settings), encoding="utf-8")
    window = open_window(qtbot, paths, backend)

    # The reported case: the refused value, in the note above the message box.
    shows_literally(window.composer.notice, '{"<img src=x>": 1}')
    window.composer.show_notice(HOSTILE)
    shows_literally(window.composer.notice, HOSTILE)
    # The status line (a server's error, a file name in "Exported … to …").
    window.models_controller.status.emit(HOSTILE)
    shows_literally(window.stage_label, HOSTILE)
    # The empty chat names the model.
    window.chat.empty_state.set_model(HOSTILE, True)
    shows_literally(window.chat.empty_state.model_line, HOSTILE)

    # A chat's title in the question before deleting it.
    conversation = window.store.create_conversation(title=HOSTILE)
    window.chat_controller.delete_conversation(conversation)
    (question,) = questions
    asked_literally(question, f"“{HOSTILE}”")

    # The describe window: a folder whose name is markup, and the status of a run.
    window.open_describe([])
    panel = window.describe_controller.panel
    folder = tmp_path / HOSTILE
    folder.mkdir()
    panel.add_folder(folder)
    shows_literally(panel.notice, HOSTILE)
    panel._file_done(HOSTILE)
    shows_literally(panel.progress_label, HOSTILE)


def test_an_answers_error_shows_as_text(qtbot: Any) -> None:
    from desktop_app.qt.chat.markdown import MarkdownTheme
    from desktop_app.qt.chat.message_widget import MessageWidget

    message = SimpleNamespace(
        id=1, role="assistant", state="error", text="", images=(), error=HOSTILE, stats=None
    )
    widget = MessageWidget(message, lambda _sha: None, MarkdownTheme.light())
    qtbot.addWidget(widget)
    widget.set_message(message)
    shows_literally(widget.status, HOSTILE)


def test_the_model_manager_shows_names_and_errors_as_text(qtbot: Any, questions: list[str]) -> None:
    from desktop_app.qt.models.catalog_row import CatalogRow
    from desktop_app.qt.models.manager import ModelManager
    from desktop_app.qt.models.ollama_section import OllamaSection
    from desktop_app.qt.models.transfers import JobRegistry

    # Ollama: its error, a model it names, and the question before deleting that model.
    section = OllamaSection(None, JobRegistry(), [], lambda: None, lambda _id: None)
    qtbot.addWidget(section)
    section._list_failed(HOSTILE)
    shows_literally(section.status, HOSTILE)
    model = ModelInfo("m:1b", HOSTILE, capabilities=Capabilities(vision=True))
    section._fill([model])
    (name,) = [label for label in section.findChildren(QLabel, "RowTitle")]
    shows_literally(name, HOSTILE)
    section.delete(model)
    asked_literally(questions[-1], HOSTILE)

    # A catalog row: what the catalog says, a download's error.
    paths = app_paths().ensure()
    library = ModelLibrary(paths, load_catalog())
    laptop = Resources(total_memory=16 * GIB, available_memory=12 * GIB, free_disk=None)
    status = library.status(load_catalog().entries[0].id, laptop)
    entry = dataclasses.replace(status.entry, name=HOSTILE, good_for=HOSTILE)
    row = CatalogRow(dataclasses.replace(status, entry=entry), recommended=False)
    qtbot.addWidget(row)
    shows_literally(row.title, HOSTILE)
    shows_literally(row.details, HOSTILE)
    row.status = dataclasses.replace(row.status, installed=None, partial_bytes=0)
    row.status = dataclasses.replace(row.status, ollama_name=HOSTILE)
    row.state_line.setText(row._state_text())
    shows_literally(row.state_line, HOSTILE)
    row.finish(error=HOSTILE)
    shows_literally(row.error, HOSTILE)
    row.progress.busy(HOSTILE)
    shows_literally(row.progress_label, HOSTILE)

    # The manager's line about this computer (or the error reading it).
    manager = ModelManager(library, None, JobRegistry(), lambda: None, lambda *_a: None)
    qtbot.addWidget(manager)
    manager.machine.setText(HOSTILE)
    shows_literally(manager.machine, HOSTILE)


def test_the_many_images_question_names_the_model_as_text(qtbot: Any) -> None:
    from desktop_app.qt.describe.offer import DescribeOffer

    parent = QWidget()
    qtbot.addWidget(parent)
    offer = DescribeOffer(30, from_folder=True, model_name=HOSTILE, parent=parent)
    label = offer.findChild(QLabel, "qt_msgbox_informativelabel")
    assert label is not None
    shows_literally(label, HOSTILE)


def test_no_question_box_takes_data_as_html() -> None:
    """Every confirmation goes through ``ask``, which escapes what it is given; a direct
    ``QMessageBox.question(…)`` with a name in it would take the name as HTML."""
    direct = re.compile(r"QMessageBox\.(question|warning|information|critical)\(")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "desktop_app" / "qt").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if direct.search(line) and path.name != "plain.py"
    ]
    assert offenders == []


def test_the_first_run_card_names_the_model_as_text(qtbot: Any) -> None:
    from desktop_app.core.models.first_run import FirstRunPlan
    from desktop_app.qt.models.first_run_panel import FirstRunHooks, FirstRunPanel
    from desktop_app.qt.models.transfers import JobRegistry

    def never(*_args: Any) -> Any:
        raise AssertionError("not asked in this test")

    hooks = FirstRunHooks(library=never, use=never, dismiss=never, open_manager=never, status=never)
    panel = FirstRunPanel(hooks, JobRegistry())
    qtbot.addWidget(panel)
    model = ModelInfo("/m.gguf", HOSTILE, capabilities=Capabilities(vision=True))
    panel._show_plan(FirstRunPlan("local-vision", "llama-cpp", model, None, None), None, None)
    shows_literally(panel.body, HOSTILE)


def tip_rendered(tip: str) -> str:
    """A tooltip as Qt shows it: its tip label takes the text as AutoText."""
    label = QLabel(tip)
    return rendered(label)


def test_tooltips_that_carry_data_show_it_as_text(qtbot: Any, tmp_path: Path) -> None:
    """A tooltip is shown by a label of Qt's own, which guesses the format like AutoText.
    The describe table's tooltip holds the model's answer (which an image can steer), the
    sidebar's the chat's text, the picker's a model's path, others file or model names."""
    from desktop_app.core.describe.output import DescribeRow
    from desktop_app.core.models.first_run import FirstRunPlan
    from desktop_app.qt.chat.composer import PendingImage
    from desktop_app.qt.chat.sidebar import Sidebar
    from desktop_app.qt.common.theme import LIGHT
    from desktop_app.qt.describe.table import COL_FILE, COL_TEXT, ResultsTable
    from desktop_app.qt.models.catalog_row import CatalogRow
    from desktop_app.qt.models.first_run_panel import FirstRunHooks, FirstRunPanel
    from desktop_app.qt.models.ollama_section import OllamaSection
    from desktop_app.qt.models.picker import ModelPicker
    from desktop_app.qt.models.transfers import JobRegistry

    table = ResultsTable(LIGHT)
    qtbot.addWidget(table)
    path = tmp_path / HOSTILE
    table.add_paths([path])
    row = table.set_result(DescribeRow(str(path), "0" * 64, 1, 1, "m", "p", HOSTILE, 1.0, ""), None)
    for column in (COL_TEXT, COL_FILE):
        item = table.item(row, column)
        assert item is not None and HOSTILE in tip_rendered(item.toolTip())

    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.set_conversations([SimpleNamespace(id=1, title=HOSTILE)], None)
    assert HOSTILE in tip_rendered(sidebar.list.item(0).toolTip())

    picker = ModelPicker()
    qtbot.addWidget(picker)
    picker.set_models([ModelInfo(f"/models/{HOSTILE}.gguf", "m")], None)
    tip = picker.combo.itemData(0, Qt.ItemDataRole.ToolTipRole)
    assert HOSTILE in tip_rendered(tip)

    section = OllamaSection(None, JobRegistry(), [], lambda: None, lambda _id: None)
    qtbot.addWidget(section)
    section._fill([ModelInfo("m:1b", HOSTILE)])
    tips = [b.toolTip() for b in section.findChildren(QPushButton) if b.text() in ("Use", "Delete")]
    assert len(tips) == 2 and all(HOSTILE in tip_rendered(t) for t in tips), tips

    def never(*_args: Any) -> Any:
        raise AssertionError("not asked in this test")

    hooks = FirstRunHooks(library=never, use=never, dismiss=never, open_manager=never, status=never)
    panel = FirstRunPanel(hooks, JobRegistry())
    qtbot.addWidget(panel)
    model = ModelInfo("/m.gguf", HOSTILE, capabilities=Capabilities(vision=True))
    panel._show_plan(FirstRunPlan("local-vision", "llama-cpp", model, None, None), None, None)
    assert HOSTILE in tip_rendered(panel.primary.toolTip())

    image = normalize_image(png_bytes((1, 2, 3), size=(8, 8)), name="x.png")
    pending = PendingImage(image, HOSTILE)
    qtbot.addWidget(pending)
    tips = [w.toolTip() for w in pending.findChildren(QWidget) if w.toolTip()]
    assert len(tips) == 2 and all(HOSTILE in tip_rendered(t) for t in tips), tips

    library = ModelLibrary(app_paths().ensure(), load_catalog())
    status = library.status(load_catalog().entries[0].id, None)
    entry = dataclasses.replace(status.entry, chat_format=HOSTILE)
    catalog_row = CatalogRow(dataclasses.replace(status, entry=entry), recommended=False)
    qtbot.addWidget(catalog_row)
    assert HOSTILE in tip_rendered(catalog_row.details.toolTip())
