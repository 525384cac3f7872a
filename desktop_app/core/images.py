"""The one place images enter LocalSight.

Every picture the user attaches (dropped, pasted, picked in a file dialog, given to the CLI)
goes through :func:`normalize_image` before anything else looks at it, and only the bytes it
returns, wrapped in a :class:`backends.base.ImageInput`, ever reach a model or the chat store.
This is docs/failures.md, item 4 ("hostile or huge images"): decompression bombs, 20000×1 strips
that overflowed llama.cpp's image encoder, EPS files (which Pillow would hand to Ghostscript),
files renamed to look like images, truncated JPEGs, 48 to 200 MP phone photos, CMYK, 16-bit,
animated GIFs, EXIF rotation and HEIC are each either refused with an :class:`ImageError` whose
text a person can act on, or normalised to a bounded 8-bit RGB image without any metadata.

How it works, and why:

* **Format by content, never by name.** ``PIL.Image.open`` is always called on the content (the
  bytes, or the open file -- never the path, so the extension cannot steer plugin loading) with
  an explicit ``formats=`` allowlist: JPEG (including MPO), PNG (first frame of APNG), WebP,
  GIF, BMP and TIFF (first frame / page of each), plus HEIF and AVIF only when a decoder for
  them is registered (pillow-heif, or a Pillow built with libavif). Pillow's EPS, PDF, ICO,
  PSD, ... plugins are never given the data, so Ghostscript can never run. When nothing on the
  allowlist accepts the data, a small sniffer only *names* what it looks like, for the error
  message; formats without a reliable magic number (TGA) are named only when their header's
  structure says so.
* **Decompression bombs.** The file size is checked before reading (``max_file_bytes``) and,
  for every format but JPEG, the pixel count from the header before decoding
  (``max_pixels``). Pillow's own guard also applies to them: its ``DecompressionBombWarning``
  is turned into an error while the image is opened and decoded. ``warnings.catch_warnings``
  is process-global and not thread-safe, so the explicit header check is the guard that
  always holds; the default ``max_pixels`` equals Pillow's default ``MAX_IMAGE_PIXELS`` so
  both agree. JPEG is exempt from both (issue 17: 108 and 200 MP phone photos were refused)
  because a big JPEG is never decoded at its full size (below): it is opened by Pillow's
  JPEG plugin directly, not through ``Image.open``'s pixel check (:func:`_open_image`), and
  held to the memory its reduced decode takes -- which refuses a header claiming JPEG's
  largest size, 65535² (8192² at 1/8: 268 MB), and any big progressive file, whose
  coefficients are kept at full size.
* **Memory is bounded in bytes, not only in pixels** (issue 16: a 343 KB 9400×9400 RGBA PNG,
  inside the pixel guard, took 781 MB -- enough to kill an 8 GB Raspberry Pi with a model
  loaded). Before anything is decoded, :func:`_decode_cost` works out from the header what
  decoding will hold: the image in Pillow's own layout (RGB takes 4 bytes a pixel there),
  plus what each codec keeps beside it, measured with Pillow 13 -- libtiff's strip or tile
  buffer (a one-strip TIFF is held twice), libjpeg's whole-image coefficient array for
  progressive and multi-scan JPEGs, libwebp's two canvases and the frame's copy, libavif's
  planes, the BMP RLE decoder's copies, the metadata already read and, where a plugin reads
  or maps it whole, the file. Above ``max_decode_bytes`` the image is refused with a message
  that says how much it needs. A path is decoded from the open file, so its bytes are not
  held in memory unless a plugin needs them. A TIFF's first directory is checked before
  Pillow parses it (:func:`_check_tiff_directory`): Pillow makes a Python object per strip or
  tile an uncompressed TIFF lists, so 200 000 strip offsets in a 1.6 MB file would become
  tens of megabytes of tuples before any size could be checked.
* **Big JPEGs decode small.** ``draft()`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale, never
  below the target size, so a 48 MP photo costs a fraction of a full decode. When even that
  does not fit the memory budget (a progressive JPEG keeps every coefficient at full size,
  whatever the scale), the largest smaller scale that fits is used and the image comes out
  smaller than ``max_long_edge`` rather than being refused.
* **Truncated data is an error.** ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set.
* **Quiet.** Nothing Pillow or a codec says on the way reaches stderr ahead of the one-line
  :class:`ImageError` (or instead of it): Python warnings (TiffImagePlugin's "Corrupt EXIF
  data", "Truncated File Read", ...) are ignored inside the same ``catch_warnings`` as above,
  and libtiff, which prints its own errors and warnings ("LZWDecode: Not enough data at
  scanline 0"), has its process-wide handlers switched off once (:func:`_silence_libtiff`).
  Pillow still reports every failure as an exception, so nothing is lost.
* **Bounded RGB, a strip at a time.** Every mode becomes 8-bit RGB, alpha is flattened onto
  white, and 16-bit / 32-bit / float greyscale is scaled down to 8 bits (a plain Pillow
  ``convert`` would clip it to white). Images are only ever shrunk, so the long edge is at
  most ``max_long_edge``: a box ``reduce()`` to no less than twice the target, then LANCZOS.
  The conversion, the reduce and LANCZOS's horizontal pass run on strips of about 2 MB of
  rows, and only the vertical pass sees a whole (already narrow) image, so no full-size RGB
  copy ever sits next to the decoded image. LANCZOS is separable and Pillow runs its
  horizontal pass first, so this gives exactly the pixels of one ``resize(reducing_gap=2)``
  (the tests compare them byte for byte). At the default 1024 px this adds at most about
  25 MB beside the decoded image. The EXIF orientation is applied last, to the small image,
  instead of turning the full-size one.
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
import ctypes
import functools
import hashlib
import importlib.util
import io
import os
import re
import stat
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, cast

from backends.base import ImageInput
from backends.messages import message

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
_FORMAT_NAMES: Final = message("JPEG, PNG, WebP, GIF, BMP and TIFF")

_JPEG_FORMATS: Final[frozenset[str]] = frozenset({"JPEG", "MPO"})
#: The largest width or height a JPEG frame header can state (16 bits).
_JPEG_MAX_EDGE: Final = 65_535
_LOSSLESS_FORMATS: Final[frozenset[str]] = frozenset({"PNG", "GIF", "BMP"})
_ALPHA_MODES: Final[frozenset[str]] = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_MODES: Final[frozenset[str]] = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_WHITE: Final = (255, 255, 255)

#: What the sniffer reads from the start of data no decoder accepted.
_HEAD_BYTES: Final = 4096
#: Rows are converted, reduced and resized horizontally this many bytes (at 4 a pixel) at a time.
_STRIP_BYTES: Final = 2 * 1024 * 1024
#: ``reduce()`` down to no less than this many times the target, then LANCZOS: Pillow's own
#: ``reducing_gap`` (2.0 is within a rounding error of a LANCZOS-only resize, and far faster).
_REDUCING_GAP: Final = 2.0


class ImageError(Exception):
    """An image was refused or could not be read; ``str()`` is one sentence a person can act on.

    The sentence is a ``backends.messages.Message`` (``sentence_of`` gives it back), so the
    window and the CLI show it in the person's language; ``str()`` stays English.  ``name``
    is what the message calls the image: the ``name`` given to :func:`normalize_image`, else
    the file's name, else "The image" (itself a ``message``).
    """

    def __init__(self, sentence: str, *, name: str | None = None) -> None:
        super().__init__(sentence)
        self.name = name


@dataclass(frozen=True, slots=True)
class ImagePolicy:
    """Limits and encoding choices applied to every image; see the module docstring.

    ``max_long_edge``: images are shrunk (never enlarged) so the longer side is at most this.
    ``max_pixels``: width × height from the header above which nothing is decoded, for every
    format but JPEG (the decompression-bomb guard; Pillow's own ``MAX_IMAGE_PIXELS`` guard
    applies as well, as an error). JPEG decodes at 1/2, 1/4 or 1/8 scale, so its decoded
    memory (``max_decode_bytes``) bounds it instead: a 200 MP baseline phone photo takes
    12.5 MB. ``max_file_bytes``: larger files are not read at all. ``max_aspect_ratio``: long
    side / short side above which the image is refused. ``jpeg_quality``: for JPEG output.
    ``max_png_bytes``: a lossless source is written as PNG only if the PNG is at most this big.

    ``max_decode_bytes``: the memory decoding one image may take -- the decoded pixels in
    Pillow's layout, the codec's own buffers, the metadata and, for some formats, the file
    (see :func:`_decode_cost`); above it the image is refused before anything is decoded.
    The default, 150 MB, comes from issue 16's goal of at most 200 MB for a whole
    normalisation: the strip-wise shrinking adds up to ~25 MB at the default 1024 px, which
    leaves ~25 MB of headroom. It admits a 48 MP baseline phone JPEG (decoded at 1/4 scale:
    12 MB), a 48 MP progressive JPEG (144 MB of coefficients, decoded at 1/8: 147 MB), a
    12 MP RGBA PNG screenshot (48 MB), 8-bit RGB or RGBA PNG, BMP and multi-strip TIFF up to
    37 MP, 16-bit grey up to 75 MP, 8-bit grey and palette images up to the pixel guard
    (89 MP), 108 and 200 MP baseline JPEGs (at 1/8: 7 and 12.5 MB), a still lossy WebP up to
    ~35 MP (animated: 9 MP), 8-bit 4:2:0 AVIF up to ~16 MP (12 MP phone photos: 116 MB) and
    4:4:4 up to ~13 MP. It refuses the audit's 9400×9400 RGBA PNG (353 MB), 16-bit and float
    TIFFs of that size, a one-strip 9400×9400 RGB TIFF (620 MB) and a progressive JPEG of more
    than ~49 MP (a 108 MP one keeps 324 MB of coefficients whatever the scale).
    """

    max_long_edge: int = 1024
    max_pixels: int = 89_478_485  # = Pillow's default MAX_IMAGE_PIXELS: 256 MiB as RGB
    max_file_bytes: int = 100 * 1024 * 1024
    max_aspect_ratio: float = 20.0
    jpeg_quality: int = 90
    max_png_bytes: int = 2 * 1024 * 1024
    max_decode_bytes: int = 150_000_000

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
        if self.max_decode_bytes < 1:
            raise ValueError("max_decode_bytes must be at least 1")


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
    with _open_source(source, policy, name) as (stream, size, label):
        from PIL import Image, UnidentifiedImageError

        try:
            with _quiet_decoding():
                image, target, lossless, orientation = _decode(stream, size, label, policy)
                wide, source_height = _shrink_in_strips(image, target, label)
                del image  # the full-size image, and any codec state it holds, go here
                rgb = _finish_shrinking(wide, target, source_height)
                del wide
                clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())  # no info, no metadata
                del rgb
                clean = _apply_orientation(clean, orientation)
                encoded, mime = _encode(clean, lossless, policy)
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(label, _pixels_from_pillow_message(str(exc)), policy) from exc
        except MemoryError as exc:
            raise ImageError(
                message(
                    "{name} is too large to open with the memory available; scale it down first.",
                    name=label,
                ),
                name=label,
            ) from exc
        except UnidentifiedImageError as exc:
            raise _not_an_image(stream, size, label) from exc
        except Exception as exc:  # any decoder failure on hostile data is "damaged", not a crash
            raise ImageError(
                message("{name} is damaged or truncated.", name=label), name=label
            ) from exc

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
        raise ImageError(message("A thumbnail cannot be made from {mime} data.", mime=image.mime))

    from PIL import Image

    try:
        with _quiet_decoding():
            im = Image.open(io.BytesIO(image.data), formats=[fmt])
            if fmt == "JPEG":
                im.draft("RGB", (size, size))
            im.load()
            rgb = _rgb_converter(im, message("The image"))(im)
        rgb.thumbnail((size, size), Image.Resampling.LANCZOS)
        clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
        out = io.BytesIO()
        if fmt == "PNG":
            clean.save(out, "PNG", compress_level=6)
        else:
            clean.save(out, "JPEG", quality=85, optimize=True, subsampling=2)
    except Exception as exc:
        raise ImageError(message("The image is damaged, so no thumbnail could be made.")) from exc
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


@contextlib.contextmanager
def _open_source(
    source: bytes | str | os.PathLike[str], policy: ImagePolicy, name: str | None
) -> Iterator[tuple[BinaryIO, int, str]]:
    """The content as a seekable binary stream, its size, and what messages call it.

    A path is opened, not read: Pillow then reads it block by block as it decodes, so a big
    file never sits in memory whole next to the image decoded from it. Only errors of the
    opening are reported here; whatever happens while the caller reads is the caller's.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)  # no copy for bytes; BytesIO shares it until written to
        label = name or message("The image")
        _check_size(len(data), label, policy)
        yield io.BytesIO(data), len(data), label
        return
    path = Path(source)
    label = name or path.name or str(path)
    handle, size = _open_file(path, label, policy)
    with handle:
        yield handle, size, label


