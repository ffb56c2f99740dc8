"""The search index writer: what a query can find, and the files search.js reads.

The reader below decodes the documented file format (sitegen/search.py docstring) the way
static/js/search.js does; browser tests in tests/browser/ drive the real script.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import marshal
import re
import shutil
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import postings, search
from sitegen.pipeline import build_site
from sitegen.search import (
    Normalizer,
    Place,
    SearchDoc,
    fnv1a,
    write_index,
)
from tests.conftest import MINIMAL_CONFIG, article

WAGES = SearchDoc(
    url="/law/wage-check/",
    title="農民工工資支付專項檢查啟動",
    date="2019-03-02",
    category="law",
    category_name="法律維權",
    text="市總工會會同人社部門啟動農民工工資支付專項檢查，重點檢查建築工地\n和勞務派遣單位。",
)
COOLING = SearchDoc(
    url="/news/cooling/",
    title="送清凉活动走进户外劳动者驿站",
    date="2021-07-15",
    category="news",
    category_name="工會要聞",
    text="夏季高温期间，市总工会为环卫工人送去防暑降温物品。COVID-19 防控工作同步开展。",
)
READING = SearchDoc(
    url="/culture/reading/",
    title="全民讀書月活動在職工書屋開幕",
    date="2018-04-23",
    category="culture",
    category_name="文體活動",
    text="職工書屋新增圖書兩千冊，讀書讀書再讀書，讀書月期間每週開放六天。",
)


def varint(stream: Iterator[int]) -> int:
    value, shift = 0, 0
    for byte in stream:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    return value


def is_bigram(key: str) -> bool:
    """Keys whose postings carry position masks (search.js's isBigram)."""
    return len(key) == 2 and search.IS_CJK.match(key[0]) is not None


def keys_of(norm: str) -> list[str]:
    """The definition of a normalised text's index keys, with repeats: each CJK character and
    each pair of neighbouring CJK characters, and each Latin word (letters and digits between
    the CJK runs), cut at MAX_WORD."""
    runs = re.findall(f"[{search.CJK}]+", norm)
    keys = [char for run in runs for char in run]
    keys += [run[at : at + 2] for run in runs for at in range(len(run) - 1)]
    between = re.sub(f"[{search.CJK}]+", " ", norm)
    return keys + [word[: search.MAX_WORD] for word in re.findall(r"[^\W_]+", between)]


def read_index(out: Path, masks: dict | None = None) -> tuple[dict, dict[str, list]]:
    """meta.json and every key's postings as (doc id, flags); fills `masks` if given."""
    meta = json.loads((out / "search" / "meta.json").read_text(encoding="utf-8"))
    keys: dict[str, list[tuple[int, int]]] = {}
    masks = {} if masks is None else masks
    for number in range(meta["shards"]):
        data = search.shard_segments((out / "search" / "s" / f"{number}.bin").read_bytes())
        stream = iter(data)
        while (first := next(stream, None)) is not None:  # a key's postings: its segments'
            for _ in range(varint(chain([first], stream))):
                key = bytes(next(stream) for _ in range(varint(stream))).decode("utf-8")
                count, _size = varint(stream), varint(stream)
                value, postings = 0, []
                for _ in range(count):
                    value += varint(stream)
                    postings.append((value // 4, value % 4))
                if is_bigram(key):
                    masks.setdefault(key, []).extend(next(stream) for _ in range(count))
                assert fnv1a(key) % meta["shards"] == number, f"{key!r} is in the wrong shard"
                keys.setdefault(key, []).extend(postings)
    for key, postings in keys.items():
        ids = [doc for doc, _flags in postings]
        assert ids == sorted(set(ids)), f"{key!r}: postings out of order across segments"
    return meta, keys


def segment_count(data: bytes) -> int:
    """How many segments a shard's bytes hold (each: its keys, each with its postings)."""
    stream, count = iter(data), 0
    while (first := next(stream, None)) is not None:
        count += 1
        for _ in range(varint(chain([first], stream))):
            for _ in range(varint(stream)):  # the key's bytes
                next(stream)
            varint(stream)  # its posting count
            for _ in range(varint(stream)):  # its postings' (and masks') bytes
                next(stream)
    return count


def doc_row(out: Path, meta: dict, doc_id: int) -> list:
    name = f"{doc_id // meta['per_chunk']}.json.gz"
    chunk = json.loads(gzip.decompress((out / "search" / "d" / name).read_bytes()))
    return chunk[doc_id % meta["per_chunk"]]


def found(keys: dict, query: str) -> set[int]:
    """Docs holding every key of the query (before search.js checks the text)."""
    normalizer = Normalizer.from_file()
    wanted = set(keys_of(normalizer.text(query)))
    wanted = {k for k in wanted if len(k) > 1} or wanted  # bigrams, or the lone character
    sets = [{doc for doc, _flags in keys.get(key, [])} for key in wanted]
    return set.intersection(*sets) if sets else set()


def test_a_simplified_query_finds_a_traditional_article_and_back(tmp_path):
    write_index([WAGES, COOLING], tmp_path)
    meta, keys = read_index(tmp_path)
    urls = {doc_id: doc_row(tmp_path, meta, doc_id)[0] for doc_id in range(meta["docs"])}
    assert {urls[d] for d in found(keys, "工资支付")} == {"/law/wage-check/"}
    assert {urls[d] for d in found(keys, "環衛工人")} == {"/news/cooling/"}


def test_a_line_break_inside_a_sentence_does_not_split_the_words_around_it(tmp_path):
    write_index([WAGES], tmp_path)
    _meta, keys = read_index(tmp_path)
    assert found(keys, "工地和勞務") == {0}


def test_latin_words_are_found_whole_and_in_any_case(tmp_path):
    write_index([COOLING], tmp_path)
    _meta, keys = read_index(tmp_path)
    assert found(keys, "covid") == {0}
    assert found(keys, "ＣＯＶＩＤ") == {0}  # full-width letters, as Chinese keyboards type them
    assert found(keys, "cov") == set()


def test_a_single_character_query_finds_articles_holding_it(tmp_path):
    write_index([WAGES, COOLING, READING], tmp_path)
    meta, keys = read_index(tmp_path)
    hits = {doc_row(tmp_path, meta, d)[0] for d in found(keys, "書")}
    assert hits == {"/culture/reading/"}


def test_ids_run_oldest_first_so_each_year_is_one_id_range(tmp_path):
    write_index([READING, WAGES, COOLING], tmp_path)
    meta, _keys = read_index(tmp_path)
    dates = [doc_row(tmp_path, meta, d)[2] for d in range(meta["docs"])]
    assert dates == ["2018-04-23", "2019-03-02", "2021-07-15"]
    assert meta["years"] == {"2018": [0, 1], "2019": [1, 2], "2021": [2, 3]}
    assert meta["categories"] == {"culture": "文體活動", "law": "法律維權", "news": "工會要聞"}


def test_a_newer_article_leaves_the_older_articles_doc_files_alone(tmp_path):
    # Long articles, as real ones are: one per doc file.
    long = [doc._replace(text=doc.text * 40) for doc in (READING, WAGES, COOLING)]
    write_index(long[:2], tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "search/d").iterdir()}
    assert len(before) == 2
    write_index(long, tmp_path)
    assert all(path.read_bytes() == data for path, data in before.items())
    assert len(list((tmp_path / "search/d").iterdir())) == 3


def test_a_category_filter_has_postings_of_its_own(tmp_path):
    write_index([READING, WAGES, COOLING], tmp_path)
    _meta, keys = read_index(tmp_path)
    assert [doc for doc, _ in keys["#law"]] == [1]


def test_title_words_and_repeated_words_are_flagged_for_relevance(tmp_path):
    write_index([READING], tmp_path)
    _meta, keys = read_index(tmp_path)
    assert dict(keys["读书"]) == {0: 1 | 2}  # in the title, and four times in all
    assert dict(keys["图书"]) == {0: 0}
    assert dict(keys["书屋"]) == {0: 1}


def test_bigram_masks_mark_where_each_pair_occurs_so_apart_pairs_can_be_told(tmp_path):
    text = "設在區總工會，會員代表值班"
    doc = SearchDoc("/law/m/", "調解", "2022-11-08", "law", "法律維權", text)
    write_index([doc], tmp_path)
    masks: dict[str, list[int]] = {}
    read_index(tmp_path, masks)
    # Places count from the start of each run of CJK characters. Title 调解: 调解 at 0;
    # text 设在区总工会，会员代表值班: 工会 at 4 of the first run, 会员 at 0 of the second.
    assert masks["调解"] == [1 << 0]
    assert masks["工会"] == [1 << 4]
    assert masks["会员"] == [1 << 0]  # not 1 << 5: 工会员 cannot occur here


def test_an_edit_leaves_the_masks_of_the_sentences_it_did_not_touch_alone(tmp_path):
    """A new first sentence moves every later character, but not within its own run, so
    the later bigrams' masks stay as they were (and an edit rewrites few shards)."""
    before = SearchDoc("/law/m/", "調解", "2022-11-08", "law", "法律維權", "會員代表值班。")
    after = before._replace(text="今日上午起，會員代表值班。")
    for doc, out in ((before, tmp_path / "a"), (after, tmp_path / "b")):
        write_index([doc], out)
    masks_before: dict[str, list[int]] = {}
    masks_after: dict[str, list[int]] = {}
    read_index(tmp_path / "a", masks_before)
    read_index(tmp_path / "b", masks_after)
    assert masks_after["会员"] == masks_before["会员"] == [1 << 0]
    assert masks_after["值班"] == masks_before["值班"] == [1 << 4]
    assert masks_after["上午"] == [1 << 2]


def test_doc_chunks_keep_the_original_text_for_excerpts(tmp_path):
    write_index([WAGES], tmp_path)
    meta, _keys = read_index(tmp_path)
    assert doc_row(tmp_path, meta, 0) == [
        "/law/wage-check/",
        "農民工工資支付專項檢查啟動",
        "2019-03-02",
        "law",
        "市總工會會同人社部門啟動農民工工資支付專項檢查，重點檢查建築工地 和勞務派遣單位。",
    ]


def test_files_the_live_site_already_holds_are_not_written_again(tmp_path):
    first = write_index([WAGES, COOLING, READING], tmp_path / "live")
    assert first and all(f.written for f in first)
    second = write_index([COOLING, READING, WAGES], Place(tmp_path / "next", tmp_path / "live"))
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in first)
    assert not any(f.written for f in second) and not (tmp_path / "next").exists()
    third = write_index([WAGES, COOLING], Place(tmp_path / "third", tmp_path / "live"))
    written = {f.rel for f in third if f.written}
    assert "search/meta.json" in written and written == {
        p.relative_to(tmp_path / "third").as_posix()
        for p in (tmp_path / "third").rglob("*") if p.is_file()
    }  # fmt: skip


def test_an_upgrade_removes_the_cached_blocks_of_the_old_index_format(make_site):
    """The first index of a new format is made whole; the cache of the format before is
    never read again and goes (220 MB at 100 000 articles), while the current format's
    cache, the kept rows and other caches stay."""
    files = {f"content/news/n{n}.md": article(f"第{n}號通知", "2020-01-01", "news", "工會通知。")
             for n in range(3)}  # fmt: skip
    root = make_site(files, MINIMAL_CONFIG.replace("search: false", "search: true"))
    assert build_site(root).ok
    cache = root / ".sitegen-cache"
    current = cache / f"search-{search.FORMAT}"
    assert any(current.iterdir())
    old = cache / f"search-{search.FORMAT - 1}"
    old.mkdir()
    (old / "index.marshal").write_bytes(b"an earlier format's record")
    # (The record of the index's files is written under a new name by each build.)
    kept_before = [p.name for p in cache.iterdir() if p != old and not p.name.startswith("index-")]
    shutil.rmtree(current)  # as after an upgrade: no cache of this format yet
    (root / "content/news/n1.md").write_text(article("第1號通知", "2020-01-01", "news", "更正。"))
    assert build_site(root).ok
    assert not old.exists() and any(current.iterdir())
    assert set(kept_before) <= {p.name for p in cache.iterdir()}  # none of the others went


def test_files_of_a_larger_earlier_index_are_removed_but_the_search_page_stays(make_site):
    """An incremental build after most articles went: the index shrinks to fewer shards and
    doc chunks, and the files of the larger one are gone, as after a clean build."""

    def text(n: int) -> str:  # many different characters, so the index has many keys
        return "".join(chr(0x4E00 + (n * 37 + i) % 5000) for i in range(400))

    files = {f"content/news/n{n}.md": article(f"第{n}號通知", "2020-01-01", "news", text(n))
             for n in range(120)}  # fmt: skip
    root = make_site(files, MINIMAL_CONFIG.replace("search: false", "search: true"))
    assert build_site(root).ok
    shards = len(list((root / "public/search/s").iterdir()))
    for n in range(1, 120):
        (root / f"content/news/n{n}.md").unlink()
    assert build_site(root).ok and build_site(root, root / "clean", clean=True).ok
    index, clean = root / "public/search", root / "clean/search"
    assert shards > len(list(index.glob("s/*")))
    assert {p.relative_to(index) for p in index.rglob("*")} == {
        p.relative_to(clean) for p in clean.rglob("*")
    }
    assert (index / "index.html").is_file()  # the search page, beside the index


CJK_SAMPLE = "工會會员員职職業业勞劳动動法律維维权權讀读書书屋"
# Characters whose normal form is longer, shorter or white space: NFKC turns … into three
# dots, ㈱ into (株), ﬁ into two letters, U+3000 and U+00A0 into spaces; İ lower-cased is
# two characters; U+200B is not white space.
ODD_CHARS = "…㈱ﬁＡＢİ\u00a0\u3000\u200b\t\r\n "


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet=CJK_SAMPLE + ODD_CHARS + "aZ9，。𠀋"), max_size=5))
def test_a_block_of_texts_is_normalised_as_each_text_is_on_its_own(texts):
    """The indexer normalises a block's texts at once, with arrays: white space at the
    seams between texts, and characters of longer forms, must come out as they do alone."""
    normalizer = Normalizer.from_file()
    assert postings.normalise(texts) == [normalizer.text(text) for text in texts]


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=CJK_SAMPLE + " \n，。ab", min_size=2), min_size=1, max_size=4),
    data=st.data(),
)
def test_every_run_of_two_or_more_characters_yields_its_article_as_a_candidate(
    tmp_path_factory, texts, data
):
    out = tmp_path_factory.mktemp("index")
    docs = [
        SearchDoc(f"/news/{n}/", "標題", "2020-01-01", "news", "工會要聞", text)
        for n, text in enumerate(texts)
    ]
    write_index(docs, out)
    meta, keys = read_index(out)
    normalizer = Normalizer.from_file()
    for doc_id in range(meta["docs"]):
        row = doc_row(out, meta, doc_id)
        runs = [run for run in row[4].replace("，", " ").replace("。", " ").split() if run]
        cjk = [r for r in runs if all(c in CJK_SAMPLE for c in r) and len(r) >= 2]
        if not cjk:
            continue
        run = data.draw(st.sampled_from(cjk))
        start = data.draw(st.integers(0, len(run) - 2))
        query = run[start : data.draw(st.integers(start + 2, len(run)))]
        assert doc_id in found(keys, query)
        assert normalizer.text(query) in normalizer.text(row[4])  # the check search.js makes


