/* 字號 controls: loaded in <head> so the saved size applies before the first paint. */
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
      return "medium"; /* storage blocked: keep the default */
    }
  }

  function apply(size) {
    root.setAttribute("data-font-size", size);
    var buttons = document.querySelectorAll("[data-font-size]");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].tagName === "BUTTON") {
        buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-font-size") === size));
      }
    }
  }

  root.setAttribute("data-font-size", saved());

  document.addEventListener("DOMContentLoaded", function () {
    var groups = document.querySelectorAll(".font-size");
    for (var i = 0; i < groups.length; i++) {
      groups[i].hidden = false; /* the controls only show where the script runs */
      groups[i].addEventListener("click", function (event) {
        var button = event.target.closest("button[data-font-size]");
        if (!button) return;
        var size = button.getAttribute("data-font-size");
        try { window.localStorage.setItem(KEY, size); } catch (e) { /* not persisted */ }
        apply(size);
      });
    }
    apply(saved());
  });
})();
