"""Time sitegen on article folders with photos: clean build, edit, bytes to a phone (issue 15).

    python bench/photos.py [--articles 1000] [--photos-per-article 3] [--repeat 3]
                           [--jobs N] [--keep DIR] [--seed 1]

The site: bench/generate.py's articles, each made a folder `content/<cat>/<name>/index.md`
with its photos beside it, named in the body as `![alt](現場照片1.jpg "title")`. The photos
are made with Pillow: 2-4 megapixels, photo-like content (a smooth colour field, shapes,
blur, grain; JPEG quality 90, about 0.7-0.9 MB each), EXIF Make, Model, DateTimeOriginal and
a GPS position on every one, Orientation 6 on about one in six. `--keep DIR` keeps the site
there and reuses it when it holds the same parameters; without it the site is made in a
temporary folder under /tmp and deleted at the end.

Measured, each as a separate `sitegen build` process (median of --repeat):
- the clean build, with `.sitegen-cache/` and `public/` moved aside first (`--clean` alone
  keeps the processed images of `.sitegen-cache/images-*/`): wall and CPU time of the
  process tree, and photos per CPU-second;
- the no-change rebuild, and the one-article edit (one sentence of one index.md, two
  versions in turn), with proof that the edit processed no image: the image store's files
  (name, mtime, inode) are the same before and after, and no .jpg/.webp/.png was written
  to public/ (by the CLI's `wrote` lines and by comparing the output folder's files);
- the bytes a phone (360 CSS px wide, device pixel ratio 2) downloads for one article page:
  before, its HTML, CSS and JS and the original photos; after, the same text and, per photo,
  the smallest WebP candidate of at least 720 px in the page's srcset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import html.parser
import io
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

import generate
import numpy as np
import PIL
import run
from PIL import Image, ImageDraw, ImageFilter, features

FORMAT: Final = 1  # bump when the generated site changes, so a --keep folder is made again
PHOTO_NAME: Final = "現場照片{k}.jpg"  # Chinese and percent-encoded in URLs, as in real sites
# (stored width, stored height, EXIF orientation, weight): 2.1-3.8 MP; orientation 6 is a
# phone held upright, stored landscape and shown as a 1600x2400 portrait.
SHAPES: Final = (
    (2000, 1500, 1, 4),
    (2400, 1600, 1, 4),
    (1600, 2400, 1, 2),
    (2400, 1600, 6, 2),
    (1920, 1080, 1, 1),
)
CAMERAS: Final = (("Xiaomi", "Redmi Note 12"), ("HUAWEI", "P40"), ("Apple", "iPhone 13"))
PHONE_WIDTH: Final = 360  # CSS px, device pixel ratio 2: sizes is 100vw - 2rem there
PHONE_DPR: Final = 2
# The edit: the article's first sentence, replaced by one of these in turn.
EDITS: Final = (
    "本報訊（修訂）經核實，原文數字有誤，現予更正。",
    "本報訊（再次修訂）應受訪單位要求，文中刪去一位職工的姓名。",
)
IMAGE_OUTPUT: Final = re.compile(r"\.(jpe?g|webp|png|gif)$", re.I)
WROTE: Final = re.compile(r"^  wrote (.+)$", re.M)
BUILT: Final = re.compile(r"built (\d+) pages .*?: (\d+) (?:files )?written.*")


# --- the site ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoJob:
    path: Path
    seed: str
    width: int
    height: int
    orientation: int


@dataclass(frozen=True, slots=True)
class Site:
    root: Path
    articles: tuple[Path, ...]  # index.md files, relative to root, in index order
    photos: int
    photo_bytes: int

    @property
    def public(self) -> Path:
        return self.root / "public"


def site_marker(args: argparse.Namespace) -> str:
    return f"photos {args.articles} {args.photos_per_article} {args.seed} v{FORMAT}\n"


def make_site(root: Path, args: argparse.Namespace) -> Site:
    """Generate the site in ROOT, unless it already holds one made with these parameters."""
    marker = root / generate.MARKER
    fresh = not (marker.exists() and marker.read_text(encoding="utf-8") == site_marker(args))
    if fresh:
        generate.prepare(root)  # refuses a non-empty folder this benchmark did not make
    (root / "site.yaml").write_text(generate.site_yaml(), encoding="utf-8")
    generate.copy_theme(root)
    corpus = generate.make_corpus(args.seed)
    articles, jobs = [], []
    for index in range(args.articles):
        path, text, photos = bundle_article(index, args, corpus)
        articles.append(path)
        jobs += photos
        if fresh:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
        else:  # an interrupted run may have left its edit behind
            restore(root, path, text)
    if fresh:
        write_photos(root, jobs, args.jobs)
        marker.write_text(site_marker(args), encoding="utf-8")
    size = sum((root / job.path).stat().st_size for job in jobs)
    return Site(root, tuple(articles), len(jobs), size)


def bundle_article(
    index: int, args: argparse.Namespace, corpus: generate.Corpus
) -> tuple[Path, str, list[PhotoJob]]:
    """generate.py's article INDEX as a folder, its photos named between its paragraphs."""
    item = generate.article(index, args.seed, corpus)
    category = item.path.parts[1]
    folder = Path("content", category, item.path.stem)
    head, body = item.text.split("\n---\n", 1)
    rng = random.Random(f"{args.seed}:{index}:photos")
    blocks = body.strip("\n").split("\n\n")
    photos = []
    for k in range(args.photos_per_article, 0, -1):  # from the end: earlier places stay put
        name = PHOTO_NAME.format(k=k)
        place, activity = rng.choice(generate.PLACES), rng.choice(generate.ACTIVITIES)
        alt = f"{place}{activity}現場，職工代表合影"
        title = f"圖{k}：{activity}現場（記者 {rng.choice(corpus.people)} 攝）"
        at = max(1, round(len(blocks) * k / (args.photos_per_article + 1)))
        blocks.insert(min(at, len(blocks)), f'![{alt}]({name} "{title}")')
        width, height, orientation, _ = rng.choices(SHAPES, weights=[s[3] for s in SHAPES])[0]
        seed = f"{args.seed}:{index}:{k}"
        photos.append(PhotoJob(folder / name, seed, width, height, orientation))
    text = head + "\n---\n\n" + "\n\n".join(blocks) + "\n"
    return folder / "index.md", text, photos[::-1]


