"""The packed record of the pages' outputs (sitegen/pagerecord.py): an edit's build reads
it, looks a few names up and writes it with its pages' new entries; whatever it holds must
come back exactly as it went in, or the next build renders the wrong pages."""

import hashlib
import marshal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.pagerecord import PageRecord


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entries(*names: str) -> dict[str, tuple[str, str]]:
    return {name: (sha("key " + name), sha("file " + name)) for name in names}


RECORD = {
    **entries("law/20180921-wage/index.html", "law/20180921-wage/print.html", "index.html"),
    "static/css/site.css": ("static", sha("css")),  # a static file's key is not a digest
    "news/第一篇/index.html": (sha("k"), sha("f")),
}


def round_trip(record: dict) -> PageRecord:
    return PageRecord.loads(PageRecord.of(record).dumps())


def test_every_entry_comes_back_as_it_went_in():
    packed = round_trip(RECORD)
    assert packed.as_dict() == RECORD
    assert dict(packed) == RECORD and len(packed) == len(RECORD)
    for name, entry in RECORD.items():
        assert name in packed and packed[name] == entry
    assert "law/20180921-wage/" not in packed and "zz.html" not in packed
    with pytest.raises(KeyError):
        packed["law/index.html"]


def test_entries_that_are_not_lower_case_digests_are_kept_as_they_are():
    odd = {
        "a.html": (sha("a").upper(), sha("a")),  # upper case would come back lower
        "b.html": (sha("b")[:62] + "  ", sha("b")),  # fromhex skips spaces
        "c.html": ("g" * 64, sha("c")),
        "d.html": (sha("d") + "0", sha("d")[:63]),  # one long, one short: 128 in all
        "e.html": ("", ""),
    }
    assert round_trip({**RECORD, **odd}).as_dict() == {**RECORD, **odd}


def test_an_edit_puts_its_entries_in_without_losing_any_other():
    packed = round_trip(RECORD)
    change = {
        "law/20180921-wage/index.html": (sha("new key"), sha("new file")),  # a page again
        "aaa/index.html": (sha("first"), sha("first")),  # new, before every name
        "law/20180922-new/index.html": (sha("mid"), sha("mid")),  # new, between two
        "zzz/index.html": (sha("last"), sha("last")),  # new, after every name
        "static/js/new.js": ("static", sha("js")),
    }
    now = PageRecord.loads(packed.updated(change).dumps())
    assert now.as_dict() == {**RECORD, **change}
    assert list(now) == sorted(n for n in {**RECORD, **change} if not n.startswith("static/")) + [
        "static/css/site.css",
        "static/js/new.js",
    ]
    assert packed.as_dict() == RECORD  # the record it was made from is left as it was


def test_a_page_whose_entry_stops_packing_is_kept_whole():
    change = {"index.html": ("static", sha("index"))}
    assert round_trip(RECORD).updated(change).as_dict() == {**RECORD, **change}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        marshal.dumps({"index.html": (sha("k"), sha("f"))}),  # the old shape: a dict
        marshal.dumps((["index.html"], b"\0" * 63, {})),  # one byte short
        marshal.dumps((["index.html", 3], b"\0" * 128, {})),
        marshal.dumps(([], b"", {"a.html": ("only one",)})),
        PageRecord.of(RECORD).dumps()[:100],
    ],
)
def test_a_damaged_record_is_refused(data):
    with pytest.raises((ValueError, EOFError, TypeError)):
        PageRecord.loads(data)


names = st.text(st.sampled_from("ab/中.x"), min_size=1, max_size=6)
values = st.one_of(
    st.builds(lambda a, b: (sha(a), sha(b)), st.text(max_size=3), st.text(max_size=3)),
    st.tuples(st.sampled_from(["static", "", "A" * 64]), st.text(max_size=3).map(sha)),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(names, values), st.lists(st.dictionaries(names, values), max_size=3))
def test_records_and_their_edits_behave_as_dicts(first, edits):
    packed, expected = round_trip(first), dict(first)
    for change in edits:
        packed = PageRecord.loads(packed.updated(change).dumps())
        expected.update(change)
        assert packed.as_dict() == expected
        assert all(packed[name] == entry for name, entry in expected.items())
