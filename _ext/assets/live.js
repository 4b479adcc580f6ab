/* The live view of an explorer (_ext/live_view.py): one click runs the section's explorer with
 * every control live, in Python in the reader's browser (JupyterLite's REPL app, Pyodide).
 *
 * The button inserts an iframe on the site's own REPL, which installs `companion` from the
 * site and runs the explorer cell of the page. The status line says what is happening; it is
 * also what the browser tests wait for (data-state: loading, ready, error, unavailable). */
(function () {
  "use strict";
  var READY = ".jp-OutputArea-output .widget-image, .jp-OutputArea-output img";
  var ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']";
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

  // The status line is a polite live region: it is announced when its text changes, so the
  // running seconds go in a separate span that screen readers skip.
  function setState(box, state, text) {
    box.dataset.state = state;
    box.querySelector(".companion-live-message").textContent = text;
    box.querySelector(".companion-live-seconds").textContent = "";
  }

  // A failed start can be tried again: the frame goes, the button restarts it.
  function fail(box, text) {
    setState(box, "error", text);
    var button = box.querySelector(".companion-live-button");
    button.textContent = "Try again";
    button.removeAttribute("aria-disabled");
  }

  function servedFromFolder(box) {
    if (location.protocol !== "file:") return false;
    setState(box, "unavailable",
      "The live view needs the book served by a web server (browsers do not run it from a folder " +
      "opened as a file). From the book's folder run: python -m http.server --bind 127.0.0.1 " +
      "--directory _build/html and open http://127.0.0.1:8000.");
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
        if (box.dataset.state === "loading") {  // once it runs, what the reader types is theirs
          var failed = Array.prototype.filter.call(doc.querySelectorAll(ERRORS), function (e) {
            return /Error|Traceback/.test(e.textContent);
          });
          if (failed.length) {
            clearInterval(timer);
            fail(box, "The live explorer failed to start: " + failed[failed.length - 1].textContent.slice(-300));
            return;
          }
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
      if (seconds > TIMEOUT_S && box.dataset.state === "loading") {
        clearInterval(timer);
        fail(box, "The live explorer did not start within " + TIMEOUT_S + " s. The explorer above still " +
          "works with its slider.");
        return;
      }
      if (box.dataset.state === "loading") {
        box.querySelector(".companion-live-seconds").textContent = " " + seconds + " s";
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
    if (button.getAttribute("aria-disabled") === "true") return;  // already running
    var old = box.querySelector("iframe");
    if (old) old.remove();
    var frame = document.createElement("iframe");
    frame.className = "companion-live-frame";
    frame.title = "Live explorer: " + box.dataset.explorer + " running in your browser";
    frame.src = replUrl(box);
    frame.addEventListener("load", function () { hideCode(frame); });
    box.appendChild(frame);
    // not `disabled`: the focus stays on the button (a disabled one drops it to the page)
    button.setAttribute("aria-disabled", "true");
    button.textContent = "Running live below";
    setState(box, "loading", "Starting Python in your browser (15-30 s the first time)…");
    watch(box, frame);
  }

  function init() {
    document.querySelectorAll(".companion-live").forEach(function (box) {
      box.hidden = false;  // without JavaScript the box stays hidden: its button could not work
      var button = box.querySelector(".companion-live-button");
      button.addEventListener("click", function () { start(box, button); });
      var link = box.querySelector(".companion-live-notebook");
      link.addEventListener("click", function (event) {
        if (servedFromFolder(box)) event.preventDefault();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
