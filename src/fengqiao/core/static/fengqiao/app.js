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

  // A text field with a list of choices under it (the standard-address picker): ↓ moves
  // into the list, to the choice already made or the first. With no list (the resolver
  // found nothing) the key does what it always does in a text field: nothing harmful.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "ArrowDown" || event.altKey || event.ctrlKey || event.metaKey
        || !field.matches || !field.matches("input[data-arrow-into]")) return;
    var list = document.querySelector(field.getAttribute("data-arrow-into"));
    var choice = list && (list.querySelector("input:checked") || list.querySelector("input"));
    if (!choice) return;
    event.preventDefault();
    choice.focus();
  });

  // Documents made on request (PDFs: doorplate sheets, the morning brief, dispute
  // documents, reports) take seconds the first time. A link or button marked data-busy
  // says so while it waits ("正在生成…") and takes no second click. A download (the
  // `download` attribute, or data-download on a form's button) is fetched here and saved
  // when ready; anything that is not a PDF falls back to the plain request, so an error
  // page still shows. A link that opens the document is left to the browser: the page
  // stays until the PDF replaces it.
  function setBusy(el, on) {
    if (on) {
      el.setAttribute("data-label", el.innerHTML);
      el.textContent = el.getAttribute("data-busy");
      el.classList.add("is-busy");
      el.setAttribute("aria-disabled", "true");
    } else if (el.classList.contains("is-busy")) {
      el.innerHTML = el.getAttribute("data-label");
      el.classList.remove("is-busy");
      el.removeAttribute("aria-disabled");
    }
  }

  function filename(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = header.match(/filename\*=UTF-8''([^;]+)/i);
    if (star) return decodeURIComponent(star[1]);
    var plain = header.match(/filename="?([^";]+)"?/i);
    return plain ? plain[1] : fallback;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-busy]");
    if (!el || el.hasAttribute("data-plain")) return;
    if (el.classList.contains("is-busy")) { event.preventDefault(); return; }
    var form = el.form || null;
    if (form && !form.reportValidity()) return;
    if (!el.hasAttribute("download") && !el.hasAttribute("data-download")) {
      setBusy(el, true);  // the browser navigates; pageshow below undoes it on "back"
      return;
    }
    event.preventDefault();
    setBusy(el, true);
    var request;
    if (!form) {
      request = fetch(el.href, { credentials: "same-origin" });
    } else {
      var action = el.getAttribute("formaction") || form.action;
      var data = new FormData(form, el);
      request = (el.getAttribute("formmethod") || form.method).toLowerCase() === "post"
        ? fetch(action, { method: "POST", body: data, credentials: "same-origin" })
        : fetch(action.split("?")[0] + "?" + new URLSearchParams(data), { credentials: "same-origin" });
    }
    request.then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/pdf") !== 0) throw new Error(response.status);
      return response.blob().then(function (blob) { save(blob, filename(response, "document.pdf")); });
    }).then(function () {
      setBusy(el, false);
    }).catch(function () {
      setBusy(el, false);
      el.setAttribute("data-plain", "1");  // let the browser show what the server says
      el.click();
      el.removeAttribute("data-plain");
    });
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy].is-busy").forEach(function (el) { setBusy(el, false); });
  });

  function start() {
    navigationMenu();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
