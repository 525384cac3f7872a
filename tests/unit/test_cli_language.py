"""``localsight`` in Chinese (issue 19): the human lines follow the language, the machine's never.

Real commands through ``desktop_app.cli.app.main``, in this process (so the translations can
be this file's, not the committed .ts the translators are still filling): real models, a
real loopback Ollama server, real image files.  Chinese is chosen the two ways a person
chooses it: ``LANG=zh_CN.UTF-8`` with Settings on "system", or Settings' language "zh_CN" on
an English system.  Each command is also run in English, and what a script reads --
``--json``, ``--stats``, describe's JSONL and CSV -- must be the same bytes either way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends.llama_cpp import LlamaCppBackend
from backends.messages import MESSAGES_CONTEXT, message
from desktop_app.cli.app import choose_language, main
from desktop_app.cli.i18n import cells, clip, pad, use_language
from desktop_app.core.describe.output import FIELDS
from desktop_app.core.i18n import CHINESE, TRANSLATIONS_DIR, Catalog
from desktop_app.core.models.catalog import load_catalog
from desktop_app.core.models.fit import GIB, Resources
from desktop_app.core.settings import Settings, app_paths
from tests.helpers.hf_server import HubFile, hub_server
from tests.helpers.images import png_bytes
from tests.helpers.ollama_server import PULLABLE_MODEL, OllamaServer, build_test_server

#: The CLI's sentences these tests read, as translated for issue 19 (context CommandLine).
ZH: dict[str, str] = {
    "localsight: error: {error}": "localsight：错误：{error}",
    "localsight: warning: {warning}": "localsight：警告：{warning}",
    "localsight: note: Ollama is not running; its server's models are not listed.": (
        "localsight：提示：Ollama 未运行，未列出其服务器上的模型。"
    ),
    "--mmproj needs --model: give the language model file too.": (
        "--mmproj 需要配合 --model：请同时指定语言模型文件。"
    ),
    "Only Ollama pulls models: add --backend ollama. The llama.cpp backend runs the .gguf "
    "files in your models folder.": (
        "只有 Ollama 能拉取模型：请加上 --backend ollama。llama.cpp 后端运行的是模型文件夹中的 "
        ".gguf 文件。"
    ),
    "must be from 1 to {maximum}": "必须在 1 到 {maximum} 之间",
    "describe images that failed before again": "重新描述之前失败的图片",
    "describe every image under folders into a JSONL/CSV file (resumable)": (
        "描述文件夹中的每张图片，写入 JSONL/CSV 文件（可续做）"
    ),
    "localsight: %n image(s): {done} already in {path}, {todo} to describe.": (
        "localsight：共 %n 张图片：{done} 张已在 {path} 中，{todo} 张待描述。"
    ),
    "localsight: done: {described} described, {copied} copied from identical files, "
    "{errors}, {skipped} already done; results in {path}.": (
        "localsight：完成：描述 {described} 张，从相同文件复制 {copied} 张，{errors}，"
        "此前已完成 {skipped} 张；结果在 {path}。"
    ),
    "localsight: stopping after this image (Ctrl+C again to stop now).": (
        "localsight：处理完这张图片后停止（再按 Ctrl+C 立即停止）。"
    ),
    "%n error(s)": "%n 个错误",
    "This machine: {memory} memory, {free} free now; {disk} free disk for models.": (
        "这台电脑：内存 {memory}，当前可用 {free}；模型磁盘可用 {disk}。"
    ),
    "NAME": "名称",
    "DOWNLOAD": "下载",
    "MEMORY": "内存",
    "FIT": "适配",
    "STATUS": "状态",
    "BACKEND": "后端",
    "CAN": "能力",
    "SIZE": "大小",
    "WHERE": "位置",
    "not downloaded": "未下载",
    "built in": "内置",
    "text": "文本",
    "vision": "视觉",
    "* recommended here. Get it: localsight models download {id}": (
        "* 为这台电脑推荐。下载：localsight models download {id}"
    ),
    "{name} is not downloaded; nothing to remove.": "{name} 未下载，无需移除。",
    "Downloaded {name} (sha256 verified) into {folder}": (
        "已下载 {name}（sha256 校验通过），位于 {folder}"
    ),
    'Try it: localsight ask --model {path} --image PHOTO "Describe this image."': (
        '试试：localsight ask --model {path} --image PHOTO "Describe this image."'
    ),
    "{file}: checking sha256…": "{file}：正在校验 sha256…",
    "ETA": "剩余",
    "Removed {name} ({size} freed).": "已移除 {name}（释放 {size}）。",
    "installed ({location})": "已安装（{location}）",
    "models folder": "模型文件夹",
    "localsight: note: the chat history was damaged; it was moved to {path} (not deleted) "
    "and a new one was started.": (
        "localsight：提示：对话记录已损坏，已移到 {path}（未删除），并新建了一份。"
    ),
    "Pulled {name}.": "已拉取 {name}。",
    "Deleted {name}.": "已删除 {name}。",
    "localsight: there are no saved conversations to export.": (
        "localsight：没有可导出的已保存对话。"
    ),
}

#: A sentence from the backends, for the lines that show one (``shown``).
WARNING = "Ollama at {host} is reached over plain http."
WARNING_ZH = "通过明文 http 连接 {host} 上的 Ollama。"

CATALOG = Catalog(
    {
        **{("CommandLine", source): (text,) for source, text in ZH.items()},
        (MESSAGES_CONTEXT, WARNING): (WARNING_ZH,),
    }
)

#: Memory and disk as a fixed machine: the catalog's verdicts (in ``--json`` too) are the
#: same in both runs, whatever the machine's free memory does between them.
MACHINE = Resources(total_memory=16 * GIB, available_memory=12 * GIB, free_disk=500 * 10**9)


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """The CLI's language is process-wide: the next test starts in English."""
    yield
    use_language("en")