def _open_file(path: Path, label: str, policy: ImagePolicy) -> tuple[BinaryIO, int]:
    try:
        # stat() before open(): opening a FIFO would block until someone writes to it.
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise ImageError(message("{name} is a folder, not an image.", name=label), name=label)
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(
                message(
                    "{name} is not a regular file, so LocalSight will not read it as an image.",
                    name=label,
                ),
                name=label,
            )
        _check_size(st.st_size, label, policy)
        handle = path.open("rb")
        try:
            size = os.fstat(handle.fileno()).st_size  # the file opened, if the path moved on
            _check_size(size, label, policy)
        except BaseException:
            handle.close()
            raise
        return handle, size
    except FileNotFoundError as exc:
        raise ImageError(
            message("{name} was not found; it may have been moved or deleted.", name=label),
            name=label,
        ) from exc
    except IsADirectoryError as exc:
        raise ImageError(
            message("{name} is a folder, not an image.", name=label), name=label
        ) from exc
    except PermissionError as exc:
        raise ImageError(
            message(
                "LocalSight is not allowed to read {name}; check the file's permissions.",
                name=label,
            ),
            name=label,
        ) from exc
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__  # the system's words: a value
        raise ImageError(
            message("{name} could not be read ({reason}).", name=label, reason=reason),
            name=label,
        ) from exc


