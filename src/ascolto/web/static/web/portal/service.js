/* The "Valuta il servizio" box of an online service, on the city's portal.
 *
 * The portal marks the box with the service's code, on the page that ends the service:
 *   <div data-ascolto-service="certificati-anagrafe"></div>
 *   <script src="https://ascolto.comune.example.it/static/web/portal/service.js" defer></script>
 * The box links to /scrivi/questionario/servizio/<code>/ on the ascolto site the script came
 * from, which makes an anonymous invitation to the service's survey and opens it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";

  function draw(box) {
    var code = box.getAttribute("data-ascolto-service") || "";
    if (!/^[-a-zA-Z0-9_]+$/.test(code)) { return; }
    box.classList.add("ascolto-service-survey");
    var title = document.createElement("h2");
    title.textContent = "Valuta il servizio";
    var text = document.createElement("p");
    text.textContent = "Com'è andata? Rispondi a un breve questionario anonimo: ci aiuta a migliorare.";
    var link = document.createElement("a");
    link.href = base + "/scrivi/questionario/servizio/" + encodeURIComponent(code) + "/";
    link.className = "btn btn-primary";
    link.textContent = "Valuta il servizio";
    box.replaceChildren(title, text, link);
  }

  function start() {
    document.querySelectorAll("[data-ascolto-service]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
