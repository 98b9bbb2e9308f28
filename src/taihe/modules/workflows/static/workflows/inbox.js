// Live inbox counts. Opens /ws/ (the protocol of taihe/realtime.js), subscribes to
// workflows.inbox.<my id> and shows the to-do and unread-CC counts it is sent. When they
// change, a line offers to show the latest list (the list itself is never rewritten under
// the reader's finger). Realtime is only a hint: on every (re)connect and when the page
// becomes visible again the counts are fetched over HTTP.
(function () {
  "use strict";
  var root = document.querySelector("[data-wf-inbox]");
  if (!root) { return; }
  var person = root.getAttribute("data-person");
  var countsUrl = root.getAttribute("data-counts-url");
  var topic = "workflows.inbox." + person;
  var shown = { todo: Number(root.getAttribute("data-todo")) || 0,
                cc_unread: Number(root.getAttribute("data-cc")) || 0 };
  var notice = root.querySelector("[data-inbox-changed]");
  var delay = 1000;
  var maxDelay = 30000;

  function show(counts) {
    if (!counts) { return; }
    ["todo", "cc_unread"].forEach(function (name) {
      if (typeof counts[name] !== "number") { return; }
      document.querySelectorAll("[data-inbox-count='" + name + "']").forEach(function (badge) {
        badge.textContent = counts[name] > 99 ? "99+" : String(counts[name]);
        badge.hidden = counts[name] === 0;
      });
      if (counts[name] !== shown[name] && notice) { notice.hidden = false; }
    });
  }

  function refetch() {
    if (!countsUrl || !window.fetch) { return; }
    fetch(countsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () { /* offline: the next reconnect fetches again */ });
  }

  function connect() {
    if (!("WebSocket" in window)) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + "/ws/");
    } catch (error) {
      return retry();
    }
    socket.onopen = function () {
      delay = 1000;
      socket.send(JSON.stringify({ type: "subscribe", topic: topic }));
    };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "subscribed" && message.topic === topic) {
        refetch();
      } else if (message.type === "message" && message.topic === topic && message.data &&
                 message.data.type === "workflows.counts") {
        show(message.data);
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
    if (document.visibilityState === "visible") { refetch(); }
  });
  connect();
})();
