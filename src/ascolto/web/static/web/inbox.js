// ascolto: the inbox's keyboard shortcuts and live updates. Everything here is an addition:
// without JavaScript the links, forms and "Filtri" panels do the same work.
(function () {
  "use strict";
  var results = document.getElementById("inbox-results");
  if (!results) { return; }
  var help = document.getElementById("inbox-help");
  var helpButton = document.getElementById("inbox-help-open");
  var announce = document.getElementById("inbox-announce");
  var current = null; // the pk of the row the keys act on

  function rows() { return Array.prototype.slice.call(results.querySelectorAll("tbody tr[data-pk]")); }
  function rowOf(pk) { return pk && document.getElementById("row-" + pk); }
  function say(text) { if (announce) { announce.textContent = ""; announce.textContent = text; } }

  function select(row, focus) {
    rows().forEach(function (r) { r.classList.remove("inbox-current"); });
    if (!row) { current = null; return; }
    current = row.getAttribute("data-pk");
    row.classList.add("inbox-current");
    var link = row.querySelector("a.inbox-open");
    if (focus && link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.indexOf(rowOf(current));
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next], true);
  }

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function refreshLive() {
    var live = document.getElementById("inbox-live");
    if (live && window.htmx) {
      window.htmx.ajax("GET", live.getAttribute("data-live-url"), { source: live, target: live, swap: "outerHTML" });
    }
  }

  function take(row) {
    var body = new URLSearchParams();
    body.set("ticket", row.getAttribute("data-pk"));
    fetch(results.getAttribute("data-take-url"), {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) { say(text); refreshLive(); });
    });
  }

  function typing(target) {
    if (!target || !target.closest) { return false; }
    // Nor while the console's confirmation dialog (a Bootstrap modal) is open.
    if (document.querySelector(".modal.show")) { return true; }
    return Boolean(target.closest("input, select, textarea, [contenteditable], dialog[open], .modal"));
  }

  // The bulk bar shows once a case is ticked (without JavaScript it is always there): on a laptop
  // the line it takes goes to the cases.
  function showBulk() {
    var form = document.getElementById("bulk-form");
    if (form) { form.hidden = !results.querySelector("input.inbox-check:checked"); }
  }
  results.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input.inbox-check")) { showBulk(); }
  });
  showBulk();

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var row = rowOf(current);
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter":
        if (!row) { return; }
        if (event.key === "Enter" && event.target.closest && event.target.closest("a, button, summary")) { return; }
        window.location.href = row.querySelector("a.inbox-open").href;
        break;
      case "x":
        if (!row) { return; }
        var box = row.querySelector("input.inbox-check");
        box.checked = !box.checked;
        showBulk();
        break;
      case "a":
        if (!row) { return; }
        take(row);
        break;
      case "/":
        var search = document.getElementById("id_q");
        if (search) { search.focus(); search.select(); }
        break;
      case "?":
        if (help && help.showModal) { help.showModal(); }
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // A click or focus on a row makes it the current one (the keys then continue from there).
  results.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("tbody tr[data-pk]");
    if (row) { select(row, false); }
  });

  if (helpButton && help && help.showModal) {
    helpButton.hidden = false;
    helpButton.addEventListener("click", function () { help.showModal(); });
  }

  // Live updates swap changed rows in place: keep their ticks and the current row.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "inbox-live") { return; }
    var focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("tbody tr[data-pk]");
    kept = {
      checked: Array.prototype.map.call(results.querySelectorAll("input.inbox-check:checked"), function (b) { return b.value; }),
      focused: focused ? focused.getAttribute("data-pk") : null
    };
  });
  // The bar of new cases is swapped at every look: it is read out (in the page's one live
  // region) only when what it says changes. A filtered list is announced by its count.
  var lastNews = "";
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target;
    if (target && target.id === "inbox-results") {
      showBulk();
      var title = document.getElementById("results-title");
      if (title) { say(title.textContent.trim()); }
    }
    var news = document.querySelector("#inbox-live .inbox-new");
    var text = news ? news.textContent.replace(/\s+/g, " ").trim() : "";
    if (text && text !== lastNews) { say(text); }
    lastNews = text;
    if (kept) {
      kept.checked.forEach(function (pk) {
        var box = document.getElementById("pick-" + pk);
        if (box) { box.checked = true; }
      });
      showBulk();
      var row = rowOf(current);
      if (row) { select(row, kept.focused === current); }
      kept = null;
    } else if (!rowOf(current)) {
      current = null; // the list was filtered again
    }
  });
})();
