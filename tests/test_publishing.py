"""Licenses, citation and version: what a reader needs to reuse and cite the book.

The code is MIT (``LICENSE``), the text and figures CC BY 4.0 (``LICENSE-TEXT``);
``pyproject.toml`` declares the code's SPDX license; ``CITATION.cff`` is valid Citation File
Format 1.2.0 (checked against the format's JSON schema, ``tests/data/cff-1.2.0.schema.json``,
the schema file cffconvert 2.0.0 ships: cffconvert itself needs jsonschema < 4, which the
book's environment cannot have) and cites the chapter; the version is written once, in
``pyproject.toml``, and read from there by ``companion.__version__``, the citation and the
book's footer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import publishing  # noqa: E402  (the footer extension)

import companion  # noqa: E402  (after the extensions folder is on the path)
from companion import _version  # noqa: E402  (same)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None


def pyproject() -> dict:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_license_files():
    code = (ROOT / "LICENSE").read_text()
    assert code.startswith("MIT License") and "Permission is hereby granted, free of charge" in code
    text = (ROOT / "LICENSE-TEXT").read_text()
    assert "Creative Commons Attribution 4.0 International" in text
    assert "Section 1 – Definitions." in text and "Section 8 – Interpretation." in text  # the whole legal code
    assert "Xujiang Tang" in text  # the chapter is credited, and stays its author's


def test_pyproject_declares_the_code_license():
    project = pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


def test_readme_and_config_say_which_license_covers_what():
    readme = (ROOT / "README.md").read_text()
    assert "## License and citation" in readme
    for words in ("LICENSE-TEXT", "CC BY 4.0", "MIT", "CITATION.cff", "Xujiang Tang"):
        assert words in readme, words
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "CC BY 4.0" in str(config["copyright"]) and "MIT" in str(config["copyright"])


def test_citation_file_is_valid_cff_1_2_0():
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0.schema.json").read_text())
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    cff = citation()
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(cff), key=str
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_can_fail():
    schema = json.loads((ROOT / "tests" / "data" / "cff-1.2.0.schema.json").read_text())
    broken = dict(citation())
    del broken["authors"]
    broken["licence"] = "MIT"  # misspelt key
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


def test_citation_cites_the_chapter_and_names_the_licenses():
    cff = citation()
    assert cff["title"] and cff["authors"]
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    chapter = [r for r in cff["references"] if "Matrix Calculus" in r["title"]]
    assert chapter, "the chapter is not under references"
    assert chapter[0]["authors"] == [{"family-names": "Tang", "given-names": "Xujiang"}]
    assert chapter[0]["title"].startswith("Chapter 8")


def test_one_version_everywhere():
    version = pyproject()["project"]["version"]
    assert companion.__version__ == version
    assert str(citation()["version"]) == version
    assert f"Version {version}" in publishing.footer_html(publishing.book_version(), "", "main")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{version}]" in changelog, "CHANGELOG.md has no entry for the current version"


def test_version_fallbacks(tmp_path):
    # a source tree: read from its pyproject.toml
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "companion"\nversion = "9.8.7"\n[tool.x]\nversion = "0"\n'
    )
    assert _version.version_from_pyproject(tmp_path / "pyproject.toml") == "9.8.7"
    # another project's pyproject.toml, or none: not ours
    (tmp_path / "other.toml").write_text('[project]\nname = "other"\nversion = "1.0"\n')
    assert _version.version_from_pyproject(tmp_path / "other.toml") is None
    assert _version.version_from_pyproject(tmp_path / "missing.toml") is None


def test_footer_links_the_licenses():
    html = publishing.footer_html("1.2.3", "https://github.com/o/r", "main")
    assert 'href="https://github.com/o/r/blob/main/LICENSE-TEXT"' in html
    assert 'href="https://github.com/o/r/blob/main/LICENSE"' in html
    assert "Version 1.2.3" in html


def test_citation_names_the_repository_of_config():
    """The repository is set in _config.yml; CITATION.cff repeats it for citers, and must follow it."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert citation()["repository-code"] == url, "CITATION.cff repository-code differs from _config.yml repository: url"
