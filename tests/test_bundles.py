"""Article folders: photos and attachments beside index.md, published with the article."""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from PIL import Image, ImageDraw

from sitegen import media
from sitegen.check import check_site
from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, snapshot

FOLDER = "content/news/2024-photo"


def photo(size=(2000, 1500), orientation: int = 1, gps: bool = False) -> bytes:
    """A JPEG as phones write them: EXIF with the maker, the time and (optionally) GPS."""
    img = Image.new("RGB", size, (70, 110, 150))
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], 97):
        draw.rectangle([x, size[1] // 2, x + 50, size[1]], fill=(210, 160, 90))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Phone Maker", "Model X", "2024:05:01 09:30:00"
    if orientation != 1:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (43.0, 52.0, 10.5), 3: "E", 4: (125.0, 19.0, 2.0)})
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


BODY = """表彰大會在市工人文化宮舉行。

![職工合影](<職工 合影.jpg> "全體勞模合影")

名單見[附件](files/名單.xlsx)。
"""


def bundle_site(make_site, body: str = BODY, extra: dict | None = None) -> Path:
    files = {
        f"{FOLDER}/index.md": article("全市職工勞模表彰大會舉行", "2024-05-01 09:30", "news", body),
        f"{FOLDER}/職工 合影.jpg": photo(orientation=6, gps=True),
        f"{FOLDER}/files/名單.xlsx": b"PK\x03\x04" + bytes(23 * 1024),
    }
    return make_site(files | (extra or {}))


def page(root: Path, rel: str = "news/2024-photo/index.html") -> str:
    return (root / "public" / rel).read_text(encoding="utf-8")


def published(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(root / "public").items() if k.startswith("news/2024-photo/")}


def test_an_article_folder_is_named_by_the_folder_and_publishes_its_files(make_site):
    root = bundle_site(make_site)
    result = build_site(root)
    assert result.ok, [str(p) for p in result.problems]
    names = set(published(root))
    assert "news/2024-photo/index.html" in names and "news/2024-photo/print.html" in names
    assert "news/2024-photo/files/名單.xlsx" in names  # a Chinese name, literal on disk
    assert {"news/2024-photo/職工 合影.jpg", "news/2024-photo/職工 合影-480w.webp",
            "news/2024-photo/職工 合影-960w.jpg"} <= names  # fmt: skip
    html = page(root)
    link = re.search(r'<a href="([^"]+)">附件</a>', html).group(1)
    assert link == "/news/2024-photo/files/" + quote("名單.xlsx")  # percent-encoded in links
    assert "（Excel，23 KB）" in html and ">名單.xlsx</a>" in html  # the 附件 list


