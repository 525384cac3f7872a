"""docs/failures.md, item 4: hostile or huge images are refused clearly or normalised.

Every hostile file is built here, with Pillow or from raw bytes, inside ``tmp_path``; no binary
fixtures are committed. Each test asserts on real properties of the output (pixels, size,
bytes, metadata), so each can fail.
"""

from __future__ import annotations

import ast
import hashlib
import io
import struct
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import EpsImagePlugin, Image, ImageFile, ImageOps, features

from backends.base import ImageInput
from desktop_app.core import images
from desktop_app.core.images import (
    SUPPORTED_EXTENSIONS,
    ImageError,
    ImagePolicy,
    looks_like_image_path,
    make_thumbnail,
    normalize_image,
    supported_extensions,
)
from tests.helpers import REPO
from tests.helpers.hostile_images import patch_jpeg_size, striped_jpeg

RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


# --- helpers ---------------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def decode(result: ImageInput) -> Image.Image:
    image = Image.open(io.BytesIO(result.data))
    image.load()
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int) -> bool:
    return len(actual) == len(expected) and all(
        abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)
    )


def halves(size: tuple[int, int], left: Any, right: Any, mode: str = "RGB") -> Image.Image:
    """An image whose left half is ``left`` and right half is ``right``."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def gradient_rgb(size: tuple[int, int]) -> Image.Image:
    """Smooth content (compresses like a photo, not like a flat colour)."""
    ramp = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    return Image.merge("RGB", (ramp, radial, ImageOps.invert(ramp)))


def png_chunk(tag: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + tag
        + payload
        + struct.pack(">I", zlib.crc32(tag + payload))
    )


def bilevel_png(width: int, height: int) -> bytes:
    """A complete, valid 1-bit all-black PNG, streamed so it never exists decoded here.

    20000×20000 is 400 megapixels yet only tens of kilobytes: a real decompression bomb.
    """
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def exif_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def refuse(source: bytes | Path, **kwargs: Any) -> str:
    with pytest.raises(ImageError) as caught:
        normalize_image(source, **kwargs)
    return str(caught.value)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records any attempt to decode pixel data."""
    calls: list[str] = []
    original = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        calls.append(self.format or "?")
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


# --- decompression bombs, huge and degenerate sizes -------------------------------------------


def test_400_megapixel_png_bomb_is_refused_without_decoding(
    tmp_path: Path, no_decoding: list[str]
) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(bilevel_png(20_000, 20_000))
    assert path.stat().st_size < 200_000  # tiny on disk, 400 MP decoded

    message = refuse(path)

    assert "scan.png" in message
    assert message == (
        "scan.png is too large to open safely (400 megapixels, more than the 89 megapixels "
        "allowed); scale it down or save it as a JPEG first."
    )
    assert no_decoding == []


def test_bomb_between_pillow_warning_and_error_is_an_error(
    tmp_path: Path, no_decoding: list[str]
) -> None:
    # 100 MP: above Pillow's MAX_IMAGE_PIXELS (warning) but below 2x (error). The policy is
    # loosened so that only Pillow's warning, turned into an error, stands in the way.
    path = tmp_path / "poster.png"
    path.write_bytes(bilevel_png(10_000, 10_000))
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS < 100_000_000 < 2 * Image.MAX_IMAGE_PIXELS

    message = refuse(path, policy=ImagePolicy(max_pixels=10**10))

    assert "poster.png is too large to open safely" in message
    assert "100 megapixels" in message
    assert no_decoding == []


def test_policy_pixel_limit_checked_from_header(tmp_path: Path, no_decoding: list[str]) -> None:
    data = encode(Image.new("RGB", (2000, 2000), RED), "PNG")

    message = refuse(data, name="big.png", policy=ImagePolicy(max_pixels=1_000_000))

    assert message.startswith("big.png is too large to open safely")
    assert "4.0 megapixels" in message
    assert no_decoding == []
    # The same image within the default policy is fine.
    assert normalize_image(data).width == 1024


def test_crafted_gigapixel_ihdr_is_refused() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b"")

    message = refuse(data, name="bomb.png")

    assert message == (
        "bomb.png is too large to open safely (10000 megapixels, more than the 89 megapixels "
        "allowed); scale it down or save it as a JPEG first."
    )


