/* sitegen serve's script, added to each page as it is served (never to the build).
   It long-polls the server; when a new build is in place it shows the page's new version.
   While the builds since this page's wrote nothing but pages (no stylesheet, script or
   photo), a page whose new version differs from the one it was served as only in text and
   in attribute values (an editor's typo fixed, a title changed) is patched in place: no
   reload, so the scroll position, the page's scripts and what they did stay, and the new
   text shows in the next frame; a page that did not change stays as it is. Anything else,
   or a page its own scripts changed where the build did too, is reloaded. */
(function (epoch, build, url) {
  "use strict";
  var MARK = "data-sitegen-reload";
  /* The page as served, up to this script. The theme's scripts have not touched it yet
     (they wait for DOMContentLoaded); what a layout's own inline script changed while the
     page loaded is in this copy, and a patch may undo it where the build changed nothing:
     a reload (F5) shows it again. */
  var served = document.documentElement.cloneNode(true);

  function overlay(problems) {
    var box = document.getElementById("sitegen-errors");
    if (!problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "sitegen-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;" +
        "margin:0;padding:1em;background:#2b0000;color:#fff;font:14px/1.5 monospace;z-index:9999";
      document.body.appendChild(box);
    }
    box.textContent = "sitegen: build failed\n\n" + problems.join("\n");
  }

  /* head, and body's nodes before this script (what follows it is not in `served`). */
  function roots(html) {
    var head = html.querySelector("head"), body = html.querySelector("body");
    if (!head || !body) return null;
    var kids = [];
    for (var node = body.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 1 && node.hasAttribute(MARK)) return [head, body, kids];
      kids.push(node);
    }
    return null;
  }

  /* Where the served page `a` and the new one `b` differ, as edits of text and attribute
     values at paths of child indexes; null when they differ in any other way. */
  function differences(a, b) {
    var was = roots(a), now = roots(b), edits = [];
    if (!was || !now || was[2].length !== now[2].length) return null;
    if (!same(was[0], now[0], [0], edits) || !attributes(was[1], now[1], [1], edits)) return null;
    for (var i = 0; i < was[2].length; i++) {
      if (!same(was[2][i], now[2][i], [1, i], edits)) return null;
    }
    return edits;
  }

  var INERT = { SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, TEXTAREA: 1 };
  var FETCHING = { SCRIPT: 1, LINK: 1, BASE: 1, IFRAME: 1 };

  function same(a, b, path, edits) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
    if (a.nodeType === 3 || a.nodeType === 8) {
      if (a.data === b.data) return true;
      if (a.parentNode && INERT[a.parentNode.nodeName]) return false;
      edits.push({ path: path, was: a.data, text: b.data });
      return true;
    }
    if (a.nodeType !== 1 || !attributes(a, b, path, edits)) return false;
    var x = a.childNodes, y = b.childNodes;
    if (x.length !== y.length) return false;
    for (var i = 0; i < x.length; i++) {
      if (!same(x[i], y[i], path.concat(i), edits)) return false;
    }
    return true;
  }

  function attributes(a, b, path, edits) {
    var names = {}, i, name;
    for (i = 0; i < a.attributes.length; i++) names[a.attributes[i].name] = 1;
    for (i = 0; i < b.attributes.length; i++) names[b.attributes[i].name] = 1;
    for (name in names) {
      var was = a.getAttribute(name), now = b.getAttribute(name);
      if (was === now) continue;
      if (FETCHING[a.nodeName]) return false;
      edits.push({ path: path, name: name, was: was, value: now });
    }
    return true;
  }

  function live(path) {
    var node = path[0] ? document.body : document.head;
    for (var i = 1; node && i < path.length; i++) node = node.childNodes[path[i]];
    return node || null;
  }

  /* Apply every edit, or none (false) when the page no longer holds what one replaces:
     its own scripts changed that text or attribute too. */
  function patch(edits) {
    var nodes = edits.map(function (edit) { return live(edit.path); });
    for (var i = 0; i < edits.length; i++) {
      var node = nodes[i], edit = edits[i];
      if (!node) return false;
      var now = "name" in edit ? node.nodeType === 1 && node.getAttribute(edit.name) : node.data;
      if (now !== edit.was) return false;
    }
    edits.forEach(function (edit, i) {
      if (!("name" in edit)) nodes[i].data = edit.text;
      else if (edit.value === null) nodes[i].removeAttribute(edit.name);
      else nodes[i].setAttribute(edit.name, edit.value);
    });
    return true;
  }

  function show(state) {
    return fetch(location.href, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (text) {
      var page = new DOMParser().parseFromString(text, "text/html").documentElement;
      var edits = differences(served, page);
      if (!edits || !patch(edits)) throw new Error("not a patch");
      served = page;
      epoch = state.epoch;
      build = state.build;
      overlay(state.problems);
    });
  }

  function poll() {
    fetch(url + "?build=" + build).then(function (r) { return r.json(); }).then(function (state) {
      if (state.epoch === epoch) {
        build = state.build;
        overlay(state.problems);
        return poll();
      }
      if (state.assets > epoch) { location.reload(); return; }
      show(state).then(poll, function () { location.reload(); });
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})