def _check_size(size: int, label: str, policy: ImagePolicy) -> None:
    if size == 0:
        raise ImageError(
            message("{name} is empty (0 bytes), so there is no image in it.", name=label),
            name=label,
        )
    if size > policy.max_file_bytes:
        raise _file_too_big(label, size, policy)


def _read_at(stream: BinaryIO, offset: int, count: int) -> bytes:
    stream.seek(offset)
    return stream.read(count)


def _file_too_big(label: str, size: int, policy: ImagePolicy) -> ImageError:
    return ImageError(
        message(
            "{name} is too large to open safely ({size} MB; the limit is {limit} MB).",
            name=label,
            size=_megabytes(size),
            limit=_megabytes(policy.max_file_bytes),
        ),
        name=label,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".removesuffix(".0")


# --- decoding ------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_decoding() -> Iterator[None]:
    """Pillow's DecompressionBombWarning becomes an exception; every other warning is ignored,
    and libtiff's own messages are switched off (see "Quiet" in the module docstring).

    A harmless warning such as "corrupt EXIF" must neither refuse a good photo nor print
    anything: the one-line :class:`ImageError`, or the image, is the whole answer.
    """
    from PIL import Image

    _silence_libtiff()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


@functools.cache
def _silence_libtiff() -> None:
    """Switch off libtiff's error and warning handlers, once, in each libtiff loaded here.

    libtiff prints its messages to stderr itself ("TIFFFetchNormalTag: Incorrect count for
    ...", "LZWDecode: Not enough data at scanline 0") and Pillow installs no handler of its
    own, so they reached the terminal before -- or instead of -- the one-line error. Pillow
    learns of every failure from libtiff's return codes, so nothing is lost. The library is
    found through /proc/self/maps (Linux; Pillow's wheels bundle their own libtiff, a distro's
    Pillow uses the system's): where there is no such file, or the library cannot be opened
    again, nothing changes. The handlers are process-wide; in LocalSight only Pillow uses
    libtiff.
    """
    from PIL import Image  # noqa: F401 - loads _imaging, and with it the libtiff it links to

    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    libraries = {
        fields[5]
        for fields in (line.split(maxsplit=5) for line in maps.splitlines())
        if len(fields) == 6 and os.path.basename(fields[5]).startswith("libtiff")
    }
    for library in sorted(libraries):
        try:
            libtiff = ctypes.CDLL(library)  # already loaded: the same instance, not a copy
            for setter in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
                function = getattr(libtiff, setter)
                function.argtypes = [ctypes.c_void_p]
                function.restype = ctypes.c_void_p
                function(None)
        except (OSError, AttributeError):
            continue


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


def _decode(
    stream: BinaryIO, size: int, label: str, policy: ImagePolicy
) -> tuple[Image.Image, tuple[int, int], bool, int]:
    """The first frame, fully decoded in its own mode, once its cost is known to fit; the size
    to shrink it to; whether the source was lossless; its EXIF orientation (1 to 8).

    A tuple, not an object, so that the caller's ``del`` of the image really frees it.
    """
    if _read_at(stream, 0, 4) in _TIFF_MAGIC:
        _check_tiff_directory(stream, label, policy)
    im = _open_image(stream)
    fmt = im.format or ""
    width, height = im.size
    _check_geometry(width, height, label, policy, pixel_limit=fmt not in _JPEG_FORMATS)
    still_webp = fmt == "WEBP" and getattr(im, "n_frames", 1) == 1 and _libwebp() is not None
    if fmt in _JPEG_FORMATS:
        _draft_within_budget(im, stream, label, policy)
    else:
        cost = _decode_cost(im, fmt, size, stream, still_webp=still_webp)
        if cost > policy.max_decode_bytes:
            raise _needs_too_much_memory(label, cost, policy, convert=fmt == "WEBP")
    lossless, orientation = _is_lossless_source(fmt, im, stream), _orientation(im)
    if still_webp:
        mode, im_size = im.mode, im.size
        del im  # libwebp's calloc'd canvases and Pillow's copy of the file go (not close():
        im = _decode_still_webp(stream, im_size, mode)  # that would close the caller's file)
    else:
        im.load()
    target = _target_size(im.width, im.height, policy.max_long_edge)
    return im, target, lossless, orientation


def _open_image(stream: BinaryIO) -> Image.Image:
    """The image opened (header only) by an allowlisted plugin.

    Data that starts like a JPEG goes to Pillow's JPEG plugin directly (which hands an MPO on
    to its MPO plugin, as ``Image.open`` does), because ``Image.open`` holds every image to
    Pillow's ``MAX_IMAGE_PIXELS`` by its full size -- a warning above 89 MP, an error above
    179 MP -- and a JPEG is never decoded at its full size when it is big (see "Big JPEGs
    decode small" in the module docstring): a 108 or 200 MP phone photo is read at 1/8 scale,
    7 or 12.5 MB. Pillow's global limit is left as it is (changing it would not be thread
    safe); the JPEG's memory is bounded by :func:`_draft_within_budget` instead. When the JPEG
    plugin does not accept the data, the whole allowlist tries it, exactly as before.
    """
    from PIL import Image

    if _read_at(stream, 0, 3) == b"\xff\xd8\xff":
        from PIL import JpegImagePlugin

        stream.seek(0)
        try:
            return JpegImagePlugin.jpeg_factory(stream)
        except (SyntaxError, IndexError, TypeError, struct.error):
            pass  # what Image.open catches to try the next plugin
    stream.seek(0)
    return Image.open(stream, formats=_allowed_formats())


@functools.cache
def _libwebp() -> ctypes.CDLL | None:
    """The libwebp Pillow's WebP plugin is linked to, for :func:`_decode_still_webp`; None
    where it cannot be found (no /proc/self/maps, or no such library loaded).

    Pillow decodes every WebP through libwebp's animation decoder, which holds two full RGBA
    canvases and hands Pillow a copy of the frame: 16 bytes a pixel, 196 MB for a 12 MP phone
    photo. libwebp's simple ``WebPDecodeRGBAInto`` decodes a still image straight into memory
    the caller gives it, here the image's own buffer. The library is the one already loaded
    (as for libtiff in :func:`_silence_libtiff`), so nothing new is installed or trusted.
    """
    try:
        from PIL import _webp  # noqa: F401 - loads libwebp
    except ImportError:
        return None
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    libraries = {
        fields[5]
        for fields in (line.split(maxsplit=5) for line in maps.splitlines())
        if len(fields) == 6 and os.path.basename(fields[5]).startswith("libwebp")
    }
    for library in sorted(libraries):
        try:
            libwebp = ctypes.CDLL(library)
            decode = libwebp.WebPDecodeRGBAInto
        except (OSError, AttributeError):
            continue
        decode.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int,
        ]
        decode.restype = ctypes.c_void_p
        return libwebp
    return None