def _expected_postings(title: str, text: str) -> tuple[dict[str, int], dict[str, int]]:
    """A doc's keys with their flags, and its bigrams' masks, straight from the definitions:
    flag 1 for a key of the title, 2 for a key met three times or more; bit p % 8 of a
    pair of CJK characters' mask for each place p it starts at in its run of CJK
    characters, in the title and the text."""
    normalizer = Normalizer.from_file()
    title_norm, text_norm = normalizer.text(title), normalizer.text(text)
    title_keys, text_keys = keys_of(title_norm), keys_of(text_norm)
    everything = title_keys + text_keys
    flags = {k: (k in title_keys) | 2 * (everything.count(k) >= 3) for k in everything}
    masks: dict[str, int] = {}
    for norm in (title_norm, text_norm):
        for run in re.findall(f"[{search.CJK}]+", norm):
            for place in range(len(run) - 1):
                pair = run[place : place + 2]
                masks[pair] = masks.get(pair, 0) | 1 << place % 8
    return flags, masks


@settings(max_examples=80, deadline=None)
@given(
    title=st.text(alphabet=CJK_SAMPLE + " ab1", min_size=1, max_size=8),
    text=st.text(alphabet=CJK_SAMPLE + ODD_CHARS + "，。aB2𠀋", max_size=60),
)
def test_the_index_holds_each_key_with_its_flags_and_masks(tmp_path_factory, title, text):
    out = tmp_path_factory.mktemp("index")
    write_index([SearchDoc("/news/a/", title, "2020-01-01", "news", "要聞", text)], out)
    masks: dict[str, list[int]] = {}
    _meta, keys = read_index(out, masks)
    flags, bigram_masks = _expected_postings(title, text)
    assert {k: dict(v)[0] for k, v in keys.items() if k != "#news"} == flags
    assert {k: m for k, [m] in masks.items()} == bigram_masks


