"""The files published beside articles: found, hashed, images processed, references checked.

One stage of the build, between reading the sources and rendering: it turns the files of
article folders into outputs (each with the digest of its bytes, for the output record) and
each article's references into an `ArticleFiles` record for its pages.

What it keeps between builds (.sitegen-cache/files-*.bin): each file's stat and digest, so
an unchanged file is not read again, and each image's processed variants' digests. Processed
images themselves live in an `ImageStore`, by digest: an image that moves, or comes back,
is not processed again. A build stopped half way, or a damaged record, costs only reading
files again.
"""

from __future__ import annotations

import hashlib
import marshal
import posixpath
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sitegen.bundles import (
    ArticleFiles,
    Listed,
    article_files,
    bundle_outputs,
    files_by_folder,
    is_bundle,
    is_raster,
    resolve,
)
from sitegen.cache import CACHE_DIR, cache_file, write_atomically
from sitegen.config import Config
from sitegen.content import Article
from sitegen.mediatypes import ImageInfo, ImageSettings, Variant

if TYPE_CHECKING:  # (imported where used: Pillow, only by builds that have photos)
    from sitegen.media import ImageStore
from sitegen.problems import Problem
from sitegen.site import BAD_NAME

_FORMAT: Final = f"sitegen-files 1 python {sys.version_info[0]}.{sys.version_info[1]}"
Mapper = Callable[[Callable, Iterable], Iterable]


@dataclass(frozen=True, slots=True)
class Published:
    """One file to put in the output folder: where its bytes are, and their digest."""

    source: str  # the file's path (a string: a build makes tens of thousands of these)
    sha: str
    claim: str  # the file it comes from, for messages: content/news/a/photo.jpg


@dataclass(frozen=True, slots=True)
class Prepared:
    files: dict[str, ArticleFiles]  # article path -> its files, for articles that have any
    published: dict[str, Published]  # output -> file
    problems: list[Problem]


def image_settings(config: Config) -> ImageSettings:
    return ImageSettings(widths=config.image_widths, keep_exif=config.keep_exif)


def _store(config: Config) -> ImageStore:
    from sitegen.media import ImageStore

    return ImageStore(store_folder(config), image_settings(config))


def store_folder(config: Config) -> Path:
    from sitegen.media import settings_tag

    return config.root / CACHE_DIR / f"images-{settings_tag(image_settings(config))}"


def prepare(
    config: Config, articles: Iterable[Article], listed: Listed, mapper: Mapper, out: Path
) -> Prepared:
    """Every article's files checked and placed, and every file of article folders (and the
    copies of their images) as outputs."""
    record = _Record.load(config.root, out)
    sources: dict[str, str] = {}  # file in an article folder -> its output
    refs, problems = {}, []
    owned = files_by_folder(listed.content, listed.folders) if listed.folders else {}
    for article in articles:
        if owned and is_bundle(article.path):
            sources |= bundle_outputs(article.path, article.url, owned)
        if article.references:
            refs[(article.path, article.url)] = article.references
    for source in [s for s in sources if BAD_NAME.search(s)]:  # a name no host serves
        shown = repr(source)[1:-1]
        problems.append(Problem(Path(shown), "this file name holds a line break, a control "
                                "character or a backslash: rename the file"))  # fmt: skip
        del sources[source]
    digests = record.digests({s: listed.content[s] for s in sources}, config.root)
    for source in [s for s, d in digests.items() if d is None]:  # gone since it was listed
        problems.append(Problem(Path(source), "cannot be read: check the file"))
        del sources[source]
    images, image_problems = _images(config, record, sources, digests, mapper)
    problems += image_problems
    published = _published(config, sources, digests, images, record, problems)
    files = {}
    for (path, url), found in refs.items():
        resources, missing = resolve((path, url), found, listed, images)
        problems += missing
        if resources:
            files[path] = article_files(resources, sources, config.image_originals)
    record.save()
    return Prepared(files, published, problems)


def prune(config: Config, out: Path) -> None:
    """After a full build: processed images no file of the site has any more."""
    record = _Record.load(config.root, out)
    _store(config).forget_except({digest for _, digest, _ in record.images.values()})


def _images(config, record, sources, digests, mapper) -> tuple[dict, list[Problem]]:
    """Each image file's info, processing in the worker pool those the store lacks."""
    if not any(is_raster(s) for s in sources):
        return {}, []
    store = _store(config)
    images: dict[str, ImageInfo] = {}
    todo = []
    for source in sorted(s for s in sources if is_raster(s)):
        digest = digests[source]
        known = record.images.get(source)
        info = known[0] if known and known[1] == digest else store.info(digest)
        if info is None:
            todo.append((source, digest))
        else:
            images[source] = info
    problems: list[Problem] = []
    if not todo:  # (asking the mapper would fork the worker pool for nothing)
        return images, problems
    jobs = [(store_folder(config), image_settings(config), config.root / s, d) for s, d in todo]
    for (source, _), made in zip(todo, mapper(_make, jobs), strict=True):
        if isinstance(made, str):
            problems.append(Problem(Path(source), made))
        else:
            images[source] = made
    return images, problems


