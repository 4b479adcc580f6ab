"""Sphinx extension for the companion book: a self-contained site, and the API reference.

Loaded by ``_config.yml`` (``sphinx: local_extensions: {companion_book: _ext}``). It does
five things, each small:

1. **Every front-end file is served by the book itself.** MathJax 3, RequireJS and the
   Jupyter widgets HTML manager come from ``_ext/node_modules`` (pinned by
   ``_ext/package.json`` and its lock file, installed by ``make assets`` = ``npm ci``) and
   are copied into ``<html>/_static/vendor/`` on every build, so a changed file is never
   left stale. ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js`` are pointed at them.
   Nothing is put in the book's source ``_static/``: Jupyter Book 1 injects every ``*.js``
   found there into every page.
2. **A shim for the widget manager** (``_ext/assets/widgets-shim.js``, loaded before it,
   on pages with widgets, which also get MathJax): the manager (html-manager 1.x, widget protocol 2, the one that
   pairs with ipywidgets 8) typesets with the MathJax 2 call ``MathJax.Hub.Queue``, which
   the shim maps onto MathJax 3; and it finds its icon fonts next to the URL RequireJS
   gives its own module, relative to the *page* unless RequireJS is told where the
   module lives, which the shim does.
3. **Duplicate inline scripts are dropped.** Sphinx 7.4 registers a script body added
   after the builder started twice (once as ``None``, once as ``""``), which declares
   sphinx-thebe's ``const THEBE_JS_URL`` twice: a page error on every page.
4. **Equation numbers carry their section**: a labelled equation on the page of section 8.k
   is numbered (8.k.1), (8.k.2), ... in the order of the page, and every ``{eq}`` reference to
   it, from the same page or another, shows that number; the definition, proposition, ...
   boxes likewise (Definition 8.k.1; see :func:`section_equation_numbers`).
5. **The API reference**: the ``companion-api`` directive documents ``companion`` and every
   public module under it (found with :mod:`pkgutil`, so a new module appears without
   editing anything); each object once, where the public API exports it.
6. **A bibliography style for an undated chapter**: ``companion`` is pybtex's ``alpha`` style
   except that a chapter in a book (``@incollection``) may have no year, as the chapter this
   book accompanies has none known (``alpha`` would stop the build on it).

And it keeps the build fast: the notebooks are read, and so executed, by 4 processes in
parallel (``jupyter-book build`` has no ``-j``; ``COMPANION_BOOK_JOBS`` changes the number,
1 = serial), their kernels with one BLAS thread each; ``COMPANION_BOOK_EXECUTE=cache``
(set by ``make book``) overrides ``execute_notebooks``, while ``_config.yml`` keeps
``force``, so a plain build, the tests and CI always execute every notebook.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import re
import shutil
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
OWN_ASSETS = HERE / "assets"

# where things land in the built site, relative to _static/ (Sphinx prefixes "_static/")
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
REQUIREJS = "vendor/requirejs/require.js"
HTML_MANAGER = "vendor/html-manager/embed-amd.js"
SHIM = "companion/widgets-shim.js"
CSS = "companion/companion.css"
A11Y = "companion/a11y.js"  # accessible names the theme and the widgets do not give (every page)

DEFAULT_JOBS = 4

# (npm package, files or folders inside it, destination folder under _static/)
VENDORED = [
    ("mathjax", ["LICENSE", "package.json", "es5/tex-mml-chtml.js", "es5/input", "es5/output/chtml",
                 "es5/a11y", "es5/ui", "es5/sre"], "vendor/mathjax"),
    ("requirejs", ["package.json", "require.js"], "vendor/requirejs"),
    ("@jupyter-widgets/html-manager", ["package.json", "dist/embed-amd.js", "dist/*.woff2", "dist/*.woff",
                                       "dist/*.ttf", "dist/*.eot", "dist/*.svg"], "vendor/html-manager"),
]

# ----------------------------------------------------------------------------- assets
def pinned_versions() -> dict[str, str]:
    return json.loads((HERE / "package.json").read_text())["dependencies"]


def check_node_modules() -> None:
    """Fail early, and say what to run, when the pinned front-end packages are missing."""
    problems = []
    for name, version in pinned_versions().items():
        meta = NODE_MODULES / name / "package.json"
        if not meta.exists():
            problems.append(f"{name} is not installed")
        elif (found := json.loads(meta.read_text())["version"]) != version:
            problems.append(f"{name} is {found}, package.json pins {version}")
    if problems:
        raise ExtensionError(
            "the book serves MathJax and the widget manager itself, from _ext/node_modules, but "
            + "; ".join(problems)
            + ". Run `make assets` (or `npm ci --prefix _ext`)."
        )


def _sync_file(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` unless ``dest`` is already that file (same size and time)."""
    if dest.exists() and dest.stat().st_size == src.stat().st_size and dest.stat().st_mtime == src.stat().st_mtime:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)


