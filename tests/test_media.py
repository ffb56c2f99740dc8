"""Images: widths, formats, orientation, metadata stripping, errors and the on-disk store."""

from __future__ import annotations

import functools
import hashlib
import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from sitegen import media
from sitegen.media import ImageError, ImageInfo, ImageSettings, ImageStore, Variant, process

SMALL = ImageSettings(widths=(120, 240, 1600))
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
SECRETS = (b"GPS-FUSED", b"SecretPhoneMaker", b"Model X9", b"2024:05:01", b"Reporter Name")


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue, with noise so that JPEG has real work to do."""
    img = Image.new("RGB", size, (220, 20, 20))
    img.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    seeded = random.Random(1).randbytes(size[0] * size[1])  # the same bytes every run
    noise = Image.frombytes("L", size, seeded).convert("RGB")
    return Image.blend(img, noise, 0.1).convert(mode)


def encoded(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def phone_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x0110] = "Model X9"
    exif.get_ifd(EXIF_IFD)[0x9003] = "2024:05:01 10:00:00"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (22.0, 17.0, 5.0), 3: "E", 4: (114.0, 10.0, 2.0)})
    gps[0x001B] = b"ASCII\x00\x00\x00GPS-FUSED"  # GPSProcessingMethod: a findable marker
    return exif


@functools.cache  # the sRGB profile ImageCms makes holds the time it was made
def phone_jpeg() -> bytes:
    """As a phone stores a portrait photo: landscape pixels, Orientation 6, GPS, XMP, a comment
    and an sRGB profile."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Reporter Name</x:xmpmeta>'
    return encoded(
        picture((400, 300)), "JPEG", exif=phone_exif(), xmp=xmp, comment=b"Reporter Name",
        icc_profile=icc, quality=90,
    )  # fmt: skip


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def assert_no_personal_metadata(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        for secret in SECRETS:
            assert secret not in data, (name, secret)
        exif = opened(data).getexif()
        assert exif.get_ifd(GPS_IFD) == {}, name
        assert exif.get_ifd(EXIF_IFD) == {}, name


# -- a phone photo ----------------------------------------------------------------------------


def test_phone_photo_variants_are_rotated_upright():
    info, files = process(phone_jpeg(), ".JPG", SMALL)
    assert (info.width, info.height) == (300, 400)
    assert all(v.height > v.width for v in info.variants)
    webp = opened(files["-240w.webp"])
    assert webp.size == (240, 320)
    # Orientation 6 turns the stored left (red) half to the top.
    assert webp.convert("RGB").getpixel((120, 20))[0] > 150
    assert webp.convert("RGB").getpixel((120, 300))[2] > 150


def test_no_published_file_of_a_phone_photo_has_gps_or_camera_data():
    info, files = process(phone_jpeg(), ".jpg", SMALL)
    assert set(files) == {""} | {v.name for v in info.variants}
    assert_no_personal_metadata(files)
    for name, data in files.items():
        if name:
            assert dict(opened(data).getexif()) == {}, name
            assert opened(data).info.get("xmp") is None, name


def test_phone_photo_original_keeps_its_pixels_and_only_the_orientation():
    data = phone_jpeg()
    _, files = process(data, ".jpg", SMALL)
    original = opened(files[""])
    assert original.tobytes() == opened(data).tobytes()
    assert dict(original.getexif()) == {0x0112: 6}
    assert "comment" not in original.info
    assert original.info["icc_profile"] == opened(data).info["icc_profile"]  # colours kept


def test_variants_keep_the_rgb_colour_profile():
    _, files = process(phone_jpeg(), ".jpg", SMALL)
    profile = opened(phone_jpeg()).info["icc_profile"]
    assert opened(files["-120w.jpg"]).info["icc_profile"] == profile
    assert opened(files["-120w.webp"]).info["icc_profile"] == profile


def test_upright_jpeg_original_gets_no_exif_at_all():
    data = encoded(picture((200, 100)), "JPEG", exif=phone_exif(orientation=1))
    _, files = process(data, ".jpg", SMALL)
    assert b"Exif" not in files[""]
    assert opened(files[""]).tobytes() == opened(data).tobytes()


def test_keep_exif_publishes_the_original_byte_for_byte():
    data = phone_jpeg()
    _, files = process(data, ".jpg", ImageSettings(widths=(120,), keep_exif=True))
    assert files[""] == data


def test_phone_jpeg_extra_images_after_the_first_are_dropped():
    # MPO: a phone appends depth maps or previews after EOI, each with its own Exif.
    data = phone_jpeg() + encoded(picture((40, 30)), "JPEG", exif=phone_exif())
    _, files = process(data, ".jpg", SMALL)
    assert files[""].count(b"\xff\xd8") == 1
    assert_no_personal_metadata(files)


# -- widths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "widths"),
    [
        ((300, 200), [300]),
        ((960, 640), [480, 960]),
        ((1200, 800), [480, 960, 1200]),
        ((3000, 2000), [480, 960, 1600]),
    ],
)
def test_widths_are_the_configured_ones_below_the_original_and_never_upscaled(size, widths):
    info, _ = process(encoded(Image.new("RGB", size, "gray"), "JPEG"), ".jpg", ImageSettings())
    assert [v.width for v in info.variants] == [w for w in widths for _ in range(2)]
    assert (info.width, info.height) == size


