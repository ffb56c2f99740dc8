"""Photos beside an article: published in a few widths, as WebP plus a JPEG or PNG fallback.

`process` is pure (bytes in, bytes out); `ImageStore` keeps its results on disk by the image's
sha256 digest, so an unchanged photo is processed once, and several worker processes may use
the same store at once. Every published file, the original included, is stripped of personal
metadata (GPS position, camera serial numbers, names in IPTC/XMP) unless `keep_exif` is set:
reporters' phones record where a photo was taken, and an archive must not publish that.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import PIL
from PIL import Image, features

from sitegen.mediatypes import RASTER_SUFFIXES, ImageInfo, ImageSettings, Variant
from sitegen.stripmeta import ORIENTATION, TRANSPOSE, stripped

# (The records live in mediatypes.py, which every build imports; this module, and Pillow with
# it, only builds that have photos to publish.)
__all__ = [
    "RASTER_SUFFIXES", "ImageError", "ImageInfo", "ImageSettings", "ImageStore", "Variant",
    "process", "settings_tag",
]  # fmt: skip

FORMAT: Final = 1  # bump when the published bytes or the store layout change

# Only these readers may run: Pillow would otherwise try EPS (which starts Ghostscript), PSD,
# ICO and dozens more on whatever bytes an editor drops into a folder.
_READERS: Final = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
# What Pillow raises on bad bytes; struct.error and IndexError also come from our own walkers.
_BAD_DATA: Final = (
    OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error,
)  # fmt: skip
_REDO: Final = "save it again from the original photo"
_SHRINK: Final = "resize it in a photo editor (a few thousand pixels wide is plenty for the web)"
_MIME: Final = {"WEBP": "image/webp", "JPEG": "image/jpeg", "PNG": "image/png"}
_EXTENSION: Final = {"WEBP": ".webp", "JPEG": ".jpg", "PNG": ".png"}
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_VARIANT_NAME: Final = re.compile(r"-[1-9][0-9]*w\.(webp|jpg|png)")
_INFO_FILE: Final = "info.json"


class ImageError(Exception):
    """An image that cannot be published; str(exc) says what is wrong and what to do, without
    the file's path (the caller adds it)."""


def settings_tag(settings: ImageSettings) -> str:
    """A short stable name for the store folder of these settings. It covers FORMAT and the
    Pillow and libwebp versions too, because other encoders give other bytes and a clean build
    must match an incremental one. max_pixels is left out: it changes no stored byte."""
    key = [FORMAT, PIL.__version__, features.version("webp"), sorted(set(settings.widths))]
    key += [settings.quality, settings.keep_exif]
    return hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()[:12]


def process(
    data: bytes, suffix: str, settings: ImageSettings
) -> tuple[ImageInfo, dict[str, bytes]]:
    """Pure: the info and the bytes of every published file, keyed by Variant.name, plus the
    key "" for the published original (metadata stripped unless keep_exif). Raises ImageError.
    The suffix only has to be an image type: content that is another raster format than the
    suffix says is published all the same, since browsers sniff the bytes."""
    if suffix.lower() not in RASTER_SUFFIXES:
        raise ImageError(f"{suffix!r} files are not published as images: use JPEG, PNG or WebP")
    # Pillow warns (UserWarning) when it skips a damaged Exif or TIFF tag and carries on: the
    # picture is fine and the metadata is not published, so that is no reason to refuse a
    # photo; real damage raises in load(). Its DecompressionBombWarning is replaced by our
    # max_pixels check. catch_warnings restores the filters on exit (workers are processes,
    # so no other thread sees them meanwhile).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return _processed(data, settings)