def copy_assets(outdir: Path) -> None:
    static = outdir / "_static"
    for package, items, dest in VENDORED:
        root = NODE_MODULES / package
        for item in items:
            matches = sorted(root.glob(item)) if "*" in item else [root / item]
            if not matches or not all(m.exists() for m in matches):
                raise ExtensionError(f"{package}: {item} not found in {root}; run `make assets`")
            for src in matches:
                files = sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]
                for f in files:
                    # es5/input/tex/... -> vendor/mathjax/input/tex/...; dist/x -> vendor/html-manager/x
                    rel = f.relative_to(root)
                    if rel.parts[0] in ("es5", "dist"):
                        rel = Path(*rel.parts[1:])
                    _sync_file(f, static / dest / rel)
    for f in sorted(OWN_ASSETS.iterdir()):
        _sync_file(f, static / "companion" / f.name)


# ----------------------------------------------------------------------------- config
def configure(app: Sphinx, config) -> None:
    config.mathjax_path = MATHJAX
    # the order matters: the shim, then RequireJS, then the manager (an AMD bundle)
    config.nb_ipywidgets_js = {SHIM: {}, REQUIREJS: {}, HTML_MANAGER: {}}
    # Read (and so execute) the notebooks in parallel processes: 4 by default, even on 2 cores,
    # since a notebook spends much of its time starting its kernel and waiting on it.
    # COMPANION_BOOK_JOBS=1 reads serially; `auto` uses one process per core.
    jobs = os.environ.get("COMPANION_BOOK_JOBS", str(DEFAULT_JOBS))
    jobs = (os.cpu_count() or 1) if jobs == "auto" else int(jobs)
    if jobs > 1 and app.parallel <= 1:
        app.parallel = jobs
        # Two extensions Jupyter Book loads do not declare it, and both are safe to read in
        # parallel (read from their source): sphinx_multitoc_numbering only replaces how section
        # numbers are assigned, which Sphinx does in the main process after reading;
        # sphinx_jupyterbook_latex's read-time transforms only touch the document being read.
        for name in ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex"):
            ext = app.extensions.get(name)
            if ext is not None and ext.parallel_read_safe is None:
                ext.parallel_read_safe = True
        _merge_proof_domain_in_parallel()
    # The notebooks' kernels inherit this environment. Their matrices are small, and OpenBLAS
    # threads busy-waiting against each other (and against the parallel readers) made the 8.8
    # notebook 5-30x slower on a shared 2-core machine: one BLAS thread per kernel, unless set.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    mode = os.environ.get("COMPANION_BOOK_EXECUTE")
    if mode:
        if mode not in ("force", "cache", "auto", "off"):
            raise ExtensionError(f"COMPANION_BOOK_EXECUTE must be force, cache, auto or off, got {mode!r}")
        config.nb_execution_mode = mode


def _noop_merge_domaindata(self, docnames, otherdata) -> None:
    """Nothing to merge: sphinx-proof keeps its data in ``env.proof_list``, merged by its own handler."""


def _merge_proof_domain_in_parallel() -> None:
    """Let a parallel read merge sphinx-proof's domain.

    sphinx-proof 0.4.0 declares itself parallel-read safe, but its ``prf`` domain does not define
    ``merge_domaindata``, and Sphinx raises ``NotImplementedError`` when the parallel readers'
    environments are merged (the whole build fails). The domain's own data are the empty
    default; what it records (``env.proof_list``) is merged by sphinx-proof's ``env-merge-info``
    handler. So merging the domain data is a no-op, which is what is given to it here.
    """
    try:
        from sphinx.domains import Domain
        from sphinx_proof.domain import ProofDomain
    except ImportError:  # the boxes' extension is not installed
        return
    if ProofDomain.merge_domaindata is Domain.merge_domaindata:
        ProofDomain.merge_domaindata = _noop_merge_domaindata


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    check_node_modules()
    copy_assets(Path(app.outdir))
    app.add_css_file(CSS)
    app.add_js_file(A11Y, loading_method="defer")


def create_execution_cache(app: Sphinx) -> None:
    """Make jupyter-cache safe for the parallel read, whose processes share its database.

    - Create the database first: processes that each create it race.
    - Truncate the cache once, in the main process after the read, not after every notebook cached.
      ``truncate_caches`` (jupyter-cache 1.0) reads the records to keep, then the records not among
      them, and removes those; a record another process adds between the two reads, before writing
      its notebook, is taken for an old one, and the removal fails (``KeyError: Notebook file does
      not exist for cache record PK``), stopping the build (seen on a fresh cache, `make book`).
    """
    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is None or nb_config.execution_mode != "cache" or app.parallel <= 1:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.cache.main import JupyterCacheBase

    cache = get_cache(nb_config.execution_cache_path or ".jupyter_cache")
    _ = cache.db  # the attribute creates the tables
    truncate = JupyterCacheBase.truncate_caches
    JupyterCacheBase.truncate_caches = _no_truncation  # the readers are forked after this: they inherit it

    def truncate_after_read(app: Sphinx, env) -> None:
        JupyterCacheBase.truncate_caches = truncate
        truncate(cache)

    app.connect("env-updated", truncate_after_read)