def test_variants_keep_the_aspect_ratio_with_rounded_heights():
    info, files = process(encoded(Image.new("RGB", (3000, 2000)), "PNG"), ".png", ImageSettings())
    assert [(v.width, v.height) for v in info.variants[::2]] == [
        (480, 320),
        (960, 640),
        (1600, 1067),
    ]
    for variant in info.variants:
        assert opened(files[variant.name]).size == (variant.width, variant.height)


def test_variants_are_webp_then_fallback_for_each_width():
    info, _ = process(encoded(picture((300, 200)), "JPEG"), ".jpg", SMALL)
    assert info == ImageInfo(
        300,
        200,
        (
            Variant("-120w.webp", 120, 80, "image/webp"),
            Variant("-120w.jpg", 120, 80, "image/jpeg"),
            Variant("-240w.webp", 240, 160, "image/webp"),
            Variant("-240w.jpg", 240, 160, "image/jpeg"),
            Variant("-300w.webp", 300, 200, "image/webp"),
            Variant("-300w.jpg", 300, 200, "image/jpeg"),
        ),
        "image/jpeg",
    )


# -- PNG, GIF, WebP, BMP, TIFF ----------------------------------------------------------------


def transparent_png(**params) -> bytes:
    img = picture((200, 100), "RGBA")
    img.paste((0, 0, 0, 0), (0, 0, 50, 100))
    return encoded(img, "PNG", **params)


def test_png_with_alpha_gets_a_png_fallback_and_webp_with_alpha():
    info, files = process(transparent_png(), ".png", SMALL)
    assert info.fallback == "image/png"
    assert [v.mime for v in info.variants] == ["image/webp", "image/png"] * 2
    for name in ("-120w.webp", "-120w.png", "-200w.webp"):
        img = opened(files[name])
        assert img.mode == "RGBA"
        assert img.getchannel("A").getextrema()[0] == 0, name


def test_png_text_and_exif_chunks_are_stripped_and_the_png_stays_valid():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Reporter Name")
    text.add_text("Comment", "Reporter Name", zip=True)
    text.add_itxt("Description", "Reporter Name 記者")
    data = transparent_png(pnginfo=text, exif=phone_exif(orientation=1))
    _, files = process(data, ".png", SMALL)
    assert_no_personal_metadata(files)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
        assert chunk not in files[""]
    Image.open(io.BytesIO(files[""])).verify()  # every chunk's CRC
    original = opened(files[""])
    assert original.text == {}
    assert original.tobytes() == opened(data).tobytes()


def test_png_with_orientation_keeps_a_minimal_exif_chunk():
    data = encoded(picture((200, 100)), "PNG", exif=phone_exif(orientation=6))
    info, files = process(data, ".png", SMALL)
    assert (info.width, info.height) == (100, 200)
    assert dict(opened(files[""]).getexif()) == {0x0112: 6}
    Image.open(io.BytesIO(files[""])).verify()


def test_opaque_png_still_gets_a_png_fallback():
    info, _ = process(encoded(picture((100, 50)), "PNG"), ".png", SMALL)
    assert info.fallback == "image/png"


