/* Without reloading the page (no flash, no lost focus): each alert leaves at its end, and the
   banner asks the server again when the first alert ends or the next starts (data-refresh
   seconds), then tells the portal's page how tall it is, so its iframe fits (docs/alerts.md). */
(function () {
  var box = document.getElementById("alerts");
  function post() {
    if (window.parent !== window) {
      window.parent.postMessage({ascoltoAlertsHeight: Math.ceil(box.getBoundingClientRect().height)}, "*");
    }
  }
  function expire() {
    var now = Date.now();
    box.querySelectorAll("[data-ends]").forEach(function (item) {
      if (Date.parse(item.getAttribute("data-ends")) <= now) { item.remove(); }
    });
    if (!box.querySelector("[data-ends]")) { box.innerHTML = ""; }
    post();
  }
  function refresh() {
    fetch(window.location.href, {cache: "no-store"}).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var next = fresh.getElementById("alerts");
      if (next && next.innerHTML !== box.innerHTML) { box.innerHTML = next.innerHTML; }
      var seconds = parseInt(fresh.body.getAttribute("data-refresh"), 10) || 60;
      window.setTimeout(refresh, seconds * 1000);
      expire();  /* and posts the height */
    }).catch(function () { window.setTimeout(refresh, 60000); });
  }
  window.setInterval(expire, 15000);
  window.setTimeout(refresh, (parseInt(document.body.getAttribute("data-refresh"), 10) || 60) * 1000);
  window.addEventListener("load", post);
  window.addEventListener("resize", post);
})();
