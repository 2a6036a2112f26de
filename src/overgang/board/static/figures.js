// Draws each figure's chart from the JSON block beside its canvas (the page's tables carry the
// same numbers, so the page works without this script). No inline script: CSP 'self' only.
(function () {
  "use strict";
  var MONTHS = ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."];
  var BLUE = "#0059b3", GREY = "#454545", LIMIT = "#6b6b6b", SIGNAL = "#a4201d", TARGET = "#00703c";

  function monthName(month) {
    var parts = month.split("-");
    return MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function danish(value, unit) {
    if (value === null || value === undefined) { return "–"; }
    var text = value.toLocaleString("da-DK", { maximumFractionDigits: 1 });
    return unit === "%" ? text + " %" : text + " " + unit;
  }

  function line(label, data, colour, dash) {
    return {
      label: label, data: data, borderColor: colour, backgroundColor: colour,
      borderDash: dash, borderWidth: 1.5, pointRadius: 0, stepped: "middle", spanGaps: false
    };
  }

  function draw(canvas) {
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block || typeof Chart === "undefined") { return; }
    var data = JSON.parse(block.textContent);
    var small = canvas.parentNode.classList.contains("figure-chart-box--small");
    var datasets = [{
      // A month without a value (nothing counted, or under 10 in the denominator) is a gap.
      label: "Måned", data: data.value, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 2,
      spanGaps: false,
      pointRadius: data.signal.map(function (s) { return s ? 6 : 3.5; }),
      pointStyle: data.signal.map(function (s) { return s ? "rectRot" : "circle"; }),
      pointBackgroundColor: data.value.map(function (_, i) {
        if (data.signal[i]) { return SIGNAL; }
        return data.provisional[i] ? "#ffffff" : BLUE;
      }),
      pointBorderColor: data.signal.map(function (s) { return s ? SIGNAL : BLUE; })
    },
    line("Centerlinje", data.centre, GREY, []),
    line("Øvre kontrolgrænse", data.upper, LIMIT, [2, 3]),
    line("Nedre kontrolgrænse", data.lower, LIMIT, [2, 3])];
    if (data.target !== null) {
      datasets.push(line("Mål", data.value.map(function () { return data.target; }), TARGET, [8, 4]));
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: data.months.map(monthName), datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: {
            beginAtZero: true,
            suggestedMax: data.unit === "%" ? 100 : undefined,
            ticks: { color: GREY, callback: function (v) { return danish(v, data.unit); } }
          },
          x: { ticks: { color: GREY } }
        },
        plugins: {
          // A small chart leaves its legend to the figure's own page.
          legend: { display: !small, labels: { color: "#1a1a1a", boxHeight: 2 } },
          tooltip: {
            callbacks: { label: function (item) { return item.dataset.label + ": " + danish(item.raw, data.unit); } }
          }
        }
      },
      plugins: [{ id: "drawn", afterRender: function (chart) { chart.canvas.setAttribute("data-drawn", "ja"); } }]
    });
  }

  function start() {
    if (typeof Chart !== "undefined") { Chart.defaults.font.family = "IBM Plex Sans, Arial, sans-serif"; }
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