def _processed(data: bytes, settings: ImageSettings) -> tuple[ImageInfo, dict[str, bytes]]:
    img = _decode(data, settings.max_pixels)
    try:
        orientation = _orientation(img)
        upright, transparent = _normalised(img, orientation)
        icc = _rgb_icc(img)
        original = data if settings.keep_exif else stripped(data, img.format, orientation)
        fallback = "PNG" if transparent or img.format in ("PNG", "GIF") else "JPEG"
        info, files = _variants(upright, fallback, settings, icc)
    except _BAD_DATA as exc:
        # Pillow read the first frame, but the rest (later frames, the file's structure) is bad.
        raise ImageError(f"cannot be read as an image (the data is damaged): {_REDO}") from exc
    return info, {"": original, **files}


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """The first frame, fully loaded (load() is what finds a truncated file)."""
    if not data:
        raise ImageError("is an empty file (0 bytes): copy the photo into the folder again")
    try:
        img = Image.open(io.BytesIO(data), formats=_READERS)
        _check_size(img.width, img.height, max_pixels)  # before load(): nothing decoded yet
        img.load()
    except Image.DecompressionBombError as exc:
        raise ImageError(f"has too many pixels to process safely ({exc}): {_SHRINK}") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageError(
            "cannot be read as an image (it is not JPEG, PNG, GIF, WebP, BMP or TIFF, "
            "or is damaged beyond recognition): save it again as JPEG or PNG"
        ) from exc
    except _BAD_DATA as exc:
        why = "the file is truncated" if "truncated" in str(exc) else "the data is damaged"
        raise ImageError(f"cannot be read as an image ({why}): {_REDO}") from exc
    return img


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageError(f"cannot be read as an image (it is {width}×{height} pixels): {_REDO}")
    if width * height > max_pixels:
        raise ImageError(
            f"is {width}×{height} = {width * height:,} pixels, more than the limit of "
            f"{max_pixels:,} (max_pixels): {_SHRINK}"
        )


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation, 1 when absent or nonsense: a damaged Exif block should not stop
    a photo that decodes, and it is not published anyway."""
    try:
        value = img.getexif().get(ORIENTATION, 1)
    except _BAD_DATA:
        return 1
    return value if isinstance(value, int) and value in TRANSPOSE else 1


def _normalised(img: Image.Image, orientation: int) -> tuple[Image.Image, bool]:
    """The picture upright, in RGB or RGBA (what WebP and JPEG take), with no metadata in
    `info`, and whether it really has transparency (an opaque RGBA TIFF is still a photo)."""
    if img.mode.startswith("I;16") or img.mode == "I":
        # 16-bit grey (scans, medical and some TIFFs): convert() would clip at 255, not scale.
        # Its tRNS colour is a 16-bit value, meaningless after scaling, so it is dropped.
        img = img.convert("I").point(lambda v: v / 256).convert("L")
        img.info = {}
    if img.has_transparency_data:
        out = img.convert("RGBA")
        transparent = out.getchannel("A").getextrema()[0] < 255
        if not transparent:
            out = out.convert("RGB")
    else:
        # CMYK goes through Pillow's formula, not its ICC profile: close enough for news photos
        # (ImageCms would need LittleCMS at run time), and its profile is dropped (_rgb_icc).
        out, transparent = img.convert("RGB"), False
    if orientation in TRANSPOSE:
        out = out.transpose(TRANSPOSE[orientation])
    out.info = {}  # convert() copies info (exif, xmp, comments): nothing of it may leak
    return out, transparent


def _rgb_icc(img: Image.Image) -> bytes | None:
    """The ICC profile, kept because colours depend on it (it is not personal data), but only
    an RGB one: a CMYK or grey profile would be wrong for the RGB variants. Bytes 16-20 of the
    profile header name its colour space."""
    icc = img.info.get("icc_profile")
    return icc if isinstance(icc, bytes) and icc[16:20] == b"RGB " else None


def _widths(width: int, configured: tuple[int, ...]) -> list[int]:
    """Every configured width below the original's, and the original's own width unless it is
    larger than the largest configured one: never upscale, never publish a giant."""
    out = sorted({w for w in configured if w < width})
    if width <= max(configured):
        out.append(width)
    return out


def _variants(
    upright: Image.Image, fallback: str, settings: ImageSettings, icc: bytes | None
) -> tuple[ImageInfo, dict[str, bytes]]:
    variants: list[Variant] = []
    files: dict[str, bytes] = {}
    for width in _widths(upright.width, settings.widths):
        height = max(1, round(upright.height * width / upright.width))
        scaled = upright
        if width != upright.width:
            # reducing_gap: a fast integer reduce first, then Lanczos; the difference is invisible
            scaled = upright.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        for fmt in ("WEBP", fallback):
            name = f"-{width}w{_EXTENSION[fmt]}"
            files[name] = _encode(scaled, fmt, settings.quality, icc)
            variants.append(Variant(name, width, height, _MIME[fmt]))
    info = ImageInfo(upright.width, upright.height, tuple(variants), _MIME[fallback])
    return info, files


def _encode(img: Image.Image, fmt: str, quality: int, icc: bytes | None) -> bytes:
    buf = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if fmt == "WEBP":
        img.save(buf, "WEBP", quality=quality, method=4, **extra)
    elif fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
    else:
        img.save(buf, "PNG", optimize=True, **extra)
    return buf.getvalue()


# -- the store on disk ------------------------------------------------------------------------


class ImageStore:
    """Processed images on disk under `folder` (e.g. .sitegen-cache/images-<settings tag>/),
    one sub-folder per digest: the published files, then info.json, written last, so a
    sub-folder without a valid info.json is an interrupted or concurrent make()."""

    def __init__(self, folder: Path, settings: ImageSettings) -> None:
        self.folder = folder
        self.settings = settings

    def info(self, digest: str) -> ImageInfo | None:
        """The stored info, or None when absent, incomplete or damaged (then make() again)."""
        try:
            raw = json.loads((self._entry(digest) / _INFO_FILE).read_text(encoding="utf-8"))
            info = _info_from_json(raw)
            sizes = {name: self.path(digest, name).stat().st_size for name in raw["sizes"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        names = {""} | {v.name for v in info.variants}
        return info if sizes == raw["sizes"] and set(sizes) == names else None

    def make(self, digest: str, data: bytes, suffix: str) -> ImageInfo:
        """Process `data` and store the results; raises ImageError."""
        # A wrong digest would store one photo under another's name for good; it happens when
        # the file is saved again between the scan that hashed it and the worker that reads it.
        if hashlib.sha256(data).hexdigest() != digest:
            raise ImageError("changed while the site was being built: build again")
        info, files = process(data, suffix, self.settings)
        entry = self._entry(digest)
        entry.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            _write_atomically(self.path(digest, name), content)
        record = _info_to_json(info) | {"sizes": {n: len(b) for n, b in files.items()}}
        _write_atomically(entry / _INFO_FILE, json.dumps(record).encode("utf-8"))
        return info

    def path(self, digest: str, name: str) -> Path:
        """The stored file for a Variant.name ("" = the published original)."""
        if name and not _VARIANT_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a variant name")
        return self._entry(digest) / (f"variant{name}" if name else "original")

    def paths(self, digest: str, names: Iterable[str]) -> dict[str, str]:
        """path() of several files of one image, as strings: a build asks for every copy of
        every photo, and making a Path for each cost a quarter of an edit's time."""
        entry = str(self._entry(digest))
        found = {}
        for name in names:
            if name and not _VARIANT_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a variant name")
            found[name] = os.path.join(entry, f"variant{name}" if name else "original")
        return found

    def forget_except(self, digests: set[str]) -> None:
        """Remove the stored images whose digest is not in `digests`."""
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if entry.is_dir() and _DIGEST.fullmatch(entry.name) and entry.name not in digests:
                try:
                    shutil.rmtree(entry)
                except FileNotFoundError:  # another process pruned it first
                    continue

    def _entry(self, digest: str) -> Path:
        # The digest becomes a folder name: only a real sha256 hex digest may.
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"{digest!r} is not a sha256 hex digest")
        return self.folder / digest


def _write_atomically(target: Path, data: bytes) -> None:
    # A unique temporary name per writer: two processes may make the same image at once.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _info_to_json(info: ImageInfo) -> dict[str, object]:
    variants = [[v.name, v.width, v.height, v.mime] for v in info.variants]
    return {
        "format": FORMAT,
        "width": info.width,
        "height": info.height,
        "fallback": info.fallback,
        "variants": variants,
    }


def _info_from_json(raw: dict) -> ImageInfo:
    if raw["format"] != FORMAT:
        raise ValueError("another store format")
    variants = tuple(Variant(str(n), int(w), int(h), str(m)) for n, w, h, m in raw["variants"])
    return ImageInfo(int(raw["width"]), int(raw["height"]), variants, str(raw["fallback"]))
