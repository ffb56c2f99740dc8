"""The records of a processed photo (see sitegen/media.py, which makes them with Pillow).

Apart from media.py so that a build imports Pillow only when it has photos to process: the
records travel in the build record and on pages, which every build reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

RASTER_SUFFIXES: Final = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"}
)


@dataclass(frozen=True, slots=True)
class ImageSettings:
    widths: tuple[int, ...] = (480, 960, 1600)
    quality: int = 80  # of the WebP and JPEG variants
    keep_exif: bool = False  # True: the original is published byte for byte
    max_pixels: int = 80_000_000  # larger is an ImageError (decompression bombs)

    def __post_init__(self) -> None:
        # Settings come from site.yaml through config.py; a bad value here is a programming error.
        if not self.widths or any(not isinstance(w, int) or w < 1 for w in self.widths):
            raise ValueError(f"widths must be positive integers, not {self.widths!r}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be 1 to 100, not {self.quality!r}")
        if self.max_pixels < 1:
            raise ValueError(f"max_pixels must be positive, not {self.max_pixels!r}")


@dataclass(frozen=True, slots=True)
class Variant:
    name: str  # file name suffix appended to the image's stem, e.g. "-480w.webp"
    width: int
    height: int
    mime: str  # "image/webp" | "image/jpeg" | "image/png"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int  # of the original as displayed (after EXIF orientation)
    height: int
    variants: tuple[Variant, ...]  # ascending width; WebP and fallback for each width
    fallback: str  # mime of the fallback format ("image/jpeg" or "image/png")

    def copies(self, mime: str | None = None) -> tuple[Variant, ...]:
        """The copies in one format (default: the fallback's), narrowest first."""
        wanted = mime or self.fallback
        return tuple(v for v in self.variants if v.mime == wanted)