def _decode_still_webp(stream: BinaryIO, size: tuple[int, int], mode: str) -> Image.Image:
    """A still WebP decoded by libwebp into a buffer the returned image shares ("RGBX" when it
    has no alpha): 4 bytes a pixel, plus a lossless file's ARGB buffer while it decodes."""
    from PIL import Image

    libwebp = _libwebp()
    assert libwebp is not None
    width, height = size
    data = _read_at(stream, 0, -1)
    buffer = bytearray(4 * width * height)
    target = (ctypes.c_char * len(buffer)).from_buffer(buffer)
    done = libwebp.WebPDecodeRGBAInto(
        data, len(data), ctypes.addressof(target), len(buffer), 4 * width
    )
    del target, data
    if not done:
        raise OSError("libwebp could not decode the image")
    pillow_mode = "RGBA" if mode == "RGBA" else "RGBX"
    return Image.frombuffer(pillow_mode, size, buffer, "raw", pillow_mode, 0, 1)


def _check_geometry(
    width: int, height: int, label: str, policy: ImagePolicy, *, pixel_limit: bool = True
) -> None:
    """Refuse a size no image may have: zero, beyond ``max_pixels`` (``pixel_limit``: every
    format but JPEG, which is held to its decoded memory instead and to its own 65535 px
    limit), or too long and thin."""
    if width < 1 or height < 1:
        raise ImageError(message("{name} is damaged or truncated.", name=label), name=label)
    if not pixel_limit and max(width, height) > _JPEG_MAX_EDGE:
        raise ImageError(message("{name} is damaged or truncated.", name=label), name=label)
    if pixel_limit and width * height > policy.max_pixels:
        raise _too_many_pixels(label, width * height, policy)
    long_edge, short_edge = max(width, height), min(width, height)
    if long_edge > policy.max_aspect_ratio * short_edge:
        raise ImageError(
            message(
                "{name} is too long and thin for vision models ({width}×{height}, more than "
                "{ratio}:1); crop it into smaller pieces first.",
                name=label,
                width=width,
                height=height,
                ratio=f"{policy.max_aspect_ratio:g}",
            ),
            name=label,
        )


def _too_many_pixels(label: str, pixels: int | None, policy: ImagePolicy) -> ImageError:
    """The refusal of the pixel guard, in words a person can act on: how big the image is,
    how big it may be, and what to do -- scale it down, or save it as a JPEG, which is not
    held to the pixel limit because it decodes at a fraction of its size."""
    from PIL import Image

    limit = policy.max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    if pixels is None:
        sentence = message(
            "{name} is too large to open safely (more than the {limit} megapixels allowed); "
            "scale it down or save it as a JPEG first.",
            name=label,
            limit=_megapixels(limit),
        )
    else:
        sentence = message(
            "{name} is too large to open safely ({pixels} megapixels, more than the {limit} "
            "megapixels allowed); scale it down or save it as a JPEG first.",
            name=label,
            pixels=_megapixels(pixels),
            limit=_megapixels(limit),
        )
    return ImageError(sentence, name=label)


def _needs_too_much_memory(
    label: str, needed: int, policy: ImagePolicy, *, convert: bool = False
) -> ImageError:
    """``convert``: the format decodes far bigger than JPEG or PNG would (WebP), so say so."""
    needed_mb, limit_mb = _memory(needed), _memory(policy.max_decode_bytes)
    if convert:
        sentence = message(
            "{name} is too large to open safely (opening it would take {needed} MB of memory, "
            "more than the {limit} MB allowed); convert it to JPEG or PNG, or scale it down "
            "first.",
            name=label,
            needed=needed_mb,
            limit=limit_mb,
        )
    else:
        sentence = message(
            "{name} is too large to open safely (opening it would take {needed} MB of memory, "
            "more than the {limit} MB allowed); scale it down first.",
            name=label,
            needed=needed_mb,
            limit=limit_mb,
        )
    return ImageError(sentence, name=label)


def _memory(size: int) -> str:
    mb = size / 1_000_000
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.1f}".removesuffix(".0")


def _megapixels(pixels: int) -> str:
    mp = pixels / 1_000_000
    return f"{mp:.0f}" if mp >= 10 else f"{mp:.1f}"


def _pixels_from_pillow_message(text: str) -> int | None:
    match = re.search(r"\((\d+) pixels\)", text)
    return int(match.group(1)) if match else None


def _target_size(width: int, height: int, max_long_edge: int) -> tuple[int, int]:
    long_edge = max(width, height)
    if long_edge <= max_long_edge:
        return width, height
    scale = max_long_edge / long_edge
    if width >= height:
        return max_long_edge, max(1, round(height * scale))
    return max(1, round(width * scale)), max_long_edge


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (from EXIF or XMP, as Pillow reads it), 1 when absent or broken:
    a broken EXIF block loses the rotation only."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _apply_orientation(im: Image.Image, orientation: int) -> Image.Image:
    """Turn the (small, final) image upright; the same mapping as ``ImageOps.exif_transpose``."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return im if method is None else im.transpose(method)


def _is_lossless_source(fmt: str, im: Image.Image, stream: BinaryIO) -> bool:
    if fmt in _LOSSLESS_FORMATS:
        return True
    if fmt == "TIFF":
        return im.info.get("compression") not in ("jpeg", "tiff_jpeg")
    if fmt == "WEBP":
        return _webp_is_lossless(stream)
    return False


def _webp_is_lossless(stream: BinaryIO) -> bool:
    """Whether the first (or only) frame of a WebP file is VP8L (lossless)."""
    header = _read_at(stream, 0, 12)
    if header[:4] != b"RIFF" or header[8:12] != b"WEBP":
        return False
    pos = 12
    for _ in range(64):
        chunk = _read_at(stream, pos, 8)
        if len(chunk) < 8:
            return False
        fourcc = chunk[:4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":
            pos += 8 + 16  # into the first frame: 16 bytes of frame header, then its chunks
            continue
        size = int.from_bytes(chunk[4:8], "little")
        pos += 8 + size + (size & 1)
    return False


# --- what decoding costs -------------------------------------------------------------------

#: Python objects Pillow keeps per tile (an uncompressed TIFF has one per strip or tile).
_TILE_OBJECT_BYTES: Final = 400
#: Beside the image, per pixel, for an animated WebP or where libwebp cannot be called
#: directly (:func:`_libwebp`): the animation decoder's two RGBA canvases (the current and the
#: previous frame, both touched) and the bytes of the decoded frame handed to Pillow.
#: Measured: a 9400×9400 WebP, still or animated, lossy or lossless, peaks at 16.0 bytes a
#: pixel; a 4032×3024 lossy one at 196 MB for the whole normalisation.
_WEBP_EXTRA_PER_PIXEL: Final = 12
#: Beside the image, per pixel, for a still lossless (VP8L) WebP decoded by
#: :func:`_decode_still_webp`: libwebp's own ARGB buffer of the whole image. A lossy one
#: decodes a row of macroblocks at a time into the image. Measured, 4032×3024 (12.2 MP),
#: whole normalisation: lossy 66 MB, lossless 118 MB (a 20 MB file; estimated 159 MB, as the
#: three copies of the file while Pillow opens it are charged in full).
_WEBP_LOSSLESS_EXTRA_PER_PIXEL: Final = 4
#: AVIF / HEIF, beside the image, per pixel: the RGB(A) output libavif converts to and its
#: copy into bytes for Pillow (3.5 bytes a pixel for RGB, 5 for RGBA), plus 1.2 bytes for each
#: byte of the decoded YUV(A) planes (dav1d's picture and its pool). Fitted to 4032×3024
#: (12.2 MP) files, whole normalisation (the estimate / the measured peak): 8-bit RGB 4:2:0
#: 116 / 114 MB, RGB 4:4:4 138 / 135 MB, RGBA 4:2:0 154 / 144 MB, RGBA 4:4:4 174 / 165 MB.
#: 10- and 12-bit planes take 2 bytes a sample (not measured: Pillow cannot write them).
_AVIF_OUTPUT_PER_PIXEL: Final = {"RGB": 3.5, "RGBA": 5.0}
_AVIF_PER_PLANE_BYTE: Final = 1.2
#: How far into an AVIF / HEIF file :func:`_heif_layout` looks for the ``meta`` box, and how
#: many boxes it reads: the item properties sit in the first few hundred bytes of a
#: still-image file; anything else is charged the worst case.
_HEIF_HEAD_BYTES: Final = 512 * 1024
_HEIF_MAX_BOXES: Final = 4096
#: The worst case: 4:4:4 (three full planes) at 2 bytes a sample.
_HEIF_WORST: Final = (3.0, 2)


def _bytes_per_pixel(mode: str) -> int:
    """How many bytes Pillow stores a pixel of ``mode`` in: 1 for "1", "L" and "P", 2 for the
    16-bit modes, 4 for everything else -- RGB included, which Pillow pads to 4 bytes."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


