/* Companion book: accessible names the page's components do not give themselves.
 * Loaded (by _ext/companion_book.py) on every page; it only adds or completes attributes.
 *
 * 1. Widget sliders (noUiSlider handles, role="slider") get aria-label = the slider's
 *    description, which ipywidgets shows as a separate, unassociated label.
 * 2. Explorer frames (widget images) get alt = their title: companion.widgets.Explorer
 *    puts a text alternative in each frame's tooltip (the manager shows it as title).
 * 3. Controls whose aria-label does not contain their visible text (the theme's search and
 *    colour-mode buttons, the "Show code cell content" toggles) get a label that starts
 *    with the visible text (WCAG 2.5.3, label in name).
 * 4. The entries of Sphinx's citation lists (role="list") are list items: Sphinx marks them
 *    role="doc-biblioentry", a role ARIA 1.3 deprecates, so the list has no items for a
 *    screen reader (axe: aria-required-children).
 * 5. In the static page (widgets with no kernel: "jupyter-widgets-disconnected"), an explorer's
 *    kernel-only controls (class companion-kernel-only) are disabled and say why: they would
 *    move without changing anything. Under Voila (a kernel) they stay live.
 */
(function () {
  "use strict";

  function text(el) {
    return (el && (el.innerText || el.textContent) || "").replace(/\s+/g, " ").trim();
  }

  function nameSliders(root) {
    root.querySelectorAll(".noUi-handle[role='slider']:not([aria-label])").forEach(function (h) {
      var box = h.closest(".widget-slider, .widget-hslider, .widget-inline-hbox");
      var label = box && box.querySelector(".widget-label");
      var name = text(label) || (label && label.title) || "";
      if (name) h.setAttribute("aria-label", name);
    });
  }

  function altImages(root) {
    root.querySelectorAll("img.widget-image").forEach(function (img) {
      var title = img.getAttribute("title");
      if (title && img.getAttribute("alt") !== title) img.setAttribute("alt", title);
      else if (!title && !img.hasAttribute("alt")) img.setAttribute("alt", "");
    });
  }

  function labelInName(root) {
    root.querySelectorAll("button[aria-label], summary[aria-label]").forEach(function (el) {
      var visible = el.tagName === "SUMMARY"
        ? text(Array.from(el.children).find(function (c) { return c.checkVisibility && c.checkVisibility(); }))
        : text(el);
      var label = el.getAttribute("aria-label");
      if (visible && label.toLowerCase().indexOf(visible.toLowerCase()) < 0) {
        el.setAttribute("aria-label", visible + " (" + label + ")");
      }
    });
  }

  function citationItems(root) {
    root.querySelectorAll("[role='list'] > [role='doc-biblioentry']").forEach(function (el) {
      el.setAttribute("role", "listitem");
    });
  }

  var KERNEL_ONLY = "needs Python: use \u201cRun live in your browser\u201d below, or a kernel";

  function disableKernelOnly(root) {
    root.querySelectorAll(".companion-kernel-only").forEach(function (box) {
      if (!box.querySelector(".jupyter-widgets-disconnected") &&
          !box.classList.contains("jupyter-widgets-disconnected")) return;
      box.querySelectorAll(".noUi-target:not([disabled])").forEach(function (t) {
        t.setAttribute("disabled", "");
      });
      box.querySelectorAll(".noUi-handle[role='slider']:not([aria-disabled])").forEach(function (h) {
        h.setAttribute("aria-disabled", "true");
        h.setAttribute("aria-description", KERNEL_ONLY);
      });
      box.querySelectorAll("select:not([disabled]), input:not([disabled]), button:not([disabled])").forEach(function (c) {
        c.disabled = true;
        c.setAttribute("aria-description", KERNEL_ONLY);
      });
    });
  }

  function fix(root) {
    citationItems(root);
    disableKernelOnly(root);
    nameSliders(root);
    altImages(root);
    labelInName(root);
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    setTimeout(function () { pending = false; fix(document); }, 50);
  }

  function start() {
    fix(document);
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["title", "open", "class"]
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
