"""The one place images enter LocalSight.

Every picture the user attaches (dropped, pasted, picked in a file dialog, given to the CLI)
goes through :func:`normalize_image` before anything else looks at it, and only the bytes it
returns, wrapped in a :class:`backends.base.ImageInput`, ever reach a model or the chat store.
This is docs/failures.md, item 4 ("hostile or huge images"): decompression bombs, 20000×1 strips
that overflowed llama.cpp's image encoder, EPS files (which Pillow would hand to Ghostscript),
files renamed to look like images, truncated JPEGs, 48 MP phone photos, CMYK, 16-bit, animated
GIFs, EXIF rotation and HEIC are each either refused with an :class:`ImageError` whose text a
person can act on, or normalised to a bounded 8-bit RGB image without any metadata.

How it works, and why:

* **Format by content, never by name.** ``PIL.Image.open`` is always called on the bytes (not
  the path, so the extension cannot steer plugin loading) with an explicit ``formats=``
  allowlist: JPEG (including MPO), PNG (first frame of APNG), WebP, GIF, BMP and TIFF (first
  frame / page of each), plus HEIF and AVIF only when a decoder for them is registered
  (pillow-heif, or a Pillow built with libavif). Pillow's EPS, PDF, ICO, PSD, ... plugins are
  never given the data, so Ghostscript can never run. When nothing on the allowlist accepts the
  data, a small magic-byte sniffer only *names* what it looks like, for the error message.
* **Decompression bombs.** The file size is checked before reading (``max_file_bytes``) and
  the pixel count from the header before decoding (``max_pixels``). Pillow's own guard also
  applies: its ``DecompressionBombWarning`` is turned into an error while the image is opened
  and decoded. ``warnings.catch_warnings`` is process-global and not thread-safe, so the
  explicit header check is the guard that always holds; the default ``max_pixels`` equals
  Pillow's default ``MAX_IMAGE_PIXELS`` so both agree.
* **Truncated data is an error.** ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set.
* **Big JPEGs decode small.** ``draft()`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale, never
  below the target size, so a 48 MP photo costs a fraction of a full decode.
* **Bounded RGB.** ``ImageOps.exif_transpose`` applies the EXIF orientation; every mode becomes
  8-bit RGB, alpha is flattened onto white, and 16-bit / 32-bit / float greyscale is scaled down
  to 8 bits (a plain Pillow ``convert`` would clip it to white). Images are only ever shrunk,
  so the long edge is at most ``max_long_edge``, with ``reduce()`` then LANCZOS.
* **Extreme aspect ratios are refused, not padded** (``max_aspect_ratio``, 20:1 by default).
  Padding a 20000×1 strip would hand the model a blank canvas around a line it cannot see
  after shrinking, and silently changing what the user sent is worse than a clear message
  asking them to crop. 20:1 still admits panoramas and long screenshots while keeping the
  short edge of a shrunk image at 51 px or more, far from the degenerate sizes that broke
  encoders.
* **No metadata.** The pixels are copied into a fresh image, so EXIF (GPS, camera serials),
  XMP, comments, text chunks and ICC profiles are all dropped. ICC profiles are dropped rather
  than converted: converting means parsing attacker-supplied profiles with littleCMS, and the
  small colour shift on wide-gamut photos does not matter to a vision model.
* **Deterministic output format.** Lossless sources (PNG, GIF, BMP, non-JPEG TIFF, lossless
  WebP), typically screenshots and diagrams where JPEG artefacts blur text, are written as PNG
  unless the PNG exceeds ``max_png_bytes`` (then it was really a photo); everything else is
  written as baseline JPEG, quality 90, 4:2:0. The same input and policy always give the same
  bytes, so ``sha256`` identifies an attachment.

This module is imported by the GUI: it must stay free of Qt, and Pillow is imported only when
an image is actually processed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import re
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from backends.base import ImageInput

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ImageError",
    "ImagePolicy",
    "looks_like_image_path",
    "make_thumbnail",
    "normalize_image",
    "supported_extensions",
]

#: Extensions of the formats every installation reads; for file-dialog filters.
SUPPORTED_EXTENSIONS: Final[frozenset[str]] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)
_OPTIONAL_EXTENSIONS: Final[dict[str, frozenset[str]]] = {
    "HEIF": frozenset({".heic", ".heif", ".hif"}),
    "AVIF": frozenset({".avif"}),
}

# Pillow format ids, tried in this order. Only these plugins ever see the data.
_BASE_FORMATS: Final[tuple[str, ...]] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
_FORMAT_NAMES: Final = "JPEG, PNG, WebP, GIF, BMP and TIFF"

_JPEG_FORMATS: Final[frozenset[str]] = frozenset({"JPEG", "MPO"})
_LOSSLESS_FORMATS: Final[frozenset[str]] = frozenset({"PNG", "GIF", "BMP"})
_ALPHA_MODES: Final[frozenset[str]] = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES: Final[frozenset[str]] = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_WHITE: Final = (255, 255, 255)


class ImageError(Exception):
    """An image was refused or could not be read; ``str()`` is one sentence a person can act on.

    ``name`` is what the message calls the image: the ``name`` given to
    :func:`normalize_image`, else the file's name, else "The image".
    """

    def __init__(self, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True, slots=True)
class ImagePolicy:
    """Limits and encoding choices applied to every image; see the module docstring.

    ``max_long_edge``: images are shrunk (never enlarged) so the longer side is at most this.
    ``max_pixels``: width × height from the header above which nothing is decoded (the
    decompression-bomb guard; Pillow's own ``MAX_IMAGE_PIXELS`` guard applies as well, as an
    error). ``max_file_bytes``: larger files are not read at all. ``max_aspect_ratio``: long
    side / short side above which the image is refused. ``jpeg_quality``: for JPEG output.
    ``max_png_bytes``: a lossless source is written as PNG only if the PNG is at most this big.
    """

    max_long_edge: int = 1024
    max_pixels: int = 89_478_485  # = Pillow's default MAX_IMAGE_PIXELS: 256 MiB as RGB
    max_file_bytes: int = 100 * 1024 * 1024
    max_aspect_ratio: float = 20.0
    jpeg_quality: int = 90
    max_png_bytes: int = 2 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_long_edge < 1:
            raise ValueError("max_long_edge must be at least 1")
        if self.max_pixels < 1:
            raise ValueError("max_pixels must be at least 1")
        if self.max_file_bytes < 1:
            raise ValueError("max_file_bytes must be at least 1")
        if not self.max_aspect_ratio >= 1.0:
            raise ValueError("max_aspect_ratio must be at least 1")
        if not 1 <= self.jpeg_quality <= 95:
            raise ValueError("jpeg_quality must be between 1 and 95")
        if self.max_png_bytes < 0:
            raise ValueError("max_png_bytes must not be negative")


_DEFAULT_POLICY: Final = ImagePolicy()


def normalize_image(
    source: bytes | str | os.PathLike[str],
    *,
    policy: ImagePolicy = _DEFAULT_POLICY,
    name: str | None = None,
) -> ImageInput:
    """Read, check and re-encode an image; only the returned bytes may reach a model.

    ``source`` is the file's content or its path. ``name`` is what error messages call it
    (default: the path's file name, or "The image" for bytes). Raises :class:`ImageError`.
    """
    data, label = _read_source(source, policy, name)

    from PIL import Image, UnidentifiedImageError

    try:
        with _bomb_warnings_are_errors():
            image, lossless = _decode(data, label, policy)
            rgb = _to_rgb(image, label)
            del image
            rgb = _shrink(rgb, policy.max_long_edge)
            clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())  # no info, no metadata
            del rgb
            encoded, mime = _encode(clean, lossless, policy)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(label, _pixels_from_pillow_message(str(exc)), policy) from exc
    except MemoryError as exc:
        raise ImageError(
            f"{label} is too large to open with the memory available; scale it down first.",
            name=label,
        ) from exc
    except UnidentifiedImageError as exc:
        raise _not_an_image(data, label) from exc
    except Exception as exc:  # any decoder failure on hostile data is "damaged", not a crash
        raise ImageError(f"{label} is damaged or truncated.", name=label) from exc

    return ImageInput(
        data=encoded,
        mime=mime,
        sha256=hashlib.sha256(encoded).hexdigest(),
        width=clean.width,
        height=clean.height,
    )


def make_thumbnail(image: ImageInput, size: int = 128) -> bytes:
    """A small preview of an already normalised image, for the UI and the chat store.

    The long edge is at most ``size`` (never enlarged); the bytes are in the same format as
    ``image.mime`` (PNG or JPEG) and carry no metadata.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    fmt = {"image/png": "PNG", "image/jpeg": "JPEG"}.get(image.mime)
    if fmt is None:
        raise ImageError(f"A thumbnail cannot be made from {image.mime} data.")

    from PIL import Image

    try:
        with _bomb_warnings_are_errors():
            im = Image.open(io.BytesIO(image.data), formats=[fmt])
            if fmt == "JPEG":
                im.draft("RGB", (size, size))
            im.load()
            rgb = _to_rgb(im, "The image")
        rgb.thumbnail((size, size), Image.Resampling.LANCZOS)
        clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
        out = io.BytesIO()
        if fmt == "PNG":
            clean.save(out, "PNG", compress_level=6)
        else:
            clean.save(out, "JPEG", quality=85, optimize=True, subsampling=2)
    except Exception as exc:
        raise ImageError("The image is damaged, so no thumbnail could be made.") from exc
    return out.getvalue()


def supported_extensions() -> frozenset[str]:
    """``SUPPORTED_EXTENSIONS`` plus HEIC/HEIF and AVIF when a decoder for them is present."""
    extensions = set(SUPPORTED_EXTENSIONS)
    available = _optional_formats_available()
    for fmt, exts in _OPTIONAL_EXTENSIONS.items():
        if fmt in available:
            extensions |= exts
    return frozenset(extensions)


def looks_like_image_path(path: str | os.PathLike[str]) -> bool:
    """Whether a file dialog should offer ``path``: by extension only, the content is checked
    by :func:`normalize_image`."""
    suffix = Path(path).suffix.lower()
    if suffix in SUPPORTED_EXTENSIONS:
        return True
    return suffix in supported_extensions()


# --- reading -------------------------------------------------------------------------------


def _read_source(
    source: bytes | str | os.PathLike[str], policy: ImagePolicy, name: str | None
) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "The image"
    else:
        path = Path(source)
        label = name or path.name or str(path)
        data = _read_file(path, label, policy)
    if not data:
        raise ImageError(f"{label} is empty (0 bytes), so there is no image in it.", name=label)
    if len(data) > policy.max_file_bytes:
        raise _file_too_big(label, len(data), policy)
    return data, label


def _read_file(path: Path, label: str, policy: ImagePolicy) -> bytes:
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ImageError(f"{label} is a folder, not an image.", name=label)
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(
                f"{label} is not a regular file, so LocalSight will not read it as an image.",
                name=label,
            )
        if st.st_size > policy.max_file_bytes:
            raise _file_too_big(label, st.st_size, policy)
        with path.open("rb") as handle:
            # One byte more than allowed, in case the file grew since stat().
            return handle.read(policy.max_file_bytes + 1)
    except FileNotFoundError as exc:
        raise ImageError(
            f"{label} was not found; it may have been moved or deleted.", name=label
        ) from exc
    except IsADirectoryError as exc:
        raise ImageError(f"{label} is a folder, not an image.", name=label) from exc
    except PermissionError as exc:
        raise ImageError(
            f"LocalSight is not allowed to read {label}; check the file's permissions.",
            name=label,
        ) from exc
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ImageError(f"{label} could not be read ({reason}).", name=label) from exc


def _file_too_big(label: str, size: int, policy: ImagePolicy) -> ImageError:
    return ImageError(
        f"{label} is too large to open safely ({_megabytes(size)} MB; the limit is "
        f"{_megabytes(policy.max_file_bytes)} MB).",
        name=label,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".removesuffix(".0")


# --- decoding ------------------------------------------------------------------------------


@contextlib.contextmanager
def _bomb_warnings_are_errors() -> Iterator[None]:
    """Pillow's DecompressionBombWarning becomes an exception (other warnings are left alone:
    harmless ones such as "corrupt EXIF" must not refuse a good photo)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _allowed_formats() -> list[str]:
    """The ``formats=`` allowlist, without importing any plugin: Pillow imports the rest of
    its plugins only if the data gets past JPEG and PNG, as it would anyway."""
    from PIL import Image

    formats = list(_BASE_FORMATS)
    if "HEIF" in Image.OPEN:  # registered by pillow_heif.register_heif_opener()
        formats.append("HEIF")
    # Pillow >= 11.2 has an AVIF plugin; without libavif its check names the missing support.
    if "AVIF" in Image.OPEN or importlib.util.find_spec("PIL.AvifImagePlugin") is not None:
        formats.append("AVIF")
    return formats


def _optional_formats_available() -> frozenset[str]:
    """Which of HEIF and AVIF can actually be decoded here."""
    from PIL import Image, features

    available = set()
    if "HEIF" in Image.OPEN:
        available.add("HEIF")
    with contextlib.suppress(ValueError):  # ValueError: a Pillow too old to know AVIF
        if features.check_module("avif"):
            available.add("AVIF")
    return frozenset(available)


def _decode(data: bytes, label: str, policy: ImagePolicy) -> tuple[Image.Image, bool]:
    """The first frame, fully decoded and upright, in its own mode; and whether the source
    was lossless."""
    from PIL import Image, ImageOps

    formats = _allowed_formats()
    # Not ``with``: closing an image frees its pixels, and a BytesIO holds no OS resource.
    im = Image.open(io.BytesIO(data), formats=formats)
    fmt = im.format or ""
    width, height = im.size
    _check_geometry(width, height, label, policy)
    target = _target_size(width, height, policy.max_long_edge)
    if fmt in _JPEG_FORMATS and target != (width, height):
        im.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 scale, still >= target
    im.load()
    lossless = _is_lossless_source(fmt, im, data)
    with contextlib.suppress(Exception):  # a broken EXIF block loses the rotation only
        ImageOps.exif_transpose(im, in_place=True)
    return im, lossless


def _check_geometry(width: int, height: int, label: str, policy: ImagePolicy) -> None:
    if width < 1 or height < 1:
        raise ImageError(f"{label} is damaged or truncated.", name=label)
    if width * height > policy.max_pixels:
        raise _bomb_error(label, width * height, policy)
    long_edge, short_edge = max(width, height), min(width, height)
    if long_edge > policy.max_aspect_ratio * short_edge:
        raise ImageError(
            f"{label} is too long and thin for vision models ({width}×{height}, more than "
            f"{policy.max_aspect_ratio:g}:1); crop it into smaller pieces first.",
            name=label,
        )


def _bomb_error(label: str, pixels: int | None, policy: ImagePolicy) -> ImageError:
    from PIL import Image

    limit = policy.max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    size = f"{_megapixels(pixels)} megapixels, " if pixels is not None else ""
    return ImageError(
        f"{label} is too large to open safely (decompression bomb guard: {size}"
        f"the limit is {_megapixels(limit)} megapixels).",
        name=label,
    )


def _megapixels(pixels: int) -> str:
    mp = pixels / 1_000_000
    return f"{mp:.0f}" if mp >= 10 else f"{mp:.1f}"


def _pixels_from_pillow_message(message: str) -> int | None:
    match = re.search(r"\((\d+) pixels\)", message)
    return int(match.group(1)) if match else None


def _target_size(width: int, height: int, max_long_edge: int) -> tuple[int, int]:
    long_edge = max(width, height)
    if long_edge <= max_long_edge:
        return width, height
    scale = max_long_edge / long_edge
    if width >= height:
        return max_long_edge, max(1, round(height * scale))
    return max(1, round(width * scale)), max_long_edge


def _is_lossless_source(fmt: str, im: Image.Image, data: bytes) -> bool:
    if fmt in _LOSSLESS_FORMATS:
        return True
    if fmt == "TIFF":
        return im.info.get("compression") not in ("jpeg", "tiff_jpeg")
    if fmt == "WEBP":
        return _webp_is_lossless(data)
    return False


def _webp_is_lossless(data: bytes) -> bool:
    """Whether the first (or only) frame of a WebP file is VP8L (lossless)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    pos = 12
    for _ in range(64):
        if pos + 8 > len(data):
            return False
        fourcc = data[pos : pos + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":
            pos += 8 + 16  # into the first frame: 16 bytes of frame header, then its chunks
            continue
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)
    return False


# --- converting ----------------------------------------------------------------------------


def _to_rgb(im: Image.Image, label: str) -> Image.Image:
    """8-bit RGB; alpha flattened onto white; high bit depths scaled, not clipped."""
    from PIL import Image

    mode = im.mode
    if mode == "RGB":
        return im
    try:
        if mode in _HIGH_DEPTH_MODES:
            return _high_depth_to_rgb(im)
        if mode in _ALPHA_MODES or "transparency" in im.info:
            rgba = im if mode == "RGBA" else im.convert("RGBA")
            flat = Image.new("RGB", rgba.size, _WHITE)
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return im.convert("RGB")
    except ValueError as exc:  # Pillow has no conversion for this mode
        raise ImageError(
            f"{label} uses a colour format LocalSight cannot convert ({mode}).", name=label
        ) from exc


def _high_depth_to_rgb(im: Image.Image) -> Image.Image:
    """Greyscale deeper than 8 bits -> 8-bit RGB, mapping the source's range onto 0..255.

    16-bit modes use their full range (a dark 16-bit scan stays dark). 32-bit integer and
    float images use 0..255, 0..65535 or 0..1 when their values fit, else their own range.
    """
    if im.mode.startswith("I;16"):
        im = im.convert("I")
        low, high = 0.0, 65535.0
    else:
        extrema = cast("tuple[float, float]", im.getextrema())
        low, high = float(extrema[0]), float(extrema[1])
        if im.mode == "F" and low >= 0.0 and high <= 1.0:
            low, high = 0.0, 1.0
        elif low >= 0.0 and high <= 255.0:
            low, high = 0.0, 255.0
        elif low >= 0.0 and high <= 65535.0:
            low, high = 0.0, 65535.0
    scale = 255.0 / (high - low) if high > low else 1.0
    offset = -low * scale
    return im.point(lambda value: value * scale + offset).convert("L").convert("RGB")


def _shrink(im: Image.Image, max_long_edge: int) -> Image.Image:
    """Only ever smaller: cheap box ``reduce()`` down to twice the target, then LANCZOS."""
    from PIL import Image

    target = _target_size(im.width, im.height, max_long_edge)
    if target == im.size:
        return im
    return im.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _encode(im: Image.Image, lossless: bool, policy: ImagePolicy) -> tuple[bytes, str]:
    if lossless:
        out = io.BytesIO()
        im.save(out, "PNG", compress_level=6)
        if out.tell() <= policy.max_png_bytes:
            return out.getvalue(), "image/png"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=policy.jpeg_quality, optimize=True, subsampling=2)
    return out.getvalue(), "image/jpeg"


# --- naming what the data is, for the refusal message ---------------------------------------

_ALLOWED_MAGIC: Final[tuple[bytes, ...]] = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)
# (magic, description, whether it is an image format LocalSight deliberately does not read)
_OTHER_MAGIC: Final[tuple[tuple[bytes, str, bool], ...]] = (
    (b"%!PS", "a PostScript (EPS) file", False),
    (b"\xc5\xd0\xd3\xc6", "a PostScript (EPS) file", False),
    (b"%PDF-", "a PDF document", False),
    (b"PK\x03\x04", "a ZIP archive or an office document", False),
    (b"GGUF", "a GGUF model file", False),
    (b"\x7fELF", "a program", False),
    (b"MZ", "a program", False),
    (b"8BPS", "a Photoshop (PSD) file", True),
    (b"\x00\x00\x01\x00", "a Windows icon (ICO) file", True),
    (b"\x00\x00\x02\x00", "a Windows cursor file", True),
    (b"icns", "a macOS icon (ICNS) file", True),
    (b"qoif", "a QOI image", True),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 image", True),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image", True),
    (b"\xff\x0a", "a JPEG XL image", True),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "a JPEG XL image", True),
)
_HEIF_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
)
_AVIF_BRANDS: Final[frozenset[bytes]] = frozenset({b"avif", b"avis"})


