// Scrivi: how many characters are left in the description (600 for requests, more for a
// complaint). The form works without it; the counter is announced politely to screen readers.
(function () {
  var text = document.getElementById("id_description");
  var out = document.getElementById("description-count");
  if (!text || !out) { return; }
  var form = text.form;
  function limit() {
    var kind = form.querySelector("input[name=kind]:checked");
    var complaint = kind && kind.value === "complaint";
    return parseInt(text.getAttribute(complaint ? "data-max-complaint" : "data-max-request"), 10);
  }
  var timer = null;
  function update() {
    var left = limit() - text.value.length;
    text.setAttribute("maxlength", String(limit()));
    out.textContent = left >= 0
      ? out.getAttribute("data-left") + " " + left
      : out.getAttribute("data-over") + " " + (-left);
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 300); }
  text.addEventListener("input", later);
  form.addEventListener("change", function (e) { if (e.target.name === "kind") { update(); } });
  update();
})();
