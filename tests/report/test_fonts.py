"""The CJK font for charts (model/report/fonts.py): Chinese draws without missing glyphs, and
labels fall back to English, with one notice, when no CJK font exists."""

from __future__ import annotations

import base64
import io
import logging
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from model.core.paths import CATALOG_PATH
from model.policy.catalog import load_catalog
from model.report import fonts
from model.report.fonts import configure_cjk_font, find_cjk_font, label


@pytest.fixture(autouse=True)
def restore_matplotlib_settings():
    """Each test leaves matplotlib's rcParams as it found them."""
    with matplotlib.rc_context():
        yield


@pytest.fixture
def cjk_family() -> str:
    family = configure_cjk_font()
    if family is None:
        if os.environ.get("FISCALSIM_REQUIRE_CJK") == "1":
            pytest.fail("FISCALSIM_REQUIRE_CJK=1 but no CJK font was found")
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    return family


def _draw(texts: list[str], title: str, fontsize: float) -> tuple[list[str], Figure]:
    """Draw a bar chart labelled with ``texts``; the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = Figure(figsize=(8, 10), layout="constrained")
        axes = figure.subplots()
        axes.barh(range(len(texts)), range(1, len(texts) + 1))
        # an unusual size, so that matplotlib's font lookup cache cannot hide its logging
        axes.set_yticks(range(len(texts)), texts, fontsize=fontsize)
        axes.set_title(title)
        figure.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught], figure


def _glyph_problems(messages: list[str]) -> list[str]:
    return [m for m in messages if "missing from font" in m or "Glyph" in m]


def test_importing_the_module_changes_nothing():
    code = (
        "import matplotlib; before = list(matplotlib.rcParams['font.sans-serif']); "
        "import model.report.fonts as f; "
        "assert list(matplotlib.rcParams['font.sans-serif']) == before; "
        "assert f.find_cjk_font.cache_info().currsize == 0"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_chinese_item_names_draw_without_missing_glyphs(cjk_family, caplog):
    names = [item.name_zh for item in load_catalog(CATALOG_PATH).items]
    caplog.set_level(logging.WARNING)
    messages, figure = _draw(names, label("分项预算：长春市", "Budget by line item"), 7.31)
    assert not _glyph_problems(messages)
    logged = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("matplotlib") and r.levelno >= logging.WARNING
    ]
    assert not logged
    assert figure.axes[0].get_yticklabels()[0].get_fontname() == cjk_family


def test_without_a_cjk_font_matplotlib_does_report_missing_glyphs():
    # the control for the test above: the check does catch tofu
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    messages, _ = _draw(["年度汇总"], "年度", 6.97)
    assert _glyph_problems(messages)


def test_configuring_is_idempotent_and_cheap(cjk_family):
    first = list(matplotlib.rcParams["font.sans-serif"])
    assert first[0] == cjk_family and fonts.FALLBACK_FAMILY in first
    start = time.perf_counter()
    for _ in range(1000):
        assert configure_cjk_font() == cjk_family
    assert time.perf_counter() - start < 0.5
    assert list(matplotlib.rcParams["font.sans-serif"]) == first
    assert first.count(cjk_family) == 1


def test_configuring_restores_the_font_after_an_rc_reset(cjk_family):
    matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans", "Arial"]
    configure_cjk_font()
    assert list(matplotlib.rcParams["font.sans-serif"]) == [cjk_family, "DejaVu Sans", "Arial"]


def test_label_is_bilingual_with_a_cjk_font(cjk_family):
    assert label("年度", "year") == "年度 / year"


def test_label_falls_back_to_english_with_one_notice(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_fallback_noted", False)
    before = list(matplotlib.rcParams["font.sans-serif"])
    caplog.set_level(logging.INFO, logger="model.report.fonts")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a notice in the log, not a warning
        assert label("年度汇总", "Summary by year") == "Summary by year"
        assert label("均值", "mean") == "mean"
        assert configure_cjk_font() is None
    notices = [r for r in caplog.records if r.name == "model.report.fonts"]
    assert len(notices) == 1 and "English" in notices[0].getMessage()
    assert list(matplotlib.rcParams["font.sans-serif"]) == before


def test_the_first_family_in_order_of_preference_is_chosen(monkeypatch):
    monkeypatch.setattr(
        fonts, "_known_families", lambda: {"DejaVu Sans", "WenQuanYi Zen Hei", "Microsoft YaHei"}
    )
    assert find_cjk_font.__wrapped__() == "WenQuanYi Zen Hei"


def _system_cjk_files() -> list[str]:
    from matplotlib import font_manager

    return [
        path
        for path in font_manager.findSystemFonts()
        if any(hint in Path(path).name.lower() for hint in fonts.CJK_FILE_HINTS)
    ]


def test_a_font_installed_after_matplotlib_cached_its_list_is_found(monkeypatch):
    # the state of a venv whose font cache predates `apt-get install fonts-noto-cjk`
    from matplotlib import font_manager

    if not _system_cjk_files():
        pytest.skip("no CJK font file on this machine")
    manager = font_manager.fontManager
    cjk_files = set(_system_cjk_files())
    stale = [entry for entry in manager.ttflist if entry.fname not in cjk_files]
    monkeypatch.setattr(manager, "ttflist", stale)
    family = find_cjk_font.__wrapped__()
    assert family in fonts.CJK_FAMILIES
    files = {entry.fname for entry in manager.ttflist if entry.name == family}
    assert files and files <= set(_system_cjk_files())
    count = len(manager.ttflist)
    assert find_cjk_font.__wrapped__() == family  # found now: nothing is added twice
    assert len(manager.ttflist) == count


def test_ci_renders_chinese_with_a_system_font(cjk_family):
    # .ci/run installs Debian's fonts-noto-cjk and then sets FISCALSIM_REQUIRE_CJK=1,
    # so that there the fixture fails instead of skipping
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=cjk_family))
    assert "site-packages" not in path and path in _system_cjk_files()


def test_no_font_anywhere_gives_none_and_says_how_to_install_one(monkeypatch, caplog):
    monkeypatch.setattr(fonts, "_known_families", lambda: {"DejaVu Sans"})
    monkeypatch.setattr(fonts, "_add_uncached_cjk_files", lambda: 0)
    assert find_cjk_font.__wrapped__() is None
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_fallback_noted", False)
    caplog.set_level(logging.INFO, logger="model.report.fonts")
    assert configure_cjk_font() is None
    (notice,) = [r.getMessage() for r in caplog.records if r.name == "model.report.fonts"]
    assert "apt-get install fonts-noto-cjk" in notice and "Microsoft YaHei" in notice


def test_the_embedded_subset_holds_exactly_the_glyphs_used(cjk_family):
    from fontTools.ttLib import TTFont

    css = fonts.font_face_css("年度汇总 / Summary by year：容错率")
    sources = re.findall(r"base64,([A-Za-z0-9+/=]+)", css)
    weights = re.findall(r"font-weight:(\d+)", css)
    assert sources and "400" in weights
    for source in sources:
        font = TTFont(io.BytesIO(base64.b64decode(source)))
        mapped = {chr(code) for code in font.getBestCmap()}
        assert set("年度汇总容错率：") <= mapped
        assert not mapped & set("龍鳳預算ABCxyz")  # nothing unused, no ASCII
        assert len(source) < 40_000  # a few kB, not the 16 MB font


def test_no_chinese_text_embeds_nothing():
    assert fonts.font_face_css("Summary by year 2026") == ""
