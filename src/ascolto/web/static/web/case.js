// The case page: confirmation in the console's Bootstrap Italia modal (ascolto.js), the
// empty text refused before any dialog, `#` search of templates and articles in the composer,
// keyboard shortcuts, and the "who else is here" poll told when this user is writing.
// Without JavaScript none of this runs: a form posts directly and the server asks for
// confirmation on its own page, with the same checks (the reply's files are kept meanwhile).
(function () {
  "use strict";
  var composer = document.getElementById("composer");
  // The page's words, translated in the template (data-text-*), with the Italian as fallback.
  function word(name, fallback) {
    return (composer && composer.getAttribute("data-text-" + name)) || fallback;
  }
  function escape(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML.replace(/"/g, "&quot;");
  }
  function areas(form) {
    return Array.prototype.slice.call(form.querySelectorAll("textarea"));
  }

  function setError(area, text) {
    var id = area.id + "-error";
    var box = document.getElementById(id);
    if (!text) {
      if (box && box.hasAttribute("data-client")) { box.remove(); }
      area.classList.remove("is-invalid");
      area.removeAttribute("aria-invalid");
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "invalid-feedback d-block";
      box.setAttribute("data-client", "");
      area.insertAdjacentElement("afterend", box);
    }
    box.textContent = text;
    area.classList.add("is-invalid");
    area.setAttribute("aria-invalid", "true");
    area.setAttribute("aria-describedby", id);
  }

  // An empty required text is refused here, before any dialog (the server refuses it too).
  function filled(form) {
    var first = null;
    areas(form).forEach(function (area) {
      if (area.required && !area.value.trim()) {
        setError(area, word("empty", "Questo campo è obbligatorio: scrivi il testo."));
        first = first || area;
      } else {
        setError(area, "");
      }
    });
    if (first) { first.focus(); }
    return !first;
  }

  // The console's one confirmation dialog (ascolto.js), with the text being sent under the question.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-case-confirm")) { return; }
    if (form.hasAttribute("data-confirmed")) { form.removeAttribute("data-confirmed"); return; }
    event.preventDefault();
    if (!filled(form)) { return; }
    var area = form.querySelector("textarea");
    var text = area ? area.value.trim() : "";
    // The files attached go with the form as it is submitted (multipart); the dialog names them.
    var names = [];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { names.push(file.name); });
    });
    if (names.length) { text += "\n\n" + word("files", "Allegati") + ": " + names.join(", "); }
    var asked = window.ascoltoConfirm && window.ascoltoConfirm(form, form.getAttribute("data-case-confirm"), {
      submitter: event.submitter,
      context: word("case", ""),
      text: text
    });
    if (!asked) { form.submit(); } // the server's confirmation page
  });

  // Shortcuts, outside a text field: r reply, n note, s resolve.
  var keys = { r: "action-reply", n: "action-note", s: "action-resolve" };
  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) { return false; }
    panel.open = true;
    var field = panel.querySelector("textarea, select, input:not([type=hidden])");
    if (field) { field.focus(); }
    return true;
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey && event.key === "Enter" && target.tagName === "TEXTAREA" && target.form &&
        target.form.hasAttribute("data-case-confirm")) {
      event.preventDefault();
      target.form.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable) { return; }
    if (document.querySelector(".modal.show")) { return; }
    var id = keys[event.key];
    if (id && openPanel(id)) { event.preventDefault(); }
  });

  if (!composer) { return; }

  // Who else is here: the poll says whether this user has text in the composer.
  var typing = document.getElementById("presence-typing");
  function noteTyping() {
    var now = areas(composer).some(function (area) { return area.value.trim() !== ""; }) ? "1" : "0";
    if (typing && typing.value !== now) {
      typing.value = now;
      if (window.htmx) { window.htmx.trigger("#presence", "presence"); }
    }
  }
  composer.addEventListener("input", noteTyping);
  // The same warning again is not swapped in, so a screen reader does not repeat it every poll.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var list = document.getElementById("presence-list");
    if (event.detail.target === list && list.innerHTML.trim() === event.detail.serverResponse.trim()) {
      event.detail.shouldSwap = false;
    }
  });
  if (window.htmx) { window.htmx.trigger("#presence", "presence"); }
  // Leaving the page (closed, another page, back): a goodbye, so the others' warning drops this
  // user at once. Not after a form of the page was sent: that comes back to this same case.
  var presenceBox = document.getElementById("presence");
  var sending = false;
  // "formdata" fires for a form really sent, also by form.submit() after the dialog's "Conferma".
  document.addEventListener("formdata", function (event) {
    var form = event.target;
    if (form.method === "post" && !form.hasAttribute("hx-post") && !form.hasAttribute("hx-get")) { sending = true; }
  });
  window.addEventListener("pagehide", function () {
    var token = composer.querySelector("input[name=csrfmiddlewaretoken]");
    if (sending || !presenceBox || !token || !navigator.sendBeacon) { return; }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token.value);
    data.append("left", "1");
    navigator.sendBeacon(presenceBox.getAttribute("hx-post"), data);
  });

  // Templates and articles: `#` typed at the start of a word, or the button, opens the search.
  var url = composer.getAttribute("data-snippets-url");
  var picker = null;
  var state = { area: null, hash: null, caret: 0, results: [], active: 0, timer: null, serial: 0 };

  function buildPicker() {
    picker = document.createElement("div");
    picker.className = "composer-snippets";
    picker.id = "snippets";
    picker.innerHTML =
      '<label for="snippet-search" class="small fw-semibold">' + escape(word("search", "Cerca modelli e articoli")) + '</label>' +
      '<input type="search" id="snippet-search" class="form-control form-control-sm" autocomplete="off" role="combobox" aria-expanded="true" aria-controls="snippet-list" aria-autocomplete="list" aria-describedby="snippet-hint">' +
      '<ul id="snippet-list" role="listbox" aria-label="' + escape(word("found", "Modelli e articoli trovati")) + '"></ul>' +
      '<p class="small mb-0 mt-1" id="snippet-hint">' + escape(word("hint", "↑ ↓ per scegliere, Invio per inserire, Esc per chiudere")) + '</p>';
    var search = picker.querySelector("input");
    search.addEventListener("input", function () {
      clearTimeout(state.timer);
      state.timer = setTimeout(function () { load(search.value); }, 150);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var n = state.results.length;
        if (n) { state.active = (state.active + (event.key === "ArrowDown" ? 1 : n - 1)) % n; draw(); }
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (state.results.length) { insert(state.results[state.active]); }
      } else if (event.key === "Escape") {
        event.preventDefault();
        close(true);
      }
    });
    picker.addEventListener("click", function (event) {
      var item = event.target.closest("li[data-index]");
      if (item) { insert(state.results[Number(item.getAttribute("data-index"))]); }
    });
  }

  function draw() {
    var list = picker.querySelector("ul");
    var search = picker.querySelector("input");
    list.textContent = "";
    if (!state.results.length) {
      var none = document.createElement("li");
      none.setAttribute("role", "option");
      none.setAttribute("aria-disabled", "true");
      none.setAttribute("aria-selected", "false");
      none.id = "snippet-none";
      none.textContent = word("none", "Nessun modello o articolo trovato.");
      list.appendChild(none);
      search.removeAttribute("aria-activedescendant");
      return;
    }
    state.results.forEach(function (result, index) {
      var item = document.createElement("li");
      item.id = "snippet-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("data-index", String(index));
      item.setAttribute("aria-selected", index === state.active ? "true" : "false");
      var title = document.createElement("span");
      title.className = "fw-semibold";
      title.textContent = result.title + (result.internal ? " " + word("internal", "(interno)") : "");
      var summary = document.createElement("span");
      summary.className = "small";
      summary.textContent = result.summary;
      item.appendChild(title);
      item.appendChild(summary);
      list.appendChild(item);
    });
    search.setAttribute("aria-activedescendant", "snippet-" + state.active);
    document.getElementById("snippet-" + state.active).scrollIntoView({ block: "nearest" });
  }

  function load(query) {
    var serial = ++state.serial;
    fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (serial !== state.serial || !picker) { return; }
        state.results = data.results || [];
        state.active = 0;
        draw();
      });
  }

  function open(area, hash) {
    if (!picker) { buildPicker(); }
    state.area = area;
    state.hash = hash;
    state.caret = area.selectionStart;
    area.insertAdjacentElement("beforebegin", picker);
    picker.hidden = false;
    var search = picker.querySelector("input");
    search.value = "";
    state.results = [];
    draw();
    load("");
    search.focus();
  }

  function close(back) {
    if (!picker || picker.hidden) { return; }
    picker.hidden = true;
    if (back && state.area) { state.area.focus(); }
  }

  function insert(result) {
    var area = state.area;
    var value = area.value;
    var start = state.hash !== null ? state.hash : state.caret;
    var end = state.hash !== null && value.charAt(state.hash) === "#" ? state.hash + 1 : start;
    area.value = value.slice(0, start) + result.text + value.slice(end);
    var caret = start + result.text.length;
    close(true);
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
    // The inserted article opens beside the case, with its "this answer helped" button.
    if (result.article && window.htmx && document.getElementById("kb-side-article")) {
      window.htmx.ajax("GET", result.article, { target: "#kb-side-article", swap: "innerHTML" });
    }
  }

  composer.addEventListener("input", function (event) {
    var area = event.target;
    if (area.tagName !== "TEXTAREA" || event.inputType !== "insertText" || event.data !== "#") { return; }
    var at = area.selectionStart - 1;
    if (at === 0 || /\s/.test(area.value.charAt(at - 1))) { open(area, at); }
  });
  Array.prototype.forEach.call(composer.querySelectorAll("[data-snippets]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var area = button.form.querySelector("textarea");
      if (area) { open(area, null); }
    });
  });
})();