def test_a_site_with_search_switched_off_has_no_search_box_page_or_index(make_site, tmp_path):
    root = make_site({"content/law/wage-check.md": article(WAGES.title, WAGES.date)})
    assert build_site(root, tmp_path / "out").ok
    assert not (tmp_path / "out" / "search").exists()
    assert 'name="q"' not in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_an_index_built_in_blocks_holds_what_the_index_built_whole_holds(tmp_path, monkeypatch):
    """Blocks of consecutive docs are indexed apart (in worker processes), each into one
    segment per shard: read back, every key has the postings and masks of one pass over all
    docs, and the doc chunks are the same bytes."""
    docs = [
        SearchDoc(f"/news/n{i}/", f"職工書屋{i}", f"2020-0{1 + i % 9}-1{i % 10}",
                  ("news", "law")[i % 2], ("工會要聞", "法律維權")[i % 2],
                  f"第{i}期職工書屋開放，工會會員代表{i % 3}名到場。" * (1 + i % 4))
        for i in range(23)
    ]  # fmt: skip
    monkeypatch.setattr(search, "CHUNK_BYTES", 600)  # a few docs per chunk, so several chunks
    write_index(docs, tmp_path / "whole")
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    write_index(docs, tmp_path / "blocks")
    whole_masks: dict = {}
    block_masks: dict = {}
    assert read_index(tmp_path / "whole", whole_masks) == read_index(
        tmp_path / "blocks", block_masks
    )
    assert whole_masks == block_masks
    whole, blocks = tmp_path / "whole" / "search" / "d", tmp_path / "blocks" / "search" / "d"
    chunks = sorted(p.name for p in whole.iterdir())
    assert len(chunks) > 3 and chunks == sorted(p.name for p in blocks.iterdir())
    for name in chunks:
        assert (whole / name).read_bytes() == (blocks / name).read_bytes(), name
    shard = (tmp_path / "blocks" / "search" / "s" / "0.bin").read_bytes()
    assert segment_count(search.shard_segments(shard)) > 1  # several blocks' docs share it