def _not_an_image(data: bytes, label: str) -> ImageError:
    """The message for data no allowlisted decoder accepted."""

    def error(message: str) -> ImageError:
        return ImageError(message, name=label)

    if data.startswith(_ALLOWED_MAGIC) or _looks_like_bmp(data) or _looks_like_webp(data):
        return error(f"{label} is damaged or truncated.")
    for magic, description, is_image in _OTHER_MAGIC:
        if data.startswith(magic):
            if is_image:
                return error(
                    f"{label} is {description}, which LocalSight cannot read; "
                    "convert it to PNG or JPEG first."
                )
            return error(f"{label} is not an image: it looks like {description}.")
    if data[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        available = _optional_formats_available()
        if brands & _AVIF_BRANDS:
            if "AVIF" in available:
                return error(f"{label} is damaged or truncated.")
            return error(
                f"{label} is not an image LocalSight can read "
                "(AVIF needs a Pillow built with AVIF support)."
            )
        if brands & _HEIF_BRANDS:
            if "HEIF" in available:
                return error(f"{label} is damaged or truncated.")
            return error(
                f"{label} is not an image LocalSight can read (HEIC needs the pillow-heif plugin)."
            )
        return error(f"{label} is not an image: it looks like a video file.")
    text = _as_text(data)
    if text is not None:
        lowered = text.lstrip().lower()
        if "<svg" in lowered:
            return error(
                f"{label} is an SVG drawing, which LocalSight cannot read; "
                "convert it to PNG or JPEG first."
            )
        if lowered.startswith(("<!doctype html", "<html")):
            return error(f"{label} is not an image: it looks like a web page (HTML).")
        return error(f"{label} is not an image: it looks like a text file.")
    return error(f"{label} is not an image LocalSight can read (it reads {_FORMAT_NAMES}).")


def _looks_like_bmp(data: bytes) -> bool:
    header_size = int.from_bytes(data[14:18], "little") if len(data) >= 18 else 0
    return data.startswith(b"BM") and header_size in (12, 40, 52, 56, 64, 108, 124)


def _looks_like_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _ftyp_brands(data: bytes) -> frozenset[bytes]:
    box_size = int.from_bytes(data[0:4], "big")
    end = min(max(box_size, 16), len(data), 256)
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, end - 3, 4))
    return frozenset(brands)


def _as_text(data: bytes) -> str | None:
    head = data[:4096]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or exc.start == 0:
            return None
        text = head[: exc.start].decode("utf-8")
    text = text.removeprefix("\ufeff")
    if all(ch.isprintable() or ch in "\t\n\r\f\v" for ch in text):
        return text
    return None