def animated_gif(**params) -> bytes:
    frames = [Image.new("RGB", (160, 80), colour) for colour in ("red", "blue")]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0, **params)


def test_animated_gif_variants_show_the_first_frame():
    info, files = process(animated_gif(), ".gif", SMALL)
    assert info.fallback == "image/png"
    assert [v.name for v in info.variants] == ["-120w.webp", "-120w.png", "-160w.webp", "-160w.png"]
    for name in ("-120w.webp", "-160w.png"):
        img = opened(files[name])
        assert getattr(img, "n_frames", 1) == 1
        assert img.convert("RGB").getpixel((10, 10)) == pytest.approx((255, 0, 0), abs=8)


def test_animated_gif_original_keeps_its_frames_and_loses_its_comment():
    data = animated_gif(comment=b"Reporter Name")
    _, files = process(data, ".gif", SMALL)
    assert b"Reporter Name" not in files[""]
    original = Image.open(io.BytesIO(files[""]))
    assert original.n_frames == 2
    assert original.info["loop"] == 0
    original.seek(1)
    assert original.convert("RGB").getpixel((10, 10)) == (0, 0, 255)


def test_gif_without_metadata_is_published_unchanged():
    data = animated_gif()
    assert process(data, ".gif", SMALL)[1][""] == data


def test_webp_original_loses_exif_and_xmp_without_recompression():
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Reporter Name</x:xmpmeta>'
    data = encoded(picture((200, 100)), "WEBP", exif=phone_exif(), xmp=xmp, quality=70)
    info, files = process(data, ".webp", SMALL)
    assert info.fallback == "image/jpeg"
    assert (info.width, info.height) == (100, 200)
    assert_no_personal_metadata(files)
    original = opened(files[""])
    assert dict(original.getexif()) == {0x0112: 6}
    assert original.tobytes() == opened(data).tobytes()


def test_bmp_is_published_unchanged_with_jpeg_fallbacks():
    data = encoded(picture((150, 100)), "BMP")
    info, files = process(data, ".bmp", SMALL)
    assert files[""] == data
    assert info.fallback == "image/jpeg"
    assert opened(files["-120w.jpg"]).size == (120, 80)


def test_tiff_original_is_reencoded_without_its_tags():
    data = encoded(
        picture((150, 100)), "TIFF", tiffinfo={270: "Reporter Name", 315: "Reporter Name"}
    )
    info, files = process(data, ".tif", SMALL)
    assert info.fallback == "image/jpeg"
    assert_no_personal_metadata(files)
    assert opened(files[""]).tobytes() == opened(data).tobytes()  # lossless


def test_cmyk_jpeg_gives_rgb_variants():
    data = encoded(picture((150, 100), "CMYK"), "JPEG")
    _, files = process(data, ".jpeg", SMALL)
    assert opened(files["-120w.jpg"]).mode == "RGB"


def test_content_in_another_format_than_its_suffix_is_accepted():
    info, _ = process(transparent_png(), ".jpg", SMALL)
    assert info.fallback == "image/png"


# -- errors -----------------------------------------------------------------------------------


def error_of(data: bytes, suffix: str = ".jpg", settings: ImageSettings = SMALL) -> str:
    with pytest.raises(ImageError) as caught:
        process(data, suffix, settings)
    return str(caught.value)


UNREADABLE = (
    "cannot be read as an image (it is not JPEG, PNG, GIF, WebP, BMP or TIFF, or is damaged "
    "beyond recognition): save it again as JPEG or PNG"
)


def test_corrupt_bytes_are_an_image_error():
    assert error_of(b"<html>not a photo</html>") == UNREADABLE