@pytest.fixture(autouse=True)
def chinese_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinese is ``CATALOG`` (the language is still chosen by ``main``, from the settings
    and the environment); the committed .ts is read by the window's own tests."""

    def for_language(
        cls: type[Catalog], language: str, folder: Path = TRANSLATIONS_DIR
    ) -> Catalog | None:
        return CATALOG if language == CHINESE else None

    monkeypatch.setattr(Catalog, "for_language", classmethod(for_language))
    monkeypatch.setattr(Resources, "probe", classmethod(lambda cls, folder=None: MACHINE))


def _speak(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The language a person chose: "en", or Chinese by "environment" or by "settings"."""
    system = "zh_CN.UTF-8" if how == "environment" else "en_US.UTF-8"
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.setenv(name, system)
    paths = app_paths().ensure()
    Settings(language="zh_CN" if how == "settings" else "system").save(paths.settings_path)


@pytest.fixture(params=["environment", "settings"])
def chinese(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    _speak(monkeypatch, request.param)
    return str(request.param)


def _run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    """``localsight *argv``'s (stdout, stderr); it must exit with ``code``."""
    capsys.readouterr()
    try:
        returned = main(list(argv))
    except SystemExit as exit_:  # argparse: --help, a usage error
        returned = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert returned == code, out + err
    return out, err


def _both(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    *argv: str,
    code: int = 0,
) -> tuple[tuple[str, str], tuple[str, str]]:
    """The same command in Chinese (chosen ``how``), then in English."""
    _speak(monkeypatch, how)
    chinese = _run(capsys, *argv, code=code)
    _speak(monkeypatch, "en")
    english = _run(capsys, *argv, code=code)
    return chinese, english


def _tiny_vlm_args(tiny_vlm: tuple[Path, Path]) -> list[str]:
    return ["--model", str(tiny_vlm[0]), "--mmproj", str(tiny_vlm[1])]


# -- the table helpers ------------------------------------------------------------------------


def test_wide_characters_take_two_columns() -> None:
    assert cells("STATUS") == 6 and cells("状态") == 4 and cells("（Q4）") == 6
    assert cells("e\u0301") == 1  # a combining accent takes no column
    assert pad("名称", 6) == "名称  " and pad("下载", 6, ">") == "  下载"
    assert pad("名称很长的模型", 4) == "名称很长的模型"  # longer: left as it is, like format
    assert clip("模型名称", 5) == "模型" and clip("model", 3) == "mod"


# -- models catalog, remove -------------------------------------------------------------------


def test_catalog_table_is_chinese_and_aligned_and_its_json_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], chinese: str
) -> None:
    (table, _), (english_table, _) = _both(monkeypatch, capsys, chinese, "models", "catalog")
    lines = table.splitlines()
    assert lines[0] == "这台电脑：内存 16.0 GB，当前可用 12.0 GB；模型磁盘可用 500.0 GB。"
    header = lines[2]
    assert header.split() == ["ID", "名称", "下载", "内存", "适配", "状态"]
    rows = [line for line in lines[3:] if line.endswith("未下载")]
    assert len(rows) >= 5, table
    # Every column lines up with its English one, counted in terminal columns: the
    # right-aligned ones (sizes) by their end, the others by their start.
    english_header = english_table.splitlines()[2]
    for word, english_word in (("下载", "DOWNLOAD"), ("内存", "MEMORY")):
        end = cells(header[: header.index(word) + len(word)])
        assert end == english_header.index(english_word) + len(english_word)
    for word, english_word in (("名称", "NAME"), ("适配", "FIT"), ("状态", "STATUS")):
        assert cells(header[: header.index(word)]) == english_header.index(english_word)
    status_column = cells(header[: header.index("状态")])
    for row in rows:
        assert cells(row[: row.rindex("未下载")]) == status_column, row
    recommended = next(line for line in lines if line.startswith("* "))
    assert recommended.startswith("* 为这台电脑推荐。下载：localsight models download ")
    assert english_header == (
        "ID              NAME             DOWNLOAD  MEMORY  FIT           STATUS"
    )
    assert "* recommended here. Get it: localsight models download " in english_table

    (as_json, _), (english_json, _) = _both(
        monkeypatch, capsys, chinese, "models", "catalog", "--json"
    )
    assert as_json == english_json
    assert {row["location"] for row in json.loads(as_json)} == {None}


