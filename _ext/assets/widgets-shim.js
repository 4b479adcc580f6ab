/* Companion book: lets @jupyter-widgets/html-manager 1.x run offline on top of MathJax 3.
 * Loaded (by _ext/companion_book.py) before RequireJS and the manager, on pages with widgets.
 *
 * 1. The manager typesets widget text with the MathJax 2 call
 *    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); Sphinx loads MathJax 3, which has
 *    no Hub. Whatever window.MathJax is (the configuration object before MathJax loads,
 *    MathJax itself after), it gets a hidden Hub whose Queue typesets with MathJax 3 once
 *    MathJax has started.
 * 2. The manager's bundle fetches its icon fonts from the folder of the URL RequireJS gives
 *    its module "@jupyter-widgets/html-manager/dist/libembed-amd": relative to the page
 *    (chapters/@jupyter-widgets/...: 404) unless RequireJS is told where that module lives.
 *    A global `require` object defined before require.js loads is RequireJS's configuration.
 */
(function () {
  "use strict";
  var here = document.currentScript ? document.currentScript.src.split(/[?#]/)[0] : "";
  var manager = here.replace(/companion\/[^/]*$/, "vendor/html-manager");
  if (typeof window.require === "undefined") {
    window.require = { paths: { "@jupyter-widgets/html-manager/dist": manager } };
  }

  function typeset(element) {
    var started = Date.now();
    (function attempt() {
      var mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
        mj.startup.promise
          .then(function () { return mj.typesetPromise(element ? [element] : undefined); })
          .catch(function (err) { console.warn("[companion] MathJax could not typeset a widget", err); });
      } else if (Date.now() - started < 30000) {
        setTimeout(attempt, 50);
      }
    })();
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") typeset(job[2]);
        else if (typeof job === "function") job();
      }
    }
  };

  function bridge(mj) {
    if (mj && typeof mj === "object" && !Object.prototype.hasOwnProperty.call(mj, "Hub")) {
      // not enumerable: MathJax 3 copies the configuration object's own enumerable keys
      Object.defineProperty(mj, "Hub", { value: hub, configurable: true, writable: true });
    }
    return mj;
  }

  var current = bridge(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) { current = bridge(value); }
  });
})();