def _make(job: tuple[Path, ImageSettings, Path, str]) -> ImageInfo | str:
    """Process one image into the store (in a worker): its info, or what is wrong with it."""
    from sitegen.media import ImageError, ImageStore

    folder, settings, path, digest = job
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror}): check the file"
    try:
        return ImageStore(folder, settings).make(digest, data, posixpath.splitext(path.name)[1])
    except ImageError as exc:
        return str(exc)


def _published(config, sources, digests, images, record, problems) -> dict[str, Published]:
    """Every file to publish by its output; a photo's copy that would land on another file
    of the folder (photo-480w.jpg beside photo.jpg) is a problem, never a silent swap."""
    store = _store(config) if images else None
    published, root = {}, config.root.as_posix()

    def put(output: str, file: Published) -> None:
        other = published.setdefault(output, file)
        if other is not file:
            mine, theirs = sorted((file.claim, other.claim))
            problems.append(Problem(Path(mine), f"is published as {output}, where sitegen also "
                                    f"puts a copy of {theirs}: rename one of them"))  # fmt: skip

    for source, output in sources.items():
        info = images.get(source)
        if info is None:
            if not is_raster(source):  # (an image that failed is reported, not published)
                put(output, Published(f"{root}/{source}", digests[source], source))
            continue
        shas = record.shas(store, source, digests[source], info)
        stem = posixpath.splitext(output)[0]
        files = store.paths(digests[source], ["", *(v.name for v in info.variants)])
        if config.image_originals:
            put(output, Published(files[""], shas[""], source))
        for variant in info.variants:
            put(stem + variant.name, Published(files[variant.name], shas[variant.name], source))
    return published


class _Record:
    """What this stage keeps between builds: file stats and digests, image infos."""

    def __init__(self, path: Path, files: dict, images: dict) -> None:
        self.path = path
        self.files: dict[str, tuple[tuple[int, int], str]] = files
        self.images: dict[str, tuple[ImageInfo, str, dict[str, str]]] = images
        self.changed = False

    @classmethod
    def load(cls, root: Path, out: Path) -> _Record:
        main = cache_file(root, out)
        path = main.with_name(main.name.replace("cache-", "files-"))
        try:
            header, files, images = marshal.loads(path.read_bytes())
            if header != _FORMAT:
                raise ValueError(header)
            found = {s: (_info_from(i), d, dict(shas)) for s, (i, d, shas) in images.items()}
            return cls(path, {s: (tuple(st), d) for s, (st, d) in files.items()}, found)
        except Exception:  # noqa: BLE001 (missing or damaged: files are read again)
            return cls(path, {}, {})

    def digests(self, stats: Mapping[str, tuple[int, int]], root: Path) -> dict[str, str]:
        """The digest of each file, reading only files whose stat changed."""
        found: dict[str, str | None] = {s: self.files[s][1] for s, st in stats.items()
                 if s in self.files and self.files[s][0] == st}  # fmt: skip
        todo = [s for s in stats if s not in found]
        if todo:  # (imported here: an edit's build seldom has any, and the import is 6 ms)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(2) as pool:  # hashing lets go of the interpreter lock
                digests = pool.map(partial(_digest, root), todo)
                for source, digest in zip(todo, digests, strict=True):
                    found[source] = digest
        if todo or len(stats) != len(self.files):
            self.changed = True
        self.files = {s: (stats[s], d) for s, d in found.items() if d is not None}
        return found

    def shas(self, store: ImageStore, source: str, digest: str, info: ImageInfo) -> dict:
        known = self.images.get(source)
        if known is not None and known[1] == digest and known[0] == info:
            return known[2]
        names = ["", *(v.name for v in info.variants)]
        shas = {n: _digest(store.path(digest, n).parent, store.path(digest, n).name) or ""
                for n in names}  # fmt: skip
        self.images[source] = (info, digest, shas)
        self.changed = True
        return shas

    def save(self) -> None:
        gone = self.images.keys() - self.files.keys()
        for source in gone:
            del self.images[source]
        if not (self.changed or gone):
            return
        images = {s: (_info_to(i), d, shas) for s, (i, d, shas) in self.images.items()}
        write_atomically(self.path, marshal.dumps((_FORMAT, self.files, images)))


def _digest(root: Path, rel: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(root / rel, "rb") as handle:  # large attachments: in pieces, not whole
            for block in iter(partial(handle.read, 1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _info_to(info: ImageInfo) -> tuple:
    variants = tuple((v.name, v.width, v.height, v.mime) for v in info.variants)
    return (info.width, info.height, variants, info.fallback)


def _info_from(raw: tuple) -> ImageInfo:
    width, height, variants, fallback = raw
    return ImageInfo(width, height, tuple(Variant(*v) for v in variants), fallback)