def _metadata_bytes(im: Image.Image) -> int:
    """What Pillow has already read beside the pixels: text chunks, EXIF, ICC, XMP, comments,
    a JPEG's APP segments. Bounded by Pillow or the file, but up to 64 MB of PNG text."""
    total = 0
    for value in im.info.values():
        if isinstance(value, (bytes, str)):
            total += len(value)
    for _marker, segment in getattr(im, "applist", ()):
        total += len(segment)
    return total


def _decode_cost(
    im: Image.Image, fmt: str, file_size: int, stream: BinaryIO, *, still_webp: bool = False
) -> int:
    """Bytes that decoding ``im`` (opened, not yet loaded) will hold at its peak.

    The decoded image in Pillow's layout, the metadata and tile objects already there, and
    what the codec keeps beside the image (measured with Pillow 13's codecs; the hostile image
    set in the tests keeps the estimate honest):

    * TIFF through libtiff (every compressed TIFF): one strip or tile of decoded source
      samples, which for a one-strip file is the whole image again, and the file (libtiff
      reads or maps each strip's compressed bytes from it).
    * WebP, still (``still_webp``, decoded by :func:`_decode_still_webp`): a lossless file's
      ARGB buffer (:data:`_WEBP_LOSSLESS_EXTRA_PER_PIXEL`), and three copies of the file (the
      plugin's read, its concatenation, libwebp's own copy, while Pillow opens it).
    * WebP, animated: libwebp's canvases and frame copy (:data:`_WEBP_EXTRA_PER_PIXEL`), and
      three copies of the file.
    * AVIF / HEIF: the RGB(A) output and the YUV(A) planes, whose size the header gives
      (:func:`_heif_layout`, :data:`_AVIF_OUTPUT_PER_PIXEL`), and two copies of the file (the
      plugin's read and libavif's).
    * BMP with RLE compression: Pillow's RLE decoder builds the image in a bytearray, copies
      it to bytes, then unpacks it: two more bytes a pixel.
    * PNG, GIF and uncompressed BMP / TIFF decode straight into the image, a row at a time.

    JPEG is costed by :func:`_draft_within_budget`, which can decode it smaller.
    """
    width, height = im.size
    pixels = width * height
    cost = pixels * _bytes_per_pixel(im.mode) + _metadata_bytes(im)
    tiles = _tiles(im)
    cost += len(tiles) * _TILE_OBJECT_BYTES
    decoder = tiles[0][0] if tiles else ""
    if fmt == "TIFF" and decoder == "libtiff":
        cost += _tiff_strip_bytes(im) + file_size
    elif fmt == "WEBP" and still_webp:
        lossless = _webp_is_lossless(stream)
        cost += (_WEBP_LOSSLESS_EXTRA_PER_PIXEL if lossless else 0) * pixels + 3 * file_size
    elif fmt == "WEBP":
        cost += _WEBP_EXTRA_PER_PIXEL * pixels + 3 * file_size
    elif fmt in ("AVIF", "HEIF"):
        alpha = im.mode != "RGB"
        samples, sample_bytes = _heif_layout(stream) or _HEIF_WORST
        planes = (samples + (1 if alpha else 0)) * sample_bytes
        per_pixel = _AVIF_OUTPUT_PER_PIXEL["RGBA" if alpha else "RGB"]
        per_pixel += _AVIF_PER_PLANE_BYTE * planes
        cost += int(per_pixel * pixels) + 2 * file_size
    elif fmt == "BMP" and decoder == "bmp_rle":
        cost += 2 * pixels
    return cost


def _heif_layout(stream: BinaryIO) -> tuple[float, int] | None:
    """Samples a pixel (luma plus chroma: 1.5 for 4:2:0, 2 for 4:2:2, 3 for 4:4:4, 1 for
    monochrome) and bytes a sample (1 up to 8 bits, else 2) of an AVIF or HEIF file, from the
    item properties in its ``meta`` box: ``av1C`` (AVIF) or ``hvcC`` (HEVC) give the
    subsampling and bit depth, ``pixi`` the bits of each channel. The largest of every
    property found counts (a file also describes its thumbnail and alpha items); None when
    none is found in the first :data:`_HEIF_HEAD_BYTES`, and the caller assumes the worst.
    """
    head = _read_at(stream, 0, _HEIF_HEAD_BYTES)
    samples: float = 0.0
    bits = 0
    found = False
    pending = [(0, len(head), 0)]
    boxes = 0
    while pending and boxes < _HEIF_MAX_BOXES:
        start, end, depth = pending.pop()
        pos = start
        while pos + 8 <= end and boxes < _HEIF_MAX_BOXES:
            boxes += 1
            size = int.from_bytes(head[pos : pos + 4], "big")
            kind = head[pos + 4 : pos + 8]
            body = pos + 8
            if size == 1 and pos + 16 <= end:
                size = int.from_bytes(head[pos + 8 : pos + 16], "big")
                body = pos + 16
            elif size == 0:
                size = end - pos
            if size < body - pos:
                break
            box_end = min(end, pos + size)
            if kind == b"meta" and depth < 4:
                pending.append((body + 4, box_end, depth + 1))  # a full box
            elif kind in (b"iprp", b"ipco") and depth < 4:
                pending.append((body, box_end, depth + 1))
            elif kind == b"av1C" and box_end - body >= 3:
                flags = head[body + 2]
                high, twelve, mono = flags & 0x40, flags & 0x20, flags & 0x10
                bits = max(bits, (12 if twelve else 10) if high else 8)
                chroma = 2 / ((2 if flags & 0x08 else 1) * (2 if flags & 0x04 else 1))
                samples = max(samples, 1.0 if mono else 1.0 + chroma)
                found = True
            elif kind == b"hvcC" and box_end - body >= 18:
                chroma_format = head[body + 16] & 0x03
                bits = max(bits, 8 + (head[body + 17] & 0x07), 8 + (head[body + 18] & 0x07))
                samples = max(samples, (1.0, 1.5, 2.0, 3.0)[chroma_format])
                found = True
            elif kind == b"pixi" and box_end - body >= 5:
                count = head[body + 4]
                channels = head[body + 5 : min(box_end, body + 5 + count)]
                bits = max(bits, *channels) if channels else bits
            pos += size
    if not found:
        return None
    return samples, 1 if bits <= 8 else 2


