/* 繁/简: the reader's choice of script, remembered as the 字號 is (localStorage), and
   applied only when the reader clicks: a page never moves by itself, so a search engine
   (or anyone) at / gets the page the address names.

   The switch (<p class="script-switch" data-base="/" data-scripts="zh-Hant= zh-Hans=zh-hans/">,
   layouts/_script_switch.html) names the site's base path and each script's prefix.
   - A click on the switch's link saves its script.
   - A click on a link to another page of the site, from a page in the other script than
     the one saved, goes to that page in the saved script (an article reached from a search
     engine in 繁, a link to 首頁 ...).
   - On the search page, results (search.js links them in the articles' own script) lead to
     the pages in this page's script. */
(function () {
  "use strict";
  var KEY = "sitegen-script";

  function saved() {
    try {
      return window.localStorage.getItem(KEY);
    } catch (e) {
      return null; /* storage blocked (private mode, file://) */
    }
  }

  function save(script) {
    try {
      window.localStorage.setItem(KEY, script);
    } catch (e) {
      /* not remembered; the link still leads to the other script */
    }
  }

  function settings() {
    var box = document.querySelector(".script-switch[data-scripts]");
    if (!box) return null;
    var prefixes = {};
    var order = [];
    box.getAttribute("data-scripts").split(" ").forEach(function (pair) {
      var at = pair.indexOf("=");
      prefixes[pair.slice(0, at)] = pair.slice(at + 1);
      order.push(pair.slice(0, at));
    });
    var base = box.getAttribute("data-base") || "/";
    return { base: base, prefixes: prefixes, order: order, page: document.documentElement.lang };
  }

  /* A path of the site's pages (not static/, the search index, photos or attachments). */
  function isPage(rest) {
    if (rest.indexOf("static/") === 0) return false;
    return rest === "" || /(\/|\.html|\.xml)$/.test(rest);
  }

  /* The path (and query) of the page `href` leads to, in `script`; null if it is not one
     of the site's pages. */
  function inScript(href, script, s) {
    var url = new URL(href, window.location.href);
    if (url.origin !== window.location.origin) return null;
    var path = url.pathname; /* percent-encoded, as data-base is */
    if (path.indexOf(s.base) !== 0) return null;
    var rest = path.slice(s.base.length);
    for (var i = 1; i < s.order.length; i++) {
      var p = s.prefixes[s.order[i]];
      if (p && rest.indexOf(p) === 0) rest = rest.slice(p.length);
    }
    if (!isPage(rest)) return null;
    return s.base + s.prefixes[script] + rest + url.search + url.hash;
  }

  function onClick(event, s) {
    var link = event.target.closest("a[href]");
    if (!link) return;
    var chosen = link.getAttribute("data-script-choice");
    if (chosen) {
      save(chosen);
      return;
    }
    var script = saved();
    if (!script || script === s.page || !(script in s.prefixes)) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey || link.target) return;
    var target = inScript(link.href, script, s);
    if (target && target !== link.pathname + link.search + link.hash) {
      event.preventDefault();
      window.location.href = target;
    }
  }

  /* search.js writes its results with the articles' own addresses and category names. */
  function followSearch(s) {
    var hits = document.querySelector("#search .search-hits");
    if (!hits || s.page === s.order[0]) return;
    var names = {};
    var options = document.querySelectorAll('#search select[name="cat"] option');
    for (var i = 0; i < options.length; i++) names[options[i].value] = options[i].textContent;
    function mend() {
      var links = hits.querySelectorAll("a[href]:not([data-script-done])");
      for (var j = 0; j < links.length; j++) {
        var target = inScript(links[j].href, s.page, s);
        if (target) links[j].setAttribute("href", target);
        if (links[j].classList.contains("search-category")) {
          var slug = links[j].pathname.replace(/\/$/, "").split("/").pop();
          if (names[slug]) links[j].textContent = names[slug];
        }
        links[j].setAttribute("data-script-done", "");
      }
    }
    new MutationObserver(mend).observe(hits, { childList: true, subtree: true });
    mend();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var s = settings();
    if (!s) return;
    document.addEventListener("click", function (event) {
      onClick(event, s);
    });
    followSearch(s);
  });
})();
