/* The page rating of the Designers Italia model on a page of the city's portal.
 *
 * The portal includes this script and marks where the rating goes:
 *   <div data-ascolto-rating></div>
 *   <script src="https://ascolto.comune.example.it/static/web/portal/rating.js" defer></script>
 * It draws the question and five stars; a star sends the score (JSON, no cookies) to the
 * ascolto site the script came from, which answers only the portal origins it allows
 * (ASCOLTO_PORTAL_ORIGINS); then the follow-up question and a comment; then thanks.
 * No inline style, no innerHTML: the portal's own Content-Security-Policy stays as it is.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";
  var endpoint = base + "/scrivi/valutazione/portale/";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function send(body) {
    return fetch(endpoint, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function say(box, text) {
    box.replaceChildren(el("p", {"class": "ascolto-rating-thanks", "role": "status"}, text));
  }

  function followUp(box, answer) {
    var form = el("form", {"class": "ascolto-rating-followup"});
    var set = el("fieldset");
    set.appendChild(el("legend", {}, answer.question));
    answer.reasons.forEach(function (pair, i) {
      var id = "ascolto-reason-" + i;
      var wrap = el("div");
      var input = el("input", {type: "radio", name: "reason", value: pair[0], id: id});
      wrap.appendChild(input);
      wrap.appendChild(el("label", {"for": id}, pair[1]));
      set.appendChild(wrap);
    });
    form.appendChild(set);
    form.appendChild(el("label", {"for": "ascolto-comment"}, "Vuoi aggiungere altri dettagli?"));
    form.appendChild(el("textarea", {id: "ascolto-comment", name: "comment", maxlength: String(answer.max_comment)}));
    form.appendChild(el("button", {type: "submit", "class": "btn btn-primary"}, "Invia"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input[name=reason]:checked");
      send({token: answer.token, reason: chosen ? chosen.value : "", comment: form.comment.value})
        .then(function (done) { say(box, done.thanks || done.error); })
        .catch(function () { say(box, "Non è stato possibile inviare la risposta."); });
    });
    box.replaceChildren(el("p", {"role": "status"}, "Grazie per il tuo voto!"), form);
  }

  function draw(box) {
    box.classList.add("ascolto-rating");
    var title = el("h2", {"class": "ascolto-rating-title"}, "Quanto sono chiare le informazioni su questa pagina?");
    var stars = el("div", {"class": "ascolto-rating-stars", role: "group", "aria-label": "Valuta da 1 a 5 stelle"});
    [1, 2, 3, 4, 5].forEach(function (n) {
      var star = el("button", {type: "button", "data-score": String(n), "aria-label": "Valuta " + n + " stelle su 5"}, "★");
      star.addEventListener("click", function () {
        send({page: window.location.pathname, score: n})
          .then(function (answer) {
            if (answer.token) { followUp(box, answer); } else { say(box, answer.error); }
          })
          .catch(function () { say(box, "Non è stato possibile registrare il voto."); });
      });
      stars.appendChild(star);
    });
    box.replaceChildren(title, stars);
  }

  function start() {
    document.querySelectorAll("[data-ascolto-rating]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