def _tiles(im: Image.Image) -> list[tuple[object, ...]]:
    """The decoder tiles of an opened, not yet loaded image (``ImageFile.tile``)."""
    return list(getattr(im, "tile", None) or ())


def _tiff_strip_bytes(im: Image.Image) -> int:
    """The buffer Pillow's libtiff decoder allocates for one strip (or tile) of source samples;
    YCbCr and JPEG-compressed TIFFs go through libtiff's RGBA reader, at 4 bytes a pixel."""
    tags = getattr(im, "tag_v2", {})
    width, height = im.size

    def number(tag: int, default: int) -> int:
        value = tags.get(tag, default)
        if isinstance(value, tuple):
            value = value[0] if value else default
        return value if isinstance(value, int) and value > 0 else default

    bits = tags.get(258, (1,))
    bits = bits if isinstance(bits, tuple) else (bits,)
    bits_per_pixel = sum(b for b in bits if isinstance(b, int) and b > 0) or 8
    rgba_reader = number(262, 0) == 6 or number(259, 1) in (6, 7)
    if 322 in tags and 323 in tags:
        part_width, part_rows = number(322, width), number(323, height)
    else:
        part_width, part_rows = width, min(number(278, height), height)
    row = _ceil_div(part_width * bits_per_pixel, 8)
    if rgba_reader:
        row = max(row, 4 * part_width)
    return row * part_rows