def test_remove_and_download_lines_are_chinese(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], chinese: str
) -> None:
    (out, _), (english, _) = _both(monkeypatch, capsys, chinese, "models", "remove", "smolvlm-500m")
    assert out == "SmolVLM 500M 未下载，无需移除。\n"
    assert english == "SmolVLM 500M is not downloaded; nothing to remove.\n"


def test_download_and_remove_lines_are_chinese(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    tiny_vlm: tuple[Path, Path],
    localsight_home: Path,
) -> None:
    """The real catalog entry, served by the loopback hub with the tiny pair's bytes."""
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    entry = load_catalog().get("smolvlm-500m")
    folder = localsight_home / "data" / "models" / "smolvlm-500m"
    with hub_server() as (url, state):
        monkeypatch.setenv("HF_ENDPOINT", url)
        for catalog_file, file in zip(entry.files, tiny_vlm, strict=True):
            state.add(entry.repo, catalog_file.filename, HubFile(file.read_bytes()))
        _speak(monkeypatch, chinese)
        out, progress = _run(capsys, "models", "download", "smolvlm-500m")
    model = folder / entry.model_file.filename
    assert out == (
        f"已下载 SmolVLM 500M（sha256 校验通过），位于 {folder}\n"
        f'试试：localsight ask --model {model} --image PHOTO "Describe this image."\n'
    )
    assert "100%" in progress and "剩余" in progress and "ETA" not in progress
    assert f"{entry.model_file.filename}：正在校验 sha256…" in progress.splitlines()

    table, _ = _run(capsys, "models", "catalog")
    assert "已安装（模型文件夹）" in table
    removed, _ = _run(capsys, "models", "remove", "smolvlm-500m")
    assert removed.startswith("已移除 SmolVLM 500M（释放 ") and removed.endswith(" MB）。\n")
    assert not folder.exists()


# -- models list, every backend ---------------------------------------------------------------


def test_every_backend_list_is_chinese_and_its_json_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], chinese: str
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # nothing listens: "not running"
    (table, note), (english, english_note) = _both(monkeypatch, capsys, chinese, "models")
    header, smollm2 = table.splitlines()[:2]
    assert header.split() == ["名称", "后端", "能力", "大小", "位置", "ID"]
    assert "文本" in smollm2.split() and "内置" in smollm2.split()
    assert cells(smollm2[: smollm2.index("内置")]) == cells(header[: header.index("位置")])
    assert cells(smollm2[: smollm2.index("/")]) == cells(header[: header.index("ID")])
    assert note == "localsight：提示：Ollama 未运行，未列出其服务器上的模型。\n"
    assert english.splitlines()[0] == (
        "NAME                                 BACKEND   CAN          SIZE  WHERE               ID"
    )
    assert "built in" in english and "text" in english.split()
    assert english_note == (
        "localsight: note: Ollama is not running; its server's models are not listed.\n"
    )

    (as_json, _), (english_json, _) = _both(monkeypatch, capsys, chinese, "models", "--json")
    assert as_json == english_json
    assert json.loads(as_json)[0]["location"] == "built in"


