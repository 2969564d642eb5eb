// The objective form: "%" beside the target while the chosen KPI is a rate or a ratio (kpis/targets.py),
// whose target is typed as a percentage. The server renders the sign for the KPI it knows; this keeps it
// in step when another KPI is chosen.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var suffix = document.querySelector("[data-testid='target-suffix']");
    var kpi = document.getElementById("id_kpi");
    if (!suffix || !kpi) return;
    var percent = (suffix.getAttribute("data-percent-kpis") || "").split(" ");
    function update() {
      suffix.hidden = percent.indexOf(kpi.value) === -1;
    }
    kpi.addEventListener("change", update);
    update();
  });
})();