def test_a_postscript_file_is_not_handed_to_ghostscript():
    assert error_of(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n") == UNREADABLE


def test_truncated_jpeg_is_an_image_error():
    data = phone_jpeg()
    assert error_of(data[: len(data) // 2]) == (
        "cannot be read as an image (the file is truncated): save it again from the original photo"
    )


def test_damaged_jpeg_data_is_an_image_error():
    data = bytearray(phone_jpeg())
    data[200:400] = b"\xff" * 200
    assert "cannot be read as an image" in error_of(bytes(data))


def test_truncated_animated_gif_is_an_image_error():
    data = animated_gif()
    message = error_of(data[: len(data) - 20], ".gif")
    assert message.startswith("cannot be read as an image (the ")


def test_empty_file_is_an_image_error():
    assert error_of(b"") == "is an empty file (0 bytes): copy the photo into the folder again"


def test_more_pixels_than_max_pixels_is_an_image_error():
    settings = ImageSettings(widths=(120,), max_pixels=1000)
    assert error_of(encoded(Image.new("RGB", (50, 40)), "PNG"), ".png", settings) == (
        "is 50×40 = 2,000 pixels, more than the limit of 1,000 (max_pixels): resize it in a photo "
        "editor (a few thousand pixels wide is plenty for the web)"
    )


def png_header_only(width: int, height: int) -> bytes:
    """A decompression bomb's header: it claims a huge size and is never decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", ihdr), (b"IDAT", zlib.compress(b"\x00" * 100)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )


def test_bomb_above_pillows_warning_limit_is_our_error_not_a_warning():
    assert error_of(png_header_only(10_000, 10_000), ".png", ImageSettings()).startswith(
        "is 10000×10000 = 100,000,000 pixels, more than the limit of 80,000,000 (max_pixels)"
    )


def test_bomb_above_pillows_error_limit_is_an_image_error():
    settings = ImageSettings(max_pixels=10**12)
    message = error_of(png_header_only(30_000, 30_000), ".png", settings)
    assert message.startswith("has too many pixels to process safely (")


def test_unpublished_suffix_is_an_image_error():
    assert error_of(b"<svg/>", ".svg") == (
        "'.svg' files are not published as images: use JPEG, PNG or WebP"
    )


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="widths"):
        ImageSettings(widths=())
    with pytest.raises(ValueError, match="quality"):
        ImageSettings(quality=0)


# -- the store --------------------------------------------------------------------------------


def stored(tmp_path: Path, data: bytes) -> tuple[ImageStore, str, ImageInfo]:
    store = ImageStore(tmp_path / "images", SMALL)
    digest = hashlib.sha256(data).hexdigest()
    return store, digest, store.make(digest, data, ".jpg")


def test_stored_image_is_not_processed_again(tmp_path, monkeypatch):
    data = phone_jpeg()
    _, digest, info = stored(tmp_path, data)

    def fail(*args):
        raise AssertionError("processed twice")

    monkeypatch.setattr(media, "process", fail)
    again = ImageStore(tmp_path / "images", SMALL)  # as another worker process would
    assert again.info(digest) == info


def test_stored_files_exist_and_decode(tmp_path):
    data = phone_jpeg()
    store, digest, info = stored(tmp_path, data)
    for name in ["", *(v.name for v in info.variants)]:
        opened(store.path(digest, name).read_bytes())
    assert_no_personal_metadata({"": store.path(digest, "").read_bytes()})


def test_unknown_image_is_absent(tmp_path):
    assert ImageStore(tmp_path / "images", SMALL).info("0" * 64) is None


def test_store_entry_missing_a_file_is_absent(tmp_path):
    store, digest, info = stored(tmp_path, phone_jpeg())
    store.path(digest, info.variants[-1].name).unlink()
    assert store.info(digest) is None


def test_store_entry_with_a_cut_file_or_damaged_info_is_absent(tmp_path):
    store, digest, info = stored(tmp_path, phone_jpeg())
    variant = store.path(digest, info.variants[0].name)
    variant.write_bytes(variant.read_bytes()[:10])
    assert store.info(digest) is None
    store.make(digest, phone_jpeg(), ".jpg")
    assert store.info(digest) == info
    (store.path(digest, "").parent / "info.json").write_text("{", encoding="utf-8")
    assert store.info(digest) is None


def test_make_leaves_no_temporary_files(tmp_path):
    store, digest, info = stored(tmp_path, phone_jpeg())
    names = {p.name for p in store.path(digest, "").parent.iterdir()}
    assert names == {"info.json", "original"} | {f"variant{v.name}" for v in info.variants}


def test_make_refuses_a_digest_that_is_not_the_datas(tmp_path):
    store = ImageStore(tmp_path / "images", SMALL)
    with pytest.raises(ImageError, match="^changed while the site was being built: build again$"):
        store.make("0" * 64, phone_jpeg(), ".jpg")
    assert store.info("0" * 64) is None


def test_bad_image_is_not_stored(tmp_path):
    store = ImageStore(tmp_path / "images", SMALL)
    digest = hashlib.sha256(b"junk").hexdigest()
    with pytest.raises(ImageError):
        store.make(digest, b"junk", ".jpg")
    assert store.info(digest) is None


def test_paths_cannot_leave_the_store(tmp_path):
    store = ImageStore(tmp_path / "images", SMALL)
    with pytest.raises(ValueError):
        store.path("../../etc", "")
    with pytest.raises(ValueError):
        store.path("0" * 64, "/../../passwd")


def test_forget_except_removes_the_other_images(tmp_path):
    kept = encoded(picture((100, 50)), "JPEG")
    store, kept_digest, _ = stored(tmp_path, kept)
    _, gone_digest, _ = stored(tmp_path, phone_jpeg())
    store.forget_except({kept_digest})
    assert store.info(kept_digest) is not None
    assert store.info(gone_digest) is None
    assert not (tmp_path / "images" / gone_digest).exists()


def test_forget_except_on_a_missing_folder_does_nothing(tmp_path):
    ImageStore(tmp_path / "never-made", SMALL).forget_except(set())


def test_settings_tag_is_stable_and_follows_the_output_settings():
    tag = media.settings_tag(ImageSettings())
    assert tag == media.settings_tag(ImageSettings()) and len(tag) == 12
    assert tag != media.settings_tag(ImageSettings(quality=70))
    assert tag != media.settings_tag(ImageSettings(keep_exif=True))
    assert tag == media.settings_tag(ImageSettings(max_pixels=1000))


@pytest.mark.parametrize(
    "params",
    [{"progressive": True}, {"restart_marker_blocks": 4}, {"subsampling": 0}],
    ids=["progressive", "restart-markers", "4:4:4"],
)
def test_jpeg_original_pixels_survive_every_scan_layout(params):
    data = encoded(picture((200, 120)), "JPEG", exif=phone_exif(), **params)
    _, files = process(data, ".jpg", SMALL)
    assert_no_personal_metadata({"": files[""]})
    assert opened(files[""]).tobytes() == opened(data).tobytes()


def test_mpo_original_keeps_only_the_first_image_and_no_metadata():
    second = picture((80, 60))
    data = encoded(picture((200, 120)), "MPO", save_all=True, append_images=[second],
                   exif=phone_exif())  # fmt: skip
    assert opened(data).format == "MPO"
    _, files = process(data, ".jpg", SMALL)
    assert_no_personal_metadata(files)
    assert b"MPF\x00" not in files[""]
    assert opened(files[""]).tobytes() == opened(data).tobytes()


def test_keep_exif_still_strips_the_variants():
    _, files = process(phone_jpeg(), ".jpg", ImageSettings(widths=(120,), keep_exif=True))
    assert_no_personal_metadata({k: v for k, v in files.items() if k})


def test_photo_with_damaged_exif_is_published_upright_without_it():
    exif = phone_exif().tobytes()
    data = encoded(picture((200, 120)), "JPEG", exif=exif[: len(exif) - 30])
    info, files = process(data, ".jpg", SMALL)
    assert (info.width, info.height) == (120, 200)
    assert dict(opened(files[""]).getexif()) == {0x0112: 6}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"])
def test_damaged_files_raise_only_image_errors(fmt):
    rng = random.Random(fmt)
    data = encoded(picture((64, 48)), fmt, exif=phone_exif())
    for _ in range(60):
        damaged = bytearray(data)
        if rng.random() < 0.5:
            damaged = damaged[: rng.randrange(len(damaged))]
        for _ in range(rng.randrange(4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            process(bytes(damaged), ".jpg", SMALL)
        except ImageError:
            continue


def test_sixteen_bit_grey_is_scaled_not_clipped():
    ramp = Image.new("I;16", (256, 10))
    ramp.putdata([x * 257 for x in range(256)] * 10)
    _, files = process(encoded(ramp, "PNG"), ".png", SMALL)
    middle = opened(files["-240w.png"]).convert("L").getpixel((120, 4))
    assert 120 <= middle <= 136  # clipping would give 255