def test_a_rebuild_indexes_only_the_block_whose_docs_changed(tmp_path, monkeypatch):
    """Blocks' postings are cached by a digest of their docs: after one edit only that block
    is indexed again, and the index is byte for byte the one built without a cache; a
    damaged cache file is indexed again too."""
    monkeypatch.setattr(search, "CHUNK_BYTES", 600)
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    indexed: list[int] = []
    real = search._block_segments
    monkeypatch.setattr(
        search,
        "_block_segments",
        lambda first, rows, shards: indexed.append(first) or real(first, rows, shards),
    )
    docs = [
        SearchDoc(f"/news/n{i:02}/", f"職工書屋{i}", f"2020-01-{1 + i:02}", "news", "工會要聞",
                  f"第{i}期職工書屋開放，會員代表{i % 3}名到場。" * (1 + i % 4))
        for i in range(23)
    ]  # fmt: skip
    cache = tmp_path / "cache"
    write_index(docs, tmp_path / "one", cache=cache)
    assert len(indexed) > 3
    indexed.clear()
    docs[13] = docs[13]._replace(text="本期改為線上開放。")
    second = write_index(docs, tmp_path / "two", cache=cache)
    assert len(indexed) == 1
    indexed.clear()
    for stored in cache.glob("*.bin"):
        stored.write_bytes(b"damaged")
    third = write_index(docs, tmp_path / "three", cache=cache)
    assert len(indexed) > 3
    plain = write_index(docs, tmp_path / "plain")
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in plain)
    assert sorted((f.rel, f.sha) for f in third) == sorted((f.rel, f.sha) for f in plain)


