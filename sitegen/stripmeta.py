"""Photos without personal metadata: the GPS position, camera serials, names in IPTC/XMP.

The original of each photo is published too; `stripped` removes what it must not carry
while leaving the picture itself as it was (see sitegen/media.py, its one caller).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Final

from PIL import Image

ORIENTATION: Final = 0x0112
TRANSPOSE: Final = {  # EXIF orientation -> the operation that shows the photo upright
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def stripped(data: bytes, fmt: str | None, orientation: int) -> bytes:
    """The original without personal metadata. JPEG, PNG, GIF and WebP are walked chunk by
    chunk and the metadata chunks left out, so the picture itself is not recompressed (a
    second lossy pass costs quality and the editor asked for the original). Where the
    orientation is not 1, a minimal Exif block holding only it is kept, so browsers still show
    the photo upright. TIFF keeps metadata in the same IFDs as the picture's layout, so it is
    re-encoded (losslessly) from the upright pixels instead; BMP has no metadata."""
    if fmt in ("JPEG", "MPO"):
        return _stripped_jpeg(data, orientation)
    if fmt == "PNG":
        return _stripped_png(data, orientation)
    if fmt == "GIF":
        return _stripped_gif(data)
    if fmt == "WEBP":
        return _stripped_webp(data, orientation)
    if fmt == "TIFF":
        return _reencoded_tiff(data, orientation)
    return data  # BMP


def _minimal_exif(orientation: int) -> bytes:
    """A TIFF-structured Exif body with one IFD entry: Orientation (tag 0x0112, SHORT, 1)."""
    ifd = struct.pack(">H HHIHH I", 1, ORIENTATION, 3, 1, orientation, 0, 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8) + ifd


# JPEG: APP0 (JFIF), APP2 with an ICC profile and APP14 (Adobe colour transform) are needed to
# show the picture; every other APPn is metadata: APP1 Exif/XMP (GPS, camera serial), APP13
# IPTC/Photoshop (names, captions), APP2 MPF (an index of the phone's extra images that follow
# EOI, each with its own Exif; they are dropped too), vendors' APP3-APP12/APP15. COM is text.
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: no length


def _stripped_jpeg(data: bytes, orientation: int) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no JPEG start marker")
    segments = [b"\xff\xd8"]
    pos = 2
    while True:
        marker, pos = _jpeg_marker(data, pos)
        if marker == 0xD9:  # EOI: anything after it (MPO's extra images) is not published
            segments.append(b"\xff\xd9")
            break
        if marker in _JPEG_STANDALONE:
            segments.append(bytes((0xFF, marker)))
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        end = pos + length
        if length < 2 or end > len(data):
            raise ValueError("JPEG segment runs past the end of the file")
        if _keep_jpeg_segment(marker, data[pos + 2 : end]):
            segments.append(data[pos - 2 : end])
        pos = end
        if marker == 0xDA:  # start of scan: its entropy-coded data follows the header
            pos = _jpeg_scan_end(data, end)
            segments.append(data[end:pos])
    if orientation != 1:
        exif = b"Exif\x00\x00" + _minimal_exif(orientation)
        at = 2 if segments[1][:2] == b"\xff\xe0" else 1  # JFIF wants APP0 first
        segments.insert(at, b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif)
    return b"".join(segments)


def _jpeg_marker(data: bytes, pos: int) -> tuple[int, int]:
    """The marker at or after `pos` (fill bytes 0xFF skipped) and the position after it.
    Junk before a marker is skipped, as Pillow and browsers do, rather than refused."""
    pos = data.index(b"\xff", pos)
    while data[pos] == 0xFF:
        pos += 1
    return data[pos], pos + 1


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    if marker == 0xFE:
        return False
    if 0xE0 <= marker <= 0xEF:
        icc = marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00")
        return marker in (0xE0, 0xEE) or icc
    return True


def _jpeg_scan_end(data: bytes, pos: int) -> int:
    """The position of the first marker after entropy-coded data: 0xFF there is always
    followed by 0x00 (stuffing) or a restart marker, which belong to the scan."""
    while True:
        pos = data.index(b"\xff", pos)
        if data[pos + 1] != 0x00 and data[pos + 1] not in _JPEG_STANDALONE:
            return pos
        pos += 2


# PNG: eXIf holds Exif (GPS); tEXt/zTXt/iTXt hold XMP, "Raw profile type exif/iptc", authors
# and comments. Chunks after IEND are not part of the image and may hide anything.
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_METADATA: Final = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})


def _stripped_png(data: bytes, orientation: int) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    chunks = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while True:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("PNG chunk runs past the end of the file")
        if kind not in _PNG_METADATA:
            chunks.append(data[pos:end])  # copied whole, so its CRC stays valid
        if kind == b"IHDR" and orientation != 1:
            chunks.append(_png_chunk(b"eXIf", _minimal_exif(orientation)))
        if kind == b"IEND":
            return b"".join(chunks)
        pos = end


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# GIF: comment extensions are free text and application extensions carry XMP and the like;
# only the NETSCAPE2.0/ANIMEXTS1.0 ones (the loop count) are needed. Walking the blocks keeps
# every frame exactly, which re-encoding an animation with Pillow would not (palettes, timing).
_GIF_LOOP: Final = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def _stripped_gif(data: bytes) -> bytes:
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("no GIF signature")
    pos = 13 + _gif_table(data[10])
    blocks = [data[:pos]]
    while data[pos] != 0x3B:  # trailer
        start = pos
        if data[pos] == 0x21:  # extension: label, then sub-blocks
            label = data[pos + 1]
            pos = _gif_sub_blocks(data, pos + 2)
            app = data[start + 3 : start + 14]
            if label == 0xFE or (label == 0xFF and app not in _GIF_LOOP):
                continue
        elif data[pos] == 0x2C:  # image: descriptor, local colour table, LZW code size, data
            pos = _gif_sub_blocks(data, pos + 10 + _gif_table(data[pos + 9]) + 1)
        else:
            raise ValueError("unknown GIF block")
        blocks.append(data[start:pos])
    return b"".join(blocks) + b"\x3b"


def _gif_table(flags: int) -> int:
    """The size of the colour table announced by a packed-fields byte."""
    return 3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    while data[pos]:
        pos += 1 + data[pos]
    if pos >= len(data):
        raise ValueError("GIF block runs past the end of the file")
    return pos + 1


# WebP: the EXIF and "XMP " chunks of the extended format (VP8X) are metadata; the VP8X flags
# announce them, so the flags are corrected too. A simple WebP (VP8/VP8L only) has none.
_WEBP_EXIF_FLAG: Final = 0x08
_WEBP_XMP_FLAG: Final = 0x04


def _stripped_webp(data: bytes, orientation: int) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("no WebP header")
    chunks: list[bytes] = []
    pos = 12
    end_of_riff = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    while pos + 8 <= end_of_riff:
        kind, size = struct.unpack("<4sI", data[pos : pos + 8])
        end = pos + 8 + size + (size & 1)  # chunks are padded to an even size
        if pos + 8 + size > end_of_riff:
            raise ValueError("WebP chunk runs past the end of the file")
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(data[pos:end])
        pos = end
    if chunks and chunks[0][:4] == b"VP8X":
        flags = chunks[0][8] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
        if orientation != 1:  # EXIF comes last in the extended format's chunk order
            exif = _minimal_exif(orientation)
            chunks.append(b"EXIF" + struct.pack("<I", len(exif)) + exif)
            flags |= _WEBP_EXIF_FLAG
        chunks[0] = chunks[0][:8] + bytes((flags,)) + chunks[0][9:]
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _reencoded_tiff(data: bytes, orientation: int) -> bytes:
    """The first page, upright, LZW-compressed (lossless) with only the ICC profile kept.
    Decoded again here because the variants' copy has lost CMYK or 16-bit depth, if any."""
    with Image.open(io.BytesIO(data), formats=("TIFF",)) as img:
        out = img.copy()  # a plain Image: Pillow copies XMP/IPTC tags from a TiffImageFile
    if orientation in TRANSPOSE:
        out = out.transpose(TRANSPOSE[orientation])
    out.info = {}
    extra = {"icc_profile": img.info["icc_profile"]} if "icc_profile" in img.info else {}
    buf = io.BytesIO()
    out.save(buf, "TIFF", compression="tiff_lzw", **extra)
    return buf.getvalue()
