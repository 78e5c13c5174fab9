// ascolto: behaviour shared by every page. Confirmation for any form or button that asks for it.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);

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