@pytest.mark.parametrize("size", [(12_000, 9_000), (16_320, 12_240)], ids=["108MP", "200MP"])
def test_108_and_200_megapixel_phone_photos_are_shrunk_to_1024(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    # Issue 17, defect 7: refused before as over the pixel guard (89 MP). Decoded at 1/8 scale
    # by libjpeg they take 7 and 12.5 MB. Built a row of MCUs at a time (see striped_jpeg),
    # so the test never holds a 432 or 800 MB image itself.
    path = tmp_path / "phone.jpg"
    path.write_bytes(striped_jpeg(*size))
    pillow_limit = Image.MAX_IMAGE_PIXELS

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's own bomb warning must not be raised either
        result = normalize_image(path)

    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # Pillow's global limit is left as it was
    assert (result.width, result.height) == (1024, 768)
    assert result.mime == "image/jpeg"
    out = decode(result)
    # Scaled, not cropped: red grows from the top to the bottom, green from left to right.
    assert pixel(out, (512, 2))[0] < 40
    assert pixel(out, (512, 765))[0] > 215
    assert pixel(out, (2, 384))[1] < 40
    assert pixel(out, (1021, 384))[1] > 215


def test_jpeg_bombs_are_refused_by_the_memory_they_need(no_decoding: list[str]) -> None:
    # JPEG is not held to the pixel guard, since it decodes at 1/8 scale; the memory it needs
    # still refuses a header claiming JPEG's largest size (8192² decoded even at 1/8), and a
    # progressive 200 MP file (every DCT coefficient is kept at full size: 600 MB).
    small = encode(gradient_rgb((64, 48)), "JPEG")
    progressive = encode(gradient_rgb((64, 48)), "JPEG", progressive=True)

    huge = refuse(patch_jpeg_size(small, 65_535, 65_535), name="huge.jpg")
    deep = refuse(patch_jpeg_size(progressive, 16_320, 12_240), name="deep.jpg")

    assert huge == (
        "huge.jpg is too large to open safely (opening it would take 268 MB of memory, more "
        "than the 150 MB allowed); scale it down first."
    )
    assert deep.startswith("deep.jpg is too large to open safely (opening it would take 6")
    assert no_decoding == []


def test_formats_that_cannot_decode_smaller_keep_the_pixel_limit(no_decoding: list[str]) -> None:
    # A 95 MP grey PNG would fit the memory budget (95 MB), but nothing decodes a PNG at a
    # smaller scale; the same size as a JPEG is read at 1/8.
    header = struct.pack(">IIBBBBB", 11_000, 8_600, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")

    message = refuse(png, name="scan.png")

    assert message.startswith("scan.png is too large to open safely (95 megapixels, more than")
    assert no_decoding == []


#: Words a person cannot act on; none may appear in what an ImageError says.
JARGON = ("decompression", "bomb", "guard", "decod", "pillow", "libjpeg", "libtiff", "codec")


def user_facing_strings() -> list[str]:
    """The literal text of every ImageError the module builds (f-strings' literal parts)."""
    tree = ast.parse(Path(images.__file__).read_text(encoding="utf-8"))
    texts: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
            "ImageError",
            "error",
            "unreadable",
        ):
            for arg in node.args:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        texts.append(part.value)
    return texts


def test_refusal_messages_have_no_jargon() -> None:
    texts = user_facing_strings()

    assert len(texts) > 30  # the walk found the messages
    offending = [t for t in texts if any(word in t.lower() for word in JARGON)]
    assert not offending


def test_file_over_size_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    path.write_bytes(encode(gradient_rgb((200, 200)), "JPEG"))

    message = refuse(path, policy=ImagePolicy(max_file_bytes=100))

    assert message.startswith("huge.jpg is too large to open safely")
    assert "MB" in message


@pytest.mark.parametrize("size", [(20_000, 1), (1, 20_000), (2001, 100)])
def test_extreme_aspect_ratio_is_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "strip.png"
    path.write_bytes(encode(Image.new("L", size, 128), "PNG"))

    message = refuse(path)

    assert "strip.png is too long and thin" in message
    assert f"{size[0]}×{size[1]}" in message
    assert "20:1" in message


def test_aspect_ratio_at_the_limit_is_accepted() -> None:
    result = normalize_image(encode(Image.new("RGB", (2000, 100), RED), "PNG"))

    assert (result.width, result.height) == (1024, 51)
    assert near(pixel(decode(result), (500, 25)), RED, 0)


# --- memory: decoded bytes, not only pixels (issue 16, item 4) ---------------------------------


def test_decoded_bytes_are_checked_before_decoding(no_decoding: list[str]) -> None:
    # 4 MP is far inside the pixel guard, but RGBA costs Pillow 4 bytes a pixel: 16 MB.
    data = encode(Image.new("RGBA", (2000, 2000), RED), "PNG")

    message = refuse(data, name="poster.png", policy=ImagePolicy(max_decode_bytes=10_000_000))

    assert message == (
        "poster.png is too large to open safely (opening it would take 16 MB of memory, more "
        "than the 10 MB allowed); scale it down first."
    )
    assert no_decoding == []
    assert normalize_image(data).width == 1024  # the default budget has room for it


def test_grey_image_costs_a_quarter_of_rgba(no_decoding: list[str]) -> None:
    policy = ImagePolicy(max_decode_bytes=10_000_000)
    grey = encode(Image.new("L", (2000, 2000), 128), "PNG")  # 4 MB decoded

    assert normalize_image(grey, policy=policy).width == 1024
    assert set(no_decoding) == {"PNG"}


def test_webp_is_charged_for_libwebps_own_buffers(no_decoding: list[str]) -> None:
    # 1 MP: a lossless still WebP is decoded into the image (4 MB) through libwebp's own
    # ARGB buffer (4 MB more); an animated one through two canvases and a copy (16 MB).
    still = encode(Image.new("RGB", (1000, 1000), RED), "WEBP", lossless=True)
    frames = [Image.new("RGB", (1000, 1000), colour) for colour in (RED, BLUE)]
    animated = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    policy = ImagePolicy(max_decode_bytes=1_000_000)

    assert refuse(still, name="a.webp", policy=policy).startswith(
        "a.webp is too large to open safely (opening it would take 8 MB"
    )
    assert refuse(animated, name="a.webp", policy=policy).startswith(
        "a.webp is too large to open safely (opening it would take 16 MB"
    )
    assert no_decoding == []


def test_one_strip_tiff_is_charged_for_libtiffs_strip_buffer(no_decoding: list[str]) -> None:
    image = Image.new("RGB", (1000, 1000), RED)
    one_strip = encode(image, "TIFF", compression="tiff_adobe_deflate", strip_size=2**30)
    many_strips = encode(image, "TIFF", compression="tiff_adobe_deflate")
    policy = ImagePolicy(max_decode_bytes=6_000_000)  # 4 MB of pixels + a 3 MB strip: no

    assert "too large to open safely" in refuse(one_strip, policy=policy)
    assert no_decoding == []
    assert normalize_image(many_strips, policy=policy).width == 1000


def test_progressive_jpeg_decodes_at_a_smaller_scale_to_fit_the_budget() -> None:
    # A progressive JPEG keeps every DCT coefficient at full size whatever the scale (1600x1200
    # 4:2:0: 5.76 MB); the decoded pixels shrink with the scale (1:1 7.7 MB, 1:2 1.9 MB,
    # 1:4 0.5 MB). With 7 MB the largest scale that fits is 1:4; a baseline JPEG fits at 1:2.
    # Even at 1:8 the progressive one needs 5.9 MB.
    photo = gradient_rgb((1600, 1200))
    progressive = encode(photo, "JPEG", progressive=True, subsampling=2)
    baseline = encode(photo, "JPEG", subsampling=2)
    policy = ImagePolicy(max_decode_bytes=7_000_000)

    assert (normalize_image(progressive).width, normalize_image(baseline).width) == (1024, 1024)
    assert normalize_image(progressive, policy=policy).width == 400
    assert normalize_image(baseline, policy=policy).width == 800
    message = refuse(progressive, name="p.jpg", policy=ImagePolicy(max_decode_bytes=5_000_000))
    assert message.startswith("p.jpg is too large to open safely (opening it would take 5.9 MB")


def tiff_with_strip_offsets(count: int) -> bytes:
    """A 2-row, 8×2 grey raw TIFF whose strip offset and byte count lists hold ``count``
    entries: Pillow makes a Python tile for each before anything could check the image."""
    entries = [
        (256, 4, 1, 8),
        (257, 4, 1, 2),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, count, 0),  # offsets: filled in below
        (277, 3, 1, 1),
        (278, 4, 1, 1),
        (279, 4, count, 0),
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    offsets_at = 8 + ifd_size
    counts_at = offsets_at + 4 * count
    pixels_at = counts_at + 4 * count
    ifd = struct.pack("<H", len(entries))
    for tag, kind, n, inline in entries:
        value = {273: offsets_at, 279: counts_at}.get(tag, inline)
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        ifd += struct.pack("<HHI", tag, kind, n) + packed
    ifd += struct.pack("<I", 0)
    arrays = struct.pack("<I", pixels_at) * count + struct.pack("<I", 8) * count
    return b"II*\x00" + struct.pack("<I", 8) + ifd + arrays + b"\x80" * 16


def test_tiff_with_more_strips_than_rows_is_refused_before_pillow_parses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import TiffImagePlugin

    assert normalize_image(tiff_with_strip_offsets(2)).width == 8
    opened: list[int] = []
    original = TiffImagePlugin.TiffImageFile._open

    def spy(self: TiffImagePlugin.TiffImageFile) -> None:
        opened.append(1)
        original(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", spy)

    assert refuse(tiff_with_strip_offsets(200_000), name="scan.tif") == (
        "scan.tif is damaged or truncated."
    )
    assert opened == []


# --- damaged, disguised and refused files -----------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_damaged(tmp_path: Path, fmt: str) -> None:
    data = encode(gradient_rgb((640, 480)), fmt)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data[: len(data) // 2])

    assert refuse(path) == "photo.jpg is damaged or truncated."
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.fixture
def ghostscript_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records anything that would run Ghostscript or any other program."""
    calls: list[str] = []

    def record(what: str) -> Callable[..., Any]:
        def recorder(*args: Any, **kwargs: Any) -> Any:
            calls.append(what)
            raise AssertionError(f"{what} must never be called")

        return recorder

    monkeypatch.setattr(subprocess, "Popen", record("subprocess.Popen"))
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", record("EpsImagePlugin.Ghostscript"))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", record("EpsImageFile._open"))
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    return calls


def test_eps_renamed_png_never_reaches_ghostscript(
    tmp_path: Path, ghostscript_calls: list[str]
) -> None:
    eps = encode(Image.new("RGB", (32, 32), RED), "EPS")  # a real EPS, written by Pillow
    assert eps.startswith(b"%!PS")
    path = tmp_path / "x.png"
    path.write_bytes(eps)

    message = refuse(path)

    assert message.startswith("x.png is not an image: it looks like a PostScript")
    assert ghostscript_calls == []


def test_dos_eps_binary_header_is_refused(ghostscript_calls: list[str]) -> None:
    postscript = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    header = b"\xc5\xd0\xd3\xc6" + struct.pack("<IIIIII", 30, len(postscript), 0, 0, 0, 0)
    data = header + b"\xff\xff" + postscript

    message = refuse(data, name="chart.jpg")

    assert "chart.jpg is not an image" in message
    assert "PostScript" in message
    assert ghostscript_calls == []


def test_text_file_renamed_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("Shopping list:\n- milk\n- bread\n", encoding="utf-8")

    assert refuse(path) == "notes.jpg is not an image: it looks like a text file."


def test_pdf_and_svg_are_named(tmp_path: Path) -> None:
    pdf = encode(Image.new("RGB", (16, 16), RED), "PDF")
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'

    assert "looks like a PDF document" in refuse(pdf, name="invoice.png")
    assert refuse(svg, name="logo.png").startswith("logo.png is an SVG drawing")


def test_heic_without_plugin_says_what_is_missing(tmp_path: Path) -> None:
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is registered here")
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    data = struct.pack(">I", 8 + len(ftyp)) + ftyp + b"\x00" * 64
    path = tmp_path / "holiday.heic"
    path.write_bytes(data)

    assert refuse(path) == (
        "holiday.heic is a HEIC photo, which this installation of LocalSight cannot read; "
        "convert it to JPEG first."
    )


def _refused_formats() -> list[str]:
    """Formats Pillow both writes and reads, but LocalSight must not (EPS, PDF: above)."""
    formats = ["ICO", "PPM", "TGA", "PCX", "SGI", "DDS", "QOI", "MSP"]
    if features.check("jpg_2000"):
        formats.append("JPEG2000")
    return formats


@pytest.mark.parametrize("fmt", _refused_formats())
def test_formats_outside_the_allowlist_are_refused(
    fmt: str, ghostscript_calls: list[str], no_decoding: list[str]
) -> None:
    image = Image.new("1" if fmt == "MSP" else "RGB", (32, 32))
    data = encode(image, fmt)
    assert Image.open(io.BytesIO(data)).format in (fmt, "DDS", "MSP")  # Pillow would open it
    no_decoding.clear()  # writing some of these formats decodes internally

    message = refuse(data, name="picture.png")

    assert message.startswith("picture.png ")
    assert "damaged" not in message
    assert no_decoding == []
    assert ghostscript_calls == []


def cursor_file() -> bytes:
    """A real Windows cursor: Pillow's ICO with the type field 2 and a hotspot."""
    data = bytearray(encode(Image.new("RGB", (16, 16), RED), "ICO", sizes=[(16, 16)]))
    struct.pack_into("<H", data, 2, 2)
    struct.pack_into("<HH", data, 10, 3, 5)
    return bytes(data)


@pytest.mark.parametrize("params", [{}, {"compression": "tga_rle"}])
@pytest.mark.parametrize("footer", [True, False])
def test_tga_is_named_a_tga_image_not_a_cursor(params: dict[str, Any], footer: bool) -> None:
    data = encode(Image.new("RGB", (32, 32), RED), "TGA", **params)
    assert data.endswith(b"TRUEVISION-XFILE.\x00")
    if not footer:  # an old (version 1) TGA has no footer: the header alone must say it
        data = data[:-26]

    assert refuse(data, name="sprite.tga") == (
        "sprite.tga is a TGA image, which LocalSight cannot read; convert it to PNG or JPEG first."
    )


def test_icons_and_cursors_are_still_named() -> None:
    icon = encode(Image.new("RGB", (16, 16), RED), "ICO")

    assert "is a Windows icon (ICO) file" in refuse(icon, name="i.png")
    assert "is a Windows cursor file" in refuse(cursor_file(), name="c.png")
    # Cursor-like bytes that are no cursor (no images in the directory) are not called one.
    assert "cursor" not in refuse(b"\x00\x00\x02\x00\x00\x00" + bytes(64), name="x.png")


def damaged_tiffs() -> dict[str, bytes]:
    """TIFFs on which, before failing, libtiff prints its own error ("lzw": "Using code not
    yet in table") or Pillow warns ("header-only": "Corrupt EXIF data")."""
    from PIL import TiffImagePlugin

    lzw = bytearray(encode(gradient_rgb((64, 48)), "TIFF", compression="tiff_lzw"))
    opened = Image.open(io.BytesIO(bytes(lzw)))
    assert isinstance(opened, TiffImagePlugin.TiffImageFile)
    offset = opened.tag_v2[273][0]
    lzw[offset + 10 : offset + 40] = b"\xff" * 30  # LZW codes not yet in the table
    raw = encode(gradient_rgb((64, 48)), "TIFF")
    return {"lzw": bytes(lzw), "header-only": raw[:100]}


@pytest.mark.parametrize("kind", sorted(damaged_tiffs()))
def test_tiff_warnings_never_reach_stderr(kind: str, capfd: pytest.CaptureFixture[str]) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = refuse(damaged_tiffs()[kind], name="scan.tif")

    assert message == "scan.tif is damaged or truncated."
    assert [str(w.message) for w in caught] == []
    assert capfd.readouterr().err == ""


def test_random_bytes_are_not_an_image() -> None:
    data = bytes(range(256)) * 4

    assert refuse(data, name="blob.gif") == (
        "blob.gif is not an image LocalSight can read (it reads JPEG, PNG, WebP, GIF, BMP "
        "and TIFF)."
    )


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    folder = tmp_path / "album.jpg"
    folder.mkdir()

    assert refuse(empty) == "empty.png is empty (0 bytes), so there is no image in it."
    assert refuse(b"") == "The image is empty (0 bytes), so there is no image in it."
    assert refuse(tmp_path / "gone.jpg").startswith("gone.jpg was not found")
    assert refuse(folder) == "album.jpg is a folder, not an image."


def test_name_overrides_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "tmp123"
    path.write_bytes(b"")

    assert refuse(path, name="Pasted image").startswith("Pasted image is empty")


# --- colour, depth, orientation, frames ------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb_with_sane_colours(tmp_path: Path) -> None:
    cmyk = halves((64, 32), (0, 255, 255, 0), (255, 0, 0, 0), mode="CMYK")  # red | cyan
    path = tmp_path / "print.jpg"
    path.write_bytes(encode(cmyk, "JPEG", quality=95))
    assert Image.open(path).mode == "CMYK"

    result = normalize_image(path)
    out = decode(result)

    assert out.mode == "RGB"
    assert result.mime == "image/jpeg"
    assert near(pixel(out, (8, 16)), RED, 12)
    assert near(pixel(out, (56, 16)), (0, 255, 255), 12)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_16_bit_gradient_is_scaled_not_clipped(fmt: str) -> None:
    source = Image.new("I;16", (256, 16))
    for x in range(256):
        source.paste(x * 257, (x, 0, x + 1, 16))  # 0 .. 65535
    data = encode(source, fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")

    out = decode(normalize_image(data))

    assert out.mode == "RGB"
    row = [pixel(out, (x, 4)) for x in range(256)]
    assert all(r == g == b for r, g, b in row)
    greys = [r for r, _, _ in row]
    assert all(abs(grey - x) <= 1 for x, grey in enumerate(greys))
    assert greys == sorted(greys)
    assert len(set(greys)) > 250  # the gradient survives, it is not all white


def test_16_bit_colour_png_keeps_its_colours() -> None:
    width, height = 256, 16
    row = b"\x00" + b"".join(
        struct.pack(">HHH", x * 257, 32768, 65535 - x * 257) for x in range(width)
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)  # 16-bit truecolour
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(row * height))
        + png_chunk(b"IEND", b"")
    )

    out = decode(normalize_image(data, name="export.png"))

    assert out.mode == "RGB"
    for x in (0, 64, 128, 200, 255):
        assert near(pixel(out, (x, 8)), (x, 128, 255 - x), 1)


def test_dark_16_bit_image_stays_dark() -> None:
    source = Image.new("I;16", (32, 32), 1000)  # 1.5 % of full scale

    out = decode(normalize_image(encode(source, "PNG")))

    assert near(pixel(out, (16, 16)), (4, 4, 4), 1)


@pytest.mark.parametrize(
    ("mode", "dark", "light"),
    [
        ("1", 0, 1),
        ("L", 0, 255),
        ("LA", (0, 255), (255, 255)),
        ("RGB", (0, 0, 0), WHITE),
        ("RGBA", (0, 0, 0, 255), (255, 255, 255, 255)),
        ("CMYK", (0, 0, 0, 255), (0, 0, 0, 0)),
        ("I", 0, 65535),
        ("I;16", 0, 65535),
        ("F", 0.0, 1.0),
    ],
)
def test_every_mode_becomes_8_bit_rgb(mode: str, dark: Any, light: Any) -> None:
    data = encode(halves((40, 20), dark, light, mode=mode), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == mode

    out = decode(normalize_image(data))

    assert out.mode == "RGB"
    assert out.size == (40, 20)
    assert pixel(out, (5, 10)) == (0, 0, 0)
    assert pixel(out, (35, 10)) == WHITE


@pytest.mark.parametrize(("orientation", "top", "bottom"), [(6, RED, BLUE), (8, BLUE, RED)])
def test_exif_rotation_is_applied(
    orientation: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> None:
    stored = halves((200, 100), RED, BLUE)  # as the sensor stored it: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = orientation

    result = normalize_image(encode(stored, "JPEG", exif=exif, quality=95))
    out = decode(result)

    assert (result.width, result.height) == (100, 200)
    assert out.size == (100, 200)
    assert near(pixel(out, (50, 20)), top, 30)
    assert near(pixel(out, (50, 180)), bottom, 30)
    assert "exif" not in out.info


def test_gps_and_all_metadata_are_stripped_from_jpeg() -> None:
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x010F] = "SecretCam Inc"  # Make
    exif[0x0110] = "Model X"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 0.0)}  # GPS IFD
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        gradient_rgb((320, 240)), "JPEG", exif=exif, icc_profile=icc, comment=b"secret comment"
    )
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825)[2] == (52.0, 22.0, 1.5)  # the GPS is really there
    assert "icc_profile" in source.info
    assert "comment" in source.info

    result = normalize_image(data)
    out = decode(result)

    assert result.mime == "image/jpeg"
    assert len(out.getexif()) == 0
    assert out.getexif().get_ifd(0x8825) == {}
    for key in ("exif", "icc_profile", "comment", "xmp"):
        assert key not in out.info
    for marker in (b"Exif", b"SecretCam", b"Model X", b"ICC_PROFILE", b"secret comment"):
        assert marker not in result.data


