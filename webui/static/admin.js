// pgwarden admin: small, optional enhancements. Every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  // Theme toggle, remembered (localStorage + a cookie the server reads for the next page).
  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    try { localStorage.setItem("pgw_theme", theme); } catch (e) { /* private mode */ }
    document.cookie = "pgw_theme=" + theme + "; path=/; max-age=31536000; samesite=lax";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function (event) {
        event.preventDefault();
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
        setTheme(dark ? "light" : "dark");
      });
    }

    // Bulk select: a "select all on this page" box.
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.hidden = false;
      all.addEventListener("change", function () {
        document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
      });
    }

    // FK autocomplete: a datalist filled from /admin/_lookup/<resource>?q=.
    document.querySelectorAll("[data-lookup]").forEach(function (input) {
      var list = document.createElement("datalist");
      list.id = input.id + "-choices";
      input.setAttribute("list", list.id);
      input.parentNode.appendChild(list);
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          fetch(input.getAttribute("data-lookup") + "?q=" + encodeURIComponent(input.value), { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : { results: [] }; })
            .then(function (data) {
              list.textContent = "";
              data.results.forEach(function (item) {
                var option = document.createElement("option");
                option.value = item.id;
                option.label = item.text;
                list.appendChild(option);
              });
            });
        }, 150);
      });
    });

    // Keyboard: "/" focuses search; on changelists j/k move, Enter opens, x selects.
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-rows] tbody tr"));
    var current = -1;
    function move(step) {
      if (!rows.length) { return; }
      if (current >= 0) { rows[current].classList.remove("current"); }
      current = Math.max(0, Math.min(rows.length - 1, current + step));
      rows[current].classList.add("current");
      rows[current].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "/") {
        var search = document.querySelector("[data-search]");
        if (search) { event.preventDefault(); search.focus(); }
      } else if (event.key === "j") { move(1); }
      else if (event.key === "k") { move(-1); }
      else if (event.key === "Enter" && current >= 0) {
        var link = rows[current].querySelector("a");
        if (link) { link.click(); }
      } else if (event.key === "x" && current >= 0) {
        var box = rows[current].querySelector('input[name="ids"]');
        if (box) { box.checked = !box.checked; }
      }
    });
  });
})();
