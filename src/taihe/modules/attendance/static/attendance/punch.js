/* Clocking in and out from "My attendance", and this browser's device key from "My devices".
 *
 * The punch button asks the browser where it is (high accuracy, 10 s), adds the device key
 * this browser keeps in localStorage when it was registered, and posts both to the punch
 * endpoint with the page's CSRF token. Without a position the punch is still sent: the
 * server may verify it by the museum network or the registered device. The answer (the
 * time and how the punch was verified, or the server's reason for refusing it) is shown
 * under the button, and today's card is fetched again.
 *
 * On "My devices" a newly registered key arrives once in a data attribute; it is kept in
 * localStorage and the attribute removed. Revoking this browser's device forgets the key.
 * Vanilla JS, no dependencies; texts go through Django's JavaScript catalog (/jsi18n/). */
(function () {
  "use strict";

  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (match) {
      return String(values[match.slice(2, -2)]);
    });
  };
  function fmt(text, values) { return interpolate(text, values, true); }

  var KEY = "taihe.attendance.device";
  var ID_KEY = KEY + ".id";
  var LOCATE_TIMEOUT_MS = 10000;
  // Some browsers never answer while their permission prompt is left open.
  var LOCATE_GIVE_UP_MS = 15000;

  function store() {
    try { return window.localStorage; } catch (error) { return null; }
  }
  function stored(name) {
    var found = store();
    try { return found ? found.getItem(name) : null; } catch (error) { return null; }
  }

  // --- My devices ------------------------------------------------------------------------

  var fresh = document.querySelector("[data-device-key]");
  if (fresh) {
    var note = document.querySelector("[data-device-stored]");
    var saved = false;
    try {
      store().setItem(KEY, fresh.getAttribute("data-device-key"));
      store().setItem(ID_KEY, fresh.getAttribute("data-device-id"));
      saved = true;
    } catch (error) { saved = false; }
    fresh.removeAttribute("data-device-key");
    if (note) {
      note.textContent = saved
        ? gettext("This browser keeps its key: your punches from it count as verified.")
        // One literal per message: the catalogue extractor does not join concatenations.
        : gettext("This browser does not let the page keep its key (a private window?), so punches from it cannot be verified as a registered device.");
      note.className = "message " + (saved ? "success" : "error");
      note.hidden = false;
    }
  }
  var mine = stored(ID_KEY);
  document.querySelectorAll("[data-device-id-row]").forEach(function (row) {
    var mark = row.querySelector("[data-this-device]");
    if (mark && mine && row.getAttribute("data-device-id-row") === mine) { mark.hidden = false; }
  });
  document.querySelectorAll("form[data-revoke-device]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (mine && form.getAttribute("data-revoke-device") === mine) {
        try { store().removeItem(KEY); store().removeItem(ID_KEY); } catch (error) { /* gone */ }
      }
    });
  });

  // --- The punch button ------------------------------------------------------------------

  var busy = false;

  function show(text, tone) {
    var box = document.querySelector("[data-punch-result]");
    if (!box) { return; }
    box.textContent = text;
    box.className = "message att-punch-result" + (tone ? " " + tone : "");
    box.hidden = !text;
  }

  function locationProblem(error) {
    if (!error) { return gettext("This browser cannot tell where you are."); }
    if (error.code === 1) { return gettext("Location access is turned off for this site."); }
    if (error.code === 3) { return gettext("Finding your position took too long."); }
    return gettext("Your position is not available.");
  }

  function locate(done) {
    if (!navigator.geolocation) { return done(null, locationProblem(null)); }
    var finished = false;
    function finish(position, problem) {
      if (finished) { return; }
      finished = true;
      done(position, problem);
    }
    window.setTimeout(function () { finish(null, locationProblem({ code: 3 })); },
                      LOCATE_GIVE_UP_MS);
    navigator.geolocation.getCurrentPosition(
      function (position) { finish(position, ""); },
      function (error) { finish(null, locationProblem(error)); },
      { enableHighAccuracy: true, timeout: LOCATE_TIMEOUT_MS, maximumAge: 0 });
  }

  function refusal(status, data) {
    if (!data) {
      return fmt(gettext("The server could not record the punch (error %(status)s). Try again, and tell IT if it keeps happening."),
                 { status: status });
    }
    var parts = [data.detail];
    Object.keys(data.fields || {}).forEach(function (name) {
      if (data.fields[name] !== data.detail) { parts.push(data.fields[name]); }
    });
    return parts.filter(Boolean).join(" ");
  }

  function refreshCard(form) {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var card = page.querySelector("[data-today-card]");
        var here = document.querySelector("[data-today-card]");
        if (card && here) { here.innerHTML = card.innerHTML; }
        var label = page.querySelector("[data-punch-label]");
        var button = form.querySelector("[data-punch-button]");
        if (label && button) { button.textContent = label.textContent; }
      })
      .catch(function () { /* the card catches up on the next visit */ });
  }

  function send(form, position, problem) {
    var body = new FormData(form);
    if (position) {
      body.append("latitude", String(position.coords.latitude));
      body.append("longitude", String(position.coords.longitude));
      body.append("accuracy", String(position.coords.accuracy));
    }
    var key = stored(KEY);
    if (key) { body.append("device_key", key); }
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    show(gettext("Sending your punch…"), "");
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        // Redirected to the sign-in page: the session ended.
        return show(gettext("Your session has ended. Reload the page, sign in and try again."),
                    "error");
      }
      return response.json().then(function (data) {
        if (response.ok) {
          show(data.message || fmt(gettext("Punched at %(time)s (%(how)s)."),
                                   { time: data.time, how: data.verification }), "success");
          refreshCard(form);
        } else {
          var text = refusal(response.status, data);
          if (problem && data && data.code === "unverified") { text += " " + problem; }
          show(text, "error");
        }
      });
    }).catch(function () {
      show(gettext("The punch could not be sent. Check your connection and try again."),
           "error");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-punch-form")) { return; }
    event.preventDefault();
    if (busy || !window.fetch) { return; }
    busy = true;
    var button = form.querySelector("[data-punch-button]");
    if (button) { button.disabled = true; }
    show(gettext("Finding where you are…"), "");
    locate(function (position, problem) {
      send(form, position, problem).then(function () {
        busy = false;
        if (button) { button.disabled = false; }
      });
    });
  });

  // The button only works with this script: enable it now that the script runs.
  if (window.fetch && window.FormData) {
    document.querySelectorAll("[data-punch-button]").forEach(function (button) {
      button.disabled = false;
    });
  }
})();
