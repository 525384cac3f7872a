"""The hostile image set of issue 16 (item 4), and a child process that measures it.

``write_hostile_set(folder, mutations)`` writes a seeded set of files that each attack
:func:`desktop_app.core.images.normalize_image` in one way: decompression bombs that pass the
pixel guard (9400×9400 RGBA, 16-bit grey, float, CMYK and RGBA TIFF, single- and multi-strip),
big canvases with tiny content (GIF, animated WebP), BMP with huge header sizes and an RLE
bomb, a progressive JPEG whose coefficient buffer alone is 265 MB, multi-page TIFF, GIF and
APNG with thousands of frames, a TIFF with 200 000 strip offsets, a PNG text-chunk bomb,
EXIF orientation tricks, palettes with odd transparency, zero sizes, 1×100000 strips,
formats LocalSight does not read (TGA, ICO, CUR), truncated files, and ``mutations`` random
byte mutations of small valid files of every format. Beside them are the images that must
keep working: 48, 108 and 200 MP phone JPEGs, a 12 MP PNG screenshot and a small valid file of
each format.

Everything is built at test time and stays small on disk: the bombs are zlib streams of one
repeated, byte-aligned deflate block (see :func:`zlib_repeat`), so a 353 MB image is a few
hundred kilobytes and costs a few milliseconds to write. Only the realistic photos are encoded
by Pillow, the 108 and 200 MP ones a row of blocks at a time (:func:`striped_jpeg`).

``run_hostile_set(folder)`` normalises every file in ONE fresh interpreter (``python -m
tests.helpers.hostile_images FOLDER``) and returns one :class:`Outcome` per file: what
happened, the message, the output's size, any Python warning or byte written to file
descriptor 2 while it ran, and the peak memory of that one call. The peak is the RSS
high-water mark above the RSS just before the call, with the mark reset per call through
``/proc/self/clear_refs`` (as ``benchmarks/probes.py`` does for the 48 MP JPEG) -- so one
process can measure hundreds of calls without paying an interpreter start per call. Two
things keep one call's freed memory from hiding the next call's peak: glibc is told to
serve every allocation of 128 KiB or more from its own mapping (``MALLOC_MMAP_THRESHOLD_``,
which also turns off glibc's moving threshold), so a freed image buffer goes back to the
kernel at once, and ``malloc_trim(0)`` runs between calls. What remains is deterministic:
the buffers Pillow and the codecs allocate for a given file, rounded to pages. A child that
dies (a native crash) is reported as ``died`` for the file it was on, and a new child goes on
with the next file.

``tracemalloc`` would not do: Pillow's image memory and libjpeg/libtiff/libwebp buffers are
C allocations it never sees. ``RLIMIT_AS`` would not either: codecs map large regions they
never touch (calloc'd canvases), so a virtual limit refuses harmless files and says nothing
about resident memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.helpers.fuzz import SEED

#: This suite's seed: the shared seed plus the issue's item number (suites never share cases).
HOSTILE_SEED = SEED + 4
#: The audit fed 557 hostile images; with the ~100 hand-made cases the full run has as many.
FULL_MUTATIONS = 455
FAST_MUTATIONS = 40
#: The goal of issue 16: no normalisation may raise the process's RSS by more than this.
PEAK_GOAL_BYTES = 200_000_000

Expect = Literal["normalise", "refuse", "either"]

_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class HostileCase:
    """One file of the set. ``name`` is its file name and what error messages call it."""

    name: str
    expect: Expect
    what: str


@dataclass
class Outcome:
    """What normalising one file did, measured in the child process.

    ``status``: "normalised", "refused" (an ImageError), "error" (any other exception),
    "died" (the child was killed by a signal on it) or "timeout". ``peak_bytes`` is None
    where the kernel cannot reset the RSS high-water mark.
    """

    name: str
    expect: str
    status: str
    message: str = ""
    width: int = 0
    height: int = 0
    mime: str = ""
    output_ok: bool = False
    peak_bytes: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""


# --- building blocks: zlib streams, PNG, TIFF, BMP, JPEG/GIF/WebP header patches ---------------

_ADLER_BASE = 65521


def _adler_combine(adler1: int, adler2: int, len2: int) -> int:
    """adler32(a + b) from adler32(a), adler32(b) and len(b) (zlib's adler32_combine)."""
    rem = len2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (adler2 & 0xFFFF) + _ADLER_BASE - 1
    sum2 += ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + _ADLER_BASE - rem
    return (sum1 % _ADLER_BASE) | ((sum2 % _ADLER_BASE) << 16)


def zlib_repeat(head: bytes, unit: bytes, count: int, tail: bytes = b"") -> bytes:
    """A valid zlib stream of ``head + unit * count + tail``, compressing ``unit`` only once.

    ``Z_FULL_FLUSH`` byte-aligns the output and forgets the history, so the compressed
    ``unit`` is a self-contained run of deflate blocks that can simply be repeated; the
    stream ends with an empty final block and the Adler-32 of the whole payload.
    """
    comp = zlib.compressobj(9)
    out = [comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)]
    if count:
        out.append((comp.compress(unit) + comp.flush(zlib.Z_FULL_FLUSH)) * count)
    out.append(comp.compress(tail) + comp.flush(zlib.Z_FULL_FLUSH))
    checksum = zlib.adler32(head)
    unit_sum = zlib.adler32(unit)
    for _ in range(count):
        checksum = _adler_combine(checksum, unit_sum, len(unit))
    checksum = _adler_combine(checksum, zlib.adler32(tail), len(tail))
    out.append(b"\x03\x00" + struct.pack(">I", checksum))  # final, fixed Huffman, empty
    return b"".join(out)


