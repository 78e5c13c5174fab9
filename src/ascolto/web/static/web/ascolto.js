// ascolto: behaviour shared by every page.

// Confirmation before a form is sent, in the console's Bootstrap Italia modal (console/_confirm.html),
// never the browser's confirm(). A form with data-confirm="question" asks on submit; the case page
// (case.js) calls ascoltoConfirm itself, after its own checks. "Conferma" sends the form with the
// button that was pressed; a hidden `confirmed` field, if the form has one, is set first. Where the
// dialog is missing (a page without it, no Bootstrap) the form is sent as without JavaScript.
(function () {
  "use strict";
  var element = document.getElementById("confirm-dialog");
  var pending = null; // {form, submitter}
  var returnFocus = null;

  function dialog() {
    if (!element || !window.bootstrap || !window.bootstrap.Modal) { return null; }
    return window.bootstrap.Modal.getOrCreateInstance(element);
  }

  function send(form, submitter) {
    form.setAttribute("data-confirmed", "");
    var flag = form.querySelector("input[name=confirmed]");
    if (flag) { flag.value = "True"; }
    if (form.requestSubmit) {
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    } else {
      form.submit();
    }
  }

  // Ask `question` (with an optional context line and text) before sending `form`; returns false
  // when there is no dialog to ask in (the caller then lets the form go).
  window.ascoltoConfirm = function (form, question, options) {
    var modal = dialog();
    if (!modal) { return false; }
    options = options || {};
    pending = { form: form, submitter: options.submitter || null };
    returnFocus = document.activeElement;
    document.getElementById("confirm-dialog-title").textContent = question;
    document.getElementById("confirm-dialog-context").textContent = options.context || form.getAttribute("data-confirm-context") || "";
    document.getElementById("confirm-dialog-text").textContent = options.text || "";
    document.getElementById("confirm-dialog-ok").disabled = false;
    modal.show();
    return true;
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question) { return; }
    if (form.hasAttribute("data-confirmed")) { form.removeAttribute("data-confirmed"); return; }
    if (!dialog()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    window.ascoltoConfirm(form, question, { submitter: event.submitter });
  }, true);

  if (element) {
    element.addEventListener("shown.bs.modal", function () {
      document.getElementById("confirm-dialog-ok").focus();
    });
    element.addEventListener("hidden.bs.modal", function () {
      if (pending && returnFocus && returnFocus.focus) { returnFocus.focus(); }
      pending = null;
    });
    document.getElementById("confirm-dialog-ok").addEventListener("click", function () {
      var chosen = pending;
      if (!chosen) { return; }
      pending = null;
      this.disabled = true;
      send(chosen.form, chosen.submitter);
      // A form answered in place (HTMX) leaves the page as it is: the dialog closes.
      var modal = dialog();
      if (modal) { modal.hide(); }
    });
  }
})();

// HTMX 2 does not swap 4xx answers: a form marked data-swap-errors (the page rating) shows the
// fragment the server sent with its error, instead of staying silent.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var element = event.detail.elt;
  if (status >= 400 && status < 500 && element && element.closest && element.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The page's own behaviours, kept here rather than inline: the Content-Security-Policy allows no
// inline script, no on* attribute and no style attribute (docs/security/web.md).
(function () {
  "use strict";
  // The language menu sends its form as soon as a language is chosen (a button without JavaScript).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.classList && select.classList.contains("language-select") && select.form) { select.form.submit(); }
  });

  // A form marked data-reset-after-request (the web chat) empties after HTMX sent it successfully.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form && form.matches && form.matches("form[data-reset-after-request]")) { form.reset(); }
  });

  // Widths given as data-width="N" (a progress bar's percent) set through the CSSOM.
  function widths() {
    document.querySelectorAll("[data-width]").forEach(function (element) {
      var percent = parseFloat(element.getAttribute("data-width"));
      if (!isNaN(percent)) { element.style.width = Math.max(0, Math.min(100, percent)) + "%"; }
    });
  }
  document.addEventListener("htmx:afterSettle", widths);

  // Show only the parts of a form its chosen kind uses; without JavaScript all are shown, each
  // saying which kind reads it. `select` chooses; each part lists its kinds ("*": every kind).
  function showKinds(select, parts, attribute) {
    if (!select) { return; }
    function show() {
      document.querySelectorAll(parts).forEach(function (part) {
        var kinds = part.getAttribute(attribute).split(" ");
        part.hidden = kinds.indexOf("*") < 0 && kinds.indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", show);
    show();
  }

  function ready() {
    widths();
    // The reports' period (console/reports/_period.html).
    showKinds(document.getElementById("id_periodo"), "[data-period-kinds]", "data-period-kinds");
    // The assistant's menu entry (console/assistant/node.html).
    showKinds(document.querySelector("#node-form [name=kind]"), "#node-form [data-kinds]", "data-kinds");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
