"""The console's static assets work offline and under the strict CSP.

No external URL (the intranet has no internet), no eval, no HTML built from strings, no
inline styles set through attributes; map.js signals when it has drawn, and the stylesheet
defines every ``zh-`` class the templates use.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

STATIC = Path(str(resources.files("zhian.web").joinpath("static")))
TEMPLATE_ROOTS = [
    Path(str(resources.files("zhian.web").joinpath("templates"))),
    Path(str(resources.files("zhian.domains"))),
]
TEXT_SUFFIXES = {".js", ".css", ".svg", ".html", ".json", ".txt"}

# XML namespace names are identifiers that no browser fetches; an SVG file needs its xmlns.
NAMESPACES = {
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/1999/xhtml",
}

# Classes that exist for scripts or tests only and need no rule in app.css.
HOOK_CLASSES = {"zh-flash-sticky"}

# The classes the layout and pages rely on (the stylesheet's contract with the templates).
REQUIRED_CLASSES = [
    "zh-header",
    "zh-brand",
    "zh-user",
    "zh-nav",
    "zh-main",
    "zh-footer",
    "zh-card",
    "zh-grid",
    "zh-system-card",
    "zh-status-ready",
    "zh-status-pending",
    "zh-table",
    "zh-table-wrap",
    "zh-form",
    "zh-field",
    "zh-field-error",
    "zh-button",
    "zh-button-primary",
    "zh-button-danger",
    "zh-flash",
    "zh-flash-error",
    "zh-flash-info",
    "zh-badge",
    "zh-badge-green",
    "zh-badge-red",
    "zh-badge-amber",
    "zh-badge-grey",
    "zh-badge-blue",
    "zh-pagination",
    "zh-login",
    "zh-map",
    "zh-division",
    "zh-selected",
    "zh-zone",
    "zh-division-label",
    "zh-map-controls",
    "zh-point",
    "zh-visually-hidden",
    "zh-menu-toggle",
    "zh-inline-form",
    "zh-link-button",
    "zh-muted",
]


def _assets() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)


def _scripts() -> list[Path]:
    return sorted(STATIC.rglob("*.js"))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(STATIC)) for p in paths]


def _css() -> str:
    return _read(STATIC / "css" / "app.css")


def test_the_assets_exist() -> None:
    for name in ("css/app.css", "js/app.js", "js/map.js"):
        assert (STATIC / name).is_file(), name


@pytest.mark.parametrize("path", _assets(), ids=_ids(_assets()))
def test_no_external_urls(path: Path) -> None:
    text = _read(path)
    found = [
        m.group(0)
        for m in re.finditer(r"""(?i)\b(?:https?|ftp|wss?):/{2}[^\s"'()<>]*""", text)
        if m.group(0) not in NAMESPACES
    ]
    assert not found, f"{path.name} names external URLs: {found}"
    # Protocol-relative references load from the network just the same.
    assert not re.search(r"""(?i)(?:url\(\s*["']?|src=["']|href=["'])//""", text), path.name


def test_css_loads_nothing_from_elsewhere() -> None:
    css = _css()
    assert "@import" not in css
    assert "@font-face" not in css, "local system fonts only"
    for m in re.finditer(r"""url\(\s*["']?([^"')\s]*)""", css):
        assert m.group(1).startswith(("data:", "/static/", "../")), m.group(0)
    assert "expression(" not in css


@pytest.mark.parametrize("path", _scripts(), ids=_ids(_scripts()))
def test_scripts_do_not_evaluate_strings(path: Path) -> None:
    js = _read(path)
    assert not re.search(r"\beval\s*\(", js), "eval"
    assert not re.search(r"\bnew\s+Function\s*\(", js), "new Function"
    assert not re.search(r"""\bset(?:Timeout|Interval)\s*\(\s*["'`]""", js), "string timer"
    assert "javascript:" not in js


@pytest.mark.parametrize("path", _scripts(), ids=_ids(_scripts()))
def test_scripts_build_no_html_from_strings(path: Path) -> None:
    js = _read(path)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "createContextualFragment",
        "DOMParser",
    ):
        assert sink not in js, f"{path.name} uses {sink}: build nodes and set textContent"


@pytest.mark.parametrize("path", _scripts(), ids=_ids(_scripts()))
def test_scripts_stay_within_the_csp(path: Path) -> None:
    js = _read(path)
    # style-src 'self' blocks style attributes; inline handlers are blocked by script-src.
    assert not re.search(r"""setAttribute\(\s*["']style["']""", js), "style attribute"
    assert not re.search(r"""setAttribute\(\s*["']on[a-z]+["']""", js), "inline handler"
    assert not re.search(r"\.on[a-z]+\s*=\s*[\"'`]", js), "handler from a string"
    assert "cssText" not in js


def test_map_signals_when_drawn() -> None:
    js = _read(STATIC / "js" / "map.js")
    assert re.search(r"""setAttribute\(\s*'data-ready',\s*'true'\s*\)""", js)
    assert re.search(r"""setAttribute\(\s*'data-division-count',""", js)
    assert "[data-zh-map]" in js
    assert "window.zhMap" in js
    for needed in ("zh-division", "zh-zone", "zh-division-label", "zh-map-controls", "zh-point"):
        assert needed in js, needed
    assert "zh-map-select" in js
    assert "地图数据加载失败" in js
    assert "credentials: 'same-origin'" in js


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to parse the scripts")
@pytest.mark.parametrize("path", _scripts(), ids=_ids(_scripts()))
def test_scripts_parse(path: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _css_classes() -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", _css(), flags=re.S)
    return set(re.findall(r"\.(zh-[a-z0-9-]+)", css))


def test_stylesheet_defines_the_contract() -> None:
    missing = sorted(set(REQUIRED_CLASSES) - _css_classes())
    assert not missing, missing


def test_stylesheet_defines_every_class_the_templates_use() -> None:
    defined = _css_classes() | HOOK_CLASSES
    used: dict[str, set[str]] = {}
    for root in TEMPLATE_ROOTS:
        for tpl in root.rglob("*.html"):
            for attr in re.findall(r"""\bclass="([^"]*)\"""", _read(tpl)):
                for cls in re.findall(r"(?<![\w-])zh-[a-z0-9-]*[a-z0-9]\b(?!-)", attr):
                    used.setdefault(cls, set()).add(tpl.name)
    missing = {cls: sorted(where) for cls, where in used.items() if cls not in defined}
    assert not missing, f"classes used in templates but not in app.css: {missing}"
