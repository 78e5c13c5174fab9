// The web chat: after ten minutes without a message (`data-survey-after` seconds, counted
// again after each exchange) the page asks the server for the survey, which it offers once per
// session. Without JavaScript the "Termina la conversazione" button asks for it the same way.
(function () {
  var log = document.getElementById("chat-log");
  var idle = document.getElementById("assistant-idle");
  if (!log || !idle || !window.htmx) { return; }
  var after = parseInt(log.getAttribute("data-survey-after"), 10) * 1000;
  if (!(after > 0)) { return; }
  var timer = null;
  var asked = false;
  function ask() {
    asked = true;
    htmx.trigger(idle, "submit");
  }
  function wait() {
    clearTimeout(timer);
    if (!asked) { timer = setTimeout(ask, after); }
  }
  log.addEventListener("htmx:afterSwap", wait);
  if (log.querySelector(".assistant-reply")) { wait(); }
})();
