/* Old links with a query string (/ShowArticle.asp?ArticleID=123, /index.php?m=content&id=88)
   cannot be files on a static host, so they land on this 404 page. sitegen writes every such
   old URL of its articles into redirects.json; this looks the address up there and goes on
   to the article. Loaded only by 404.html, and only on a site that has such old URLs; the
   map is fetched only when the address has a query. A server redirect is better (it answers
   301, not 404, and needs no script): see docs/publishing.md.

   The key is computed exactly as sitegen/redirects.py `lookup_key` does: the path in any
   letter case, the parameters in any order, empty ones ignored. Change both or neither. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !location.search || !window.fetch) return;

  function decode(text) {
    try {
      return decodeURIComponent(text);
    } catch (e) {
      return text; /* a malformed escape, or bytes of GBK: compare them as they are */
    }
  }

  function component(text) {
    return encodeURIComponent(decode(text.replace(/\+/g, " ")));
  }

  function canonical(part) {
    var at = part.indexOf("=");
    return at < 0 ? component(part) : component(part.slice(0, at)) + "=" + component(part.slice(at + 1));
  }

  function lookupKey(path, search) {
    var parts = search.slice(1).split("&").filter(function (part) {
      return part !== "" && part.charAt(part.length - 1) !== "=";
    }).map(canonical).sort(); /* all ASCII now: the order Python's sorted() gives */
    var head = encodeURI(decode(path)).toLowerCase();
    return parts.length ? head + "?" + parts.join("&") : head;
  }

  fetch(script.getAttribute("data-map"), { credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.json() : {};
    })
    .then(function (map) {
      var key = lookupKey(location.pathname, location.search);
      var target = Object.prototype.hasOwnProperty.call(map, key) ? map[key] : null;
      /* Only a path on this site: the map is ours, but a redirect must never leave it. */
      if (typeof target === "string" && /^\/(?!\/)/.test(target)) location.replace(target);
    })
    .catch(function () {
      /* no map, or no answer: the 404 page simply stays */
    });
})();
