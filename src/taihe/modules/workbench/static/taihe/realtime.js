// Live unread badge. Opens /ws/, subscribes to notifications.user.<id> and shows the count it
// is sent. Realtime is only a hint: on every (re)connect the count is fetched over HTTP, so
// nothing missed while disconnected stays wrong.
(function () {
  "use strict";
  var body = document.body;
  var userId = body && body.getAttribute("data-user-id");
  if (!userId || !("WebSocket" in window)) { return; }
  var topic = "notifications.user." + userId;
  var unreadUrl = body.getAttribute("data-unread-url");
  var delay = 1000;
  var maxDelay = 30000;

  function show(count) {
    var n = Number(count) || 0;
    document.querySelectorAll("[data-unread-badge]").forEach(function (badge) {
      badge.textContent = n > 99 ? "99+" : String(n);
      badge.hidden = n === 0;
    });
    document.querySelectorAll("[data-unread-text]").forEach(function (text) {
      text.textContent = String(n);
    });
  }

  function refetch() {
    if (!unreadUrl || !window.fetch) { return; }
    fetch(unreadUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && typeof data.unread === "number") { show(data.unread); } })
      .catch(function () { /* offline: the next reconnect fetches again */ });
  }

  function connect() {
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
      } else if (message.type === "message" && message.topic === topic && message.data) {
        show(message.data.unread);
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
