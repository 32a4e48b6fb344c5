/* The staff pages' small behaviours, under the CSP (script-src 'self', no inline code). */
(function () {
  "use strict";

  // The main navigation on a phone: a menu button opens the full list. Only once this
  // script runs does the CSS fold the list away, so without it the list wraps, still whole.
  function navigationMenu() {
    var toggle = document.querySelector(".nav-toggle");
    if (!toggle) return;
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) return;
    toggle.closest(".topbar").classList.add("has-menu");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        toggle.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", navigationMenu);
  } else {
    navigationMenu();
  }
})();
