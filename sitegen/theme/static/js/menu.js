/* 欄目導航 on narrow screens: loaded in <head> so the menu starts collapsed without a flash.
   Without scripts the category list simply stays open (site.css), so nothing is unreachable. */
(function () {
  "use strict";
  document.documentElement.classList.add("has-menu-script");

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    if (!toggle) return;
    toggle.hidden = false; /* site.css still hides it on wide screens */
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  });
})();
