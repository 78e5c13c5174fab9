// The report charts: each canvas.report-chart drawn by Chart.js from the JSON its data-chart names
// (the table under it holds the same figures). Chart.js styles through the CSSOM, which the
// Content-Security-Policy allows.
(function () {
  var palette = ["#0066cc", "#d1344c", "#008055", "#cc7a00", "#5c6f82", "#7a2e8f", "#00838f", "#995c00", "#1b5e20", "#b71c1c", "#283593", "#4e342e"];
  document.querySelectorAll("canvas.report-chart").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || !window.Chart) { return; }
    var spec = JSON.parse(source.textContent);
    var pie = spec.type === "pie";
    spec.datasets.forEach(function (set, i) {
      set.backgroundColor = pie ? palette : palette[i % palette.length];
      set.borderColor = pie ? "#ffffff" : palette[i % palette.length];
      set.fill = false;
    });
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: spec.datasets},
      options: {locale: document.documentElement.lang || "it", responsive: true, animation: false, plugins: {legend: {display: pie || spec.datasets.length > 1}}}
    });
  });
})();