def _rows(first: bytes, row: bytes, height: int) -> tuple[bytes, bytes, int, bytes]:
    """``first`` then ``height - 1`` copies of ``row``, grouped into ~1 MB units."""
    per_unit = max(1, 1_000_000 // max(1, len(row)))
    rest = height - 1
    return first, row * per_unit, rest // per_unit, row * (rest % per_unit)


def png_chunk(tag: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + tag
        + payload
        + struct.pack(">I", zlib.crc32(tag + payload))
    )


def big_png(
    width: int,
    height: int,
    *,
    bit_depth: int = 8,
    colour_type: int = 6,
    pixel: bytes | None = None,
    before_idat: tuple[bytes, ...] = (),
) -> bytes:
    """A valid PNG of one colour: the first row written out, every other row filter "Up"."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    bits = channels * bit_depth
    row_bytes = (width * bits + 7) // 8
    if pixel is None:
        pixel = bytes([0x5A]) * max(1, bits // 8)
    line = (pixel * width)[:row_bytes] if bits >= 8 else bytes([0x5A]) * row_bytes
    head, unit, count, tail = _rows(b"\x00" + line, b"\x02" + bytes(row_bytes), height)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(before_idat)
        + png_chunk(b"IDAT", zlib_repeat(head, unit, count, tail))
        + png_chunk(b"IEND", b"")
    )


_SHORT, _LONG = 3, 4


@dataclass(frozen=True)
class TiffPage:
    """One page (IFD) of :func:`tiff`: its ``strips`` strips all point at the same ``strip``."""

    width: int
    height: int
    bits: tuple[int, ...]
    photometric: int
    strip: bytes
    strips: int = 1
    rows_per_strip: int | None = None
    compression: int = 8  # Adobe deflate: each strip is a zlib stream
    sample_format: int = 1
    extra_samples: tuple[int, ...] = ()


def tiff(pages: list[TiffPage]) -> bytes:
    """A little-endian TIFF of ``pages``, in order; a page object repeated in the list is
    written once and chained many times (a multi-page TIFF of identical pages)."""
    blobs = bytearray()

    def put(values: bytes) -> int:
        offset = 8 + len(blobs)
        blobs.extend(values)
        if len(blobs) % 2:
            blobs.extend(b"\x00")
        return offset

    def entry(tag: int, kind: int, values: tuple[int, ...]) -> tuple[int, bytes]:
        fmt = "<H" if kind == _SHORT else "<I"
        packed = b"".join(struct.pack(fmt, v) for v in values)
        if len(packed) <= 4:
            return tag, struct.pack("<HHI", tag, kind, len(values)) + packed.ljust(4, b"\x00")
        return tag, struct.pack("<HHII", tag, kind, len(values), put(packed))

    strip_at: dict[int, int] = {}
    written: dict[int, bytes] = {}
    ifds: list[bytes] = []
    for page in pages:
        if id(page) not in written:
            if id(page.strip) not in strip_at:
                strip_at[id(page.strip)] = put(page.strip)
            rows = page.rows_per_strip or -(-page.height // page.strips)
            entries = [
                entry(256, _LONG, (page.width,)),
                entry(257, _LONG, (page.height,)),
                entry(258, _SHORT, page.bits),
                entry(259, _SHORT, (page.compression,)),
                entry(262, _SHORT, (page.photometric,)),
                entry(273, _LONG, (strip_at[id(page.strip)],) * page.strips),
                entry(277, _SHORT, (len(page.bits),)),
                entry(278, _LONG, (rows,)),
                entry(279, _LONG, (len(page.strip),) * page.strips),
                entry(284, _SHORT, (1,)),
                entry(339, _SHORT, (page.sample_format,) * len(page.bits)),
            ]
            if page.extra_samples:
                entries.append(entry(338, _SHORT, page.extra_samples))
            entries.sort()
            written[id(page)] = struct.pack("<H", len(entries)) + b"".join(e for _, e in entries)
        ifds.append(written[id(page)])
    out = bytearray(b"II*\x00" + struct.pack("<I", 8 + len(blobs)) + bytes(blobs))
    for index, ifd in enumerate(ifds):
        following = len(out) + len(ifd) + 4 if index < len(ifds) - 1 else 0
        out += ifd + struct.pack("<I", following)
    return bytes(out)


def tiff_bomb(
    width: int,
    height: int,
    *,
    pixel: bytes,
    bits: tuple[int, ...],
    photometric: int,
    strips: int,
    sample_format: int = 1,
    extra_samples: tuple[int, ...] = (),
) -> bytes:
    """A deflate-compressed TIFF of one colour, ``strips`` identical strips (1 = one strip)."""
    return tiff(
        [
            _bomb_page(
                width,
                height,
                pixel=pixel,
                bits=bits,
                photometric=photometric,
                strips=strips,
                sample_format=sample_format,
                extra_samples=extra_samples,
            )
        ]
    )


def _bomb_page(
    width: int,
    height: int,
    *,
    pixel: bytes,
    bits: tuple[int, ...],
    photometric: int,
    strips: int,
    sample_format: int = 1,
    extra_samples: tuple[int, ...] = (),
) -> TiffPage:
    rows = -(-height // strips)
    line = pixel * width
    head, unit, count, tail = _rows(line, line, rows)
    return TiffPage(
        width,
        height,
        bits,
        photometric,
        zlib_repeat(head, unit, count, tail),
        strips=strips,
        rows_per_strip=rows,
        sample_format=sample_format,
        extra_samples=extra_samples,
    )


def bmp(width: int, height: int, *, bpp: int, compression: int = 0, pixels: bytes = b"") -> bytes:
    """A BMP (BITMAPINFOHEADER) with whatever pixel data is given, however short."""
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256)) if bpp <= 8 else b""
    offset = 14 + 40 + len(palette)
    info = struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, bpp, compression, len(pixels), 2835, 2835, 0, 0
    )
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return header + info + palette + pixels


def patch_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header (SOFn) claiming ``width`` × ``height``."""
    out = bytearray(data)
    pos = 2
    while pos + 4 <= len(out) and out[pos] == 0xFF:
        marker = out[pos + 1]
        (length,) = struct.unpack_from(">H", out, pos + 2)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            struct.pack_into(">HH", out, pos + 5, height, width)
            return bytes(out)
        pos += 2 + length
    raise ValueError("no frame header")


def striped_jpeg(
    width: int, height: int, *, quality: int = 30, levels: int = 32, noise: float = 0.0
) -> bytes:
    """A baseline 4:2:0 JPEG of ``width`` × ``height`` built a row of MCUs at a time, so a
    200 MP photo never exists decoded here (Pillow would need 4 bytes a pixel, 800 MB).

    Each 16-row strip is encoded on its own by Pillow (standard Huffman tables, the same
    quantisation tables for every strip), and the strips' entropy-coded data are joined with
    restart markers, one interval per row of MCUs (a DRI segment says so): a restart resets
    the DC predictors exactly as a fresh encode starts. The picture is a photo-like ramp: red
    grows from black at the top to full at the bottom (in ``levels`` steps, one encode each),
    green from left to right, so a test can tell scaled from cropped. Real phones write
    restart markers too. ``noise`` (a standard deviation, in levels) adds sensor-like grain to
    the blue channel, for files as big and as slow to decode as a camera's.
    """
    from PIL import Image

    mcu = 16
    strips = -(-height // mcu)
    ramp = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((width, mcu))
    header = b""
    scans: dict[int, bytes] = {}
    for level in sorted({i * levels // strips for i in range(strips)}):
        red = Image.new("L", (width, mcu), round(level * 255 / max(1, levels - 1)))
        blue = Image.effect_noise((width, mcu), noise) if noise else Image.new("L", red.size, 128)
        data = _encode(Image.merge("RGB", (red, ramp, blue)), "JPEG", quality=quality)
        head, scan = _split_jpeg_scan(data)
        if header and head != header:
            raise ValueError("strips were encoded with different tables")
        header, scans[level] = head, scan
    out = bytearray(patch_jpeg_size(header, width, height))
    sos = _find_marker(bytes(out), 0xDA)
    out[sos:sos] = b"\xff\xdd" + struct.pack(">HH", 4, -(-width // mcu))  # DRI: a row of MCUs
    for index in range(strips):
        if index:
            out += bytes((0xFF, 0xD0 + (index - 1) % 8))
        out += scans[index * levels // strips]
    out += b"\xff\xd9"
    return bytes(out)


def _find_marker(data: bytes, code: int) -> int:
    """The offset of the first ``code`` marker segment in the header of a JPEG."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        if data[pos + 1] == code:
            return pos
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    raise ValueError(f"no marker {code:#x}")


def _split_jpeg_scan(data: bytes) -> tuple[bytes, bytes]:
    """A one-scan JPEG cut into its header (through the SOS segment) and its entropy-coded
    data (without the EOI marker)."""
    sos = _find_marker(data, 0xDA)
    (length,) = struct.unpack_from(">H", data, sos + 2)
    if not data.endswith(b"\xff\xd9"):
        raise ValueError("no EOI at the end")
    return data[: sos + 2 + length], data[sos + 2 + length : -2]


def patch_gif_screen(data: bytes, width: int, height: int) -> bytes:
    return data[:6] + struct.pack("<HH", width, height) + data[10:]


def patch_webp_canvas(data: bytes, width: int, height: int) -> bytes:
    """An extended (VP8X) WebP with its canvas set to ``width`` × ``height``."""
    assert data[12:16] == b"VP8X"
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return data[:24] + size + data[30:]


def _encode(image: Any, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _exif(orientation: Any) -> Any:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def _const(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _orientation_jpeg(orientation: int) -> bytes:
    return _encode(_small(), "JPEG", exif=_exif(orientation))


def _small(mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> Any:
    """Small images with real content (a gradient), so mutations hit real entropy data."""
    from PIL import Image, ImageOps

    ramp = Image.linear_gradient("L").resize(size)
    rgb = Image.merge(
        "RGB", (ramp, ImageOps.invert(ramp), ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        return Image.merge("RGBA", (*rgb.split(), ramp))
    if mode == "I;16":
        return ramp.convert("I").point(lambda v: v * 257).convert("I;16")
    if mode == "F":
        return ramp.convert("F").point(lambda v: v / 255)
    return rgb.convert(mode)


# --- the set ---------------------------------------------------------------------------------


def _mutation_bases() -> dict[str, bytes]:
    """Small valid files of every format LocalSight reads, to mutate."""
    from PIL import features

    frames = [_small("RGB", (32, 24)).point(lambda v, k=k: (v + 60 * k) % 256) for k in range(3)]
    bases = {
        "baseline.jpg": _encode(_small(), "JPEG", quality=85),
        "progressive.jpg": _encode(_small(), "JPEG", quality=85, progressive=True),
        "cmyk.jpg": _encode(_small("CMYK"), "JPEG"),
        "exif.jpg": _encode(_small(), "JPEG", exif=_exif(6)),
        "camera.mpo": _encode(frames[0], "MPO", save_all=True, append_images=frames[1:]),
        "rgb.png": _encode(_small(), "PNG"),
        "rgba.png": _encode(_small("RGBA"), "PNG"),
        "palette.png": _encode(_small("P"), "PNG", transparency=3),
        "grey16.png": _encode(_small("I;16"), "PNG"),
        "anim.png": _encode(frames[0], "PNG", save_all=True, append_images=frames[1:]),
        "still.gif": _encode(_small("P"), "GIF"),
        "anim.gif": _encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "rgb.bmp": _encode(_small(), "BMP"),
        "palette.bmp": _encode(_small("P"), "BMP"),
        "rle8.bmp": bmp(64, 48, bpp=8, compression=1, pixels=(b"\x40\x07" + b"\x00\x00") * 48),
        "raw.tif": _encode(_small(), "TIFF"),
        "lzw.tif": _encode(_small(), "TIFF", compression="tiff_lzw"),
        "deflate.tif": _encode(_small("RGBA"), "TIFF", compression="tiff_adobe_deflate"),
        "jpeg.tif": _encode(_small(), "TIFF", compression="jpeg"),
        "grey16.tif": _encode(_small("I;16"), "TIFF"),
        "float.tif": _encode(_small("F"), "TIFF"),
        "lossy.webp": _encode(_small(), "WEBP", quality=80),
        "lossless.webp": _encode(_small("RGBA"), "WEBP", lossless=True),
        "anim.webp": _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
    }
    if features.check("avif"):
        bases["photo.avif"] = _encode(_small(), "AVIF", quality=60, speed=10)
    return bases


_INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One seeded mutation: byte changes (half of them in the header), a truncation, a spliced
    copy of a slice, or a 16/32-bit field set to a large value."""
    out = bytearray(data)
    kind = rng.choice(("bytes", "bytes", "bytes", "truncate", "splice", "field"))
    if kind == "truncate":
        return bytes(out[: rng.randrange(1, len(out))])
    if kind == "splice":
        start = rng.randrange(len(out))
        piece = out[start : start + rng.randrange(1, 256)]
        at = rng.randrange(len(out))
        return bytes(out[:at] + piece + out[at:])
    if kind == "field":
        at = rng.randrange(min(len(out) - 4, 256))
        value = rng.choice((0xFFFF, 0x7FFF, 0x2000, 0x10000, 0x7FFFFFFF, 0xFFFFFFFF))
        endian = rng.choice("<>")
        fmt = endian + ("H" if value <= 0xFFFF else "I")
        struct.pack_into(fmt, out, at, value)
        return bytes(out)
    for _ in range(rng.randint(1, 8)):
        limit = min(len(out), 256) if rng.random() < 0.5 else len(out)
        pos = rng.randrange(limit)
        out[pos] = rng.choice(_INTERESTING) if rng.random() < 0.5 else rng.randrange(256)
    return bytes(out)


def _structured_cases() -> Iterator[tuple[HostileCase, Callable[[], bytes]]]:
    """The hand-made cases, each with what it tests; ``expect`` is what must happen."""
    from PIL import Image, ImageDraw, features

    def case(
        name: str, expect: Expect, what: str, build: Callable[[], bytes]
    ) -> tuple[HostileCase, Callable[[], bytes]]:
        return HostileCase(name, expect, what), build

    n = 9400  # 88.4 MP: just inside the pixel guard (Pillow's MAX_IMAGE_PIXELS, 89.5 MP)

    # Must keep working.
    def phone_photo() -> bytes:
        ramp = Image.radial_gradient("L").resize((8000, 6000))
        photo = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_180), ramp))
        del ramp
        return _encode(photo, "JPEG", quality=90)

    def screenshot() -> bytes:
        shot = Image.new("RGBA", (4000, 3000), (246, 246, 246, 255))
        draw = ImageDraw.Draw(shot)
        for y in range(0, 3000, 40):
            draw.rectangle((40, y + 8, 3960, y + 30), fill=(200, 210, 230, 255))
            draw.text((60, y + 12), f"row {y // 40}: localsight hostile image set", fill="black")
        return _encode(shot, "PNG", compress_level=1)

    yield case("phone-48mp.jpg", "normalise", "48 MP phone photo", phone_photo)
    yield case(
        "phone-108mp.jpg",
        "normalise",
        "108 MP phone photo (12000×9000), past Pillow's pixel limit",
        lambda: striped_jpeg(12_000, 9_000),
    )
    yield case(
        "phone-200mp.jpg",
        "normalise",
        "200 MP phone photo (16320×12240), past twice Pillow's pixel limit",
        lambda: striped_jpeg(16_320, 12_240),
    )
    yield case("screenshot-12mp.png", "normalise", "12 MP RGBA PNG screenshot", screenshot)
    for name, data in _mutation_bases().items():
        yield case(f"valid-{name}", "normalise", "small valid file", _const(data))

    # PNG bombs inside the pixel guard.
    yield case(
        "bomb-rgba-9400.png", "refuse", "9400² RGBA PNG (the audit's)", lambda: big_png(n, n)
    )
    yield case("bomb-rgb-9400.png", "refuse", "9400² RGB PNG", lambda: big_png(n, n, colour_type=2))
    yield case(
        "bomb-grey16-9400.png",
        "refuse",
        "9400² 16-bit grey PNG",
        lambda: big_png(n, n, bit_depth=16, colour_type=0),
    )
    yield case(
        "bomb-rgba16-6000.png",
        "either",
        "6000² 16-bit RGBA PNG (Pillow keeps 8 bits: 144 MB)",
        lambda: big_png(6000, 6000, bit_depth=16, colour_type=6),
    )
    yield case(
        "bomb-grey-9400.png", "either", "9400² 8-bit grey PNG", lambda: big_png(n, n, colour_type=0)
    )
    yield case(
        "bomb-greyalpha-9400.png",
        "refuse",
        "9400² grey+alpha PNG (4 bytes a pixel in Pillow)",
        lambda: big_png(n, n, colour_type=4),
    )
    palette = png_chunk(b"PLTE", bytes(range(48)))
    trns = png_chunk(b"tRNS", bytes((0, 128, 255)))
    yield case(
        "bomb-palette-trns-9400.png",
        "either",
        "9400² palette PNG with transparency",
        lambda: big_png(n, n, colour_type=3, pixel=b"\x01", before_idat=(palette, trns)),
    )
    yield case(
        "near-limit-rgba-6120.png",
        "normalise",
        "6120² RGBA PNG: 149.8 MB decoded, just inside the budget",
        lambda: big_png(6120, 6120),
    )
    yield case(
        "no-reduce-rgba-4095.png",
        "normalise",
        "4095² RGBA PNG: too small to box-reduce, so the widest LANCZOS-only shrink",
        lambda: big_png(4095, 4095),
    )
    yield case(
        "near-limit-grey-9000.png",
        "either",
        "9000² grey PNG",
        lambda: big_png(9000, 9000, colour_type=0),
    )
    yield case(
        "rotated-rgba-6000.png",
        "either",
        "6000² RGBA PNG with EXIF orientation 6",
        lambda: big_png(6000, 6000, before_idat=(png_chunk(b"eXIf", _exif(6).tobytes()),)),
    )
    yield case(
        "strip-42000x2100.png",
        "either",
        "42000×2100 grey PNG (20:1, 88 MP)",
        lambda: big_png(42000, 2100, colour_type=0),
    )

    # TIFF bombs: one strip (libtiff holds a second copy as its strip buffer) and many.
    tiff_kinds: dict[str, dict[str, Any]] = {
        "grey16": {"pixel": b"\x10\x27", "bits": (16,), "photometric": 1},
        "float": {
            "pixel": struct.pack("<f", 0.5),
            "bits": (32,),
            "photometric": 1,
            "sample_format": 3,
        },
        "rgba": {
            "pixel": b"\x10\x20\x30\x80",
            "bits": (8,) * 4,
            "photometric": 2,
            "extra_samples": (2,),
        },
        "cmyk": {"pixel": b"\x10\x20\x30\x40", "bits": (8,) * 4, "photometric": 5},
        "rgb": {"pixel": b"\x10\x20\x30", "bits": (8,) * 3, "photometric": 2},
    }
    for kind, spec in tiff_kinds.items():
        for strips in (1, 470):
            yield case(
                f"bomb-{kind}-9400-{strips}strip.tif",
                "refuse",
                f"9400² {kind} TIFF, {strips} strip(s)",
                functools.partial(tiff_bomb, n, n, strips=strips, **spec),
            )
    yield case(
        "near-limit-rgb-5000-1strip.tif",
        "either",
        "5000² RGB TIFF, one strip",
        lambda: tiff_bomb(5000, 5000, strips=1, **tiff_kinds["rgb"]),
    )
    small_page = TiffPage(64, 64, (8, 8, 8), 2, zlib.compress(b"\x80" * 64 * 64 * 3))
    yield case(
        "multipage-2000.tif",
        "normalise",
        "2000-page TIFF of 64² pages",
        lambda: tiff([small_page] * 2000),
    )
    yield case(
        "multipage-huge-second.tif",
        "normalise",
        "small first page, 9400² RGBA second page",
        lambda: tiff([small_page, _bomb_page(n, n, strips=1, **tiff_kinds["rgba"])]),
    )
    yield case(
        "many-strips-200000.tif",
        "either",
        "2-row raw TIFF with 200 000 strip offsets",
        lambda: tiff([TiffPage(8, 2, (8,), 1, b"\x80" * 8, 200_000, 1, compression=1)]),
    )

    # JPEG: the draft size bounds a baseline file; a progressive one buffers every coefficient.
    small_progressive = _encode(_small(), "JPEG", progressive=True)
    small_baseline = _encode(_small(), "JPEG")
    yield case(
        "bomb-progressive-9400.jpg",
        "refuse",
        "9400² progressive JPEG header (265 MB of coefficients)",
        lambda: patch_jpeg_size(small_progressive, n, n),
    )
    yield case(
        "bomb-baseline-9400.jpg",
        "either",
        "9400² baseline JPEG header, 64×48 of data",
        lambda: patch_jpeg_size(small_baseline, n, n),
    )
    yield case(
        "bomb-cmyk-progressive-9400.jpg",
        "refuse",
        "9400² progressive CMYK JPEG header",
        lambda: patch_jpeg_size(_encode(_small("CMYK"), "JPEG", progressive=True), n, n),
    )
    yield case(
        "bomb-baseline-65535.jpg",
        "refuse",
        "65535² baseline JPEG header (8192² even at 1/8: 268 MB)",
        lambda: patch_jpeg_size(small_baseline, 65_535, 65_535),
    )
    yield case(
        "bomb-progressive-200mp.jpg",
        "refuse",
        "16320×12240 progressive JPEG header (600 MB of coefficients)",
        lambda: patch_jpeg_size(small_progressive, 16_320, 12_240),
    )
    yield case(
        "zero-height.jpg",
        "refuse",
        "JPEG with height 0",
        lambda: patch_jpeg_size(small_baseline, 64, 0),
    )

    # GIF and WebP: a big canvas around a tiny frame, many frames.
    frames = [Image.new("P", (16, 16), k) for k in range(4)]
    gif = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    yield case(
        "bomb-canvas-9400.gif",
        "either",
        "9400² GIF canvas, 16² frames",
        lambda: patch_gif_screen(gif, n, n),
    )
    yield case(
        "bomb-canvas-65535.gif",
        "refuse",
        "65535² GIF canvas",
        lambda: patch_gif_screen(gif, 65535, 65535),
    )
    many = [Image.new("RGB", (16, 16), (k % 256, k * 7 % 256, k // 256)) for k in range(3000)]
    yield case(
        "frames-3000.gif",
        "normalise",
        "GIF with 3000 frames",
        lambda: _encode(many[0], "GIF", save_all=True, append_images=many[1:], duration=10),
    )
    yield case(
        "frames-3000-canvas-9400.gif",
        "either",
        "GIF with 3000 frames on a 9400² canvas",
        lambda: patch_gif_screen(
            _encode(many[0], "GIF", save_all=True, append_images=many[1:], duration=10), n, n
        ),
    )
    rgb_frames = [Image.new("RGB", (16, 16), (k, 0, 0)) for k in range(2)]
    webp = _encode(
        rgb_frames[0], "WEBP", save_all=True, append_images=rgb_frames[1:], lossless=True
    )
    yield case(
        "bomb-canvas-9400.webp",
        "refuse",
        "9400² animated WebP canvas, 16² frames",
        lambda: patch_webp_canvas(webp, n, n),
    )
    yield case(
        "bomb-canvas-3000.webp",
        "either",
        "3000² animated WebP canvas",
        lambda: patch_webp_canvas(webp, 3000, 3000),
    )
    apng = [Image.new("RGB", (16, 16), (0, k % 256, 0)) for k in range(2000)]
    yield case(
        "frames-2000.png",
        "normalise",
        "APNG with 2000 frames",
        lambda: _encode(apng[0], "PNG", save_all=True, append_images=apng[1:]),
    )

    # BMP: huge sizes in the header, an RLE bomb.
    yield case(
        "bomb-header-9400.bmp",
        "either",
        "9400² 32-bit BMP header, 1 KB of pixels",
        lambda: bmp(n, n, bpp=32, pixels=bytes(1024)),
    )
    yield case(
        "bomb-header-negative.bmp",
        "either",
        "BMP with height -9400 (top-down), 8-bit, no pixels",
        lambda: bmp(n, -n, bpp=8),
    )
    yield case(
        "bomb-rle8-9400.bmp",
        "either",
        "9400² RLE8 BMP of 2 bytes (end of bitmap)",
        lambda: bmp(n, n, bpp=8, compression=1, pixels=b"\x00\x01"),
    )
    if features.check("avif"):
        yield case(
            "photo-6000x4000.avif",
            "either",
            "24 MP AVIF",
            lambda: _encode(
                Image.new("RGB", (6000, 4000), (90, 120, 200)), "AVIF", quality=50, speed=10
            ),
        )

    # Metadata bombs.
    def text_bomb() -> bytes:
        ztxt = zlib.compress(b"a" * 1_000_000, 9)
        chunks = tuple(png_chunk(b"zTXt", b"k%d\x00\x00" % i + ztxt) for i in range(70))
        return big_png(16, 16, before_idat=chunks)

    yield case("text-bomb.png", "either", "70 zTXt chunks of 1 MB each", text_bomb)

    def exif_many_orientations() -> bytes:
        # An IFD whose orientation tag has 500 000 values.
        values = struct.pack("<H", 6) * 500_000
        ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 500_000, 26) + bytes(4)
        exif = b"II*\x00" + struct.pack("<I", 8) + ifd + values
        return _encode(_small(), "PNG", exif=b"Exif\x00\x00" + exif)

    yield case(
        "exif-huge-orientation.png",
        "either",
        "orientation tag with 500 000 values",
        exif_many_orientations,
    )
    for orientation in (0, 2, 5, 7, 9, 255, 65535):
        yield case(
            f"exif-orientation-{orientation}.jpg",
            "normalise",
            f"EXIF orientation {orientation}",
            functools.partial(_orientation_jpeg, orientation),
        )
    yield case(
        "exif-orientation-8.png",
        "normalise",
        "PNG with EXIF orientation 8",
        lambda: _encode(_small("RGBA"), "PNG", exif=_exif(8)),
    )

    # Palettes with odd transparency.
    def palette_png(plte: bytes, trns: bytes | None, pixel: int = 1, bit_depth: int = 8) -> bytes:
        chunks = [png_chunk(b"PLTE", plte)] if plte else []
        if trns is not None:
            chunks.append(png_chunk(b"tRNS", trns))
        return big_png(
            32,
            32,
            bit_depth=bit_depth,
            colour_type=3,
            pixel=bytes([pixel]),
            before_idat=tuple(chunks),
        )

    yield case(
        "palette-trns-longer.png",
        "either",
        "tRNS longer than PLTE",
        lambda: palette_png(bytes(6), bytes(300)),
    )
    yield case("palette-trns-empty.png", "either", "empty tRNS", lambda: palette_png(bytes(6), b""))
    yield case(
        "palette-index-beyond.png",
        "either",
        "pixels beyond the palette",
        lambda: palette_png(bytes(6), bytes(2), pixel=200),
    )
    yield case(
        "palette-missing.png",
        "either",
        "palette PNG without PLTE",
        lambda: palette_png(b"", bytes(1)),
    )
    yield case(
        "grey-trns-out-of-range.png",
        "either",
        "grey tRNS above the bit depth",
        lambda: big_png(
            32, 32, bit_depth=4, colour_type=0, before_idat=(png_chunk(b"tRNS", b"\xff\xff"),)
        ),
    )
    yield case(
        "rgb-trns.png",
        "normalise",
        "RGB with a transparent colour",
        lambda: big_png(
            32,
            32,
            colour_type=2,
            pixel=b"\x01\x02\x03",
            before_idat=(png_chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03"),),
        ),
    )

    # Zero and degenerate sizes.
    yield case("zero-bytes.png", "refuse", "empty file", lambda: b"")
    yield case(
        "zero-size.png",
        "refuse",
        "0×0 PNG",
        lambda: big_png(0, 1)[:16] + struct.pack(">II", 0, 0) + big_png(1, 1)[24:],
    )
    yield case("zero-size.bmp", "refuse", "0×0 BMP", lambda: bmp(0, 0, bpp=24))
    yield case(
        "zero-size.gif", "either", "0×0 GIF screen and frame", lambda: patch_gif_screen(gif, 0, 0)
    )
    yield case(
        "strip-1x100000.png", "refuse", "1×100000 PNG", lambda: big_png(1, 100_000, colour_type=0)
    )
    yield case(
        "strip-100000x1.png", "refuse", "100000×1 PNG", lambda: big_png(100_000, 1, colour_type=0)
    )
    yield case(
        "strip-1x100000.tif",
        "refuse",
        "1×100000 TIFF",
        lambda: tiff_bomb(1, 100_000, strips=1, **tiff_kinds["rgb"]),
    )

    # Formats LocalSight does not read (refused by name, never decoded).
    yield case("picture.tga", "refuse", "TGA with footer", lambda: _encode(_small(), "TGA"))
    yield case(
        "headerless.tga", "refuse", "TGA without footer", lambda: _encode(_small(), "TGA")[:-26]
    )
    yield case(
        "rle.tga", "refuse", "RLE TGA", lambda: _encode(_small(), "TGA", compression="tga_rle")
    )
    yield case("icon.ico", "refuse", "Windows icon", lambda: _encode(_small(), "ICO"))
    yield case("pointer.cur", "refuse", "Windows cursor", cursor_file)

    # Truncations.
    for name, cut in (
        ("truncated-rgba-9400.png", lambda: big_png(n, n)[:200_000]),
        ("truncated-progressive.jpg", lambda: small_progressive[: len(small_progressive) // 2]),
        ("truncated-header.tif", lambda: tiff_bomb(n, n, strips=1, **tiff_kinds["rgb"])[:100]),
        ("truncated-canvas.webp", lambda: patch_webp_canvas(webp, n, n)[:60]),
        ("truncated.gif", lambda: gif[: len(gif) // 2]),
        ("truncated.bmp", lambda: _encode(_small(), "BMP")[:500]),
    ):
        yield case(name, "either", "truncated file", cut)


def cursor_file() -> bytes:
    """A real Windows cursor (.cur): Pillow's ICO with the type field set to 2 and a hotspot."""
    from PIL import Image

    data = bytearray(_encode(Image.new("RGB", (16, 16), (200, 0, 0)), "ICO", sizes=[(16, 16)]))
    struct.pack_into("<H", data, 2, 2)  # type 2: cursor
    struct.pack_into("<HH", data, 6 + 4, 3, 5)  # hotspot instead of planes / bit count
    return bytes(data)


def hostile_cases(mutations: int) -> Iterator[tuple[HostileCase, Callable[[], bytes]]]:
    """Every case with the function that builds its bytes, structured cases first."""
    yield from _structured_cases()
    rng = random.Random(HOSTILE_SEED)
    bases = _mutation_bases()
    names = sorted(bases)
    for index in range(mutations):
        base = names[index % len(names)]
        data = _mutate(bases[base], rng)
        yield (
            HostileCase(f"mutant-{index:04d}-{base}", "either", f"mutated {base}"),
            (_const(data)),
        )


def write_hostile_set(folder: Path, mutations: int) -> list[HostileCase]:
    """Write every case into ``folder`` (plus a manifest the child reads); return the cases."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[HostileCase] = []
    for hostile, build in hostile_cases(mutations):
        (folder / hostile.name).write_bytes(build())
        cases.append(hostile)
    manifest = [asdict(c) for c in cases]
    (folder / _MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return cases


# --- measuring, in a child process -----------------------------------------------------------


def run_hostile_set(folder: Path, *, timeout: float = 900.0) -> list[Outcome]:
    """Normalise every case of ``folder`` in a fresh interpreter; one Outcome per case.

    A child killed by a signal costs the case it was on ("died"); a new child resumes after
    it. ``timeout`` bounds the whole run; the case running when it expires is "timeout".
    """
    from tests.helpers import REPO

    cases = [HostileCase(**c) for c in json.loads((folder / _MANIFEST).read_text("utf-8"))]
    outcomes: dict[str, Outcome] = {}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MALLOC_MMAP_THRESHOLD_": "131072",
        "MALLOC_TRIM_THRESHOLD_": "131072",
    }
    deadline = time.monotonic() + timeout
    start = 0
    while start < len(cases):
        with subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.hostile_images", str(folder), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        ) as child:
            try:
                out, err = child.communicate(timeout=max(1.0, deadline - time.monotonic()))
                timed_out = False
            except subprocess.TimeoutExpired:
                child.kill()
                out, err = child.communicate()
                timed_out = True
        current: str | None = None
        for line in out.splitlines():
            if line.startswith("start "):
                current = line.removeprefix("start ")
            elif line.startswith("{"):
                outcome = Outcome(**json.loads(line))
                outcomes[outcome.name] = outcome
                current = None
        if current is None and child.returncode == 0 and not timed_out:
            break
        if current is None:  # died before its first case: nothing to blame, stop here
            raise RuntimeError(f"hostile-image child failed ({child.returncode}): {err[-2000:]}")
        case = next(c for c in cases if c.name == current)
        status = "timeout" if timed_out else "died"
        outcomes[current] = Outcome(
            current, case.expect, status, message=f"exit {child.returncode}"
        )
        if timed_out:
            break
        start = next(i for i, c in enumerate(cases) if c.name == current) + 1
    return [outcomes[c.name] for c in cases if c.name in outcomes]


def _status_bytes(key: str) -> int:
    """A size from /proc/self/status (VmRSS, VmHWM) in bytes; 0 where there is none."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_bytes("VmHWM:") > 0


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 (C libraries' stderr) goes to ``path`` for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("wb") as target:
        os.dup2(target.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _warm_up() -> None:
    """Import every plugin and run each format once, so one-time costs (plugin imports, codec
    initialisation) are not charged to the first case that needs them."""
    from desktop_app.core.images import ImageError, normalize_image

    for data in _mutation_bases().values():
        with contextlib.suppress(ImageError):
            normalize_image(data)


def _child(folder: Path, start: int) -> int:
    from PIL import Image

    from desktop_app.core.images import ImageError, normalize_image

    cases = [HostileCase(**c) for c in json.loads((folder / _MANIFEST).read_text("utf-8"))]
    try:
        trim: Callable[[int], int] | None = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        trim = None
    _warm_up()
    measurable = _reset_peak()
    with tempfile.TemporaryDirectory() as scratch:
        stderr_file = Path(scratch) / "stderr"
        with _stderr_to(stderr_file):
            for hostile in cases[start:]:
                print(f"start {hostile.name}", flush=True)
                outcome = Outcome(hostile.name, hostile.expect, "normalised")
                gc.collect()
                if trim is not None:
                    trim(0)
                seen = stderr_file.stat().st_size
                before = _status_bytes("VmRSS:")
                measurable = measurable and _reset_peak()
                started = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        result = normalize_image(folder / hostile.name)
                    except ImageError as exc:
                        outcome.status, outcome.message = "refused", str(exc)
                        result = None
                    except Exception as exc:  # what the test must never see
                        outcome.status = "error"
                        outcome.message = f"{type(exc).__name__}: {exc}"
                        result = None
                outcome.seconds = time.perf_counter() - started
                if measurable:
                    outcome.peak_bytes = max(0, _status_bytes("VmHWM:") - before)
                outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
                with stderr_file.open("rb") as handle:
                    handle.seek(seen)
                    outcome.stderr = handle.read().decode("utf-8", "replace")
                if result is not None:
                    outcome.width, outcome.height, outcome.mime = (
                        result.width,
                        result.height,
                        result.mime,
                    )
                    with contextlib.suppress(Exception):
                        out = Image.open(io.BytesIO(result.data), formats=["PNG", "JPEG"])
                        out.load()
                        outcome.output_ok = out.mode == "RGB" and out.size == (
                            result.width,
                            result.height,
                        )
                    del result
                print(json.dumps(asdict(outcome)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0))
