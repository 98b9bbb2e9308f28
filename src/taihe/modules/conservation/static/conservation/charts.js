// Environmental time-series charts for the conservation screens, drawn with the vendored uPlot
// (vendor/uPlot-1.6.32.iife.min.js, loaded before this file; never a CDN: museum intranets are
// often offline). Every text a person reads comes from data-* attributes, translated on the
// server. Times are drawn in the museum's zone (data-time-zone), whatever the browser's zone is.
(function () {
  "use strict";

  // Colours stay distinguishable for the common colour-vision deficiencies: temperature warm,
  // humidity blue, dew point teal, light amber, the rest far from those in hue and lightness.
  var COLOURS = {
    temperature: "#c0392b",
    relative_humidity: "#1f5fbf",
    dew_point: "#12806f",
    illuminance: "#b7791f",
    uv: "#7b3fa0",
    co2: "#55672a",
    voc: "#8a5a44"
  };
  var FALLBACK_COLOUR = "#4a4f57";
  var DECIMALS = {
    temperature: 1, relative_humidity: 1, dew_point: 1,
    illuminance: 0, uv: 0, co2: 0, voc: 0
  };
  // Physically never below zero, so the y axis must not invent room under zero.
  var NON_NEGATIVE = { relative_humidity: true, illuminance: true, uv: true, co2: true, voc: true };
  var INK_SOFT = "#4a4f57";
  var GRID = "#ebe7dd";
  var BAND_FILL = "rgba(47, 93, 80, 0.10)";
  var BAND_LINE = "rgba(47, 93, 80, 0.9)";
  var EXCURSION_FILL = "rgba(161, 29, 29, 0.14)";
  var OUT_OF_BAND = "#a11d1d";
  var DEFAULT_HEIGHT = 200;
  // One width for every y axis of a group, so the stacked plots line up in time.
  var Y_AXIS_SIZE = 64;
  var MIN_ZOOM_SECONDS = 60;
  var MIN_POINTS = 32;
  var MAX_POINTS = 4000;
  // A range counts as live when it ended at most this long before it was loaded: the page is
  // rendered with end = now, and the browser asks for it a moment later.
  var LIVE_SLACK_SECONDS = 300;

  var groups = [];
  var groupCount = 0;

  function text(element, name, fallback) {
    var value = element.getAttribute(name);
    return value === null || value === "" ? fallback : value;
  }

  function numberOrNull(value) {
    if (value === null || value === undefined || value === "") { return null; }
    var number = Number(value);
    return isFinite(number) ? number : null;
  }

  function epochSeconds(iso, fallback) {
    var parsed = iso ? Date.parse(iso) : NaN;
    return isFinite(parsed) ? parsed / 1000 : fallback;
  }

  function isoSeconds(seconds) {
    return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function colourFor(quantity) { return COLOURS[quantity] || FALLBACK_COLOUR; }

  function translucent(hex, alpha) {
    var value = parseInt(hex.slice(1), 16);
    return "rgba(" + (value >> 16 & 255) + ", " + (value >> 8 & 255) + ", " + (value & 255) +
      ", " + alpha + ")";
  }

  function formatValue(value, quantity, unit) {
    if (value === null || value === undefined || !isFinite(value)) { return "–"; }
    var decimals = DECIMALS.hasOwnProperty(quantity) ? DECIMALS[quantity] : 2;
    return value.toFixed(decimals) + (unit ? " " + unit : "");
  }

  function withQuery(url, params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(params[key]));
    });
    return url + (url.indexOf("?") === -1 ? "?" : "&") + parts.join("&");
  }

  function numberArray(values, length) {
    if (!Array.isArray(values) || values.length !== length) { return null; }
    return values.map(numberOrNull);
  }

  // The server's answer, checked: arrays of one length, numbers or null, sorted times.
  function normalise(payload, quantity) {
    if (!payload || !Array.isArray(payload.t)) { throw new Error("series without times"); }
    var length = payload.t.length;
    var times = payload.t.map(Number);
    var mean = numberArray(payload.mean, length);
    if (mean === null) { throw new Error("series without means"); }
    for (var i = 0; i < length; i++) {
      if (!isFinite(times[i]) || (i > 0 && times[i] <= times[i - 1])) {
        throw new Error("series times are not increasing");
      }
    }
    var band = payload.band || {};
    return {
      quantity: payload.quantity || quantity,
      unit: payload.unit || "",
      label: payload.label || quantity,
      resolution: payload.resolution || "raw",
      t: times,
      mean: mean,
      min: numberArray(payload.min, length) || mean.slice(),
      max: numberArray(payload.max, length) || mean.slice(),
      band: { low: numberOrNull(band.low), high: numberOrNull(band.high) },
      excursions: (Array.isArray(payload.excursions) ? payload.excursions : [])
        .filter(function (span) { return Array.isArray(span) && span.length === 2; })
        .map(function (span) { return [Number(span[0]), Number(span[1])]; })
    };
  }

  function hasValues(series) {
    return series.mean.some(function (value) { return value !== null; });
  }

  // Axis labels in the museum's zone, 24-hour clock; the date is repeated when the day changes.
  function timeAxisValues(zoned) {
    var day = uPlot.fmtDate("{YYYY}-{MM}-{DD}");
    var monthDay = uPlot.fmtDate("{MM}-{DD}");
    var month = uPlot.fmtDate("{YYYY}-{MM}");
    var clock = uPlot.fmtDate("{HH}:{mm}");
    return function (u, splits, axisIndex, space, increment) {
      var previous = null;
      return splits.map(function (split) {
        if (split === null || split === undefined) { return ""; }
        var date = zoned(split);
        var today = day(date);
        var label;
        if (increment >= 28 * 86400) {
          label = month(date);
        } else if (increment >= 86400) {
          label = previous === null || previous.slice(0, 4) !== today.slice(0, 4) ?
            today : monthDay(date);
        } else {
          label = previous === null || previous !== today ?
            clock(date) + "\n" + monthDay(date) : clock(date);
        }
        previous = today;
        return label;
      });
    };
  }

  function yRange(quantity, band, dataMin, dataMax) {
    var low = dataMin;
    var high = dataMax;
    [band.low, band.high].forEach(function (limit) {
      if (limit === null) { return; }
      low = low === null || low === undefined || !isFinite(low) ? limit : Math.min(low, limit);
      high = high === null || high === undefined || !isFinite(high) ? limit : Math.max(high, limit);
    });
    if (low === null || low === undefined || !isFinite(low)) { return [0, 1]; }
    var pad = (high - low) * 0.08 || Math.abs(high) * 0.05 || 1;
    var bottom = low - pad;
    if (NON_NEGATIVE[quantity] && low >= 0 && bottom < 0) { bottom = 0; }
    return [bottom, high + pad];
  }

  // The specification band and the excursions, painted under the series (drawAxes runs
  // after the grid and before the lines).
  function drawContext(u, series) {
    var ctx = u.ctx;
    var box = u.bbox;
    var ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top, box.width, box.height);
    ctx.clip();
    ctx.fillStyle = EXCURSION_FILL;
    series.excursions.forEach(function (span) {
      var left = u.valToPos(span[0], "x", true);
      var right = u.valToPos(span[1], "x", true);
      if (right < box.left || left > box.left + box.width) { return; }
      ctx.fillRect(left, box.top, Math.max(right - left, 2 * ratio), box.height);
    });
    var low = series.band.low;
    var high = series.band.high;
    var lowY = low === null ? null : u.valToPos(low, "y", true);
    var highY = high === null ? null : u.valToPos(high, "y", true);
    if (lowY !== null && highY !== null) {
      ctx.fillStyle = BAND_FILL;
      ctx.fillRect(box.left, highY, box.width, lowY - highY);
    }
    ctx.strokeStyle = BAND_LINE;
    ctx.lineWidth = ratio;
    ctx.setLineDash([6 * ratio, 4 * ratio]);
    [lowY, highY].forEach(function (y) {
      if (y === null) { return; }
      ctx.beginPath();
      ctx.moveTo(box.left, Math.round(y) + 0.5);
      ctx.lineTo(box.left + box.width, Math.round(y) + 0.5);
      ctx.stroke();
    });
    ctx.restore();
  }

  function Panel(group, quantity) {
    this.group = group;
    this.quantity = quantity;
    this.series = null;
    this.plot = null;
    this.root = document.createElement("div");
    this.root.className = "taihe-chart__panel";
    this.root.setAttribute("data-quantity", quantity);
    this.stage = document.createElement("div");
    this.stage.className = "taihe-chart__stage";
    this.stage.style.minHeight = group.height + "px";
    this.host = document.createElement("div");
    this.host.className = "taihe-chart__plot";
    this.host.setAttribute("role", "img");
    this.host.setAttribute("aria-label", group.label ? group.label + ": " + quantity : quantity);
    this.message = document.createElement("p");
    this.message.className = "taihe-chart__message";
    this.message.setAttribute("aria-live", "polite");
    this.message.hidden = true;
    this.legend = document.createElement("div");
    this.legend.className = "taihe-chart__legend";
    this.key = document.createElement("div");
    this.key.className = "taihe-chart__key";
    this.stage.appendChild(this.host);
    this.stage.appendChild(this.message);
    this.root.appendChild(this.stage);
    this.root.appendChild(this.legend);
    this.root.appendChild(this.key);
  }

  Panel.prototype.width = function () {
    return Math.max(Math.round(this.host.clientWidth || this.group.element.clientWidth || 600),
                    Y_AXIS_SIZE + MIN_POINTS);
  };

  Panel.prototype.say = function (message, state) {
    this.root.classList.remove("is-loading", "is-error", "is-empty");
    if (state) { this.root.classList.add(state); }
    this.message.textContent = message || "";
    this.message.hidden = !message;
    this.message.setAttribute("role", state === "is-error" ? "alert" : "status");
  };

  Panel.prototype.fetch = function (sequence) {
    var panel = this;
    var group = this.group;
    var points = Math.min(Math.max(this.width(), MIN_POINTS), MAX_POINTS);
    var url = withQuery(group.url, {
      quantity: this.quantity,
      start: isoSeconds(group.range.start),
      end: isoSeconds(group.range.end),
      points: points
    });
    this.root.setAttribute("aria-busy", "true");
    this.say(group.texts.loading, "is-loading");
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (payload) {
        if (sequence !== group.sequence) { return; }
        panel.show(normalise(payload, panel.quantity));
      })
      .catch(function (error) {
        if (sequence !== group.sequence) { return; }
        panel.fail(error);
      });
  };

  Panel.prototype.show = function (series) {
    this.series = series;
    this.root.removeAttribute("aria-busy");
    this.host.setAttribute("aria-label", (this.group.label ? this.group.label + ": " : "") +
      series.label + (series.unit ? " (" + series.unit + ")" : ""));
    if (!hasValues(series)) {
      this.destroy();
      this.drawKey();
      this.say(this.group.texts.empty, "is-empty");
      return;
    }
    this.say("", null);
    this.render();
  };

  Panel.prototype.fail = function (error) {
    this.series = null;
    this.root.removeAttribute("aria-busy");
    this.destroy();
    this.key.textContent = "";
    this.say(this.group.texts.error, "is-error");
    if (window.console && error) { window.console.warn("taihe charts:", error); }
  };

  Panel.prototype.destroy = function () {
    if (this.plot) {
      this.plot.destroy();
      this.plot = null;
    }
  };

  Panel.prototype.data = function () {
    var series = this.series;
    return series.resolution === "raw" ? [series.t, series.mean] :
      [series.t, series.mean, series.min, series.max];
  };

  Panel.prototype.options = function () {
    var panel = this;
    var group = this.group;
    var series = this.series;
    var quantity = series.quantity;
    var colour = colourFor(quantity);
    var value = function (u, v) { return formatValue(v, quantity, series.unit); };
    var zoned = function (seconds) {
      return uPlot.tzDate(new Date(seconds * 1000), group.timeZone);
    };
    var lines = [
      { label: group.texts.time, value: "{YYYY}-{MM}-{DD} {HH}:{mm}" },
      { label: series.label, stroke: colour, width: 2, value: value }
    ];
    var bands = [];
    if (series.resolution !== "raw") {
      lines.push({ label: group.texts.min, stroke: translucent(colour, 0.45), width: 1,
                   value: value, points: { show: false } });
      lines.push({ label: group.texts.max, stroke: translucent(colour, 0.45), width: 1,
                   value: value, points: { show: false } });
      bands.push({ series: [3, 2], fill: translucent(colour, 0.16) });
    }
    return {
      width: this.width(),
      height: group.height,
      tzDate: zoned,
      series: lines,
      bands: bands,
      cursor: {
        sync: { key: group.syncKey, setSeries: false },
        drag: { x: true, y: false, setScale: false }
      },
      legend: {
        live: true,
        mount: function (u, table) { panel.legend.appendChild(table); }
      },
      scales: {
        x: { time: true, range: function () { return [group.range.start, group.range.end]; } },
        y: { range: function (u, low, high) { return yRange(quantity, series.band, low, high); } }
      },
      axes: [
        { stroke: INK_SOFT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 },
          values: timeAxisValues(zoned) },
        { stroke: INK_SOFT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 },
          size: Y_AXIS_SIZE,
          label: series.label + (series.unit ? " (" + series.unit + ")" : ""),
          values: function (u, splits) {
            return splits.map(function (split) {
              return split === null ? "" : String(Number(split.toPrecision(6)));
            });
          } }
      ],
      hooks: {
        drawAxes: [function (u) { drawContext(u, series); }],
        setSelect: [function (u) { panel.selected(u); }]
      }
    };
  };

  Panel.prototype.render = function () {
    var group = this.group;
    this.destroy();
    this.plot = new uPlot(this.options(), this.data(), this.host);
    this.plot.over.addEventListener("dblclick", function () { group.reset(); });
    this.drawKey();
  };

  Panel.prototype.drawKey = function () {
    var series = this.series;
    var group = this.group;
    this.key.textContent = "";
    var low = series.band.low;
    var high = series.band.high;
    if (low !== null || high !== null) {
      var limits = low !== null && high !== null ?
        formatValue(low, series.quantity, "") + "–" + formatValue(high, series.quantity, series.unit) :
        (low !== null ? "≥ " + formatValue(low, series.quantity, series.unit) :
          "≤ " + formatValue(high, series.quantity, series.unit));
      this.key.appendChild(keyItem("taihe-chart__swatch--band", group.texts.band + ": " + limits));
    }
    if (series.excursions.length) {
      this.key.appendChild(keyItem("taihe-chart__swatch--excursion", group.texts.excursion));
    }
  };

  function keyItem(swatchClass, label) {
    var item = document.createElement("span");
    item.className = "taihe-chart__key-item";
    var swatch = document.createElement("span");
    swatch.className = "taihe-chart__swatch " + swatchClass;
    swatch.setAttribute("aria-hidden", "true");
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(label));
    return item;
  }

  Panel.prototype.clearSelection = function () {
    if (this.plot) { this.plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false); }
  };

  Panel.prototype.selected = function (u) {
    // uPlot repeats a drag in every synced chart; only the chart the person dragged in
    // has a real mouse event, and one zoom is enough.
    if (!u.cursor.event) {
      this.clearSelection();
      return;
    }
    var select = u.select;
    if (select.width < 3) { return; }
    var start = u.posToVal(select.left, "x");
    var end = u.posToVal(select.left + select.width, "x");
    this.group.zoom(start, end);
  };

  // Appends one live reading; gaps longer than three usual steps stay gaps.
  Panel.prototype.append = function (time, value) {
    var series = this.series;
    var times = series.t;
    var last = times.length ? times[times.length - 1] : null;
    if (last !== null && time <= last) { return false; }
    if (last !== null && times.length > 1) {
      var steps = [];
      for (var i = Math.max(1, times.length - 10); i < times.length; i++) {
        steps.push(times[i] - times[i - 1]);
      }
      steps.sort(function (a, b) { return a - b; });
      var usual = steps[Math.floor(steps.length / 2)];
      if (time - last > 3 * usual) { this.push(last + usual, null); }
    }
    this.push(time, value);
    var start = this.group.range.start;
    while (series.t.length > 1 && series.t[0] < start && series.t[1] <= start) {
      series.t.shift();
      series.mean.shift();
      series.min.shift();
      series.max.shift();
    }
    return true;
  };

  Panel.prototype.push = function (time, value) {
    this.series.t.push(time);
    this.series.mean.push(value);
    this.series.min.push(value);
    this.series.max.push(value);
  };

  function ChartGroup(element) {
    var group = this;
    var now = Date.now() / 1000;
    this.element = element;
    this.url = element.getAttribute("data-series-url") || "";
    this.quantities = (element.getAttribute("data-quantities") || "").split(",")
      .map(function (quantity) { return quantity.trim(); })
      .filter(function (quantity) { return quantity; });
    this.timeZone = text(element, "data-time-zone", "UTC");
    this.label = text(element, "data-label", "");
    this.height = numberOrNull(element.getAttribute("data-height")) || DEFAULT_HEIGHT;
    this.texts = {
      error: text(element, "data-error-text", "The readings could not be loaded."),
      empty: text(element, "data-empty-text", "No readings in this period."),
      reset: text(element, "data-reset-text", "Reset zoom"),
      loading: text(element, "data-loading-text", "Loading…"),
      time: text(element, "data-time-text", "Time"),
      min: text(element, "data-min-text", "Min"),
      max: text(element, "data-max-text", "Max"),
      band: text(element, "data-band-text", "Specification"),
      excursion: text(element, "data-excursion-text", "Outside specification")
    };
    var end = epochSeconds(element.getAttribute("data-end"), now);
    var start = epochSeconds(element.getAttribute("data-start"), end - 7 * 86400);
    this.initial = { start: start, end: end };
    this.range = { start: start, end: end };
    this.sequence = 0;
    this.live = false;
    this.syncKey = "taihe-chart-" + (++groupCount);

    element.textContent = "";
    element.classList.add("taihe-chart");
    if (this.label) {
      element.setAttribute("role", "group");
      element.setAttribute("aria-label", this.label);
    }
    if (!element.hasAttribute("tabindex")) { element.setAttribute("tabindex", "-1"); }
    var toolbar = document.createElement("div");
    toolbar.className = "taihe-chart__toolbar";
    this.resetButton = document.createElement("button");
    this.resetButton.type = "button";
    this.resetButton.className = "taihe-chart__reset";
    this.resetButton.textContent = this.texts.reset;
    this.resetButton.hidden = true;
    this.resetButton.addEventListener("click", function () {
      group.reset();
      element.focus();
    });
    toolbar.appendChild(this.resetButton);
    element.appendChild(toolbar);
    this.panels = this.quantities.map(function (quantity) {
      var panel = new Panel(group, quantity);
      element.appendChild(panel.root);
      return panel;
    });
  }

  ChartGroup.prototype.zoomed = function () {
    return this.range.start !== this.initial.start || this.range.end !== this.initial.end;
  };

  ChartGroup.prototype.load = function () {
    var sequence = ++this.sequence;
    this.live = this.range.end >= Date.now() / 1000 - LIVE_SLACK_SECONDS;
    this.resetButton.hidden = !this.zoomed();
    this.panels.forEach(function (panel) { panel.fetch(sequence); });
  };

  ChartGroup.prototype.zoom = function (start, end) {
    start = Math.floor(start);
    end = Math.ceil(end);
    if (end - start < MIN_ZOOM_SECONDS) {
      start = Math.floor((start + end - MIN_ZOOM_SECONDS) / 2);
      end = start + MIN_ZOOM_SECONDS;
    }
    this.range = { start: start, end: end };
    this.redraw();
    this.load();
  };

  ChartGroup.prototype.reset = function () {
    if (!this.zoomed()) { return; }
    this.range = { start: this.initial.start, end: this.initial.end };
    this.redraw();
    this.load();
  };

  // Shows the new range at once with the data already here, while the finer data loads.
  ChartGroup.prototype.redraw = function () {
    var range = this.range;
    this.panels.forEach(function (panel) {
      if (!panel.plot) { return; }
      panel.clearSelection();
      panel.plot.setScale("x", { min: range.start, max: range.end });
    });
  };

  ChartGroup.prototype.resize = function () {
    var height = this.height;
    this.panels.forEach(function (panel) {
      if (panel.plot) { panel.plot.setSize({ width: panel.width(), height: height }); }
    });
  };

  ChartGroup.prototype.destroy = function () {
    this.sequence++;
    this.panels.forEach(function (panel) { panel.destroy(); });
  };

  ChartGroup.prototype.append = function (quantity, time, value) {
    if (!this.live || time < this.range.start) { return false; }
    var panel = null;
    this.panels.forEach(function (candidate) {
      if (candidate.quantity === quantity) { panel = candidate; }
    });
    if (!panel || !panel.series) { return false; }
    if (time > this.range.end) {
      // A zoomed view stays where the person put it; only the whole range follows now.
      if (this.zoomed()) { return false; }
      // Slide the window: a dashboard showing "the last 24 hours" keeps showing 24 hours.
      var shift = time - this.range.end;
      this.range = { start: this.range.start + shift, end: time };
      this.initial = { start: this.range.start, end: this.range.end };
    }
    if (!panel.append(time, value)) { return false; }
    if (panel.plot) {
      panel.plot.setData(panel.data());
    } else {
      panel.show(panel.series);
    }
    var range = this.range;
    this.panels.forEach(function (other) {
      if (other !== panel && other.plot) { other.plot.setScale("x", { min: range.start, max: range.end }); }
    });
    return true;
  };

  function prune() {
    groups = groups.filter(function (group) {
      if (group.element.isConnected) { return true; }
      group.destroy();
      group.element._taiheChart = null;
      return false;
    });
  }

  function mount(element) {
    if (!element || element._taiheChart) { return element ? element._taiheChart : null; }
    prune();
    var group = new ChartGroup(element);
    element._taiheChart = group;
    groups.push(group);
    group.load();
    return group;
  }

  function live(element, point) {
    var root = element && element.closest ? element.closest("[data-taihe-chart]") || element : element;
    var group = root && root._taiheChart;
    if (!group || !point) { return false; }
    var quantity = point.quantity ||
      (group.quantities.length === 1 ? group.quantities[0] : null);
    var time = Number(point.time);
    if (!quantity || !isFinite(time)) { return false; }
    return group.append(quantity, time, numberOrNull(point.value));
  }

  function svg(name, attributes) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", name);
    Object.keys(attributes).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    return node;
  }

  function sparkline(element) {
    var values;
    try {
      values = JSON.parse(element.getAttribute("data-values") || "[]");
    } catch (error) {
      return;
    }
    if (!Array.isArray(values)) { return; }
    values = values.map(numberOrNull);
    var low = numberOrNull(element.getAttribute("data-low"));
    var high = numberOrNull(element.getAttribute("data-high"));
    var width = numberOrNull(element.getAttribute("data-width")) || 120;
    var height = numberOrNull(element.getAttribute("data-height")) || 28;
    var pad = 3;
    var present = values.filter(function (value) { return value !== null; });
    var min = present.length ? Math.min.apply(null, present) : 0;
    var max = present.length ? Math.max.apply(null, present) : 1;
    var count = values.length;
    var x = function (i) {
      return count === 1 ? width / 2 : pad + i * (width - 2 * pad) / (count - 1);
    };
    var y = function (value) {
      if (max === min) { return height / 2; }
      return height - pad - (value - min) * (height - 2 * pad) / (max - min);
    };
    var clampY = function (value) { return Math.min(Math.max(y(value), 0), height); };
    var round = function (number) { return Math.round(number * 100) / 100; };
    var outside = function (value) {
      return (low !== null && value < low) || (high !== null && value > high);
    };
    var drawing = svg("svg", {
      "class": "taihe-sparkline__svg", width: width, height: height,
      viewBox: "0 0 " + width + " " + height, focusable: "false"
    });
    var label = element.getAttribute("data-label");
    if (label) {
      drawing.setAttribute("role", "img");
      drawing.setAttribute("aria-label", label);
    } else {
      drawing.setAttribute("aria-hidden", "true");
    }
    if (low !== null && high !== null && present.length && max !== min) {
      var top = clampY(high);
      var bottom = clampY(low);
      if (bottom > top) {
        drawing.appendChild(svg("rect", {
          "class": "taihe-sparkline__band", x: 0, y: round(top), width: width,
          height: round(bottom - top)
        }));
      }
    }
    var path = "";
    var pen = "M";
    values.forEach(function (value, i) {
      if (value === null) { pen = "M"; return; }
      path += pen + round(x(i)) + " " + round(y(value)) + " ";
      pen = "L";
    });
    if (path) {
      drawing.appendChild(svg("path", { "class": "taihe-sparkline__line", d: path.trim() }));
    }
    values.forEach(function (value, i) {
      if (value === null) { return; }
      var out = outside(value);
      drawing.appendChild(svg("circle", {
        "class": out ? "taihe-sparkline__point is-out" : "taihe-sparkline__point",
        cx: round(x(i)), cy: round(y(value)), r: out ? 2.2 : 1.1,
        fill: out ? OUT_OF_BAND : "currentColor"
      }));
    });
    element.textContent = "";
    element.appendChild(drawing);
  }

  function scan(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var each = function (selector, draw) {
      if (scope.matches && scope.matches(selector)) { draw(scope); }
      Array.prototype.forEach.call(scope.querySelectorAll(selector), draw);
    };
    if (typeof uPlot !== "undefined") { each("[data-taihe-chart]", mount); }
    each("[data-sparkline]", sparkline);
  }

  var resizeQueued = false;
  window.addEventListener("resize", function () {
    if (resizeQueued) { return; }
    resizeQueued = true;
    window.requestAnimationFrame(function () {
      resizeQueued = false;
      prune();
      groups.forEach(function (group) { group.resize(); });
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    // The whole document: mounting skips charts already mounted, and an outerHTML swap
    // leaves event.target detached.
    prune();
    scan(document);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }

  window.TaiheCharts = { mount: mount, sparkline: sparkline, live: live, scan: scan };
})();