def _draft_within_budget(
    im: Image.Image, stream: BinaryIO, label: str, policy: ImagePolicy
) -> None:
    """Choose the scale libjpeg decodes at: the one Pillow's ``draft()`` would (the smallest
    decode still at least the target size), or, if that does not fit ``max_decode_bytes``,
    the largest smaller one that does; refuse if even 1/8 does not fit."""
    width, height = im.size
    target = _target_size(width, height, policy.max_long_edge)
    fixed = _jpeg_coefficient_bytes(im, stream) + _metadata_bytes(im)
    fixed += len(_tiles(im)) * _TILE_OBJECT_BYTES
    per_pixel = _bytes_per_pixel(im.mode)  # draft("RGB") keeps L, RGB and CMYK as they are
    preferred = 1
    if target != (width, height):
        ratio = min(width // target[0], height // target[1])
        preferred = next(s for s in (8, 4, 2, 1) if ratio >= s)

    def cost(scale: int) -> int:
        return fixed + _ceil_div(width, scale) * _ceil_div(height, scale) * per_pixel

    fitting = [s for s in (1, 2, 4, 8) if s >= preferred and cost(s) <= policy.max_decode_bytes]
    if not fitting:
        raise _needs_too_much_memory(label, cost(8), policy)
    if fitting[0] > 1:
        im.draft("RGB", (max(1, width // fitting[0]), max(1, height // fitting[0])))
    actual = fixed + im.width * im.height * _bytes_per_pixel(im.mode)
    if actual > policy.max_decode_bytes:  # draft() chose otherwise: never decode over budget
        raise _needs_too_much_memory(label, actual, policy)


def _jpeg_coefficient_bytes(im: Image.Image, stream: BinaryIO) -> int:
    """What libjpeg allocates for the whole image's DCT coefficients.

    Nothing for a baseline file whose first scan holds every component: it is decoded one
    row of blocks at a time. But a progressive file, or one whose first scan leaves a
    component out (multi-scan), is buffered whole -- 2 bytes per coefficient, at full size
    whatever the draft scale: 3 bytes a pixel for 4:2:0 colour, 6 for 4:4:4, 8 for CMYK.
    """
    layers = getattr(im, "layer", None) or []
    if not layers:
        return 0
    if not im.info.get("progressive"):
        components = _jpeg_first_scan_components(stream)
        if components is not None and components >= len(layers):
            return 0
    width, height = im.size
    sampling = [(max(1, h), max(1, v)) for _id, h, v, _table in layers]
    h_max = max(h for h, _ in sampling)
    v_max = max(v for _, v in sampling)
    total = 0
    for h, v in sampling:
        blocks_wide = _ceil_div(_ceil_div(width * h, 8 * h_max), h) * h
        blocks_high = _ceil_div(_ceil_div(height * v, 8 * v_max), v) * v
        total += blocks_wide * blocks_high * 64 * 2
    return total


def _jpeg_first_scan_components(stream: BinaryIO) -> int | None:
    """How many components the first scan (SOS) of a JPEG holds; None if it cannot be found
    (then the file is costed as if multi-scan)."""
    stream.seek(2)
    for _ in range(1_000_000):
        if stream.read(1) != b"\xff":
            return None
        marker = stream.read(1)
        while marker == b"\xff":  # fill bytes
            marker = stream.read(1)
        if not marker:
            return None
        code = marker[0]
        if code == 0x01 or 0xD0 <= code <= 0xD8:  # markers without a length
            continue
        length = stream.read(2)
        if len(length) < 2:
            return None
        if code == 0xDA:
            count = stream.read(1)
            return count[0] if count else None
        stream.seek(int.from_bytes(length, "big") - 2, io.SEEK_CUR)
    return None


# --- a TIFF's first directory, before Pillow parses it ---------------------------------------

_TIFF_MAGIC: Final = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: Strips or tiles a TIFF may list. Opening an uncompressed TIFF, Pillow builds a Python tile
#: (~400 bytes) for each strip or tile its directory lists, and libtiff keeps two 8-byte
#: offsets for each: 131 072 of them are ~50 MB. A 42 000-row image (the longest the pixel
#: guard and the aspect limit admit) stored a row per strip needs 42 000.
_MAX_TIFF_PARTS: Final = 1 << 17
#: Values a tag that Pillow unpacks while opening may hold (as a tuple of Python ints); a
#: 16-bit colour map, the largest legitimate one, has 196 608.
_MAX_TIFF_VALUES: Final = 1 << 18
_TIFF_UNPACKED_TAGS: Final = frozenset(
    {256, 257, 258, 259, 262, 266, 274, 277, 278, 282, 283, 284, 296, 317, 320, 322, 323}
    | {338, 339, 530, 532}
)
_TIFF_PART_TAGS: Final = (273, 279, 324, 325)  # strip / tile offsets and byte counts


def _check_tiff_directory(stream: BinaryIO, label: str, policy: ImagePolicy) -> None:
    """Refuse a TIFF whose first directory would make opening it unbounded work.

    Pillow builds its tiles and unpacks its tags while *opening* a TIFF, before any size can
    be checked: 200 000 strip offsets in a 1.6 MB file are 50 MB of tuples, and a file of the
    size limit could list 25 million. So before Pillow sees the file, the first directory is
    read here (classic and BigTIFF): a size beyond the pixel guard or the aspect limit is
    refused as it would be after opening, a directory listing far more strips or tiles than
    its image needs, or a tag Pillow unpacks holding an absurd number of values, is damaged,
    and more than :data:`_MAX_TIFF_PARTS` strips or tiles are too many. Anything this reader
    cannot make sense of is left to Pillow, which reports it.
    """
    header = _read_at(stream, 0, 16)
    endian = "<" if header[:2] == b"II" else ">"
    big = header[2:4] in (b"+\x00", b"\x00+")
    if big and len(header) < 16:
        return
    (ifd,) = struct.unpack_from(endian + ("Q" if big else "I"), header, 8 if big else 4)
    count_bytes = _read_at(stream, ifd, 8 if big else 2)
    if len(count_bytes) < (8 if big else 2):
        return
    (count,) = struct.unpack(endian + ("Q" if big else "H"), count_bytes)
    if count > 0xFFFF:
        raise ImageError(message("{name} is damaged or truncated.", name=label), name=label)
    entry_size = 20 if big else 12
    entries = stream.read(count * entry_size)
    counts: dict[int, int] = {}
    values: dict[int, int] = {}
    for start in range(0, len(entries) - entry_size + 1, entry_size):
        tag, kind = struct.unpack_from(endian + "HH", entries, start)
        (values_count,) = struct.unpack_from(endian + ("Q" if big else "I"), entries, start + 4)
        counts[tag] = values_count
        if tag in _TIFF_UNPACKED_TAGS and values_count > _MAX_TIFF_VALUES:
            raise ImageError(message("{name} is damaged or truncated.", name=label), name=label)
        inline = {3: "H", 4: "I", 16: "Q"}.get(kind)
        if values_count == 1 and inline is not None and (big or kind != 16):
            (values[tag],) = struct.unpack_from(
                endian + inline, entries, start + (12 if big else 8)
            )
    width, height = values.get(256, 0), values.get(257, 0)
    if width < 1 or height < 1:
        return
    _check_geometry(width, height, label, policy)
    planes = values.get(277, 1) if values.get(284, 1) == 2 else 1
    tile_width, tile_rows = values.get(322, 0), values.get(323, 0)
    if tile_width > 0 and tile_rows > 0:
        needed = _ceil_div(width, tile_width) * _ceil_div(height, tile_rows) * max(1, planes)
    else:
        rows = values.get(278, height)
        rows = height if not 0 < rows <= height else rows
        needed = _ceil_div(height, rows) * max(1, planes)
    listed = max(counts.get(tag, 0) for tag in _TIFF_PART_TAGS)
    if listed > max(2 * needed, needed + 1024):
        raise ImageError(message("{name} is damaged or truncated.", name=label), name=label)
    if listed > _MAX_TIFF_PARTS:
        raise ImageError(
            message(
                "{name} is split into too many pieces to open safely ({count} strips or "
                "tiles); save it again as PNG first.",
                name=label,
                count=listed,
            ),
            name=label,
        )


# --- converting and shrinking, a strip at a time -------------------------------------------


def _rgb_converter(im: Image.Image, label: str) -> Callable[[Image.Image], Image.Image]:
    """A function that turns ``im``, or any strip cropped from it, into 8-bit RGB: alpha
    flattened onto white, high bit depths scaled by the whole image's range, not clipped."""
    mode = im.mode
    if mode == "RGB":
        return lambda part: part
    convert: Callable[[Image.Image], Image.Image]
    if mode in _HIGH_DEPTH_MODES:
        convert = _high_depth_converter(im)
    elif mode in _ALPHA_MODES or "transparency" in im.info:
        convert = _flatten_on_white
    else:
        convert = functools.partial(_convert, mode="RGB")

    def checked(part: Image.Image) -> Image.Image:
        try:
            return convert(part)
        except ValueError as exc:  # Pillow has no conversion for this mode
            raise ImageError(
                message(
                    "{name} uses a colour format LocalSight cannot convert ({mode}).",
                    name=label,
                    mode=mode,
                ),
                name=label,
            ) from exc

    return checked


def _convert(part: Image.Image, mode: str) -> Image.Image:
    return part.convert(mode)


def _flatten_on_white(part: Image.Image) -> Image.Image:
    from PIL import Image

    rgba = part if part.mode == "RGBA" else part.convert("RGBA")
    flat = Image.new("RGB", rgba.size, _WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _high_depth_converter(im: Image.Image) -> Callable[[Image.Image], Image.Image]:
    """Greyscale deeper than 8 bits -> 8-bit RGB, mapping the source's range onto 0..255.

    16-bit modes use their full range (a dark 16-bit scan stays dark). 32-bit integer and
    float images use 0..255, 0..65535 or 0..1 when their values fit, else their own range --
    of the whole image, found before any strip is converted.
    """
    widen = im.mode.startswith("I;16")
    if widen:
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

    def convert(part: Image.Image) -> Image.Image:
        wide = part.convert("I") if widen else part
        return wide.point(lambda value: value * scale + offset).convert("L").convert("RGB")

    return convert


def _shrink_in_strips(
    im: Image.Image, target: tuple[int, int], label: str
) -> tuple[Image.Image, float]:
    """RGB at the target width: strips of rows are converted, box-reduced and resized
    horizontally one at a time; returns that image and the height of the source in its rows
    (the box for :func:`_finish_shrinking`).

    It is exactly what ``resize(target, LANCZOS, reducing_gap=2.0)`` does after a whole-image
    conversion: the same reduce factors (strips are a multiple of the vertical factor high,
    so the reduce boxes line up), the same fractional box, and LANCZOS's horizontal pass,
    which Pillow runs first, works on each row alone. Only the strip, and this image of
    ``target`` width, exist beside the decoded source.
    """
    from PIL import Image

    convert = _rgb_converter(im, label)
    width, height = im.size
    target_width, target_height = target
    factor_x = int(width / target_width / _REDUCING_GAP) or 1
    factor_y = int(height / target_height / _REDUCING_GAP) or 1
    rows = max(1, _STRIP_BYTES // (4 * width))
    rows = max(factor_y, rows - rows % factor_y)
    box_width = width / factor_x
    wide = Image.new("RGB", (target_width, _ceil_div(height, factor_y)))
    for top in range(0, height, rows):
        strip = convert(im.crop((0, top, width, min(height, top + rows))))
        if factor_x > 1 or factor_y > 1:
            strip = strip.reduce((factor_x, factor_y))
        if strip.width != target_width or box_width != target_width:
            strip = strip.resize(
                (target_width, strip.height),
                Image.Resampling.LANCZOS,
                box=(0, 0, box_width, strip.height),
            )
        wide.paste(strip, (0, top // factor_y))
    return wide, height / factor_y


def _finish_shrinking(
    wide: Image.Image, target: tuple[int, int], source_height: float
) -> Image.Image:
    """LANCZOS's vertical pass, on the already narrow image."""
    from PIL import Image

    if wide.size == target and source_height == target[1]:
        return wide
    return wide.resize(target, Image.Resampling.LANCZOS, box=(0, 0, target[0], source_height))


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
# (magic, description, whether it is an image format LocalSight deliberately does not read).
# ICO and CUR are not here: their 4-byte magic also starts every uncompressed TGA ("\0\0\2\0"
# is a cursor's and a truecolour TGA's), so they are named by _icon_kind() from their directory.
_OTHER_MAGIC: Final[tuple[tuple[bytes, str, bool], ...]] = (
    (b"%!PS", message("a PostScript (EPS) file"), False),
    (b"\xc5\xd0\xd3\xc6", message("a PostScript (EPS) file"), False),
    (b"%PDF-", message("a PDF document"), False),
    (b"PK\x03\x04", message("a ZIP archive or an office document"), False),
    (b"GGUF", message("a GGUF model file"), False),
    (b"\x7fELF", message("a program"), False),
    (b"MZ", message("a program"), False),
    (b"8BPS", message("a Photoshop (PSD) file"), True),
    (b"icns", message("a macOS icon (ICNS) file"), True),
    (b"qoif", message("a QOI image"), True),
    (b"\xff\x4f\xff\x51", message("a JPEG 2000 image"), True),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", message("a JPEG 2000 image"), True),
    (b"\xff\x0a", message("a JPEG XL image"), True),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", message("a JPEG XL image"), True),
)
_HEIF_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
)
_AVIF_BRANDS: Final[frozenset[bytes]] = frozenset({b"avif", b"avis"})
_TGA_FOOTER: Final = b"TRUEVISION-XFILE.\x00"


def _not_an_image(stream: BinaryIO, size: int, label: str) -> ImageError:
    """The message for data no allowlisted decoder accepted."""
    data = _read_at(stream, 0, _HEAD_BYTES)
    tail = _read_at(stream, size - len(_TGA_FOOTER), len(_TGA_FOOTER)) if size >= 44 else b""

    def error(sentence: str) -> ImageError:
        return ImageError(sentence, name=label)

    def unreadable(description: str) -> ImageError:
        return error(
            message(
                "{name} is {description}, which LocalSight cannot read; "
                "convert it to PNG or JPEG first.",
                name=label,
                description=description,
            )
        )

    if data.startswith(_ALLOWED_MAGIC) or _looks_like_bmp(data) or _looks_like_webp(data):
        return error(message("{name} is damaged or truncated.", name=label))
    icon = _icon_kind(data)
    if icon is not None:
        return unreadable(icon)
    for magic, description, is_image in _OTHER_MAGIC:
        if data.startswith(magic):
            if is_image:
                return unreadable(description)
            return error(
                message(
                    "{name} is not an image: it looks like {description}.",
                    name=label,
                    description=description,
                )
            )
    if data[4:8] == b"ftyp":
        brands = _ftyp_brands(data)
        available = _optional_formats_available()
        if brands & _AVIF_BRANDS:
            if "AVIF" in available:
                return error(message("{name} is damaged or truncated.", name=label))
            return error(
                message(
                    "{name} is an AVIF image, which this installation of LocalSight cannot "
                    "read; convert it to PNG or JPEG first.",
                    name=label,
                )
            )
        if brands & _HEIF_BRANDS:
            if "HEIF" in available:
                return error(message("{name} is damaged or truncated.", name=label))
            return error(
                message(
                    "{name} is a HEIC photo, which this installation of LocalSight cannot "
                    "read; convert it to JPEG first.",
                    name=label,
                )
            )
        return error(
            message(
                "{name} is not an image: it looks like {description}.",
                name=label,
                description=message("a video file"),
            )
        )
    if _looks_like_tga(data, tail):
        return unreadable(message("a TGA image"))
    text = _as_text(data)
    if text is not None:
        lowered = text.lstrip().lower()
        if "<svg" in lowered:
            return unreadable(message("an SVG drawing"))
        if lowered.startswith(("<!doctype html", "<html")):
            return error(
                message(
                    "{name} is not an image: it looks like {description}.",
                    name=label,
                    description=message("a web page (HTML)"),
                )
            )
        return error(
            message(
                "{name} is not an image: it looks like {description}.",
                name=label,
                description=message("a text file"),
            )
        )
    return error(
        message(
            "{name} is not an image LocalSight can read (it reads {formats}).",
            name=label,
            formats=_FORMAT_NAMES,
        )
    )


def _icon_kind(data: bytes) -> str | None:
    """ "a Windows icon (ICO) file" or "a Windows cursor file" when the data starts like one and
    its first directory entry makes sense (a reserved zero byte, a size, image data after the
    directory); else None -- a TGA starts with the same four bytes but no such directory."""
    if len(data) < 22 or data[:2] != b"\x00\x00" or data[2:4] not in (b"\x01\x00", b"\x02\x00"):
        return None
    count = int.from_bytes(data[4:6], "little")
    image_size = int.from_bytes(data[14:18], "little")
    image_offset = int.from_bytes(data[18:22], "little")
    if not 1 <= count <= 512 or data[9] != 0 or image_size == 0 or image_offset < 6 + 16 * count:
        return None
    return (
        message("a Windows icon (ICO) file") if data[2] == 1 else message("a Windows cursor file")
    )


def _looks_like_tga(data: bytes, tail: bytes) -> bool:
    """TGA has no magic number. A version 2 file ends with a footer that says so; a version 1
    file is recognised by a header whose every field holds a value TGA allows (random bytes
    pass about once in a million). Pillow's own guess is no better, so this names a TGA only
    when its structure does."""
    if tail == _TGA_FOOTER:
        return True
    if len(data) < 18:
        return False
    colour_map, kind = data[1], data[2]
    map_length = int.from_bytes(data[5:7], "little")
    width = int.from_bytes(data[12:14], "little")
    height = int.from_bytes(data[14:16], "little")
    depth, descriptor = data[16], data[17]
    if colour_map not in (0, 1) or kind not in (1, 2, 3, 9, 10, 11):
        return False
    if (colour_map == 1) != (kind in (1, 9)):
        return False
    if colour_map == 1 and (map_length == 0 or data[7] not in (15, 16, 24, 32)):
        return False
    return width > 0 and height > 0 and depth in (8, 15, 16, 24, 32) and descriptor & 0xC0 == 0


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
