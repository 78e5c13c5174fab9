// Charts of the contact-center page (Chart.js). The numbers are also in the tables beside each
// chart, so the page says everything without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("contactcenter-charts");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var blue = "#0066cc", band = "rgba(0, 102, 204, 0.15)", green = "#008055", orange = "#a66300";

  var totals = document.getElementById("chart-totals");
  if (totals) {
    var t = data.totals;
    new Chart(totals, {
      data: {
        labels: t.labels,
        datasets: [
          { type: "bar", label: t.names[3], data: t.actual, backgroundColor: green, order: 2 },
          { type: "line", label: t.names[0], data: t.forecast, borderColor: blue, backgroundColor: blue, order: 1 },
          { type: "line", label: t.names[1], data: t.lo80, borderColor: "transparent", pointRadius: 0, fill: false, order: 3 },
          { type: "line", label: t.names[2], data: t.hi80, borderColor: "transparent", backgroundColor: band, pointRadius: 0, fill: "-1", order: 3 }
        ]
      },
      options: { responsive: true, interaction: { mode: "index", intersect: false }, scales: { y: { beginAtZero: true } } }
    });
  }

  var intervals = document.getElementById("chart-intervals");
  if (intervals) {
    var i = data.intervals;
    new Chart(intervals, {
      data: {
        labels: i.labels,
        datasets: [
          { type: "bar", label: i.names[0], data: i.rostered, backgroundColor: orange, yAxisID: "y" },
          { type: "line", label: i.names[1], data: i.scheduled, borderColor: green, backgroundColor: green, stepped: true, yAxisID: "y" },
          { type: "line", label: i.names[2], data: i.forecast, borderColor: blue, backgroundColor: blue, yAxisID: "calls" },
          { type: "line", label: i.names[3], data: i.actual, borderColor: "#5c6f82", backgroundColor: "#5c6f82", borderDash: [4, 4], yAxisID: "calls" }
        ]
      },
      options: {
        responsive: true,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, position: "left", title: { display: true, text: i.names[0] } },
          calls: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: i.names[2] } }
        }
      }
    });
  }
})();
