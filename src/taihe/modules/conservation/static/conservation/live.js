// Live monitoring for the dashboard and the sensor page. Opens /ws/ (the protocol of
// taihe/realtime.js), subscribes to conservation.live (and conservation.live.restricted when
// the page says the person may know restricted stores) and updates the tiles of the sensors a
// message names: latest values, their age, the status, the charts' live edge.
// Realtime is only a hint: on every (re)connect and after every alert change the page's
// fragment is fetched again over HTMX, so nothing missed while disconnected stays wrong.
// Every text a person reads comes from data-* attributes, translated on the server.
(function () {
  "use strict";
  var root = document.querySelector("[data-conservation-live]");
  if (!root || !("WebSocket" in window)) { return; }

  var topics = ["conservation.live"];
  if (root.getAttribute("data-live-restricted") === "true") {
    topics.push("conservation.live.restricted");
  }
  var refreshUrl = root.getAttribute("data-refresh-url");
  var refreshTarget = root.getAttribute("data-refresh-target");
  var ages = {
    now: root.getAttribute("data-age-now") || "",
    minutes: root.getAttribute("data-age-minutes") || "{n} min",
    hours: root.getAttribute("data-age-hours") || "{n} h",
    days: root.getAttribute("data-age-days") || "{n} d"
  };
  var decimals = parseJson(root.getAttribute("data-decimals"), {});
  var statusLabels = parseJson(root.getAttribute("data-status-labels"), {});
  // A sensor is silent after three logging intervals without a reading (selectors.py).
  var SILENT_INTERVALS = 3;
  // Statuses a reading cannot change: only the server knows when an alert closes.
  var STICKY = { alert: true, warning: true, inactive: true };
  // Magnus coefficients over water (Sonntag 1990), as science/psychrometrics.py uses them.
  var MAGNUS_B = 17.62;
  var MAGNUS_C = 243.12;
  var delay = 1000;
  var maxDelay = 30000;
  var refreshTimer = null;

  function parseJson(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (error) { return fallback; }
  }

  function format(quantity, value) {
    if (value === null || value === undefined || !isFinite(value)) { return "–"; }
    var places = decimals.hasOwnProperty(quantity) ? decimals[quantity] : 2;
    return Number(value).toFixed(places);
  }

  function ageText(seconds) {
    if (seconds < 60) { return ages.now; }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) { return ages.minutes.replace("{n}", String(minutes)); }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return ages.hours.replace("{n}", String(hours)); }
    return ages.days.replace("{n}", String(Math.floor(hours / 24)));
  }

  function sensorElements(sensorId) {
    return document.querySelectorAll('[data-sensor-id="' + String(Number(sensorId)) + '"]');
  }

  function setStatus(element, status) {
    element.setAttribute("data-status", status);
    element.querySelectorAll("[data-status-text]").forEach(function (label) {
      label.setAttribute("data-status", status);
      if (statusLabels[status]) { label.textContent = statusLabels[status]; }
    });
  }

  function latestEpoch(element) {
    var newest = null;
    element.querySelectorAll("[data-age][data-epoch]").forEach(function (age) {
      var epoch = Number(age.getAttribute("data-epoch"));
      if (age.getAttribute("data-epoch") !== "" && isFinite(epoch) &&
          (newest === null || epoch > newest)) { newest = epoch; }
    });
    return newest;
  }

  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-age][data-epoch]").forEach(function (age) {
      var text = age.getAttribute("data-epoch");
      if (text === "" || !isFinite(Number(text))) { return; }
      age.textContent = ageText(Math.max(now - Number(text), 0));
    });
    document.querySelectorAll("[data-sensor-id][data-interval]").forEach(function (element) {
      var status = element.getAttribute("data-status");
      var interval = Number(element.getAttribute("data-interval"));
      var newest = latestEpoch(element);
      if (status === "ok" && newest !== null && isFinite(interval) &&
          now - newest > SILENT_INTERVALS * interval) {
        setStatus(element, "silent");
      }
    });
  }

  function dewPoint(t, rh) {
    if (!isFinite(t) || !isFinite(rh) || rh <= 0) { return null; }
    var gamma = Math.log(Math.min(rh, 100) / 100) + MAGNUS_B * t / (MAGNUS_C + t);
    return MAGNUS_C / (MAGNUS_B / gamma - 1);
  }

  function onReading(data) {
    var values = data.values || {};
    var elements = sensorElements(data.sensor_id);
    elements.forEach(function (element) {
      if (element.hasAttribute("data-taihe-chart")) { return; }
      var seen = false;
      Object.keys(values).forEach(function (quantity) {
        var pair = values[quantity];
        if (!Array.isArray(pair) || pair.length !== 2) { return; }
        element.querySelectorAll('[data-quantity="' + quantity + '"]').forEach(function (row) {
          var age = row.querySelector("[data-age]");
          var known = age ? Number(age.getAttribute("data-epoch") || "-1") : -1;
          if (Number(pair[0]) < known) { return; }  // late data does not replace the newest
          var value = row.querySelector("[data-value]");
          if (value) { value.textContent = format(quantity, Number(pair[1])); }
          if (age) {
            age.setAttribute("data-epoch", String(Number(pair[0])));
            age.textContent = ageText(Math.max(Date.now() / 1000 - Number(pair[0]), 0));
          }
          seen = true;
        });
      });
      var status = element.getAttribute("data-status");
      if (seen && status && !STICKY[status]) { setStatus(element, "ok"); }
    });
    if (!window.TaiheCharts) { return; }
    document.querySelectorAll('[data-taihe-chart][data-sensor-id="' +
        String(Number(data.sensor_id)) + '"]').forEach(function (chart) {
      Object.keys(values).forEach(function (quantity) {
        var pair = values[quantity];
        if (Array.isArray(pair) && pair.length === 2) {
          window.TaiheCharts.live(chart, { quantity: quantity, time: pair[0], value: pair[1] });
        }
      });
      var t = values.temperature;
      var rh = values.relative_humidity;
      if (Array.isArray(t) && Array.isArray(rh) && t[0] === rh[0]) {
        window.TaiheCharts.live(chart, {
          quantity: "dew_point", time: t[0], value: dewPoint(Number(t[1]), Number(rh[1]))
        });
      }
    });
  }

  // Alert changes and reconnects: ask the server for the current truth. Several messages in a
  // burst (a rule firing for a whole room) cause one request.
  function scheduleRefresh() {
    if (refreshTimer !== null) { return; }
    refreshTimer = window.setTimeout(function () {
      refreshTimer = null;
      refresh();
    }, 400);
  }

  function refresh() {
    if (!refreshUrl || !refreshTarget || !document.querySelector(refreshTarget)) { return; }
    if (window.htmx) {
      window.htmx.ajax("GET", refreshUrl, { target: refreshTarget, swap: "outerHTML" })
        .then(tick, function () { /* offline: the next reconnect fetches again */ });
      return;
    }
    if (!window.fetch) { return; }
    fetch(refreshUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var target = document.querySelector(refreshTarget);
        if (html === null || !target) { return; }
        target.outerHTML = html;
        if (window.TaiheCharts) { window.TaiheCharts.scan(document); }
        tick();
      })
      .catch(function () { /* offline: the next reconnect fetches again */ });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    var subscribed = 0;
    try {
      socket = new WebSocket(scheme + window.location.host + "/ws/");
    } catch (error) {
      return retry();
    }
    socket.onopen = function () {
      delay = 1000;
      topics.forEach(function (topic) {
        socket.send(JSON.stringify({ type: "subscribe", topic: topic }));
      });
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "subscribed" && topics.indexOf(message.topic) !== -1) {
        subscribed += 1;
        if (subscribed === topics.length) { scheduleRefresh(); }
      } else if (message.type === "message" && topics.indexOf(message.topic) !== -1 &&
                 message.data && typeof message.data === "object") {
        if (message.data.alert_id !== undefined) {
          scheduleRefresh();
        } else if (message.data.sensor_id !== undefined) {
          onReading(message.data);
        }
      }
    };
    socket.onclose = function (event) {
      if (event.code === 4401) { return; }  // signed out: nothing to listen for
      retry();
    };
    socket.onerror = function () { /* onclose follows and schedules the retry */ };
  }

  function retry() {
    window.setTimeout(connect, delay + Math.floor(Math.random() * 500));
    delay = Math.min(delay * 2, maxDelay);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { scheduleRefresh(); }
  });
  window.setInterval(tick, 30000);
  tick();
  connect();
})();