def write_photos(root: Path, jobs: list[PhotoJob], processes: int) -> None:
    started = time.perf_counter()
    step = max(1, len(jobs) // 20)
    with multiprocessing.Pool(processes) as pool:
        done = pool.imap_unordered(write_photo, [(root, job) for job in jobs], chunksize=4)
        for count, _ in enumerate(done, start=1):
            if count % step == 0 or count == len(jobs):
                took = time.perf_counter() - started
                print(f"  photos: {count}/{len(jobs)} ({took:.0f} s)", file=sys.stderr)


def write_photo(task: tuple[Path, PhotoJob]) -> None:
    root, job = task
    data = photo_jpeg(job)
    (root / job.path).write_bytes(data)


def photo_jpeg(job: PhotoJob) -> bytes:
    """A photo-like JPEG (compresses as a photo does, not as flat colour) with a phone's EXIF."""
    number = int.from_bytes(hashlib.sha256(job.seed.encode("utf-8")).digest()[:8], "big")
    rng, r = np.random.default_rng(number), random.Random(number)
    w, h = job.width, job.height
    field_ = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)  # a smooth colour field
    img = Image.fromarray(field_, "RGB").resize((w, h), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(40):  # objects: hard edges are what costs bytes in a real photo
        x, y, s = r.randrange(w), r.randrange(h), r.randint(w // 40, w // 5)
        colour = tuple(r.randrange(256) for _ in range(3))
        kind = r.randrange(3)
        if kind == 0:
            draw.ellipse((x, y, x + s, y + s * r.uniform(0.5, 1.5)), fill=colour)
        elif kind == 1:
            draw.rectangle((x, y, x + s, y + s * r.uniform(0.3, 2)), fill=colour)
        else:
            points = [(x + r.randint(-s, s), y + r.randint(-s, s)) for _ in range(5)]
            draw.polygon(points, fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    texture = rng.normal(0, 14, (h // 4, w // 4)).astype(np.float32)  # surfaces, foliage
    texture = np.asarray(Image.fromarray(texture, "F").resize((w, h), Image.Resampling.BILINEAR))
    grain = rng.normal(0, 3, (h, w)).astype(np.float32)  # sensor noise
    pixels = np.asarray(img, dtype=np.float32) + (texture + grain)[:, :, None]
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=phone_exif(r, job.orientation))
    return buf.getvalue()


def phone_exif(r: random.Random, orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = r.choice(CAMERAS)  # Make, Model
    exif[0x0112] = orientation
    when = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=r.randrange(366 * 86400))
    exif.get_ifd(0x8769)[0x9003] = f"{when:%Y:%m:%d %H:%M:%S}"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)  # where the reporter stood: what the build must strip
    gps.update({
        1: "N", 2: (43.0, float(r.randrange(60)), r.randrange(6000) / 100),
        3: "E", 4: (125.0, float(r.randrange(60)), r.randrange(6000) / 100),
    })  # fmt: skip
    return exif


def first_sentence(text: str) -> tuple[int, int]:
    """Where the body's first sentence is (after the front matter)."""
    start = text.index("\n---\n") + len("\n---\n")
    while text[start] == "\n":
        start += 1
    return start, text.index("。", start) + 1


def edit(root: Path, path: Path, round_: int) -> None:
    """Replace the first sentence, as an editor fixing a typo would; two versions in turn."""
    text = (root / path).read_text(encoding="utf-8")
    start, end = first_sentence(text)
    sentence = EDITS[round_ % len(EDITS)]
    (root / path).write_text(text[:start] + sentence + text[end:], encoding="utf-8")


def restore(root: Path, path: Path, text: str) -> None:
    if (root / path).read_text(encoding="utf-8") != text:
        (root / path).write_text(text, encoding="utf-8")


# --- the builds -------------------------------------------------------------------------------


@dataclass(slots=True)
class Results:
    clean: list[run.Measured] = field(default_factory=list)
    nochange: list[run.Measured] = field(default_factory=list)
    edits: list[run.Measured] = field(default_factory=list)
    edit_writes: list[list[str]] = field(default_factory=list)  # files each edit changed
    processed: list[int] = field(default_factory=list)  # store files (re)made by each edit
    stored: int = 0  # images in the store after a clean build
    pages: int = 0
    oddities: list[str] = field(default_factory=list)


def build(site: Site, jobs: int, *, clean: bool = False) -> run.Measured:
    command = [sys.executable, "-c", run.SITEGEN, "build", str(site.root), "--jobs", str(jobs)]
    result = run.measure(command + (["--clean"] if clean else []))
    if result.returncode != 0:
        tail = "\n".join(result.output.splitlines()[-20:])
        raise SystemExit(f"sitegen build failed ({result.returncode}):\n{tail}")
    return result


def stores(root: Path) -> list[Path]:
    return sorted((root / ".sitegen-cache").glob("images-*"))


def digests_stored(root: Path) -> int:
    return sum(1 for store in stores(root) for entry in store.iterdir() if entry.is_dir())


def store_snapshot(root: Path) -> run.Snapshot:
    found: run.Snapshot = {}
    for store in stores(root):
        found |= {f"{store.name}/{k}": v for k, v in run.snapshot(store).items()}
    return found


def clean_round(site: Site, jobs: int, trash: Path, results: Results) -> None:
    """Cache and output moved aside (a rename frees no inode: see bench/run.py's Disk)."""
    for old in (site.root / ".sitegen-cache", site.public, site.root / ".public.sitegen-spare"):
        if old.exists():
            trash.mkdir(exist_ok=True)
            old.rename(trash / f"{old.name}-{time.time_ns()}")
    os.sync()
    measured = build(site, jobs, clean=True)
    results.clean.append(measured)
    results.stored = digests_stored(site.root)
    results.pages = run.count_pages(site.public)
    rate = site.photos / measured.cpu
    print(f"    clean: {measured.seconds:.1f} s (CPU {measured.cpu:.1f} s, {rate:.2f} photos "
          f"per CPU-s, {run._mb(measured.peak_rss)}), {results.stored} images stored, "
          f"{results.pages} pages; load average {os.getloadavg()[0]:.1f}",
          file=sys.stderr)  # fmt: skip
    if results.stored != site.photos:
        results.oddities.append(f"clean build stored {results.stored} images of {site.photos}")


def rebuild(site: Site, jobs: int, results: Results, edited: Path | None, round_: int) -> None:
    """One no-change rebuild or one-article edit, checking what it wrote and processed."""
    if edited is not None:
        edit(site.root, edited, round_)
    before, store_before = run.snapshot(site.public), store_snapshot(site.root)
    os.sync()
    measured = build(site, jobs)
    changed = run.written(before, run.snapshot(site.public))
    remade = run.written(store_before, store_snapshot(site.root))
    wrote = WROTE.findall(measured.output)
    built = BUILT.search(measured.output)
    images = [p for p in changed + wrote if IMAGE_OUTPUT.search(p)]
    name = "edit" if edited is not None else "no-change"
    (results.edits if edited is not None else results.nochange).append(measured)
    if edited is not None:
        results.edit_writes.append(changed)
        results.processed.append(len(remade))
    print(f"    {name}: {measured.seconds:.2f} s (CPU {measured.cpu:.2f} s), "
          f"{len(changed)} files changed: {', '.join(changed[:6])}; "
          f"store files changed: {len(remade)}; CLI: {built.group(0) if built else '?'}",
          file=sys.stderr)  # fmt: skip
    if images or remade:
        results.oddities.append(f"{name} round {round_ + 1}: image outputs {images[:5]}, "
                                f"store files changed {remade[:5]}")  # fmt: skip
    for warning in re.findall(r"(?m)^warning: .*$", measured.output):
        results.oddities.append(f"{name} round {round_ + 1}: {warning}")


# --- bytes to a phone -------------------------------------------------------------------------


class PageAssets(html.parser.HTMLParser):
    """The stylesheets, scripts and pictures an article page loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.pictures: list[dict] = []  # {"webp": srcset, "img": src, "img_srcset": srcset}
        self.others: list[str] = []  # icons, preloads: reported, not counted
        self._picture: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = a.get("rel", "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.styles.append(a["href"])
        elif tag == "link" and {"icon", "preload", "modulepreload"} & set(rel):
            self.others.append(a.get("href", ""))
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "picture":
            self._picture = {}
        elif tag == "source" and self._picture is not None and a.get("type") == "image/webp":
            self._picture["webp"] = a.get("srcset", "")
        elif tag == "img":
            found = {"img": a.get("src", ""), "img_srcset": a.get("srcset", "")}
            if self._picture is not None:
                self._picture.update(found)
            else:
                self.pictures.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "picture" and self._picture is not None:
            self.pictures.append(self._picture)
            self._picture = None


def local(public: Path, page_url: str, url: str) -> Path:
    """The file in public/ that URL (absolute, root-relative or relative) names."""
    path = unquote(urlsplit(url).path)
    if not path.startswith("/"):
        path = page_url.rsplit("/", 1)[0] + "/" + path
    return public / path.lstrip("/")


def pick(srcset: str, need: int) -> tuple[str, int]:
    """What a browser takes from a w-descriptor srcset: the smallest candidate at least NEED
    pixels wide, else the widest."""
    candidates = []
    for part in srcset.split(","):
        url, _, descriptor = part.strip().rpartition(" ")
        candidates.append((int(descriptor.rstrip("w")), url))
    wide = [c for c in sorted(candidates) if c[0] >= need]
    width, url = wide[0] if wide else max(candidates)
    return url, width


@dataclass(frozen=True, slots=True)
class PageBytes:
    page: str
    html: int
    css: int
    js: int
    text_gzip: int  # HTML + CSS + JS gzip-compressed, as a server would send them
    originals: int  # the photos as the reporter's phone saved them
    phone: int  # the WebP candidates a 360-px phone at DPR 2 picks
    picked: tuple[str, ...]

    @property
    def before(self) -> int:
        return self.html + self.css + self.js + self.originals

    @property
    def after(self) -> int:
        return self.html + self.css + self.js + self.phone


def page_bytes(site: Site, article: Path) -> PageBytes:
    folder = article.parent  # content/<cat>/<name>: published at /<cat>/<name>/
    page_url = "/" + "/".join(folder.parts[1:]) + "/"
    page = site.public / page_url.lstrip("/") / "index.html"
    data = page.read_bytes()
    found = PageAssets()
    found.feed(data.decode("utf-8"))
    styles = [local(site.public, page_url, u).read_bytes() for u in found.styles]
    scripts = [local(site.public, page_url, u).read_bytes() for u in found.scripts]
    originals = sum(p.stat().st_size for p in (site.root / folder).glob("*.jpg"))
    need = (PHONE_WIDTH - 32) * PHONE_DPR  # sizes: calc(100vw - 2rem) below 44em
    phone, picked = 0, []
    for picture in found.pictures:
        url, width = pick(picture.get("webp") or picture["img_srcset"] or picture["img"], need)
        phone += local(site.public, page_url, url).stat().st_size
        picked.append(f"{width}w")
    text = data + b"".join(styles) + b"".join(scripts)
    return PageBytes(
        page_url, len(data), sum(map(len, styles)), sum(map(len, scripts)),
        len(gzip.compress(text)), originals, phone, tuple(picked),
    )  # fmt: skip


# --- the report -------------------------------------------------------------------------------


def _kb(n: float) -> str:
    return f"{n / 1000:,.0f} KB".replace(",", " ")


def _rounds(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values) + f" {unit}"


def _span(values: list[int]) -> str:
    return f"{min(values)}-{max(values)}" if min(values) < max(values) else str(values[0])


def changed_summary(rounds: list[list[str]]) -> str:
    """'33-40: .sitegen-manifest, law/…/index.html, law/…/print.html, 30-37 search/…'"""
    counts = [len(paths) for paths in rounds]
    search = [sum(p.startswith("search/") for p in paths) for paths in rounds]
    others = sorted({p for paths in rounds for p in paths if not p.startswith("search/")})
    names = ", ".join(others) + (f", {_span(search)} search index files" if max(search) else "")
    return f"{_span(counts)} ({names or 'none'})"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def report(site: Site, results: Results, one: PageBytes, mean: tuple[float, float], args) -> str:
    clean_s = [m.seconds for m in results.clean] or [math.nan]
    clean_cpu = [m.cpu for m in results.clean] or [math.nan]
    rates = [site.photos / c for c in clean_cpu]
    edit_s = [m.seconds for m in results.edits]
    nochange_s = [m.seconds for m in results.nochange]
    median = statistics.median
    writes = sorted({p for paths in results.edit_writes for p in paths})
    image_writes = [p for p in writes if IMAGE_OUTPUT.search(p)]
    peak = max((m.peak_rss for m in results.clean), default=0)
    lines = [
        f"{run._n(args.articles)} articles with {run._n(site.photos)} photos "
        f"({run._n(round(site.photo_bytes / 1e6))} MB of JPEG, 2.1-3.8 MP), "
        f"{run._n(results.pages)} pages; `--jobs {args.jobs}`, median of "
        f"{args.repeat}; {os.cpu_count()} cores ({cpu_model()}), Python "
        f"{platform.python_version()}, Pillow {PIL.__version__} (libwebp "
        f"{features.version('webp')}, libjpeg {features.version('jpg')}), {dt.date.today()}; "
        f"load average {args.load:.1f} at start, {os.getloadavg()[0]:.1f} at end",
        "",
        "| measure | median | rounds / detail |",
        "|---|---:|---|",
        f"| clean build (cache and output removed) | {median(clean_s):.1f} s | "
        f"{_rounds(clean_s, digits=1)} |",
        f"| clean build, CPU of the process tree | {median(clean_cpu):.1f} s | "
        f"{_rounds(clean_cpu, digits=1)} |",
        f"| photos per CPU-second (clean) | {median(rates):.2f} | "
        f"{_rounds(rates, '', 2).strip()}; each photo: 3 widths × (WebP + JPEG) + stripped "
        "original |",
        f"| clean build peak RSS (process tree) | {run._mb(peak)} | |",
        f"| no-change rebuild | {median(nochange_s):.2f} s | {_rounds(nochange_s)} |",
        f"| one-article edit (target ≤ 1 s) | {median(edit_s):.2f} s | {_rounds(edit_s)}; "
        f"files changed: {changed_summary(results.edit_writes)} |",
        f"| images processed by the edits | {sum(results.processed)} | image store unchanged; "
        f"image files written: {len(image_writes)} |",
        f"| phone download, one article page, before | {_kb(one.before)} | HTML "
        f"{_kb(one.html)} + CSS {_kb(one.css)} + JS {_kb(one.js)} + "
        f"{len(one.picked)} original photos {_kb(one.originals)} (`{one.page}`) |",
        f"| phone download, one article page, after | {_kb(one.after)} | same text + WebP "
        f"{'/'.join(one.picked)} {_kb(one.phone)}; text gzip'd: {_kb(one.text_gzip)} |",
        f"| after / before | {one.after / one.before:.2f} | {one.before / one.after:.1f}x "
        f"fewer bytes; mean over all {run._n(args.articles)} article pages: {_kb(mean[0])} → "
        f"{_kb(mean[1])} ({mean[1] / mean[0]:.2f}) |",
    ]
    return "\n".join(lines) + "\n"


# --- command line -----------------------------------------------------------------------------


def run_bench(site: Site, args: argparse.Namespace, trash: Path) -> Results:
    results = Results()
    for round_ in range(0 if args.no_clean else args.repeat):
        print(f"  clean build {round_ + 1}:", file=sys.stderr)
        clean_round(site, args.jobs, trash, results)
    if args.no_clean:  # bring the kept site up to date first, untimed (a new sitegen, say)
        build(site, args.jobs)
        results.pages = run.count_pages(site.public)
    edited = site.articles[len(site.articles) // 2]
    original = (site.root / edited).read_text(encoding="utf-8")
    try:
        for round_ in range(args.repeat):
            print(f"  rebuilds {round_ + 1}:", file=sys.stderr)
            rebuild(site, args.jobs, results, None, round_)
            rebuild(site, args.jobs, results, edited, round_)
    finally:
        restore(site.root, edited, original)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--photos-per-article", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median shown)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1,
        help="processes, for generating the photos and for sitegen build",
    )  # fmt: skip
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="make (or reuse) the site in DIR and keep it"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-clean", action="store_true",
        help="time only the rebuilds, on the site --keep holds (its clean builds take minutes)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.no_clean and not args.keep:
        parser.error("--no-clean needs --keep DIR, a site built before")
    if args.articles < 1 or args.photos_per_article < 1 or args.repeat < 1 or args.jobs < 1:
        parser.error("--articles, --photos-per-article, --repeat and --jobs must be 1 or more")
    args.load = os.getloadavg()[0]
    run.compile_sitegen()
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="sitegen-photos-"))
    trash = root.with_name(f".{root.name}-trash")
    try:
        started = time.perf_counter()
        print(f"site in {root}", file=sys.stderr)
        site = make_site(root, args)
        print(f"  site ready in {time.perf_counter() - started:.0f} s: {site.photos} photos, "
              f"{site.photo_bytes / 1e6:.0f} MB", file=sys.stderr)  # fmt: skip
        results = run_bench(site, args, trash)
        one = page_bytes(site, site.articles[0])
        every = [page_bytes(site, a) for a in site.articles]
        mean = (statistics.mean(p.before for p in every), statistics.mean(p.after for p in every))
    finally:
        shutil.rmtree(trash, ignore_errors=True)  # after every timed build (see bench/run.py)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    table = report(site, results, one, mean, args)
    print(table)
    for odd in results.oddities:
        print(f"odd: {odd}", file=sys.stderr)
    return 1 if results.oddities else 0


if __name__ == "__main__":
    raise SystemExit(main())
