/* A client report's print view (dashboards/report_print.py): Chart.js settings for paper, read by
   dashboard.js's charts, which draw from the page's inline data without fetching anything. Charts
   are drawn at three device pixels per CSS pixel, so the PDF's charts stay sharp when zoomed or printed. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  window.Chart.defaults.devicePixelRatio = 3;
  window.Chart.defaults.animation = false;
  window.Chart.defaults.font.family = "\"DejaVu Sans\", \"Liberation Sans\", system-ui, sans-serif";
  window.Chart.defaults.font.size = 10;
})();
