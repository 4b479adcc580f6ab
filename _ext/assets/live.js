/* The live view of an explorer (_ext/live_view.py): one click runs the section's explorer with
 * every control live, in Python in the reader's browser (JupyterLite's REPL app, Pyodide).
 *
 * The button inserts an iframe on the site's own REPL, which installs `companion` from the
 * site and runs the explorer cell of the page. The status line says what is happening; it is
 * also what the browser tests wait for (data-state: loading, ready, error, unavailable). */
(function () {
  "use strict";
  var READY = ".jp-OutputArea-output .widget-image, .jp-OutputArea-output img";
  var ERROR = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']";
  var TIMEOUT_S = 180;

  function root() {
    return document.documentElement.dataset.content_root || "./";
  }

  function replUrl(box) {
    var params = new URLSearchParams();
    params.set("kernel", "python");
    JSON.parse(box.dataset.code).forEach(function (code) { params.append("code", code); });
    return root() + "lite/repl/index.html?" + params.toString();
  }

  function notebookUrl(name) {
    return root() + "lite/notebooks/index.html?path=" + encodeURIComponent(name);
  }

  function setState(box, state, text) {
    box.dataset.state = state;
    box.querySelector(".companion-live-status").textContent = text;
  }

  function servedFromFolder(box) {
    if (location.protocol !== "file:") return false;
    setState(box, "unavailable",
      "The live view needs the book served by a web server (browsers do not run it from a folder " +
      "opened as a file). From the book's folder run: python -m http.server --directory _build/html " +
      "and open http://127.0.0.1:8000.");
    return true;
  }

  function watch(box, frame) {
    var started = Date.now();
    var timer = setInterval(function () {
      var doc;
      try { doc = frame.contentDocument; } catch (e) { doc = null; }
      var seconds = Math.round((Date.now() - started) / 1000);
      if (doc) {
        var height = doc.documentElement ? doc.documentElement.scrollHeight : 0;
        var content = doc.querySelector(".jp-CodeConsole-content");
        if (content) height = Math.max(content.scrollHeight + 120, 400);
        frame.style.height = Math.min(Math.max(height, 400), 2400) + "px";
        var error = doc.querySelector(ERROR);
        if (error && /Error|Traceback/.test(error.textContent)) {
          clearInterval(timer);
          setState(box, "error", "The live explorer failed to start: " + error.textContent.slice(-300));
          return;
        }
        if (doc.querySelector(READY)) {
          if (box.dataset.state !== "ready") {
            box.dataset.seconds = String((Date.now() - started) / 1000);
            setState(box, "ready", "Live: every control below runs Python in your browser (started in " +
              seconds + " s). It replaces the pre-rendered explorer above.");
            var cell = box.previousElementSibling, output = cell && cell.querySelector(".cell_output");
            if (output) output.hidden = true;
            // the console scrolled to its end while the frame was small: show the explorer's top
            [0, 1000].forEach(function (ms) {
              setTimeout(function () { if (content) content.scrollTop = 0; }, ms);
            });
          }
          return;  // keep resizing while the reader works
        }
      }
      if (seconds > TIMEOUT_S) {
        clearInterval(timer);
        setState(box, "error", "The live explorer did not start within " + TIMEOUT_S + " s. Reload the " +
          "page to try again; the explorer above still works with its slider.");
        return;
      }
      if (box.dataset.state === "loading") {
        setState(box, "loading", "Starting Python in your browser… " + seconds + " s (15-30 s the first time).");
      }
    }, 500);
  }

  // The REPL shows the cells it ran on open; the reader wants the explorer, not its code (the
  // console's own hideCodeInput setting does not apply to the cells given in the URL).
  function hideCode(frame) {
    try {
      var doc = frame.contentDocument, style = doc.createElement("style");
      style.textContent = ".jp-CodeConsole-content .jp-Cell .jp-Cell-inputWrapper { display: none; }";
      doc.head.appendChild(style);
    } catch (e) { /* another origin: the code stays visible, nothing else changes */ }
  }

  function start(box, button) {
    if (servedFromFolder(box)) return;
    if (box.querySelector("iframe")) return;
    var frame = document.createElement("iframe");
    frame.className = "companion-live-frame";
    frame.title = "Live explorer: " + box.dataset.explorer + " running in your browser";
    frame.src = replUrl(box);
    frame.addEventListener("load", function () { hideCode(frame); });
    box.appendChild(frame);
    button.disabled = true;
    button.textContent = "Running live below";
    setState(box, "loading", "Starting Python in your browser… (15-30 s the first time).");
    watch(box, frame);
  }

  function init() {
    document.querySelectorAll(".companion-live").forEach(function (box) {
      var button = box.querySelector(".companion-live-button");
      button.addEventListener("click", function () { start(box, button); });
      var link = box.querySelector(".companion-live-notebook");
      link.href = notebookUrl(box.dataset.notebook);
      link.target = "_blank";
      link.rel = "noopener";
      link.addEventListener("click", function (event) {
        if (servedFromFolder(box)) event.preventDefault();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
