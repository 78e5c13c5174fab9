// Survey answering page: show a question only when the earlier answer it depends on was
// given (data-show-if: the earlier question's code; data-show-values: the answers that show
// it). Hidden questions are disabled, so their answers are not sent; the server applies the
// same rule, so the page works without this script.
(function () {
  var form = document.getElementById("survey-form");
  if (!form) { return; }
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".survey-question"));

  function chosen(code) {
    var values = [];
    var inputs = form.querySelectorAll("[name='" + code + "']");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.disabled) { continue; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { continue; }
      if (input.value) { values.push(input.value); }
    }
    return values;
  }

  function update() {
    // In page order: a question shown by a hidden question is hidden too.
    blocks.forEach(function (block) {
      var parent = block.getAttribute("data-show-if");
      if (!parent) { return; }
      var wanted = JSON.parse(block.getAttribute("data-show-values") || "[]");
      var show = chosen(parent).some(function (v) { return wanted.indexOf(v) !== -1; });
      block.hidden = !show;
      var fields = block.querySelectorAll("input, textarea, select");
      for (var i = 0; i < fields.length; i++) { fields[i].disabled = !show; }
    });
  }

  form.addEventListener("change", update);
  update();
  var errors = document.getElementById("survey-errors");
  if (errors) { errors.focus(); }
})();
