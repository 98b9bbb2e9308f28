/* Scan with the device camera, where the browser can read barcodes itself.
 *
 * Progressive enhancement: the button stays hidden unless the browser has the Shape
 * Detection API's BarcodeDetector (WICG, https://wicg.github.io/shape-detection-api/) with
 * QR or Code 128 support and a camera (getUserMedia). A code read from the camera is put in
 * the scan box and the form is submitted, exactly as a keyboard-wedge scanner would do.
 * No library, no network: everything runs in the browser. Texts come from the page
 * (data-* attributes), so they are translated on the server.
 */
(function () {
  "use strict";
  var FORMATS = ["qr_code", "code_128"];
  var panel = document.getElementById("camera-scan");
  if (!panel || !("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var button = panel.querySelector("[data-camera-start]");
  var video = panel.querySelector("video");
  var status = panel.querySelector("[data-camera-status]");
  var stream = null;
  var detector = null;

  function say(text) { status.textContent = text || ""; }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    button.textContent = panel.dataset.start;
  }

  function submit(code) {
    // The scan form is replaced after each submission (htmx), so look it up each time.
    var input = document.getElementById("id_scanned");
    if (!input || !input.form) { return; }
    input.value = code;
    if (input.form.requestSubmit) { input.form.requestSubmit(); } else { input.form.submit(); }
  }

  function look() {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        var code = codes[0].rawValue.trim();
        stop();
        say(panel.dataset.read.replace("%(code)s", code));
        submit(code);
      } else {
        window.requestAnimationFrame(look);
      }
    }).catch(function () { window.requestAnimationFrame(look); });
  }

  function start() {
    if (stream) { stop(); say(""); return; }
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false})
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        button.textContent = panel.dataset.stop;
        say(panel.dataset.aim);
        return video.play().then(look);
      })
      .catch(function () { stop(); say(panel.dataset.denied); });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (supported) {
    var usable = FORMATS.filter(function (format) { return supported.indexOf(format) >= 0; });
    if (!usable.length) { return; }
    detector = new window.BarcodeDetector({formats: usable});
    panel.hidden = false;
    button.addEventListener("click", start);
  }).catch(function () { /* no detector after all: the page works as before */ });
})();
