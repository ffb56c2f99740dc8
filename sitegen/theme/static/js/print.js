/* Article and print view. 打印 opens the print dialog; 關閉 closes a window opened by script,
   else it is a plain link back to the article. Links in the body get their full public URL
   (resolved against the canonical link, not the address a copy happens to be read from), so
   the print stylesheet can print "text (https://...)" instead of a bare "/law/a/". */
(function () {
  "use strict";

  function annotateLinks() {
    var canonical = document.querySelector('link[rel="canonical"]');
    var base = canonical ? canonical.href : document.baseURI;
    var links = document.querySelectorAll(".article-body a[href]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      if (href.charAt(0) === "#" || /^(javascript|mailto|tel):/i.test(href)) continue;
      try {
        links[i].setAttribute("data-print-url", new URL(href, base).href);
      } catch (e) {
        /* an unparsable href: the stylesheet falls back to printing it as written */
      }
    }
  }

  function wireButtons() {
    var printButton = document.querySelector('[data-action="print"]');
    if (printButton) {
      printButton.hidden = false;
      printButton.addEventListener("click", function () {
        window.print();
      });
    }
    var close = document.querySelector('[data-action="close"]');
    if (close) {
      close.addEventListener("click", function (event) {
        if (window.opener) {
          event.preventDefault();
          window.close();
        }
      });
    }
  }

  annotateLinks();
  wireButtons();
})();
