/*
 * Site search for sitegen: runs in the browser against the static index that
 * sitegen/search.py writes under <base>/search/ (its docstring describes the files).
 *
 * A query is normalised exactly as the index was (NFKC, lower case, traditional ->
 * simplified, white space between CJK characters dropped), split into terms (CJK runs and
 * Latin words), and each term into keys (bigrams; the character itself for a one-character
 * term). Only the shards holding those keys are fetched. The articles holding every key are
 * candidates; a term of three or more characters is then checked against the article text,
 * because holding all of its bigrams does not mean holding the term. No external requests.
 *
 * The page has <div id="search" data-base="/base/" data-l-*="labels"> with a GET form and
 * .search-status, .search-hits, .search-pager inside; it reads q, cat, year, sort, page from
 * location.search. When done, #search gets data-state="done" (or "error") for tests.
 */
(function () {
  "use strict";

  var CJK =
    "\u3005\u3007\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff" +
    "\uac00-\ud7af\uf900-\ufaff\u{20000}-\u{3ffff}";
  var IS_CJK = new RegExp("^[" + CJK + "]$", "u");
  var CJK_RUN = new RegExp("[" + CJK + "]+", "gu");
  var IS_SPACE = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]$/;
  var WORD = /[\p{L}\p{N}]+/gu;
  var MAX_WORD = 40;
  var FORMAT = 4; /* sitegen/search.py FORMAT */
  var PAGE_SIZE = 10;
  var EXCERPT_BEFORE = 30;
  var EXCERPT_LENGTH = 120;

  /* ---- normalisation (must match sitegen/search.py Normalizer.text) ---- */

  function makeNormalizer(pairs) {
    var table = new Map();
    var chars = Array.from(pairs);
    for (var i = 0; i + 1 < chars.length; i += 2) table.set(chars[i], chars[i + 1]);
    var cache = new Map();
    function mapChar(c) {
      var m = cache.get(c);
      if (m === undefined) {
        m = Array.from(c.normalize("NFKC").toLowerCase(), function (x) {
          return table.get(x) || x;
        }).join("");
        cache.set(c, m);
      }
      return m;
    }
    /* Returns {text, start, end}: for each UTF-16 unit of text, the span of the original. */
    return function normalize(original) {
      var cps = [];
      var at = 0;
      for (var c of original) {
        for (var n of mapChar(c)) cps.push([IS_SPACE.test(n) ? " " : n, at, at + c.length]);
        at += c.length;
      }
      var collapsed = [];
      cps.forEach(function (cp) {
        var last = collapsed[collapsed.length - 1];
        if (cp[0] === " " && last && last[0] === " ") last[2] = cp[2];
        else collapsed.push(cp);
      });
      var kept = collapsed.filter(function (cp, k) {
        if (cp[0] !== " ") return true;
        var before = collapsed[k - 1];
        var after = collapsed[k + 1];
        return before && after && !(IS_CJK.test(before[0]) && IS_CJK.test(after[0]));
      });
      var out = { text: "", start: [], end: [] };
      kept.forEach(function (cp) {
        out.text += cp[0];
        for (var u = 0; u < cp[0].length; u++) {
          out.start.push(cp[1]);
          out.end.push(cp[2]);
        }
      });
      return out;
    };
  }

  /* Terms of a query: white space separates words even between CJK characters here. */
  function termsOf(query, normalize) {
    var terms = [];
    query.split(/\s+/).forEach(function (part) {
      var norm = normalize(part).text;
      terms.push.apply(terms, norm.match(CJK_RUN) || []);
      (norm.replace(CJK_RUN, " ").match(WORD) || []).forEach(function (w) {
        terms.push(Array.from(w).slice(0, MAX_WORD).join(""));
      });
    });
    return terms.filter(function (t, i) {
      return terms.indexOf(t) === i;
    });
  }

  /*
   * [key, offset] pairs to look up. A long run needs only bigrams covering each character
   * (offsets 0, 2, 4 ... and the last): the position masks line them up by offset and the
   * text check does the rest, so a six-character query fetches three shards, not five.
   */
  function keysOf(term) {
    var cps = Array.from(term);
    if (!IS_CJK.test(cps[0]) || cps.length === 1) return [[term, 0]];
    var keys = [];
    for (var i = 0; i + 1 < cps.length; i += 2) keys.push([cps[i] + cps[i + 1], i]);
    var last = cps.length - 2;
    if (last % 2 === 1) keys.push([cps[last] + cps[last + 1], last]);
    return keys;
  }

  function needsCheck(term) {
    var cps = Array.from(term);
    return IS_CJK.test(cps[0]) && cps.length >= 3;
  }

  /* ---- index files ---- */

  function fnv1a(key) {
    var h = 0x811c9dc5;
    new TextEncoder().encode(key).forEach(function (b) {
      h = Math.imul(h ^ b, 0x01000193) >>> 0;
    });
    return h;
  }

  function makeIndex(base, meta) {
    var shards = new Map();
    var chunks = new Map();
    var decoder = new TextDecoder();
    function shard(n) {
      if (!shards.has(n)) {
        shards.set(n, fetchShard(base + "search/s/" + n + ".bin").then(readShard));
      }
      return shards.get(n);
    }
    /* A shard's segments (one per block of docs, in id order): key -> its entries. */
    function readShard(bytes) {
      var reader = { bytes: bytes, pos: 0 };
      var keys = new Map();
      while (reader.pos < bytes.length) {
        var count = varint(reader);
        for (var k = 0; k < count; k++) {
          var length = varint(reader);
          var key = decoder.decode(bytes.subarray(reader.pos, reader.pos + length));
          reader.pos += length;
          var postings = varint(reader);
          var size = varint(reader);
          var masks = isBigram(key) ? reader.pos + size - postings : -1;
          var entry = { pos: reader.pos, count: postings, masks: masks };
          if (keys.has(key)) keys.get(key).push(entry);
          else keys.set(key, [entry]);
          reader.pos += size;
        }
      }
      return { bytes: bytes, keys: keys };
    }
    return {
      postings: function (key) {
        return shard(fnv1a(key) % meta.shards).then(function (s) {
          var entries = s.keys.get(key);
          return entries ? readPostings(s.bytes, entries) : { ids: [], flags: [], masks: [] };
        });
      },
      doc: function (id) {
        var n = Math.floor(id / meta.per_chunk);
        if (!chunks.has(n)) {
          chunks.set(
            n,
            fetchBytes(base + "search/d/" + n + ".json.gz").then(function (bytes) {
              return JSON.parse(decoder.decode(bytes));
            })
          );
        }
        return chunks.get(n).then(function (rows) {
          var row = rows[id - n * meta.per_chunk];
          return { id: id, url: row[0], title: row[1], date: row[2], category: row[3], text: row[4] };
        });
      },
    };
  }

  function fetchRaw(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.arrayBuffer().then(function (buf) {
        return new Uint8Array(buf);
      });
    });
  }

  function inflate(bytes, format) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format));
    return new Response(stream).arrayBuffer().then(function (plain) {
      return new Uint8Array(plain);
    });
  }

  /* A doc chunk's bytes, inflated unless the host already undid the gzip (Content-Encoding). */
  function fetchBytes(url) {
    return fetchRaw(url).then(function (bytes) {
      return bytes[0] === 0x1f && bytes[1] === 0x8b ? inflate(bytes, "gzip") : bytes;
    });
  }

  /* A shard's segments: its file is the pieces' count and lengths, then one raw deflate
     stream made of the pieces (sitegen/search.py says why). */
  function fetchShard(url) {
    return fetchRaw(url).then(function (bytes) {
      var reader = { bytes: bytes, pos: 0 };
      var pieces = varint(reader);
      for (var p = 0; p < pieces; p++) varint(reader);
      return inflate(bytes.subarray(reader.pos), "deflate-raw");
    });
  }

  function varint(reader) {
    var value = 0;
    var scale = 1;
    var b;
    do {
      b = reader.bytes[reader.pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return value;
  }

  /* A key's postings: those of its entries (one per segment), end to end. */
  function readPostings(bytes, entries) {
    var total = 0;
    entries.forEach(function (entry) { total += entry.count; });
    var ids = new Array(total);
    var flags = new Array(total);
    var masks = entries[0].masks >= 0 ? new Uint8Array(total) : null;
    var at = 0;
    entries.forEach(function (entry) {
      var reader = { bytes: bytes, pos: entry.pos };
      var value = 0;
      for (var i = 0; i < entry.count; i++) {
        value += varint(reader);
        ids[at + i] = Math.floor(value / 4);
        flags[at + i] = value % 4;
      }
      if (masks) masks.set(bytes.subarray(entry.masks, entry.masks + entry.count), at);
      at += entry.count;
    });
    return { ids: ids, flags: flags, masks: masks };
  }

  function isBigram(key) {
    var cps = Array.from(key);
    return cps.length === 2 && IS_CJK.test(cps[0]);
  }

  /* ---- matching ---- */

  function rotateRight(mask, by) {
    by %= 8;
    return ((mask >>> by) | (mask << (8 - by))) & 0xff;
  }

  /*
   * Docs holding all of a term's keys. The bigram at offset j of an occurrence at position p
   * sets bit (p + j) % 8 of its mask, so the masks rotated by j must share a bit:
   * a doc whose bigrams never line up is dropped before any text is fetched.
   */
  function termDocs(lists, offsets) {
    var smallest = lists.reduce(function (a, b) {
      return b.ids.length < a.ids.length ? b : a;
    });
    var at = lists.map(function () {
      return 0;
    });
    var out = { ids: [], flags: [] };
    smallest.ids.forEach(function (id) {
      var flags = 3;
      var aligned = 0xff;
      for (var j = 0; j < lists.length; j++) {
        var list = lists[j];
        var p = at[j];
        while (p < list.ids.length && list.ids[p] < id) p++;
        at[j] = p;
        if (list.ids[p] !== id) return;
        flags &= list.flags[p];
        if (list.masks && lists.length > 1) aligned &= rotateRight(list.masks[p], offsets[j]);
      }
      if (aligned) {
        out.ids.push(id);
        out.flags.push(flags);
      }
    });
    return out;
  }

  /* Docs in both lists; flags: bit 1 title, bit 2 frequent, kept only where both have them. */
  function intersect(a, b) {
    var out = { ids: [], flags: [] };
    var i = 0;
    var j = 0;
    while (i < a.ids.length && j < b.ids.length) {
      if (a.ids[i] < b.ids[j]) i++;
      else if (a.ids[i] > b.ids[j]) j++;
      else {
        out.ids.push(a.ids[i]);
        out.flags.push(a.flags[i] & b.flags[j]);
        i++;
        j++;
      }
    }
    return out;
  }

  function score(perTerm, id) {
    return perTerm.reduce(function (sum, list) {
      var f = list.byId.get(id);
      return sum + 1 + (f & 1 ? 4 : 0) + (f & 2 ? 2 : 0);
    }, 0);
  }

  /* Candidate ids, newest first or by score, after the category and year filters. */
  function candidates(index, meta, terms, params) {
    var perTerm = terms.map(function (term) {
      var keys = keysOf(term);
      var lists = keys.map(function (k) {
        return index.postings(k[0]);
      });
      return Promise.all(lists).then(function (found) {
        return termDocs(
          found,
          keys.map(function (k) {
            return k[1];
          })
        );
      });
    });
    if (params.cat) perTerm.push(index.postings("#" + params.cat));
    return Promise.all(perTerm).then(function (lists) {
      var all = lists.reduce(intersect);
      var span = params.year && meta.years[params.year];
      var ids = all.ids.filter(function (id) {
        return !params.year || (span && id >= span[0] && id < span[1]);
      });
      if (params.sort === "relevance") {
        lists.forEach(function (list) {
          list.byId = new Map(
            list.ids.map(function (id, k) {
              return [id, list.flags[k]];
            })
          );
        });
        var scores = new Map(
          ids.map(function (id) {
            return [id, score(lists.slice(0, terms.length), id)];
          })
        );
        ids.sort(function (x, y) {
          return scores.get(y) - scores.get(x) || y - x;
        });
        return ids;
      }
      return ids.reverse(); /* ids run oldest first */
    });
  }

  function holdsAll(doc, terms, normalize) {
    var title = normalize(doc.title).text;
    var text = normalize(doc.text).text;
    return terms.every(function (term) {
      return title.indexOf(term) >= 0 || text.indexOf(term) >= 0;
    });
  }

  /* Checks candidates in order, a page at a time, until `want` docs hold every term. */
  function verified(index, ids, terms, want, normalize) {
    var checking = terms.some(needsCheck);
    if (!checking) {
      return { hits: ids.slice(0, want), exact: true, total: ids.length };
    }
    var hits = [];
    var next = 0;
    function step() {
      if (hits.length >= want || next >= ids.length) {
        var exact = next >= ids.length;
        var total = exact ? hits.length : Math.round((ids.length * hits.length) / next);
        return { hits: hits.slice(0, want), exact: exact, total: total };
      }
      var batch = ids.slice(next, next + PAGE_SIZE);
      next += batch.length;
      return Promise.all(batch.map(index.doc)).then(function (docs) {
        docs.forEach(function (doc) {
          if (holdsAll(doc, terms, normalize)) hits.push(doc.id);
        });
        return step();
      });
    }
    return Promise.resolve(step());
  }

  /* ---- output ---- */

  function marked(original, terms, normalize, excerpt) {
    var n = normalize(original);
    var ranges = [];
    terms.forEach(function (term) {
      for (var at = n.text.indexOf(term); at >= 0; at = n.text.indexOf(term, at + term.length)) {
        ranges.push([n.start[at], n.end[at + term.length - 1]]);
      }
    });
    ranges.sort(function (a, b) {
      return a[0] - b[0];
    });
    var from = 0;
    var to = original.length;
    if (excerpt) {
      from = ranges.length ? Math.max(0, ranges[0][0] - EXCERPT_BEFORE) : 0;
      to = Math.min(original.length, from + EXCERPT_LENGTH);
    }
    var frag = document.createDocumentFragment();
    if (from > 0) frag.append("…");
    var at = from;
    ranges.forEach(function (r) {
      if (r[0] < at || r[0] >= to) return;
      frag.append(original.slice(at, r[0]));
      var mark = document.createElement("mark");
      mark.textContent = original.slice(r[0], Math.min(r[1], to));
      frag.append(mark);
      at = Math.min(r[1], to);
    });
    frag.append(original.slice(at, to));
    if (to < original.length) frag.append("…");
    return frag;
  }

  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (c) {
      node.append(c);
    });
    return node;
  }

  function renderHit(doc, ctx) {
    var link = el("a", "", [marked(doc.title, ctx.terms, ctx.normalize, false)]);
    link.href = doc.url;
    var time = el("time", "", [doc.date]);
    time.dateTime = doc.date;
    var cat = el("a", "search-category", [ctx.meta.categories[doc.category] || doc.category]);
    cat.href = ctx.base + doc.category + "/";
    return el("li", "search-hit", [
      el("h2", "search-title", [link]),
      el("p", "search-meta", [time, " · ", cat]),
      el("p", "search-excerpt", [marked(doc.text, ctx.terms, ctx.normalize, true)]),
    ]);
  }

  function label(root, name, n) {
    return (root.dataset["l" + name] || "").replace("{n}", n);
  }

  function pageLink(params, page, text, rel) {
    var query = new URLSearchParams(params.raw);
    query.set("page", String(page));
    var a = el("a", "search-page-" + rel, [text]);
    a.href = "?" + query.toString();
    a.rel = rel;
    return a;
  }

  function renderPager(root, params, hasNext) {
    var pager = root.querySelector(".search-pager");
    pager.replaceChildren();
    if (params.page > 1) pager.append(pageLink(params, params.page - 1, label(root, "Prev"), "prev"));
    if (params.page > 1 || hasNext) {
      pager.append(el("span", "search-page-current", [label(root, "Page", params.page)]));
    }
    if (hasNext) pager.append(pageLink(params, params.page + 1, label(root, "Next"), "next"));
  }

  /* ---- page ---- */

  function readParams() {
    var q = new URLSearchParams(location.search);
    var page = parseInt(q.get("page") || "1", 10);
    return {
      raw: location.search,
      q: (q.get("q") || "").trim(),
      cat: q.get("cat") || "",
      year: q.get("year") || "",
      sort: q.get("sort") === "relevance" ? "relevance" : "date",
      page: page > 0 ? page : 1,
    };
  }

  function fillForm(root, params, meta) {
    var form = root.querySelector("form");
    if (!form) return;
    var years = form.querySelector("select[name=year]");
    if (years && meta) {
      Object.keys(meta.years)
        .sort()
        .reverse()
        .forEach(function (year) {
          var option = el("option", "", [label(root, "Year").replace("{year}", year)]);
          option.value = year;
          years.append(option);
        });
    }
    ["q", "cat", "year", "sort"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && params[name]) field.value = params[name];
    });
  }

  function search(root, base, params, meta) {
    var normalize = makeNormalizer(meta.t2s);
    var terms = termsOf(params.q, normalize);
    var index = makeIndex(base, meta);
    var status = root.querySelector(".search-status");
    var list = root.querySelector(".search-hits");
    if (!terms.length) return Promise.resolve();
    status.textContent = label(root, "Loading");
    var want = params.page * PAGE_SIZE + 1;
    return candidates(index, meta, terms, params)
      .then(function (ids) {
        return verified(index, ids, terms, want, normalize);
      })
      .then(function (found) {
        var shown = found.hits.slice((params.page - 1) * PAGE_SIZE, params.page * PAGE_SIZE);
        return Promise.all(shown.map(index.doc)).then(function (docs) {
          var ctx = { terms: terms, normalize: normalize, meta: meta, base: base };
          list.replaceChildren.apply(list, docs.map(function (d) { return renderHit(d, ctx); }));
          status.textContent = found.total
            ? label(root, found.exact ? "Count" : "About", found.total)
            : label(root, "None");
          renderPager(root, params, found.hits.length > params.page * PAGE_SIZE);
        });
      });
  }

  function start() {
    var root = document.getElementById("search");
    if (!root) return;
    var base = root.dataset.base || "/";
    var params = readParams();
    fetch(base + "search/meta.json")
      .then(function (r) {
        if (!r.ok) throw new Error("meta.json: " + r.status);
        return r.json();
      })
      .then(function (meta) {
        if (meta.format !== FORMAT) throw new Error("search index format " + meta.format);
        fillForm(root, params, meta);
        return search(root, base, params, meta);
      })
      .then(function () {
        root.dataset.state = "done";
      })
      .catch(function (error) {
        fillForm(root, params, null);
        root.querySelector(".search-status").textContent = label(root, "Error");
        root.dataset.state = "error";
        console.error(error);
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