# -- Ollama: pull, delete, list --json ------------------------------------------------------


@pytest.fixture(scope="module")
def ollama(smollm2: Path, tiny_vlm: tuple[Path, Path]) -> Iterator[OllamaServer]:
    llama = LlamaCppBackend(include_embedded=False)
    server = build_test_server(llama, smollm2=smollm2, tiny_vlm=tiny_vlm, broken=tiny_vlm[1])
    with server:
        yield server
    llama.close()


def test_pull_and_delete_say_so_in_chinese_and_list_json_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    ollama: OllamaServer,
) -> None:
    host = ["--backend", "ollama", "--host", ollama.url]
    try:
        _speak(monkeypatch, chinese)
        pulled, progress = _run(capsys, "models", "pull", *host, PULLABLE_MODEL)
        assert pulled == f"已拉取 {PULLABLE_MODEL}。\n"
        assert "100%" in progress  # the bars: numbers and MB, as in English
        listed, _ = _run(capsys, "models", "list", *host)
        assert any(line.split()[1] == "视觉" for line in listed.splitlines()), listed
        assert any(line.split()[1] == "文本" for line in listed.splitlines()), listed
        deleted, _ = _run(capsys, "models", "delete", *host, PULLABLE_MODEL)
        assert deleted == f"已删除 {PULLABLE_MODEL}。\n"
    finally:
        ollama.remove(PULLABLE_MODEL)

    (as_json, _), (english_json, _) = _both(
        monkeypatch, capsys, chinese, "models", "list", *host, "--json"
    )
    assert as_json == english_json
    assert {"vision"} in [set(row["capabilities"]) for row in json.loads(as_json)]


# -- ask --------------------------------------------------------------------------------------


def test_ask_answer_and_stats_json_do_not_change_with_the_language(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    smollm2: Path,
) -> None:
    argv = ("ask", "Say hello.", "--model", str(smollm2), "--temperature", "0", "--seed", "1")
    (answer, stats), (english_answer, english_stats) = _both(
        monkeypatch, capsys, chinese, *argv, "--max-tokens", "8", "--stats"
    )
    assert answer == english_answer and answer.strip()
    chinese_line, english_line = json.loads(stats), json.loads(english_stats)
    assert list(chinese_line) == list(english_line)  # the same keys, in the same order
    for counter in ("prompt_tokens", "completion_tokens"):
        assert chinese_line[counter] == english_line[counter]


def test_option_errors_and_help_are_chinese(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], chinese: str
) -> None:
    (_, err), (_, english) = _both(
        monkeypatch, capsys, chinese, "ask", "hi", "--mmproj", "x.gguf", code=1
    )
    assert err == "localsight：错误：--mmproj 需要配合 --model：请同时指定语言模型文件。\n"
    assert (
        english == "localsight: error: --mmproj needs --model: give the language model file too.\n"
    )

    (_, err), (_, english) = _both(
        monkeypatch, capsys, chinese, "ask", "hi", "--threads", "0", code=2
    )
    assert err.splitlines()[-1].endswith("argument --threads: 必须在 1 到 512 之间")
    assert english.splitlines()[-1].endswith("argument --threads: must be from 1 to 512")

    (_, err), _ = _both(monkeypatch, capsys, chinese, "models", "pull", "gemma3:4b", code=1)
    assert err.startswith("localsight：错误：只有 Ollama 能拉取模型：请加上 --backend ollama。")

    (help_text, _), (english_help, _) = _both(monkeypatch, capsys, chinese, "describe", "--help")
    assert "重新描述之前失败的图片" in help_text
    assert help_text.startswith("usage: localsight describe")  # argparse's own word
    assert "describe images that failed before again" in english_help
    (top, _), _ = _both(monkeypatch, capsys, chinese, "--help")
    assert "描述文件夹中的每张图片，写入 JSONL/CSV 文件（可续做）" in top


