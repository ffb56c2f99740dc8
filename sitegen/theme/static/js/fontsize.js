/* 字號 controls: loaded in <head> so the saved size applies before the first paint.
   The buttons ship `hidden` and are shown here, so without scripts they never pretend to work. */
(function () {
  "use strict";
  var KEY = "sitegen-font-size";
  var SIZES = ["small", "medium", "large"];
  var root = document.documentElement;

  function saved() {
    try {
      var value = window.localStorage.getItem(KEY);
      return SIZES.indexOf(value) >= 0 ? value : "medium";
    } catch (e) {
      return "medium"; /* storage blocked (private mode, file://): keep the default */
    }
  }

  function apply(size) {
    root.setAttribute("data-font-size", size);
    var buttons = document.querySelectorAll(".font-size button[data-font-size]");
    for (var i = 0; i < buttons.length; i++) {
      var pressed = buttons[i].getAttribute("data-font-size") === size;
      buttons[i].setAttribute("aria-pressed", String(pressed));
    }
  }

  function choose(event) {
    var button = event.target.closest("button[data-font-size]");
    if (!button) return;
    var size = button.getAttribute("data-font-size");
    try {
      window.localStorage.setItem(KEY, size);
    } catch (e) {
      /* not persisted, but this page still changes */
    }
    apply(size);
  }

  root.setAttribute("data-font-size", saved());
  root.classList.add("has-font-script"); /* site.css shows the controls from the first paint */

  document.addEventListener("DOMContentLoaded", function () {
    var groups = document.querySelectorAll(".font-size");
    for (var i = 0; i < groups.length; i++) {
      groups[i].hidden = false;
      groups[i].addEventListener("click", choose);
    }
    apply(saved());
  });

  /* Another tab (say the print view) changed the size: follow it. */
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) apply(saved());
  });
})();