def test_png_text_chunks_and_exif_are_stripped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Secret")
    info.add_itxt("Comment", "home address", zip=True)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Inc"
    data = encode(Image.new("RGB", (64, 64), BLUE), "PNG", pnginfo=info, exif=exif)
    assert Image.open(io.BytesIO(data)).info["Author"] == "Jane Secret"

    result = normalize_image(data)
    out = decode(result)

    assert result.mime == "image/png"
    assert {key for key in out.info if key not in ("dpi",)} == set()
    for marker in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"Jane Secret", b"SecretCam"):
        assert marker not in result.data


def test_animated_gif_keeps_the_first_frame_only() -> None:
    frames = [Image.new("RGB", (48, 48), colour) for colour in (RED, (0, 255, 0), BLUE)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    source = Image.open(io.BytesIO(data))
    assert getattr(source, "n_frames", 1) == 3

    result = normalize_image(data)
    out = decode(result)

    assert result.mime == "image/png"
    assert getattr(out, "n_frames", 1) == 1
    assert pixel(out, (24, 24)) == RED


def test_rgba_transparency_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (60, 20), (0, 0, 0, 0))  # transparent black
    image.paste((0, 0, 255, 255), (20, 0, 40, 20))  # opaque blue
    image.paste((0, 0, 0, 128), (40, 0, 60, 20))  # half-transparent black

    result = normalize_image(encode(image, "PNG"))
    out = decode(result)

    assert out.mode == "RGB"
    assert pixel(out, (10, 10)) == WHITE
    assert pixel(out, (30, 10)) == BLUE
    assert near(pixel(out, (50, 10)), (127, 127, 127), 1)


