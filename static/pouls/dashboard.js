/* The client dashboard's charts: fetch the dashboard API once, then for each chart draw its canvas
   with Chart.js, fill its data table (the text alternative) and wire the drill-down clicks.
   No inline script anywhere: the page works under a strict Content-Security-Policy. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || typeof window.Chart === "undefined") return;
  var Chart = window.Chart;
  var locale = root.dataset.locale || document.documentElement.lang || "fr-FR";
  var currency = root.dataset.currency || "EUR";
  var styles = getComputedStyle(document.documentElement);
  var brand = (styles.getPropertyValue("--brand") || "").trim();
  var PALETTE = [brand || "#c2185b", "#2563eb", "#15803d", "#7c3aed", "#ea580c", "#0891b2", "#64748b", "#ca8a04", "#be123c", "#4d7c0f"];
  var ANOMALY = "#b42318";
  var GOOD_ANOMALY = "#15803d";  // an anomaly in the KPI's better direction (dashboards.tone): good news is not red
  var STATUS = {  // the cards' status colours (app.css), for a bar coloured by its status
    green: (styles.getPropertyValue("--green") || "").trim() || "#15803d",
    amber: (styles.getPropertyValue("--amber") || "").trim() || "#b45309",
    red: (styles.getPropertyValue("--red") || "").trim() || "#b42318",
  };
  var STATUS_SYMBOLS = { green: "✓", amber: "!", red: "✕" };  // dashboards.labels: never colour alone

  var formats = {
    count: new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }),
    money: new Intl.NumberFormat(locale, { style: "currency", currency: currency }),
    number: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
    rate: new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    ratio: new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  };
  var separator = locale.slice(0, 2) === "fr" ? " : " : ": ";
  var shortMoney = new Intl.NumberFormat(locale, { style: "currency", currency: currency, notation: "compact" });

  function format(value, unit) {
    if (value === null || value === undefined) return "—";
    return (formats[unit] || formats.count).format(value);
  }

  function tick(unit) {
    // Axis ticks of counts may fall between integers (0.5 lead): one decimal, never "0 0 1 1".
    return function (value) {
      if (unit === "money") return shortMoney.format(value);
      return format(value, unit === "count" ? "number" : unit);
    };
  }

  function colour(i, alpha) {
    return tint(PALETTE[i % PALETTE.length], alpha);
  }

  function tint(hex, alpha) {
    if (alpha === undefined) return hex;
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function datasetConfig(chart, dataset, i) {
    var line = dataset.type === "line" || chart.kind === "line";
    var config = {
      label: dataset.label,
      data: dataset.data,
      type: line ? "line" : "bar",
      yAxisID: chart.kind === "hbar" ? undefined : dataset.axis,
      xAxisID: chart.kind === "hbar" ? "x" : undefined,
      borderColor: colour(i),
      backgroundColor: line ? colour(i) : colour(i, 0.75),
      borderWidth: line ? 2 : 0,
      spanGaps: true,
      stack: dataset.stack || undefined,
      unit: dataset.unit,
    };
    if (chart.datasets.some(function (d) { return d.marker; })) {
      // A bullet chart: bars overlap; the actual value is the wide bar, a bar coloured by its status
      // (the projected month end) lies under it and the first marker (expected by today) is a thin
      // bar drawn over them. A second marker (the month target) is a tick at its value: a line
      // dataset without its line, whose points are vertical strokes.
      var markers = chart.datasets.filter(function (d) { return d.marker; });
      var target = dataset.marker && markers.indexOf(dataset) > 0;
      config.grouped = false;
      config.barPercentage = dataset.marker ? 0.25 : 0.8;
      if (dataset.marker) { config.order = -1; config.backgroundColor = markers.length > 1 ? "#64748b" : "#1d2433"; }
      if (dataset.statuses) config.order = 1;
      if (target) {
        config.type = "line";
        config.indexAxis = chart.kind === "hbar" ? "y" : "x";
        config.showLine = false;
        config.pointStyle = "line";
        config.rotation = chart.kind === "hbar" ? 90 : 0;
        config.pointRadius = 20;
        config.pointHoverRadius = 22;
        config.borderWidth = 3;
        config.order = -2;
        config.borderColor = config.backgroundColor = "#1d2433";
      }
    }
    if (dataset.statuses) {
      config.backgroundColor = dataset.statuses.map(function (s) { return s ? tint(STATUS[s], 0.45) : colour(i, 0.35); });
      config.borderColor = dataset.statuses.map(function (s) { return s ? STATUS[s] : colour(i); });
      config.borderWidth = 1;
    }
    if (chart.selected !== null && !line) {
      config.backgroundColor = dataset.data.map(function (_v, j) { return colour(i, j === chart.selected ? 1 : 0.35); });
    }
    if (dataset.anomalies) {
      // Anomalies stand out by shape and size as well as colour.
      config.pointStyle = dataset.anomalies.map(function (a) { return a ? "triangle" : "circle"; });
      config.pointRadius = dataset.anomalies.map(function (a) { return a ? 7 : 2; });
      config.pointBackgroundColor = dataset.anomalies.map(function (a, j) {
        if (!a) return colour(i);
        return dataset.tones && dataset.tones[j] === "good" ? GOOD_ANOMALY : ANOMALY;
      });
      config.pointBorderColor = config.pointBackgroundColor;
    }
    return config;
  }

  function scales(chart) {
    var units = {};
    chart.datasets.forEach(function (d) { units[d.axis] = units[d.axis] || d.unit; });
    if (chart.kind === "hbar") {
      return { x: { beginAtZero: true, ticks: { callback: tick(chart.datasets[0].unit) } } };
    }
    var result = {
      x: { stacked: chart.kind === "stacked" },
      y: { beginAtZero: true, stacked: chart.kind === "stacked", ticks: { callback: tick(units.y || "count") } },
    };
    if (units.y2) {
      result.y2 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { callback: tick(units.y2) } };
    }
    return result;
  }

  // The client's notes (dashboards/notes.py), marked on every time-series chart: a dashed line on one
  // period, a band over several, and a flag above it whose hover or focus shows the note.
  var NOTE = "#6d28d9";
  var noteData = document.getElementById("note-data");
  var notes = noteData ? JSON.parse(noteData.textContent) : [];

  function nextStart(iso, step) {
    var day = new Date(iso + "T00:00:00Z");
    if (step === "day") day.setUTCDate(day.getUTCDate() + 1);
    else if (step === "week") day.setUTCDate(day.getUTCDate() + 7);
    else day.setUTCMonth(day.getUTCMonth() + (step === "quarter" ? 3 : 1));
    return day.toISOString().slice(0, 10);
  }

  function noteSpans(chart) {
    // The labels each note overlaps, first and last; ISO dates compare as text.
    var starts = chart.starts || [];
    var spans = [];
    notes.forEach(function (note) {
      var first = -1, last = -1;
      starts.forEach(function (start, i) {
        var end = i + 1 < starts.length ? starts[i + 1] : nextStart(start, chart.step);
        if (note.start < end && note.end >= start) { if (first < 0) first = i; last = i; }
      });
      if (first >= 0) spans.push({ note: note, first: first, last: last });
    });
    return spans;
  }

  var notesPlugin = {
    id: "poulsNotes",
    afterDatasetsDraw: function (instance, _args, options) {
      var x = instance.scales.x, area = instance.chartArea, ctx = instance.ctx;
      (options.spans || []).forEach(function (span) {
        var left = x.getPixelForValue(span.first), right = x.getPixelForValue(span.last);
        ctx.save();
        ctx.strokeStyle = NOTE;
        ctx.lineWidth = 1.5;
        if (span.first === span.last) {
          ctx.setLineDash([4, 3]);
          ctx.beginPath(); ctx.moveTo(left, area.top); ctx.lineTo(left, area.bottom); ctx.stroke();
        } else {
          ctx.fillStyle = "rgba(109,40,217,0.10)";
          ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        }
        ctx.restore();
      });
    },
    afterDraw: function (instance, _args, options) {
      var spans = options.spans || [];
      if (!instance.$noteFlags) {  // built once: a redraw (hover, resize) only moves them
        instance.$noteFlags = spans.map(function (span) {
          var words = span.note.dates + " · " + span.note.scope + separator + span.note.text;
          var flag = document.createElement("button");
          flag.type = "button";
          flag.className = "note-flag";
          flag.setAttribute("data-testid", "note-marker");
          flag.setAttribute("aria-label", words);
          var mark = document.createElement("span");
          mark.setAttribute("aria-hidden", "true");
          mark.textContent = "✎";
          var tip = document.createElement("span");
          tip.className = "note-tip";
          tip.setAttribute("role", "tooltip");
          tip.setAttribute("aria-hidden", "true");
          tip.textContent = words;
          flag.append(mark, tip);
          instance.canvas.parentNode.appendChild(flag);
          return flag;
        });
      }
      var x = instance.scales.x, area = instance.chartArea, placed = [];
      spans.forEach(function (span, i) {
        var centre = (x.getPixelForValue(span.first) + x.getPixelForValue(span.last)) / 2;
        // Notes of one period share its place: each further one stacks below, so every flag is reachable.
        var below = placed.filter(function (other) { return Math.abs(other - centre) < 20; }).length;
        placed.push(centre);
        instance.$noteFlags[i].style.left = centre + "px";
        instance.$noteFlags[i].style.top = Math.max(0, area.top - 10) + below * 22 + "px";
      });
    },
  };

  function draw(figure, chart) {
    var canvas = figure.querySelector("canvas");
    if (!canvas) return;
    var doughnut = chart.kind === "doughnut";
    var config = {
      type: doughnut ? "doughnut" : (chart.kind === "line" ? "line" : "bar"),
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (d, i) {
          var c = datasetConfig(chart, d, i);
          if (doughnut) { c.type = "doughnut"; c.backgroundColor = chart.labels.map(function (_l, j) { return colour(j); }); delete c.yAxisID; }
          return c;
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: chart.kind === "hbar" ? "y" : "x",
        scales: doughnut ? {} : scales(chart),
        plugins: {
          legend: {
            display: doughnut || chart.datasets.length > 1,
            position: "bottom",
            // In the datasets' order, not their drawing order (a bullet chart draws its markers last).
            labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } },
          },
          tooltip: {
            callbacks: {
              label: function (item) {
                var unit = item.dataset.unit;
                var name = doughnut ? item.label : item.dataset.label;
                var text = name + separator + format(item.raw, unit);
                var source = chart.datasets[item.datasetIndex];
                var flag = source && source.anomalies ? source.anomalies[item.dataIndex] : null;
                var good = source && source.tones && source.tones[item.dataIndex] === "good";
                return flag ? text + (good ? (flag === "up" ? " ▲" : " ▼") : " ⚠") : text;
              },
            },
          },
        },
        onClick: function (_event, elements) {
          if (!chart.drill || !elements.length) return;
          window.location.assign(chart.drill.urls[elements[0].index]);
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = chart.drill && elements.length ? "pointer" : "default";
        },
      },
    };
    if (chart.starts && chart.starts.length && notes.length) {
      config.options.plugins.poulsNotes = { spans: noteSpans(chart) };
      config.plugins = [notesPlugin];
    }
    new Chart(canvas, config);
    canvas.dataset.drawn = "true";
  }

  function table(figure, chart) {
    var holder = figure.querySelector("[data-role=table]");
    var t = document.createElement("table");
    t.className = "data-table small";
    var caption = document.createElement("caption");
    caption.className = "visually-hidden";
    caption.textContent = chart.title;
    t.appendChild(caption);
    var head = t.createTHead().insertRow();
    chart.table.header.forEach(function (text, i) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      if (i) th.className = "num";
      head.appendChild(th);
    });
    var body = t.createTBody();
    chart.table.rows.forEach(function (row) {
      var tr = body.insertRow();
      row.cells.forEach(function (text, i) {
        var cell = i ? tr.insertCell() : document.createElement("th");
        if (!i) { cell.scope = "row"; tr.appendChild(cell); }
        if (!i && row.href) {
          var a = document.createElement("a");
          a.href = row.href;
          a.textContent = text;
          cell.appendChild(a);
        } else {
          cell.textContent = text;
        }
        if (i) cell.className = "num";
      });
    });
    holder.replaceChildren(t);
  }

  function lines(figure, chart) {
    // One sentence per label under the chart (the pacing chart's month-end projection), its status
    // in a chip and in words, like the cards.
    var list = figure.querySelector("[data-role=lines]");
    if (!list) return;
    list.replaceChildren.apply(list, (chart.lines || []).map(function (line) {
      var item = document.createElement("li");
      item.className = "status-" + (line.status || "none");
      if (line.status) {
        var chip = document.createElement("span");
        chip.className = "status-chip";
        chip.setAttribute("aria-hidden", "true");
        chip.textContent = STATUS_SYMBOLS[line.status];
        item.appendChild(chip);
        item.appendChild(document.createTextNode(" "));
      }
      item.appendChild(document.createTextNode(line.text));
      return item;
    }));
    list.hidden = !list.children.length;
  }

  function wireToggle(figure) {
    var button = figure.querySelector("[data-role=toggle]");
    var holder = figure.querySelector("[data-role=table]");
    if (!button) return;
    button.addEventListener("click", function () {
      var open = holder.hidden;
      holder.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? root.dataset.labelHide : root.dataset.labelShow;
    });
  }

  function show(payload) {
    payload.charts.forEach(function (chart) {
      var figure = root.querySelector('[data-chart="' + chart.id + '"]');
      if (!figure) return;
      figure.querySelector("[data-role=description]").textContent = chart.description;
      var note = figure.querySelector("[data-role=note]");
      note.textContent = chart.note || "";
      note.hidden = !chart.note;
      var status = figure.querySelector("[data-role=loading]");
      table(figure, chart);
      lines(figure, chart);
      wireToggle(figure);
      if (chart.empty) {
        status.textContent = root.dataset.labelEmpty;
        var box = figure.querySelector(".chart-canvas");
        if (box) box.hidden = true;
        return;
      }
      status.hidden = true;
      draw(figure, chart);
    });
    root.dataset.loaded = "true";
  }

  // A report's print view carries its data inline (it is printed from a file, with no server).
  var inline = document.getElementById("dashboard-payload");
  if (inline) { show(JSON.parse(inline.textContent)); return; }

  fetch(root.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(show)
    .catch(function () {
      root.querySelectorAll("[data-role=loading]").forEach(function (status) { status.textContent = root.dataset.labelError; });
      root.dataset.loaded = "error";
    });
})();