def _no_truncation(self) -> None:
    """jupyter-cache's ``truncate_caches`` during a parallel read: nothing (the main process truncates after it)."""


def mathjax_for_widgets(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Load MathJax on pages with widgets too: the widget manager typesets widget text with it."""
    if app.builder.format != "html" or app.env is None:
        return
    from myst_nb.sphinx_ import NbMetadataCollector

    try:
        js = NbMetadataCollector.get_js_files(app.env, pagename)
    except KeyError:
        return
    if "ipywidgets_state" in js:
        app.env.get_domain("math").data["has_equations"][pagename] = True


def drop_duplicate_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = (js.filename or "", tuple(sorted((k, str(v)) for k, v in js.attributes.items() if k != "priority")))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


# ----------------------------------------------------------------------------- equation numbers
SECTION_PAGE = re.compile(r"^chapters/(\d+)-(\d+)-[\w-]+$")  # chapters/8-2-frobenius-riesz -> (8, 2)


def section_of(docname: str) -> tuple[int, ...]:
    """The section a page is, as numbers: ``chapters/8-2-frobenius-riesz`` -> ``(8, 2)``; other pages ``()``."""
    m = SECTION_PAGE.match(docname)
    return (int(m.group(1)), int(m.group(2))) if m else ()


def section_numbered_types() -> tuple[str, ...]:
    """The numbered things that carry their section: equations, and the boxes of sphinx-proof."""
    try:
        from sphinx_proof.proof_type import PROOF_TYPES
    except ImportError:  # the boxes' extension is not installed: equations only
        return ("displaymath",)
    return ("displaymath", *PROOF_TYPES)


def section_equation_numbers(app: Sphinx, env) -> list[str]:
    """Number each page's labelled equations (8.k.1), (8.k.2), ... on the page of section 8.k.

    With ``numfig`` and ``math_numfig`` on, Sphinx numbers equations in
    ``env.toc_fignumbers[docname]["displaymath"]`` (element id -> tuple of numbers), and reads
    both the number shown next to an equation (``sphinx.util.math.get_node_equation_number``)
    and the text of an ``{eq}`` reference (``MathDomain.resolve_xref``) from there. The book's
    table of contents is not numbered, so Sphinx counts equations through the whole book;
    here each page counts from 1 again (in the order Sphinx found them, the page's order),
    prefixed by the page's section. The boxes of sphinx-proof (definitions, propositions, ...)
    are numbered the same way, each kind counting on its own: Definition 8.2.1, 8.2.2, ...
    Pages outside the chapter (landing page, notation, ...) number without a section. Runs
    after Sphinx assigned its numbers (``env-get-updated``, late priority); rerunning it on its
    own output gives the same numbers.
    """
    changed = []
    types = section_numbered_types()
    for docname, fignumbers in env.toc_fignumbers.items():
        prefix = section_of(docname)
        for figtype in types:
            numbers = fignumbers.get(figtype)
            if not numbers:
                continue
            renumbered = {node_id: (*prefix, n) for n, node_id in enumerate(numbers, start=1)}
            if renumbered != numbers:
                fignumbers[figtype] = renumbered
                if docname not in changed:
                    changed.append(docname)
    return changed


# ----------------------------------------------------------------------------- bibliography
def register_bibliography_style() -> None:
    """Register the pybtex style ``companion`` (``bibtex_default_style`` in ``_config.yml``).

    It is ``alpha`` (labels such as [MN19], entries sorted by author) with one change: the year of an
    ``@incollection`` is optional, so an undated chapter is listed without a date instead of failing.
    """
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting import toplevel
    from pybtex.style.formatting.alpha import Style as AlphaStyle
    from pybtex.style.formatting.unsrt import date
    from pybtex.style.template import optional, optional_field, sentence, words

    class CompanionStyle(AlphaStyle):
        def get_incollection_template(self, e):
            return toplevel[
                sentence[self.format_names("author")],
                self.format_title(e, "title"),
                words[
                    "In",
                    sentence[
                        optional[self.format_editor(e, as_sentence=False)],
                        self.format_btitle(e, "booktitle", as_sentence=False),
                        self.format_volume_and_series(e, as_sentence=False),
                        self.format_chapter_and_pages(e),
                    ],
                ],
                sentence[
                    optional_field("publisher"),
                    optional_field("address"),
                    self.format_edition(e),
                    optional[date],  # alpha requires the date
                ],
                self.format_web_refs(e),
            ]

    register_plugin("pybtex.style.formatting", "companion", CompanionStyle, force=True)


# ----------------------------------------------------------------------------- API reference
def public_modules(package: str, location=None) -> list[str]:
    """``package`` and its public modules (no ``_private`` parts) that import.

    A module that does not import is reported as a warning (an error under ``-W``) and left out.
    """
    pkg = importlib.import_module(package)
    names = [package]

    reported: set[str] = set()

    def failed(name):
        if name in reported:
            return
        reported.add(name)
        logger.warning("companion-api: cannot import %s, left out of the API reference", name,
                       exc_info=True, location=location, type="companion", subtype="api")

    for info in pkgutil.walk_packages(pkg.__path__, prefix=package + ".", onerror=failed):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:
            failed(info.name)
            continue
        names.append(info.name)
    return names


class CompanionApiDirective(SphinxDirective):
    """Document a package and every public module under it: ``.. companion-api:: companion``.

    The package's ``__all__`` is documented at the package (``companion.frobenius``, the name
    users import; autodoc records the defining module as its canonical name); each module
    then documents its other public members, so nothing appears twice.
    """

    required_arguments = 1
    has_content = False

    def run(self):
        package = self.arguments[0]
        modules = public_modules(package, location=self.get_location())
        self.env.note_dependency(__file__)
        lines: list[str] = []
        exported: set[tuple[str, str]] = set()  # (defining module, name) documented where it is exported
        aliases: list[tuple[str, str]] = []
        for name in modules:
            mod = importlib.import_module(name)
            all_ = list(getattr(mod, "__all__", []) or [])
            skip = sorted(member for home, member in exported if home == name)
            title = f"``{name}``" + (": the public API" if name == package else "")
            lines += [title, "-" * len(title), "", f".. automodule:: {name}", "   :members:", "   :undoc-members:"]
            if skip:
                lines.append("   :exclude-members: " + ", ".join(skip))
            lines.append("")
            for member in all_:
                obj = getattr(mod, member, None)
                home = getattr(obj, "__module__", None)
                if home and home != name and getattr(obj, "__name__", member) == member:
                    exported.add((home, member))
                    # documented as name.member: references to home.member resolve to it too
                    aliases.append((f"{home}.{member}", f"{name}.{member}"))
                    if src := _source_of(home):
                        self.env.note_dependency(src)
            if src := _source_of(name):
                self.env.note_dependency(src)
        if not hasattr(self.env, "companion_api_aliases"):
            self.env.companion_api_aliases = {}
        self.env.companion_api_aliases.setdefault(self.env.docname, []).extend(aliases)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source="companion-api"), node)
        return node.children


def register_aliases(app: Sphinx, env) -> None:
    """Make ``companion.spaces.adjoint`` (and its members) resolve to ``companion.adjoint``.

    autodoc records a canonical name for classes only; an object is documented once, under
    the name users import, and every reference by its defining module's name still resolves.
    """
    from sphinx.domains.python import ObjectEntry

    objects = env.get_domain("py").objects
    for pairs in getattr(env, "companion_api_aliases", {}).values():
        for alias, target in pairs:
            for name, entry in list(objects.items()):
                if name == target or name.startswith(target + "."):
                    entry = ObjectEntry(entry.docname, entry.node_id, entry.objtype, True)
                    objects.setdefault(alias + name[len(target):], entry)


def purge_aliases(app: Sphinx, env, docname: str) -> None:
    getattr(env, "companion_api_aliases", {}).pop(docname, None)


def merge_aliases(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "companion_api_aliases"):
        env.companion_api_aliases = {}
    env.companion_api_aliases.update(getattr(other, "companion_api_aliases", {}))


def _source_of(module: str) -> str:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return ""
    return spec.origin if spec and spec.origin and spec.origin.endswith(".py") else ""


def setup(app: Sphinx):
    register_bibliography_style()
    app.connect("config-inited", configure, priority=100)
    app.connect("builder-inited", on_builder_inited)
    app.connect("builder-inited", create_execution_cache, priority=900)  # after myst-nb's configuration
    app.connect("html-page-context", mathjax_for_widgets, priority=400)  # before sphinx.ext.mathjax (500)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)  # after everyone adds theirs
    app.add_directive("companion-api", CompanionApiDirective)
    app.connect("env-purge-doc", purge_aliases)
    app.connect("env-merge-info", merge_aliases)
    app.connect("env-updated", register_aliases)
    # after Sphinx's own figure numbering (the toctree collector, default priority)
    app.connect("env-get-updated", section_equation_numbers, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