def test_a_photo_becomes_a_responsive_figure_with_its_caption(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    html = page(root)
    figure = re.search(r"<figure>.*?</figure>", html, re.S).group()
    assert "<figcaption>全體勞模合影</figcaption>" in figure
    img = re.search(r"<img [^>]+>", figure).group()
    # Phone photo taken upright (orientation 6): 2000x1500 stored, 1500x2000 shown.
    assert 'width="1500" height="2000"' in img and 'decoding="async"' in img
    assert 'alt="職工合影"' in img and "sizes=" in img
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', figure).group(1)
    widths = [int(w) for w in re.findall(r" (\d+)w", webp)]
    assert widths == [480, 960, 1500]  # never upscaled past the photo's own width
    for candidate in re.findall(r'srcset="([^"]+)"', figure):
        for url in (c.split()[0] for c in candidate.split(", ")):
            assert (root / "public" / unquote(url).lstrip("/")).is_file(), url


def test_images_after_the_first_load_lazily(make_site):
    body = BODY + "\n![第二張](second.jpg)\n"
    root = bundle_site(make_site, body, {f"{FOLDER}/second.jpg": photo((800, 600))})
    assert build_site(root).ok
    images = re.findall(r"<img [^>]+>", page(root).split('id="article-body"')[1])
    assert 'loading="lazy"' not in images[0] and 'loading="lazy"' in images[1]


def test_the_print_view_finds_the_photo_at_a_size_for_paper(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    img = re.search(r"<img [^>]+>", page(root, "news/2024-photo/print.html")).group()
    src = re.search(r'src="([^"]+)"', img).group(1)
    assert src.endswith(quote("職工 合影-1500w.jpg")) and "srcset" not in img
    assert (root / "public" / unquote(src).lstrip("/")).is_file()


def test_no_published_file_carries_the_gps_position(make_site):
    root = bundle_site(make_site, extra={f"{FOLDER}/unused.jpg": photo((900, 600), gps=True)})
    assert build_site(root).ok
    images = {k: v for k, v in published(root).items() if k.endswith((".jpg", ".webp"))}
    assert len(images) >= 8 and "news/2024-photo/unused.jpg" in images
    for name, data in images.items():
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            assert not exif.get_ifd(0x8825), name
            assert 0x010F not in exif and 0x0110 not in exif, name  # maker and model gone too
    with Image.open(io.BytesIO(images["news/2024-photo/職工 合影.jpg"])) as original:
        assert original.size == (2000, 1500) and original.getexif().get(0x0112) == 6


def test_keep_exif_publishes_the_original_as_taken(make_site):
    root = bundle_site(make_site)
    (root / "site.yaml").write_text(MINIMAL_CONFIG + "keep_exif: true\n", encoding="utf-8")
    assert build_site(root).ok
    original = (root / f"{FOLDER}/職工 合影.jpg").read_bytes()
    assert published(root)["news/2024-photo/職工 合影.jpg"] == original


def test_a_missing_file_is_an_error_with_its_line_and_the_site_is_left_alone(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    before = snapshot(root / "public")
    body = BODY + "\n另見[申報表](files/申報表.doc)和![](照片2.jpg)。\n"
    (root / FOLDER / "index.md").write_text(
        article("全市職工勞模表彰大會舉行", "2024-05-01 09:30", "news", body), encoding="utf-8"
    )
    result = build_site(root)
    assert not result.ok
    shown = [str(p) for p in result.problems if p.is_error]
    expected = f"{FOLDER}/index.md:13: error: files/申報表.doc is not in {FOLDER}/"
    assert any(s.startswith(expected) for s in shown)
    assert any("照片2.jpg is not in" in s for s in shown)  # every problem in one run
    assert snapshot(root / "public") == before


def test_a_single_file_article_cannot_name_a_file_beside_it(make_site):
    body = "見![圖](photo.jpg)與![表](/static/img/none.png)。"
    root = make_site({"content/law/a.md": article("標題", "2024-05-01", body=body)})
    result = build_site(root)
    shown = [str(p) for p in result.problems]
    assert any("photo.jpg is named relative to this article, which is a single file: make it "
               "a folder (content/law/a/index.md)" in s for s in shown)  # fmt: skip
    assert any("/static/img/none.png does not exist" in s for s in shown)


def test_a_single_file_article_may_still_show_a_static_file(make_site):
    body = "![熱線](/static/img/chart.png)\n\n![熱線](../../static/img/chart.png)"
    root = make_site({"content/law/a.md": article("標題", "2024-05-01", body=body),
                      "static/img/chart.png": b"\x89PNG\r\n"})  # fmt: skip
    assert build_site(root).ok
    assert page(root, "law/a/index.html").count('src="/static/img/chart.png"') == 2


def test_a_reference_out_of_the_folder_is_refused(make_site):
    body = "![別處](../other/photo.jpg)"
    root = bundle_site(make_site, body, {"content/news/other/photo.jpg": photo((300, 200))})
    result = build_site(root)
    assert any("../other/photo.jpg is outside this article's folder" in str(p)
               for p in result.problems)  # fmt: skip


def test_a_corrupt_photo_is_an_error_naming_the_file_not_a_traceback(make_site):
    good = photo((800, 600))
    root = bundle_site(make_site, extra={f"{FOLDER}/職工 合影.jpg": good[: len(good) // 2]})
    result = build_site(root)
    errors = [str(p) for p in result.problems if p.is_error]
    assert len(errors) == 1 and errors[0].startswith(f"{FOLDER}/職工 合影.jpg: error:")


def test_an_edit_of_the_text_processes_no_image_and_rewrites_none(make_site, monkeypatch):
    root = bundle_site(make_site)
    assert build_site(root).ok

    def refuse(*args, **kwargs):
        raise AssertionError("an image was processed again")

    monkeypatch.setattr(media, "process", refuse)
    text = (root / FOLDER / "index.md").read_text(encoding="utf-8")
    (root / FOLDER / "index.md").write_text(text.replace("舉行。", "隆重舉行。"), encoding="utf-8")
    result = build_site(root)
    assert result.ok
    assert "隆重舉行" in page(root)
    assert not [w for w in result.written if w.endswith((".jpg", ".webp", ".xlsx"))]


def test_a_photo_taken_away_takes_its_copies_with_it(make_site):
    root = bundle_site(make_site, extra={f"{FOLDER}/unused.jpg": photo((900, 600))})
    assert build_site(root).ok
    assert "news/2024-photo/unused-480w.webp" in published(root)
    (root / FOLDER / "unused.jpg").unlink()
    result = build_site(root)
    assert result.ok and "news/2024-photo/unused-480w.webp" in result.removed
    assert not [n for n in published(root) if "unused" in n]


def test_a_photo_without_alt_text_is_a_warning_that_says_why(make_site):
    root = bundle_site(make_site, "![](<職工 合影.jpg>)")
    result = build_site(root)
    assert result.ok
    warning = next(str(p) for p in result.problems if "alt text" in p.message)
    assert warning.startswith(f"{FOLDER}/index.md:7: warning:")
    assert "screen reader" in warning


def test_feeds_carry_the_first_photo_with_an_absolute_url(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    feed = (root / "public/news/feed.xml").read_text(encoding="utf-8")
    thumb = re.search(r'<media:thumbnail url="([^"]+)" width="480"', feed).group(1)
    assert thumb == "https://example.org/news/2024-photo/" + quote("職工 合影-480w.jpg")


def test_search_keeps_captions_but_not_file_names(make_site):
    from tests.test_search import found, read_index

    body = "大會現場。\n\n![全體勞模合影](IMG_20240501.jpg)\n\n[名單](files/名單.xlsx)"
    config = MINIMAL_CONFIG.replace("search: false", "search: true")
    files = {f"{FOLDER}/index.md": article("表彰大會", "2024-05-01", "news", body),
             f"{FOLDER}/IMG_20240501.jpg": photo((600, 400)),
             f"{FOLDER}/files/名單.xlsx": b"PK"}  # fmt: skip
    root = make_site(files, config)
    assert build_site(root).ok
    _, keys = read_index(root / "public")
    assert found(keys, "勞模合影")  # the caption readers see under the photo
    assert not found(keys, "img") and not found(keys, "20240501") and not found(keys, "xlsx")


def test_check_finds_a_photo_copy_deleted_from_the_site(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    (root / "public/news/2024-photo/職工 合影-960w.webp").unlink()
    report = check_site(root)
    assert any("960w.webp" in str(p) for p in report.problems)


@pytest.mark.parametrize("name", ["a b.pdf", "報告(終稿).docx", "名單,2024.xls"])
def test_odd_file_names_work_in_links(make_site, name):
    body = f"下載[文件](<files/{name}>)。"
    root = bundle_site(make_site, body, {f"{FOLDER}/files/{name}": b"%PDF-1.4\n"})
    assert build_site(root).ok
    assert (root / "public/news/2024-photo/files" / name).is_file()
    assert f">{name}</a>" in page(root)
    report = check_site(root)
    assert not report.problems, [str(p) for p in report.problems]


def test_check_names_a_file_the_sources_lost_since_the_build(make_site):
    root = bundle_site(make_site)
    assert build_site(root).ok
    (root / FOLDER / "files/名單.xlsx").unlink()  # the next build would refuse this
    report = check_site(root)
    shown = [str(p) for p in report.problems]
    assert (
        f"{FOLDER}/index.md:11: error: files/名單.xlsx is not in {FOLDER}/: add the file "
        "there, or fix the link" in shown
    )


def test_a_site_may_publish_only_the_copies_of_its_photos(make_site):
    body = BODY + "\n[看大圖](<職工 合影.jpg>)\n"
    root = bundle_site(make_site, body)
    (root / "site.yaml").write_text(MINIMAL_CONFIG + "image_originals: false\n", encoding="utf-8")
    assert build_site(root).ok
    names = set(published(root))
    assert "news/2024-photo/職工 合影.jpg" not in names
    assert "news/2024-photo/職工 合影-1500w.jpg" in names
    link = re.search(r'<a href="([^"]+)">看大圖</a>', page(root)).group(1)
    assert link.endswith(quote("職工 合影-1500w.jpg"))  # the largest copy, not a broken link
    assert not check_site(root).problems


def test_a_file_in_the_folder_named_like_a_page_is_a_clash_naming_both(make_site):
    root = bundle_site(make_site, extra={f"{FOLDER}/print.html": "<p>舊的打印頁</p>"})
    result = build_site(root)
    assert not result.ok
    message = next(str(p) for p in result.problems if p.is_error)
    assert f"/news/2024-photo/print.html is also claimed by the file {FOLDER}/print.html" in message
    assert message.endswith("rename or remove that file")


def test_an_article_folder_inside_another_keeps_its_own_files(make_site):
    inner = f"{FOLDER}/speech"
    body = BODY + "\n![講話](speech/stage.jpg)\n"
    root = bundle_site(make_site, body, {
        f"{inner}/index.md": article("代表發言", "2024-05-01 10:00", "news", "![台上](stage.jpg)"),
        f"{inner}/stage.jpg": photo((800, 600)),
    })  # fmt: skip
    result = build_site(root)
    shown = [str(p) for p in result.problems]
    assert any("speech/stage.jpg belongs to the article folder " in s for s in shown), shown
    (root / FOLDER / "index.md").write_text(
        article("全市職工勞模表彰大會舉行", "2024-05-01 09:30", "news", BODY), encoding="utf-8"
    )
    assert build_site(root).ok
    names = set(snapshot(root / "public"))
    assert "news/speech/stage-480w.webp" in names  # beside its own article's page
    assert not [n for n in names if n.startswith("news/2024-photo/speech/")]


def test_hostile_alt_and_title_text_stay_text_in_the_figure(make_site):
    body = (
        '![" onerror="alert(1)](<職工 合影.jpg> "</figcaption><script>alert(2)</script>")\n\n'
        '<img src="職工 合影.jpg" alt="x" onload="alert(3)" title="<b>標題</b>">'
    )
    root = bundle_site(make_site, body)
    assert build_site(root).ok
    for name in ("index.html", "print.html"):
        html = page(root, f"news/2024-photo/{name}")
        body_html = html.split('id="article-body">')[1].split("</div>")[0]
        tags = _Tags()
        tags.feed(body_html)
        assert "script" not in tags.names and "b" not in tags.names, name
        assert not [a for a in tags.attributes if a.startswith("on")], name
        assert {"figure", "img"} <= tags.names
    assert "&lt;/figcaption&gt;&lt;script&gt;alert(2)&lt;/script&gt;</figcaption>" in page(root)


class _Tags(HTMLParser):
    """The element and attribute names of a piece of HTML, as a browser's parser reads it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_names_that_cannot_be_published_say_what_to_do(make_site):
    body = "![甲](.hidden.jpg)\n\n![乙](Photo.JPG)\n\n![丙](photo-480w.jpg)\n\n![丁](photo.jpg)\n"
    root = bundle_site(make_site, body, {
        f"{FOLDER}/.hidden.jpg": photo((300, 200)),
        f"{FOLDER}/photo.jpg": photo((1000, 700)),
        f"{FOLDER}/photo-480w.jpg": photo((480, 336)),  # where photo.jpg's copy goes
        f"{FOLDER}/files/bad\nname.pdf": b"%PDF-1.4",
    })  # fmt: skip
    result = build_site(root)
    shown = [str(p) for p in result.problems if p.is_error]
    assert (
        f"{FOLDER}/index.md:7: error: .hidden.jpg is a hidden or temporary file name"
        in "\n".join(shown)
    )
    assert any("Photo.JPG is not in" in s and "but photo.jpg is: write the name with the same "
               "capitals" in s for s in shown)  # fmt: skip
    assert any(s.startswith(f"{FOLDER}/photo-480w.jpg: error: is published as news/2024-photo/"
                            f"photo-480w.jpg, where sitegen also puts a copy of {FOLDER}/photo.jpg")
               for s in shown)  # fmt: skip
    assert any(s.startswith(f"{FOLDER}/files/bad\\nname.pdf: error: this file name holds a line "
                            "break") for s in shown)  # fmt: skip
    assert len(shown) == 4 and not (root / "public").exists()


def test_a_build_killed_while_it_processes_photos_leaves_no_trace_in_the_next(make_site, tmp_path):
    extra = {f"{FOLDER}/p{n}.jpg": photo((2400, 1600)) for n in range(6)}
    body = BODY + "".join(f"\n![照片{n}](p{n}.jpg)\n" for n in range(6))
    root = bundle_site(make_site, body, extra)
    command = [sys.executable, "-c", "from sitegen.cli import run; run()", "build", str(root)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # fmt: skip
    time.sleep(1.0)  # loading, listing, then the photos: some copies stored, others not
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert not (root / "public/index.html").exists() or child.returncode == 0
    assert build_site(root).ok
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".sitegen-cache"))
    assert build_site(fresh).ok
    assert snapshot(root / "public") == snapshot(fresh / "public")
