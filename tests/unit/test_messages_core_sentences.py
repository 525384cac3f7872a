"""The core's sentences reach a Chinese reader whole (issue 19): images, chat import and
session, describe, downloads.

Each test drives a real code path to a real refusal (a truncated PNG, a PDF named .jpg, a
broken chat export, a download whose sha256 does not match, a refused loopback port) and
renders what was raised with a ``Catalog`` of this module's translations, the way the CLI
does: no English may be left but names (files, hosts, formats).  A sentence built with an
f-string, or a value that is English text rather than a ``message``, fails here.

Describe's result rows are data: their ``error`` stays English whatever the language, while
the row still carries the ``message`` the window translates.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from PIL import Image

from backends.base import Backend, BackendError, CancelToken, GenerationOptions
from backends.messages import Message, sentence_of
from desktop_app.cli import i18n as cli_i18n
from desktop_app.core.chat.export import EXPORT_FORMAT
from desktop_app.core.chat.import_chat import ImportFailed, read_export
from desktop_app.core.chat.session import ChatSession
from desktop_app.core.describe.output import OutputFileError, RowWriter, read_rows
from desktop_app.core.describe.run import (
    DescribeError,
    DescribeJob,
    WorkItem,
    describe_one,
    file_sha256,
    find_images,
)
from desktop_app.core.downloads.errors import (
    ChecksumMismatch,
    InsecureURL,
    NetworkError,
    UnsafeFileName,
)
from desktop_app.core.downloads.fetch import Downloader, FileRequest
from desktop_app.core.downloads.hub import check_url
from desktop_app.core.i18n import Catalog
from desktop_app.core.images import ImageError, ImagePolicy, normalize_image
from desktop_app.core.store.database import Store
from tests.helpers.hf_server import HubFile, hub_server

#: The translations of the sentences these tests reach (as the lead merges them into the .ts).
ZH: dict[str, str] = {
    "{name} is damaged or truncated.": "{name} 已损坏或不完整。",
    "{name} is not an image: it looks like {description}.": (
        "{name} 不是图片，看起来是{description}。"
    ),
    "a PDF document": "一份 PDF 文档",
    "a text file": "一个文本文件",
    "{name} is empty (0 bytes), so there is no image in it.": (
        "{name} 是空文件（0 字节），里面没有图片。"
    ),
    "{name} was not found; it may have been moved or deleted.": (
        "找不到 {name}，它可能已被移动或删除。"
    ),
    "{name} is a folder, not an image.": "{name} 是文件夹，不是图片。",
    "{name} is too large to open safely ({size} MB; the limit is {limit} MB).": (
        "{name} 太大，无法安全打开（{size} MB，上限为 {limit} MB）。"
    ),
    "{name} is too long and thin for vision models ({width}×{height}, more than {ratio}:1); "
    "crop it into smaller pieces first.": (
        "{name} 过于细长，视觉模型无法处理（{width}×{height}，长宽比超过 {ratio}:1）；"
        "请先把它裁成几小块。"
    ),
    "{name} is an SVG drawing, which LocalSight cannot read; convert it to PNG or JPEG first.": (
        "{name} 是一幅 SVG 矢量图，LocalSight 无法读取；请先转换为 PNG 或 JPEG。"
    ),
    "{name} is {description}, which LocalSight cannot read; convert it to PNG or JPEG first.": (
        "{name} 是{description}，LocalSight 无法读取；请先转换为 PNG 或 JPEG。"
    ),
    "an SVG drawing": "一幅 SVG 矢量图",
    "The image": "图片",
    "{name} is not a LocalSight chat export (it has no “format”: “{format}”).": (
        "{name} 不是 LocalSight 的对话导出文件（其中没有“format”：“{format}”）。"
    ),
    "{name} is not valid JSON ({reason}).": "{name} 不是有效的 JSON（{reason}）。",
    "conversation {number}": "第 {number} 个对话",
    "message {number} of {where}": "{where}的第 {number} 条消息",
    "image {number} of {where}": "{where}的第 {number} 张图片",
    "{where}'s created_at": "{where}的 created_at 字段",
    "The export's {where} is not a time ({value}).": "导出文件中{where}不是时间（{value}）。",
    "The export's {where} cannot be used: {reason}": "导出文件中{where}无法使用：{reason}",
    "The export's {where} ({file}) is missing.": "导出文件中{where}（{file}）不存在。",
    "There is nothing to answer yet: send a message first.": (
        "还没有可回答的内容：请先发送一条消息。"
    ),
    "{path} does not exist.": "{path} 不存在。",
    "{path} is not a describe result file ({why}); choose another --out.": (
        "{path} 不是描述结果文件（{why}）；请用 --out 指定其他文件。"
    ),
    "its first line is not a result row": "第一行不是结果行",
    "{name} arrived damaged (got sha256 {got}… and {size} bytes, expected sha256 {expected}…). "
    "The bad copy was deleted; download it again.": (
        "{name} 下载后已损坏（收到 sha256 {got}…，{size} 字节；应为 sha256 {expected}…）。"
        "损坏的副本已删除，请重新下载。"
    ),
    "The hub's {name} (sha256 {hub}…) is not the file LocalSight's catalog expects "
    "(sha256 {catalog}…); nothing was downloaded. The repository changed: update LocalSight.": (
        "服务器上的 {name}（sha256 {hub}…）不是 LocalSight 模型目录所要求的文件"
        "（sha256 {catalog}…）；未下载任何内容。该仓库已有变动：请更新 LocalSight。"
    ),
    "{host} refused the connection: the server is not running or blocks it. Try again later.": (
        "{host} 拒绝了连接：服务器未运行或阻止了连接。请稍后重试。"
    ),
    "Refusing to download from {url}: model downloads use https only (plain http is allowed "
    "only to this computer's own loopback address). Check HF_ENDPOINT.": (
        "拒绝从 {url} 下载：模型只通过 https 下载（仅在连接本机的回环地址时允许使用普通 "
        "http）。请检查 HF_ENDPOINT。"
    ),
    "Refusing to download: {what} could name another file ({problem}); nothing was "
    "downloaded. Update LocalSight's catalog or fix the name.": (
        "拒绝下载：{what} 可能指向其他文件（{problem}）；未下载任何内容。"
        "请更新 LocalSight 的模型目录，或修正名称。"
    ),
    "the repository {name}": "仓库 {name}",
    "it is not org/name": "它不是 org/name 格式",
}

CATALOG = Catalog({("Messages", english): (chinese,) for english, chinese in ZH.items()})
#: Latin words a Chinese sentence rightly keeps: product, format and protocol names.
NAMES = {
    "LocalSight", "PDF", "SVG", "PNG", "JPEG", "JSON", "HTTP", "http", "https", "HF_ENDPOINT",
    "sha256", "format", "created_at", "org", "name", "out", "MB",
}  # fmt: skip
CJK = re.compile(r"[\u3400-\u9fff]")
#: A word with a Latin letter in it; a hash's hex digits (``267ccbdc4e1d``) are a value.
LATIN_WORD = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*")
HEX = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*")


def chinese(sentence: object, *names: str) -> str:
    """``sentence`` as a Chinese reader sees it; fails when a word of English is left,
    other than ``names`` (the values: files, hosts) and the product and format names."""
    assert isinstance(sentence, Message), f"not a message: {sentence!r}"
    shown = CATALOG.shown(sentence)
    rest = shown
    for name in sorted(names, key=len, reverse=True):
        rest = rest.replace(name, " ")
    words = LATIN_WORD.findall(rest)
    english = [word for word in words if word not in NAMES and not HEX.fullmatch(word)]
    assert CJK.search(shown), shown
    assert not english, f"English left in {shown!r}: {english}"
    return shown


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# --- images ---------------------------------------------------------------------------------


def test_a_truncated_png_is_refused_in_chinese(tmp_path: Path) -> None:
    data = png_bytes((300, 200))
    path = tmp_path / "photo.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as caught:
        normalize_image(path)
    assert chinese(sentence_of(caught.value), "photo.png") == "photo.png 已损坏或不完整。"


@pytest.mark.parametrize(
    ("name", "content", "policy", "expected"),
    [
        ("scan.jpg", b"%PDF-1.7\n" + b"x" * 200, ImagePolicy(), "scan.jpg 不是图片，看起来是一份 PDF 文档。"),  # noqa: E501
        ("notes.png", b"words\n" * 10, ImagePolicy(), "notes.png 不是图片，看起来是一个文本文件。"),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', ImagePolicy(), None),
        ("empty.png", b"", ImagePolicy(), "empty.png 是空文件（0 字节），里面没有图片。"),
        ("big.png", png_bytes(), ImagePolicy(max_file_bytes=100), None),
        ("strip.png", png_bytes((2000, 10)), ImagePolicy(), None),
    ],
    ids=["pdf", "text", "svg", "empty", "too-big", "too-thin"],
)  # fmt: skip
def test_refused_files_are_refused_in_chinese(
    tmp_path: Path, name: str, content: bytes, policy: ImagePolicy, expected: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError) as caught:
        normalize_image(path, policy=policy)
    shown = chinese(sentence_of(caught.value), name, "http://www.w3.org/2000/svg")
    assert expected is None or shown == expected


def test_a_missing_file_a_folder_and_unnamed_bytes_are_refused_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as missing:
        normalize_image(tmp_path / "gone.jpg")
    assert (
        chinese(sentence_of(missing.value), "gone.jpg") == "找不到 gone.jpg，它可能已被移动或删除。"
    )
    (tmp_path / "album.png").mkdir()
    with pytest.raises(ImageError) as folder:
        normalize_image(tmp_path / "album.png")
    chinese(sentence_of(folder.value), "album.png")
    with pytest.raises(ImageError) as unnamed:  # bytes with no name: "The image" translated too
        normalize_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    assert chinese(sentence_of(unnamed.value)).startswith("图片")


# --- chat import and session ------------------------------------------------------------------


def test_a_chat_export_that_is_not_json_is_refused_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "chats.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        read_export(path)
    error = caught.value
    reason = str(error.__cause__)  # the parser's own words are a value, like a path
    chinese(sentence_of(error), "chats.json", reason)
    other = tmp_path / "other.json"
    other.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ImportFailed) as foreign:
        read_export(other)
    chinese(sentence_of(foreign.value), "other.json", EXPORT_FORMAT)


def _export(folder: Path, message: dict[str, object]) -> Path:
    document = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "conversations": [
            {"title": "t", "created_at": "2025-01-31T12:00:00+00:00", "messages": [message]}
        ],
    }
    path = folder / "localsight-export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_where_an_export_is_wrong_is_said_in_chinese(tmp_path: Path) -> None:
    path = _export(tmp_path, {"role": "user", "text": "hi", "created_at": "yesterday"})
    with pytest.raises(ImportFailed) as caught:
        read_export(path)
    assert chinese(sentence_of(caught.value), "'yesterday'") == (
        "导出文件中第 1 个对话的第 1 条消息的 created_at 字段不是时间（'yesterday'）。"
    )


def test_a_damaged_image_in_an_export_is_refused_in_chinese(tmp_path: Path) -> None:
    data = png_bytes((120, 80))
    data = data[: len(data) - 30]  # cut: the PNG magic is there, the pixels are not
    sha = hashlib.sha256(data).hexdigest()
    (tmp_path / "images").mkdir()
    file = f"images/{sha}.png"
    (tmp_path / file).write_bytes(data)
    image = {"sha256": sha, "mime": "image/png", "file": file}
    message = {"role": "user", "text": "hi", "created_at": "2025-01-31T12:00:00+00:00"}
    path = _export(tmp_path, {**message, "images": [image]})
    with pytest.raises(ImportFailed) as caught:
        read_export(path)
    assert chinese(sentence_of(caught.value), file) == (
        f"导出文件中第 1 个对话的第 1 条消息的第 1 张图片无法使用：{file} 已损坏或不完整。"
    )
    (tmp_path / file).unlink()
    with pytest.raises(ImportFailed) as missing:
        read_export(path)
    chinese(sentence_of(missing.value), file)


def test_a_session_with_nothing_to_answer_says_so_in_chinese(tmp_path: Path) -> None:
    with Store.open(tmp_path / "chats.sqlite3") as store:
        session = ChatSession(store, cast(Backend, None), store.create_conversation(), model="m")
        with pytest.raises(BackendError) as caught:
            session.regenerate()
    chinese(sentence_of(caught.value))


# --- describe -----------------------------------------------------------------------------------


@pytest.fixture
def chinese_cli() -> Iterator[None]:
    """The CLI speaking Chinese (the committed translation), as ``localsight describe`` would
    under ``LANG=zh_CN.UTF-8``; English again afterwards."""
    cli_i18n.use_language("zh_CN")
    try:
        yield
    finally:
        cli_i18n.use_language("en")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.usefixtures("chinese_cli")
def test_a_describe_row_error_stays_english_in_the_file(tmp_path: Path, fmt: str) -> None:
    """The window shows the row's error in Chinese; the results file holds it in English."""
    image = tmp_path / "broken.png"
    data = png_bytes((300, 200))
    image.write_bytes(data[: len(data) // 2])
    job = DescribeJob("m", "Describe.", GenerationOptions(), ImagePolicy())
    row = describe_one(cast(Backend, None), WorkItem(image, file_sha256(image)), job, CancelToken())
    assert row is not None
    assert row.error == "broken.png is damaged or truncated."
    assert chinese(row.error, "broken.png") == "broken.png 已损坏或不完整。"
    out = tmp_path / f"results.{fmt}"
    writer = RowWriter(out, fmt)  # type: ignore[arg-type]
    writer.write(row)
    writer.close()
    written = out.read_text(encoding="utf-8")
    assert "broken.png is damaged or truncated." in written
    assert not CJK.search(written)
    assert [r.error for r in read_rows(out, fmt)] == ["broken.png is damaged or truncated."]  # type: ignore[arg-type]


def test_describe_refusals_are_in_chinese(tmp_path: Path) -> None:
    gone = tmp_path / "holiday"
    with pytest.raises(DescribeError) as missing:
        find_images([gone], recursive=False)
    assert chinese(sentence_of(missing.value), str(gone)) == f"{gone} 不存在。"
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("my shopping list\n", encoding="utf-8")
    with pytest.raises(OutputFileError) as caught:
        read_rows(foreign, "jsonl")
    chinese(sentence_of(caught.value), str(foreign))


# --- downloads ----------------------------------------------------------------------------------

REPO = "ggml-org/Tiny-GGUF"


def test_a_download_whose_sha256_does_not_match_is_refused_in_chinese(tmp_path: Path) -> None:
    with hub_server() as (url, state):
        state.add(REPO, "tiny.gguf", HubFile(b"\x01" * 70_000, wrong_sha=True))
        target = FileRequest(REPO, "main", "tiny.gguf", tmp_path / "tiny.gguf")
        with Downloader(endpoint=url, retry_delay_s=0) as downloader:
            with pytest.raises(ChecksumMismatch) as caught:
                downloader.download([target])
            chinese(sentence_of(caught.value), "tiny.gguf")
            pinned = FileRequest(REPO, "main", "tiny.gguf", tmp_path / "b.gguf", "0" * 64)
            with pytest.raises(ChecksumMismatch) as catalog:
                downloader.download([pinned])
            chinese(sentence_of(catalog.value), "tiny.gguf")


def test_a_refused_connection_is_explained_in_chinese() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    host = f"127.0.0.1:{port}"
    downloader = Downloader(endpoint=f"http://{host}", retries=0, retry_delay_s=0)
    with downloader, pytest.raises(NetworkError) as caught:
        downloader.remote_file(REPO, "main", "tiny.gguf")
    assert chinese(sentence_of(caught.value), host).startswith(f"{host} 拒绝了连接")


def test_unsafe_addresses_and_names_are_refused_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(InsecureURL) as insecure:
        check_url("http://mirror.example/models")
    chinese(sentence_of(insecure.value), "http://mirror.example/models")
    bad = FileRequest("a/b/c", "main", "tiny.gguf", tmp_path / "tiny.gguf")
    downloader = Downloader(endpoint="http://127.0.0.1:9", retry_delay_s=0)
    with downloader, pytest.raises(UnsafeFileName) as caught:
        downloader.download([bad])
    chinese(sentence_of(caught.value), "'a/b/c'")