def test_a_rebuild_reads_the_texts_of_one_block_and_leaves_its_other_doc_files(
    tmp_path, monkeypatch
):
    """Texts are read only for blocks indexed again, and a cached block whose doc chunks the
    live site holds writes none of them; the index is still the one built from scratch."""
    monkeypatch.setattr(search, "CHUNK_BYTES", 600)
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    texts = [f"第{i}期職工書屋開放，會員代表{i % 3}名到場。" * (1 + i % 4) for i in range(23)]
    read: list[int] = []

    def docs() -> list[SearchDoc]:
        return [
            SearchDoc(f"/news/n{i:02}/", f"職工書屋{i}", f"2020-01-{1 + i:02}", "news", "工會要聞",
                      lambda i=i: read.append(i) or texts[i], f"v{hash(texts[i])}", 120)
            for i in range(23)
        ]  # fmt: skip

    cache, live = tmp_path / "cache", tmp_path / "live"
    write_index(docs(), live, cache=cache)
    assert sorted(read) == list(range(23))
    read.clear()
    texts[13] = "本期改為線上開放。"
    second = write_index(docs(), Place(tmp_path / "next", live), cache=cache)
    per_chunk = json.loads((live / "search" / "meta.json").read_bytes())["per_chunk"]
    size = per_chunk * max(1, 4 // per_chunk)  # docs per block: whole doc chunks
    block = set(range(13 // size * size, 13 // size * size + size))  # doc i has id i (dates)
    assert set(read) == block
    written_docs = {f.rel for f in second if f.written and f.rel.startswith("search/d/")}
    assert written_docs and written_docs <= {f"search/d/{i // per_chunk}.json.gz" for i in block}
    plain = write_index([d._replace(text=texts[i]) for i, d in enumerate(docs())], tmp_path / "p")
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in plain)


def test_a_rebuild_compresses_only_the_pieces_of_shards_whose_bytes_changed(tmp_path, monkeypatch):
    """After one edit most shards hold the same bytes: they are neither compressed nor
    written again; in those that changed, only the piece holding the edited block is
    compressed again (the others' bytes are copied), and the index is still the one built
    from scratch."""
    monkeypatch.setattr(search, "CHUNK_BYTES", 600)
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 5)  # many shards for a few docs
    monkeypatch.setattr(search, "_piece_span", lambda shards: 2)  # 2 blocks a piece
    texts = [f"第{i}期職工書屋開放，會員代表{i % 3}名到場。" * (1 + i % 4) for i in range(23)]
    docs = [
        SearchDoc(
            f"/news/n{i:02}/", f"職工書屋{i}", f"2020-01-{1 + i:02}", "news", "工會要聞", text
        )
        for i, text in enumerate(texts)
    ]
    cache, live = tmp_path / "cache", tmp_path / "live"
    first = {f.rel: f.sha for f in write_index(docs, live, cache=cache)}
    shards = [rel for rel in first if rel.startswith("search/s/")]
    chunks: list[bytes] = []
    pieces: list[bytes] = []
    real_gzip, real_pack = gzip.compress, search._pack
    monkeypatch.setattr(
        gzip, "compress", lambda data, *a, **k: chunks.append(data) or real_gzip(data, *a, **k)
    )
    monkeypatch.setattr(search, "_pack", lambda raw: pieces.append(raw) or real_pack(raw))
    docs[13] = docs[13]._replace(text="本期改為線上開放。")
    second = write_index(docs, Place(tmp_path / "next", live), cache=cache)
    changed = [f.rel for f in second if f.rel in shards and f.sha != first[f.rel]]
    assert 0 < len(changed) < len(shards) / 2
    assert {f.rel for f in second if f.written and f.rel.startswith("search/s/")} == set(changed)
    per_chunk = json.loads((live / "search" / "meta.json").read_bytes())["per_chunk"]
    size = per_chunk * max(1, 4 // per_chunk)  # docs per block
    assert len(chunks) == len(range(0, size, per_chunk))  # the edited block's doc chunks
    assert len(pieces) == len(changed)  # one piece a changed shard...
    whole = sum(len(search.shard_segments((tmp_path / "next" / rel).read_bytes()))
                for rel in changed)  # fmt: skip
    assert sum(map(len, pieces)) < whole  # ...not the whole shard
    monkeypatch.setattr(gzip, "compress", real_gzip)
    plain = write_index(docs, tmp_path / "plain")
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in plain)


def _reading_room(monkeypatch, count: int, chunk_bytes: int = 600) -> list[SearchDoc]:
    """`count` docs, a day apart, the index's sizes made small: blocks of 4, many shards."""
    monkeypatch.setattr(search, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 5)
    return [
        SearchDoc(f"/news/n{i:02}/", f"職工書屋{i}", f"2020-01-{1 + i:02}", "news", "工會要聞",
                  f"第{i}期職工書屋開放，會員代表{i % 3}名到場。" * (1 + i % 4))
        for i in range(count)
    ]  # fmt: skip


def _edited_archive(
    tmp_path: Path, monkeypatch, chunk_bytes: int = 600
) -> tuple[list[SearchDoc], Path, Path]:
    """23 docs in blocks of 4 over many shards, indexed into `live` with a cache, and the
    docs with one text edited (an article's first sentence)."""
    docs = _reading_room(monkeypatch, 23, chunk_bytes)
    cache, live = tmp_path / "cache", tmp_path / "live"
    write_index(docs, live, cache=cache)
    docs[13] = docs[13]._replace(text="今日上午起，" + docs[13].plain())
    return docs, cache, live


def test_an_edit_reads_and_splices_only_the_live_shards_its_block_changed(tmp_path, monkeypatch):
    """The new index is the live one with the edited block's segments replaced, in the
    shards where they differ: no other shard is read, of those only the piece holding the
    block is inflated, and the result is the index built from scratch."""
    monkeypatch.setattr(search, "_piece_span", lambda shards: 2)
    docs, cache, live = _edited_archive(tmp_path, monkeypatch)
    opened: list[bytes] = []
    inflated: list[bytes] = []
    real_pieces, real_unpack = search._pieces, search._unpack
    monkeypatch.setattr(search, "_pieces", lambda data: opened.append(data) or real_pieces(data))
    monkeypatch.setattr(
        search, "_unpack", lambda piece: inflated.append(piece) or real_unpack(piece)
    )
    second = write_index(docs, Place(tmp_path / "next", live), cache=cache)
    monkeypatch.setattr(search, "_pieces", real_pieces)
    shards = {f.rel for f in second if f.rel.startswith("search/s/")}
    written = {f.rel for f in second if f.written and f.rel in shards}
    assert 0 < len(opened) == len(written) == len(inflated) < len(shards) / 2
    assert sum(map(len, inflated)) < sum(map(len, opened)) / 2  # one piece of a few each
    plain = write_index(docs, tmp_path / "plain")
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in plain)
    third = write_index(docs, Place(tmp_path / "third", live), cache=cache)  # on the record
    assert sorted((f.rel, f.sha) for f in third) == sorted((f.rel, f.sha) for f in plain)