def test_a_sentence_from_a_backend_is_shown_in_chinese(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], chinese: str
) -> None:
    """A backend's warning (a ``message``) goes through ``shown``, not ``str``."""
    from desktop_app.cli import common

    monkeypatch.setattr(
        common, "backend_warnings", lambda backend: [message(WARNING, host="http://pi:11434")]
    )
    (_, err), (_, english) = _both(
        monkeypatch, capsys, chinese, "ask", "hi", "--mmproj", "x.gguf", code=1
    )
    assert (
        err.splitlines()[0] == "localsight：警告：通过明文 http 连接 http://pi:11434 上的 Ollama。"
    )
    assert english.splitlines()[0] == (
        "localsight: warning: Ollama at http://pi:11434 is reached over plain http."
    )


# -- describe ---------------------------------------------------------------------------------


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "red.png").write_bytes(png_bytes((220, 20, 20)))
    (folder / "noise.png").write_bytes(png_bytes(noise=True))
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_describe_lines_are_chinese_and_its_rows_unchanged(  # noqa: PLR0917 (fixtures)
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    tiny_vlm: tuple[Path, Path],
    photos: Path,
    tmp_path: Path,
    fmt: str,
) -> None:
    results: dict[str, tuple[str, str]] = {}
    for how in (chinese, "en"):
        _speak(monkeypatch, how)
        out = tmp_path / f"{how}.{fmt}"
        argv = ["describe", str(photos), "--out", str(out), "--no-progress"]
        argv += [*_tiny_vlm_args(tiny_vlm), "--max-tokens", "4", "--temperature", "0"]
        printed, err = _run(capsys, *argv, "--seed", "1")
        assert printed == ""
        text = out.read_text(encoding="utf-8")
        # The rows, but for the time each took (it differs between any two runs).
        if fmt == "jsonl":
            rows = [json.loads(line) for line in text.splitlines()]
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
            assert list(rows[0]) == list(FIELDS)  # the columns, in their order
        for row in rows:
            row.pop("seconds")
        results[how] = (json.dumps(rows), err.replace(str(out), "OUT"))

    (written, err), (english_written, english_err) = results[chinese], results["en"]
    assert written == english_written
    broken = next(row for row in json.loads(written) if row["path"].endswith("broken.jpg"))
    assert broken["error"] and broken["error"].isascii()  # a row's error stays English
    assert err.splitlines() == [
        "localsight：共 3 张图片：0 张已在 OUT 中，3 张待描述。",
        "localsight：完成：描述 3 张，从相同文件复制 0 张，1 个错误，此前已完成 0 张；结果在 OUT。",
    ]
    assert english_err.splitlines() == [
        "localsight: 3 images: 0 already in OUT, 3 to describe.",
        "localsight: done: 3 described, 0 copied from identical files, 1 error, "
        "0 already done; results in OUT.",
    ]


def test_describe_ctrl_c_line_is_chinese(monkeypatch: pytest.MonkeyPatch, chinese: str) -> None:
    import signal

    from desktop_app.cli.describe import _InterruptFlags

    choose_language(app_paths())  # as main does before running describe
    err = io.StringIO()
    _InterruptFlags(err)._handle(signal.SIGINT, None)
    assert err.getvalue() == "\nlocalsight：处理完这张图片后停止（再按 Ctrl+C 立即停止）。\n"


# -- export -----------------------------------------------------------------------------------


def test_export_note_is_chinese(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    tmp_path: Path,
) -> None:
    (out, err), (english_out, english_err) = _both(
        monkeypatch, capsys, chinese, "export", "--out", str(tmp_path / "export")
    )
    assert out == english_out == ""
    assert err == "localsight：没有可导出的已保存对话。\n"
    assert english_err == "localsight: there are no saved conversations to export.\n"


def test_a_damaged_history_is_a_chinese_note(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    chinese: str,
    tmp_path: Path,
) -> None:
    _speak(monkeypatch, chinese)
    paths = app_paths().ensure()
    paths.database_path.parent.mkdir(parents=True, exist_ok=True)
    paths.database_path.write_bytes(b"this is not an SQLite database" * 100)
    _, err = _run(capsys, "export", "--out", str(tmp_path / "export"))
    first = err.splitlines()[0]
    assert first.startswith("localsight：提示：对话记录已损坏，已移到 "), err
    assert first.endswith("（未删除），并新建了一份。"), err
    assert str(paths.database_path.parent) in first