def test_palette_and_grey_transparency_are_flattened_on_white() -> None:
    palette = Image.new("P", (40, 20), 0)
    palette.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    palette.paste(1, (20, 0, 40, 20))
    grey_alpha = halves((40, 20), (0, 0), (0, 255), mode="LA")  # transparent | opaque black

    from_palette = decode(normalize_image(encode(palette, "PNG", transparency=0)))
    from_grey = decode(normalize_image(encode(grey_alpha, "PNG")))

    assert pixel(from_palette, (5, 10)) == WHITE
    assert pixel(from_palette, (35, 10)) == BLUE
    assert pixel(from_grey, (5, 10)) == WHITE
    assert pixel(from_grey, (35, 10)) == (0, 0, 0)


# --- size, speed, encoding ---------------------------------------------------------------------


def test_48_megapixel_photo_is_shrunk_to_1024(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    path.write_bytes(encode(gradient_rgb((8000, 6000)), "JPEG", quality=90))

    started = time.perf_counter()
    result = normalize_image(path)
    elapsed = time.perf_counter() - started
    print(
        f"\n48 MP JPEG ({path.stat().st_size / 1e6:.1f} MB) normalised in {elapsed * 1000:.0f} ms"
    )

    assert (result.width, result.height) == (1024, 768)
    assert result.mime == "image/jpeg"
    out = decode(result)
    assert out.size == (1024, 768)
    # Scaled, not cropped: the red ramp runs from black at the top to full at the bottom.
    assert pixel(out, (512, 2))[0] < 40
    assert pixel(out, (512, 765))[0] > 215


def reference_shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """What normalising did before it worked in strips: the whole image to RGB, then one
    Pillow resize (box reduce, then LANCZOS)."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, WHITE)
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode == "I;16":
        rgb = image.convert("I").point(lambda v: v * (255 / 65535)).convert("L").convert("RGB")
    else:
        rgb = image.convert("RGB")
    return rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
@pytest.mark.parametrize(("long_edge", "size"), [(1024, (3001, 1003)), (100, (3001, 1003))])
def test_shrinking_in_strips_gives_the_same_pixels_as_one_resize(
    mode: str, long_edge: int, size: tuple[int, int]
) -> None:
    source = gradient_rgb(size)
    noise = Image.effect_noise(size, 60).convert("L")
    if mode == "RGBA":
        source = Image.merge("RGBA", (*source.split(), noise))
    elif mode == "I;16":
        source = noise.convert("I").point(lambda v: v * 250).convert("I;16")
    elif mode == "P":
        source = source.quantize(64)
        source.info["transparency"] = 5
    else:
        source = source.convert(mode)
    data = encode(source, "PNG", compress_level=1)
    policy = ImagePolicy(max_long_edge=long_edge, max_png_bytes=50_000_000)

    result = normalize_image(data, policy=policy)
    expected = reference_shrink(Image.open(io.BytesIO(data)), (result.width, result.height))

    assert (result.width, result.height) == (long_edge, round(1003 * long_edge / 3001))
    assert decode(result).tobytes() == expected.tobytes()


def test_exif_rotation_of_a_big_png_is_applied_after_shrinking() -> None:
    stored = halves((3000, 1000), RED, BLUE)  # red left, blue right, as stored

    result = normalize_image(encode(stored, "PNG", exif=exif_orientation(6)))
    out = decode(result)

    assert (result.width, result.height) == (341, 1024)
    assert pixel(out, (170, 100)) == RED  # rotated 90° clockwise: left is now the top
    assert pixel(out, (170, 900)) == BLUE


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((300, 200), (300, 200)),
        ((1024, 1024), (1024, 1024)),
        ((2048, 1024), (1024, 512)),
        ((1000, 3000), (341, 1024)),
        ((1, 1), (1, 1)),
    ],
)
def test_shrink_only(size: tuple[int, int], expected: tuple[int, int]) -> None:
    result = normalize_image(encode(Image.new("RGB", size, BLUE), "PNG"))

    assert (result.width, result.height) == expected
    assert decode(result).size == expected


def test_policy_long_edge() -> None:
    result = normalize_image(
        encode(gradient_rgb((640, 480)), "JPEG"), policy=ImagePolicy(max_long_edge=100)
    )

    assert (result.width, result.height) == (100, 75)


def test_sha256_matches_the_bytes_and_output_is_deterministic(tmp_path: Path) -> None:
    data = encode(gradient_rgb((1500, 1000)), "JPEG")
    path = tmp_path / "same.jpg"
    path.write_bytes(data)

    first = normalize_image(data)
    second = normalize_image(path)

    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    assert first == second
    assert first.data == second.data


def test_format_is_decided_by_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "holiday.jpg"
    path.write_bytes(encode(Image.new("RGB", (50, 40), RED), "PNG"))

    result = normalize_image(path)

    assert result.mime == "image/png"
    assert pixel(decode(result), (25, 20)) == RED


def test_large_lossless_source_falls_back_to_jpeg() -> None:
    data = encode(gradient_rgb((400, 300)), "PNG")

    small_limit = normalize_image(data, policy=ImagePolicy(max_png_bytes=1000))
    default = normalize_image(data)

    assert small_limit.mime == "image/jpeg"
    assert decode(small_limit).format == "JPEG"
    assert default.mime == "image/png"
    assert decode(default).format == "PNG"


@pytest.mark.parametrize(
    ("fmt", "params", "mime"),
    [
        ("WEBP", {"quality": 90}, "image/jpeg"),
        ("WEBP", {"lossless": True}, "image/png"),
        ("BMP", {}, "image/png"),
        ("TIFF", {}, "image/png"),
        ("TIFF", {"compression": "tiff_lzw"}, "image/png"),
        ("GIF", {}, "image/png"),
        ("JPEG", {}, "image/jpeg"),
    ],
)
def test_allowed_formats_are_accepted(fmt: str, params: dict[str, Any], mime: str) -> None:
    data = encode(halves((80, 40), RED, BLUE), fmt, **params)
    assert Image.open(io.BytesIO(data)).format == fmt

    result = normalize_image(data, name=f"picture.{fmt.lower()}")
    out = decode(result)

    assert result.mime == mime
    assert out.mode == "RGB"
    assert out.size == (80, 40)
    assert near(pixel(out, (10, 20)), RED, 30)
    assert near(pixel(out, (70, 20)), BLUE, 30)


def test_animated_webp_keeps_the_first_frame() -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in (RED, BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2

    result = normalize_image(data)

    assert result.mime == "image/png"
    assert pixel(decode(result), (16, 16)) == RED


def test_mpo_from_a_camera_is_read_as_jpeg() -> None:
    frames = [Image.new("RGB", (64, 48), RED), Image.new("RGB", (64, 48), BLUE)]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    result = normalize_image(data)

    assert result.mime == "image/jpeg"
    assert near(pixel(decode(result), (32, 24)), RED, 20)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_is_accepted_when_pillow_can_read_it() -> None:
    data = encode(Image.new("RGB", (64, 48), RED), "AVIF", quality=90)

    result = normalize_image(data, name="x.avif")

    assert result.mime == "image/jpeg"
    assert near(pixel(decode(result), (32, 24)), RED, 30)


PHONE = (4032, 3024)  # a 12 MP phone photo


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_12_megapixel_avif_phone_photo_is_normalised() -> None:
    # 4:2:0, 8-bit, as phones write them: costed from its av1C box (~116 MB, measured
    # 114 MB), not as the 4:4:4 worst case that refused it (174 MB).
    data = encode(gradient_rgb(PHONE), "AVIF", quality=50, speed=10, subsampling="4:2:0")

    result = normalize_image(data, name="phone.avif")

    assert (result.width, result.height) == (1024, 768)
    assert near(pixel(decode(result), (512, 384)), pixel(gradient_rgb(PHONE), (2016, 1512)), 30)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_subsampling_and_depth_from_the_header_set_its_cost(
    no_decoding: list[str],
) -> None:
    # The same 2 MP image costs more as 4:4:4 than as 4:2:0 (the chroma planes are 4×).
    image = Image.new("RGB", (2000, 1000), RED)
    policy = ImagePolicy(max_decode_bytes=1_000)

    def needed(subsampling: str) -> str:
        data = encode(image, "AVIF", quality=50, speed=10, subsampling=subsampling)
        return refuse(data, policy=policy).split("would take ")[1].split(" MB")[0]

    assert (needed("4:2:0"), needed("4:4:4")) == ("19", "22")
    assert no_decoding == []


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_without_a_readable_av1c_box_is_charged_the_worst_case(
    no_decoding: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = encode(Image.new("RGB", (2000, 1000), RED), "AVIF", quality=50, speed=10)
    monkeypatch.setattr(images, "_HEIF_HEAD_BYTES", 16)  # the meta box is out of reach

    message = refuse(data, policy=ImagePolicy(max_decode_bytes=1_000))

    assert "would take 29 MB" in message  # 4:4:4 at 2 bytes a sample: 14.7 bytes a pixel
    assert no_decoding == []


def test_12_megapixel_webp_phone_photo_is_normalised() -> None:
    # libwebp decodes a still WebP straight into the image's memory: ~49 MB instead of the
    # animation decoder's 16 bytes a pixel (196 MB), which the memory budget refused.
    data = encode(gradient_rgb(PHONE), "WEBP", quality=80)

    result = normalize_image(data, name="phone.webp")

    assert (result.width, result.height) == (1024, 768)
    assert near(pixel(decode(result), (512, 384)), pixel(gradient_rgb(PHONE), (2016, 1512)), 20)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("params", [{"quality": 80}, {"lossless": True}])
def test_still_webp_decodes_to_the_same_pixels_as_pillow(mode: str, params: Any) -> None:
    image = gradient_rgb((300, 200)).convert(mode)
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").resize((300, 200)))
    data = encode(image, "WEBP", **params)
    policy = ImagePolicy(max_long_edge=4096, max_png_bytes=10**8, jpeg_quality=95)
    reference = Image.open(io.BytesIO(data))
    reference.load()
    expected = Image.new("RGB", reference.size, WHITE)
    expected.paste(reference, mask=reference.getchannel("A") if mode == "RGBA" else None)

    result = normalize_image(data, policy=policy)

    assert result.mime == "image/png" if "lossless" in params else result.mime == "image/jpeg"
    if result.mime == "image/png":
        assert decode(result).tobytes() == expected.tobytes()


def test_large_webp_refusal_says_to_convert_it(no_decoding: list[str]) -> None:
    data = encode(Image.new("RGB", (1000, 1000), RED), "WEBP", quality=80)

    message = refuse(data, name="a.webp", policy=ImagePolicy(max_decode_bytes=1_000_000))

    assert message.endswith("; convert it to JPEG or PNG, or scale it down first.")
    assert no_decoding == []


def test_no_other_pillow_plugin_is_imported_for_jpeg_and_png(tmp_path: Path) -> None:
    script = """
import io, sys
from PIL import Image
from desktop_app.core.images import normalize_image
for fmt in ("JPEG", "PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(buffer, fmt)
    normalize_image(buffer.getvalue())
plugins = sorted(m for m in sys.modules if m.startswith("PIL.") and m.endswith("ImagePlugin"))
print(",".join(plugins))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    plugins = set(done.stdout.strip().split(","))

    assert "PIL.EpsImagePlugin" not in plugins
    assert {"PIL.JpegImagePlugin", "PIL.PngImagePlugin"} <= plugins
    # Pillow's own preinit() set, and nothing beyond it.
    assert plugins <= {
        "PIL.BmpImagePlugin",
        "PIL.GifImagePlugin",
        "PIL.JpegImagePlugin",
        "PIL.MpoImagePlugin",
        "PIL.PngImagePlugin",
        "PIL.PpmImagePlugin",
        "PIL.TiffImagePlugin",
    }


# --- thumbnails and file dialogs ---------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_thumbnail(fmt: str, mime: str) -> None:
    image = normalize_image(encode(halves((800, 400), RED, BLUE), fmt))
    assert image.mime == mime

    thumb = Image.open(io.BytesIO(make_thumbnail(image)))

    assert thumb.format == fmt
    assert thumb.size == (128, 64)
    assert near(pixel(thumb, (10, 32)), RED, 30)
    assert near(pixel(thumb, (118, 32)), BLUE, 30)
    assert Image.open(io.BytesIO(make_thumbnail(image, size=1000))).size == (800, 400)


def test_thumbnail_of_damaged_data() -> None:
    broken = ImageInput(
        data=b"\x89PNG\r\n\x1a\nnonsense", mime="image/png", sha256="", width=1, height=1
    )

    with pytest.raises(ImageError):
        make_thumbnail(broken)
    with pytest.raises(ValueError):
        make_thumbnail(normalize_image(encode(Image.new("RGB", (8, 8)), "PNG")), size=0)


def test_looks_like_image_path() -> None:
    assert looks_like_image_path("Photo.JPG")
    assert looks_like_image_path(Path("/tmp/scan.tiff"))
    assert looks_like_image_path("anim.webp")
    assert not looks_like_image_path("figure.eps")
    assert not looks_like_image_path("paper.pdf")
    assert not looks_like_image_path("README")
    assert not looks_like_image_path("photos.png.zip")
    assert supported_extensions() >= SUPPORTED_EXTENSIONS
    assert ".eps" not in supported_extensions()
    assert (".avif" in supported_extensions()) == features.check("avif")


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError):
        ImagePolicy(max_long_edge=0)
    with pytest.raises(ValueError):
        ImagePolicy(max_aspect_ratio=0.5)
    with pytest.raises(ValueError):
        ImagePolicy(max_pixels=0)
    with pytest.raises(ValueError):
        ImagePolicy(max_decode_bytes=0)