def test_an_edit_laid_out_again_makes_only_the_edited_docs_chunk_again(tmp_path, monkeypatch):
    """When the live site holds the last index (an edit that is spliced, see relaid), the
    doc chunks of the edited block that hold none of the edited docs are the live ones:
    not compressed again (0.01 s of an edit at 10 000 articles). The index is the one a
    clean build makes."""
    docs, cache, live = _edited_archive(tmp_path, monkeypatch, chunk_bytes=100)
    before = docs[13]._replace(text=docs[13].plain().removeprefix("今日上午起，"))
    layout = search.relaid(search.lay_out([*docs[:13], before, *docs[14:]]), {13: docs[13]})
    assert layout is not None and layout.size // layout.per_chunk > 1  # chunks to keep
    held = {path.relative_to(live).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (live / "search").rglob("*") if path.is_file()}  # fmt: skip
    made: list[list[bytes]] = []
    real = search._chunk
    monkeypatch.setattr(search, "_chunk", lambda rows: made.append(rows) or real(rows))
    place = Place(tmp_path / "next", live, held)
    again = search.write_layout(layout, place, cache=cache, only={13 // layout.size: [13]})
    assert len(made) == 1
    chunks = {f.rel for f in again if f.written and f.rel.startswith("search/d/")}
    assert chunks == {f"search/d/{13 // layout.per_chunk}.json.gz"}
    monkeypatch.setattr(search, "_chunk", real)
    plain = {f.rel: f.sha for f in write_index(docs, tmp_path / "plain")}
    assert {f.rel: f.sha for f in again}.items() <= plain.items()


@pytest.mark.parametrize("count", [23, 24])  # the last block partly filled; full (a new one)
def test_a_new_newest_doc_is_appended_and_spliced_as_a_whole_index_has_it(
    tmp_path, monkeypatch, count
):
    """A day's upload: a doc dated after every other is laid out after them (meta.json
    updated, the last block made again or a new one begun) and spliced into the live
    index, which then is the index made from scratch. One that goes between is refused."""
    docs = _reading_room(monkeypatch, count + 1)
    cache, live = tmp_path / "cache", tmp_path / "live"
    write_index(docs[:count], live, cache=cache)
    last = search.lay_out(docs[:count])
    layout = search.relaid(last, {}, [docs[count]])
    whole = search.lay_out(docs)
    assert layout is not None and layout.meta == whole.meta
    assert [b.digest for b in layout.blocks] == [b.digest for b in whole.blocks]
    held = {path.relative_to(live).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (live / "search").rglob("*") if path.is_file()}  # fmt: skip
    only = {count // layout.size: [count]}
    files = search.write_layout(layout, Place(tmp_path / "next", live, held), cache=cache,
                                only=only)  # fmt: skip
    plain = {f.rel: f.sha for f in write_index(docs, tmp_path / "plain")}
    assert {f.rel: f.sha for f in files}.items() <= plain.items()
    assert {f.rel for f in files if "/s/" in f.rel} == {rel for rel in plain if "/s/" in rel}
    between = docs[count]._replace(url="/news/early/", date="2019-12-31")
    assert search.relaid(last, {}, [between]) is None


def test_docs_made_on_demand_read_as_the_list_they_stand_for():
    """search.Docs: by id (from either end), by slice (a view, read as the list's slice),
    in order, and edited, as a list of the same docs; a doc is made when it is read."""
    docs = [SearchDoc(f"/news/n{i}/", f"標題{i}", f"2021-03-{1 + i:02}", "news", "工會要聞",
                      f"正文{i}") for i in range(7)]  # fmt: skip
    asked: list[int] = []
    lazy = search.Docs(len(docs), lambda at: asked.append(at) or docs[at])
    view = lazy[2:6]
    assert asked == []
    assert (len(lazy), lazy[0], lazy[-1], list(view), view[-1]) == (
        7,
        docs[0],
        docs[6],
        docs[2:6],
        docs[5],
    )
    assert list(lazy) == docs and list(lazy[::3]) == docs[::3] and list(lazy[5:99]) == docs[5:]
    with pytest.raises(IndexError):
        lazy[7]
    new = docs[3]._replace(title="更正後的標題")
    added = docs[6]._replace(url="/news/n7/", date="2021-03-30")
    edited = lazy.edited({3: new}, [added])
    assert list(edited) == [*docs[:3], new, *docs[4:], added]
    assert list(lazy) == docs  # (the docs edited are another sequence)


def test_a_layout_of_docs_made_on_demand_is_relaid_as_the_list_and_reads_only_its_blocks(
    tmp_path, monkeypatch
):
    """A build's search child lays the last index out again from its kept rows with each
    doc made when read (search.Docs): an edit and a new article then give the layout, and
    the index files, that the list of every doc gives, and only the docs of the blocks they
    change (and the newest doc, to place the new one after it) are made."""
    docs = _reading_room(monkeypatch, 25)
    last = search.lay_out(docs[:24])
    made: list[int] = []
    lazy = search.laid_as(
        search.Docs(24, lambda at: made.append(at) or last.order[at]), *search.recorded(last)[:2],
        last.meta,
    )  # fmt: skip
    edit = {9: docs[9]._replace(title="職工書屋（更正）")}
    expected = search.relaid(last, edit, [docs[24]])
    layout = search.relaid(lazy, edit, [docs[24]])
    assert expected is not None and layout is not None
    assert [b.digest for b in layout.blocks] == [b.digest for b in expected.blocks]
    assert (layout.meta, layout.weight, list(layout.order)) == (
        expected.meta, expected.weight, list(expected.order)
    )  # fmt: skip
    made.clear()
    relaid_again = search.relaid(lazy, edit, [docs[24]])
    assert relaid_again is not None and set(made) <= {*range(8, 12), 23}  # blocks 2 and 5
    only = {9 // layout.size: [9], 24 // layout.size: [24]}
    files = search.write_layout(layout, tmp_path / "lazy", only=only)
    listed = search.write_layout(expected, tmp_path / "list", only=only)
    assert sorted((f.rel, f.sha) for f in files) == sorted((f.rel, f.sha) for f in listed)


@pytest.mark.parametrize(
    "damage", ["live shard", "cached block", "record", "short record", "lengths", "cut lengths"]
)
def test_an_edit_is_still_right_when_what_it_would_splice_is_gone(tmp_path, monkeypatch, damage):
    """A live shard changed by hand, the edited block's cached segments, the cache's record
    of the index or its table of segment lengths lost: the shards are joined from the
    blocks instead."""
    docs, cache, live = _edited_archive(tmp_path, monkeypatch)
    if damage == "live shard":
        for shard in (live / "search" / "s").iterdir():
            shard.write_bytes(shard.read_bytes()[:-1])
    elif damage == "cached block":
        for stored in cache.glob("*.bin"):
            stored.unlink()
    elif damage == "record":
        (cache / "index.marshal").write_bytes(b"damaged")
    elif damage == "short record":  # readable, with the right tag, but a shard's entry missing
        tag, shards, (blocks, shas, *rest) = marshal.loads((cache / "index.marshal").read_bytes())
        record = (tag, shards, (blocks, shas[:-1], *rest))
        (cache / "index.marshal").write_bytes(marshal.dumps(record))
    else:
        (table,) = cache.glob("lengths-*.u32")
        if damage == "lengths":
            table.unlink()
        else:  # a disk that filled up as it was written
            table.write_bytes(table.read_bytes()[:-4])
    second = write_index(docs, Place(tmp_path / "next", live), cache=cache)
    plain = write_index(docs, tmp_path / "plain")
    assert sorted((f.rel, f.sha) for f in second) == sorted((f.rel, f.sha) for f in plain)
    for file in second:
        if file.rel.startswith("search/s/"):
            where = tmp_path / "next" if file.written else live
            assert hashlib.sha256((where / file.rel).read_bytes()).hexdigest() == file.sha


def _archive_of(count: int) -> list[SearchDoc]:
    """`count` docs of a few sentences each, drawn from a small stock of union news words."""
    words = ("職工書屋", "農民工", "工資支付", "勞動合同", "送清涼",
             "技能競賽", "困難職工", "幫扶中心", "安全生產", "女職工")  # fmt: skip
    return [
        SearchDoc(
            f"/news/n{i:04}/", f"{words[i % 10]}第{i}期", f"20{10 + i % 12}-03-{1 + i % 28:02}",
            "news", "工會要聞",
            "。".join(f"{words[i * k % 10]}{words[(i + k) % 10]}{i * k}人" for k in range(9)),
        )
        for i in range(count)
    ]  # fmt: skip


def test_a_join_holds_one_range_of_shards_at_a_time_and_gives_the_same_index(tmp_path, monkeypatch):
    """Joining every shard (a clean build, or an edit that cannot splice) reads each cached
    block's segments one range of shards at a time: memory holds about JOIN_BYTES of shards,
    not the whole index (a third of a clean build's peak at 100 000 articles), and the
    shards are the bytes of the index joined whole."""
    import tracemalloc

    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 800)
    monkeypatch.setattr(search.os, "cpu_count", lambda: 1)  # one shard compressed at a time
    docs = _archive_of(400)
    plain = write_index(docs, tmp_path / "plain")  # no cache folder: joined in one range
    shards = (tmp_path / "plain/search/s").iterdir()
    raw = sum(len(search.shard_segments(f.read_bytes())) for f in shards)
    cache = tmp_path / "cache"
    write_index(docs, tmp_path / "first", cache=cache)  # every block cached
    real = search._join_shards

    def join_peak(join_bytes: int, folder: str) -> tuple[int, list]:
        """The traced peak of a join (no live site: nothing is spliced) and its files."""
        monkeypatch.setattr(search, "JOIN_BYTES", join_bytes)
        peaks: list[int] = []

        def measured(*args, **kwargs):
            tracemalloc.start()
            try:
                return real(*args, **kwargs)
            finally:
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()

        monkeypatch.setattr(search, "_join_shards", measured)
        files = write_index(docs, tmp_path / folder, cache=cache)
        return peaks[0], sorted((f.rel, f.sha) for f in files)

    whole_peak, whole = join_peak(10 * raw, "whole")
    ranged_peak, ranged = join_peak(raw // 8, "ranged")
    assert ranged == whole == sorted((f.rel, f.sha) for f in plain)
    assert whole_peak - ranged_peak > raw / 2, (whole_peak, ranged_peak, raw)


def test_a_join_is_still_right_when_a_cached_block_goes_missing_halfway(tmp_path, monkeypatch):
    """A cached block's file deleted while the shards are joined range by range (by hand, or
    a full disk's cleanup): that block is indexed again, and the index is the same."""
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 800)
    monkeypatch.setattr(search, "JOIN_BYTES", 4_000)
    docs = _archive_of(60)
    cache = tmp_path / "cache"
    write_index(docs, tmp_path / "first", cache=cache)
    real = search._BlockFiles.range
    ranges: list[tuple[int, int]] = []

    def losing(self, span):
        ranges.append(span)
        if len(ranges) == 2:
            for stored in sorted(cache.glob("*.bin"))[::2]:
                stored.unlink()
        return real(self, span)

    monkeypatch.setattr(search._BlockFiles, "range", losing)
    joined = write_index(docs, tmp_path / "again", cache=cache)
    assert len(ranges) > 2
    plain = write_index(docs, tmp_path / "plain")
    assert sorted((f.rel, f.sha) for f in joined) == sorted((f.rel, f.sha) for f in plain)


def test_no_build_holds_the_table_of_segment_lengths(tmp_path, monkeypatch):
    """Every block's segment length in every shard is blocks times shards (157 MB at 300 000
    articles, 2 GB at a million). It is kept in a file: an edit that splices reads the
    lengths of the shards it changes, and a join (here: a new article that opens a new
    block) writes the table a range of shards at a time. Neither build's traced peak comes
    to the table's size (holding it, as the record once did, they came to 2.5 times it).
    (The other tests check that such indexes are right.)"""
    import tracemalloc

    monkeypatch.setattr(search, "BLOCK_DOCS", 2)
    monkeypatch.setattr(search, "CHUNK_BYTES", 1)  # one doc per chunk: blocks of 2 docs
    monkeypatch.setattr(search, "SHARD_BYTES", 100)  # a table far larger than the index
    monkeypatch.setattr(search, "JOIN_BYTES", 20_000)
    docs = _archive_of(2000)
    cache, live = tmp_path / "cache", tmp_path / "live"
    write_index(docs, live, cache=cache)
    (table,) = cache.glob("lengths-*.u32")
    shards = json.loads((live / "search/meta.json").read_bytes())["shards"]
    size = table.stat().st_size
    assert size == len(docs) // 2 * shards * 4
    edited = list(docs)
    edited[1000] = edited[1000]._replace(text="職工書屋今日起延長開放時間。")
    newest = SearchDoc(
        "/news/n9999/", "職工書屋新開", "2022-12-31", "news", "工會要聞", "新書上架。"
    )
    for name, after in (("edit", edited), ("new", [*edited, newest])):
        tracemalloc.start()
        try:
            files = write_index(after, Place(tmp_path / name, live), cache=cache)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert any(f.written for f in files if f.rel.startswith("search/s/"))
        assert peak < size, (name, peak, size)


def test_edits_after_edits_splice_right_and_fold_their_lengths_into_the_table(
    tmp_path, monkeypatch
):
    """Edits record the segment lengths they change beside the table, not in it (a table
    is written whole); past CHANGED_LIMIT of them the table is written again with them.
    After every edit in a row, each spliced from the last one's live site, the index is
    the one built from scratch, and one table file is left."""
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 5)
    monkeypatch.setattr(search, "CHANGED_LIMIT", 40)
    docs = _archive_of(40)
    cache = tmp_path / "cache"
    live = tmp_path / "0"
    write_index(docs, live, cache=cache)
    tables = {next(cache.glob("lengths-*.u32")).name}
    for round_, at in enumerate((3, 17, 3, 38, 25, 9), start=1):
        docs[at] = docs[at]._replace(text=f"第{round_}次更正：農民工工資支付{at}人。")
        files = write_index(docs, Place(tmp_path / str(round_), live), cache=cache)
        spliced = [f for f in files if f.rel.startswith("search/s/")]
        assert 0 < sum(f.written for f in spliced) < len(spliced) / 2  # spliced, not joined
        plain = write_index(docs, tmp_path / f"plain-{round_}")
        assert sorted((f.rel, f.sha) for f in files) == sorted((f.rel, f.sha) for f in plain)
        live = _live_after(live, tmp_path / str(round_), files)
        (table,) = cache.glob("lengths-*.u32")
        tables.add(table.name)
    assert len(tables) > 1  # written again on the way


@pytest.mark.parametrize("span", [None, 2])
def test_new_docs_past_the_last_full_block_are_spliced_in_and_not_joined(
    tmp_path, monkeypatch, span
):
    """A day's upload to an archive whose last block is full starts a new block: its
    segments are added at the end of the live shards they reach (joining every shard from
    every block took 2.5 s at 100 000 articles). After each upload, the index is the one
    built from scratch, and so is an edit spliced into it afterwards. (`span`: blocks a
    piece of a shard file; with 2, the new block starts a piece of its own.)"""
    if span is not None:
        monkeypatch.setattr(search, "_piece_span", lambda shards: span)
    monkeypatch.setattr(search, "CHUNK_BYTES", 1)  # a doc per chunk, so blocks of 4 docs
    monkeypatch.setattr(search, "BLOCK_DOCS", 4)
    monkeypatch.setattr(search, "SHARD_BYTES", 5)
    docs = _archive_of(48)
    cache, live = tmp_path / "cache", tmp_path / "0"
    write_index(docs[:40], live, cache=cache)  # ten full blocks
    assert json.loads((live / "search/meta.json").read_bytes())["per_chunk"] == 1
    real = search._join_shards
    monkeypatch.setattr(search, "_join_shards", lambda *a: pytest.fail("joined, not spliced"))
    for round_, count in enumerate((41, 42, 45, 46), start=1):  # new blocks at 41 and 45
        upload = [d._replace(date=f"2024-01-{i - 39:02}") for i, d in enumerate(docs[:count])]
        upload = docs[:40] + upload[40:]
        files = write_index(upload, Place(tmp_path / str(round_), live), cache=cache)
        spliced = [f for f in files if f.rel.startswith("search/s/")]
        assert 0 < sum(f.written for f in spliced) < len(spliced)
        monkeypatch.setattr(search, "_join_shards", real)
        plain = write_index(upload, tmp_path / f"plain-{round_}")
        monkeypatch.setattr(search, "_join_shards", lambda *a: pytest.fail("joined"))
        assert sorted((f.rel, f.sha) for f in files) == sorted((f.rel, f.sha) for f in plain)
        live = _live_after(live, tmp_path / str(round_), files)
    upload[7] = upload[7]._replace(text="更正：本期職工書屋延期開放。")
    files = write_index(upload, Place(tmp_path / "edit", live), cache=cache)
    monkeypatch.setattr(search, "_join_shards", real)
    plain = write_index(upload, tmp_path / "plain-edit")
    assert sorted((f.rel, f.sha) for f in files) == sorted((f.rel, f.sha) for f in plain)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x80", b"\x01\x05abc\x03\x00", b"\x01\x01a", b"\x00\x03\x00x", b"\x01\x02ab\x03\x00"],
    ids=["empty", "cut varint", "short piece", "no end", "bytes after", "not deflate"],
)
def test_a_file_that_is_not_a_shard_is_said_so(data):
    """A live shard file that a hand, a disk or another tool changed is not taken for one:
    splicing it gives up (and the build joins the shards), reading it raises ValueError."""
    assert search._pieces(data) is None or data == b"\x01\x02ab\x03\x00"
    with pytest.raises(ValueError):
        search.shard_segments(data)


def test_an_empty_shard_file_is_read_as_no_segments():
    assert search.shard_segments(b"\x00\x03\x00") == b""


def _live_after(live: Path, staging: Path, files: list) -> Path:
    """The live site a build would publish: the files it wrote, the others kept."""
    site = staging.with_name(staging.name + "-live")
    for file in files:
        source = staging if file.written else live
        (site / file.rel).parent.mkdir(parents=True, exist_ok=True)
        (site / file.rel).write_bytes((source / file.rel).read_bytes())
    return site
