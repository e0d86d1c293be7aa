"""The CJK font for charts (model/report/fonts.py): Chinese draws without missing glyphs, and
labels fall back to English, with one notice, when no CJK font exists."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
import warnings
from importlib.util import find_spec

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
        pytest.skip("no CJK font installed (pip install fiscalsim[cjk])")
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


def test_an_installed_font_comes_before_the_package(monkeypatch):
    monkeypatch.setattr(
        fonts, "_known_families", lambda: {"DejaVu Sans", "WenQuanYi Zen Hei", "Microsoft YaHei"}
    )
    assert find_cjk_font.__wrapped__() == "WenQuanYi Zen Hei"


@pytest.mark.skipif(find_spec(fonts.FONT_PACKAGE) is None, reason="manimgx-fonts-cjk absent")
def test_the_packaged_font_is_registered_once(monkeypatch):
    from matplotlib import font_manager

    monkeypatch.setattr(fonts, "_known_families", lambda: {"DejaVu Sans"})
    assert find_cjk_font.__wrapped__() == "Noto Sans CJK SC"
    count = len(font_manager.fontManager.ttflist)
    assert find_cjk_font.__wrapped__() == "Noto Sans CJK SC"
    assert len(font_manager.fontManager.ttflist) == count


def test_no_font_anywhere_gives_none(monkeypatch):
    monkeypatch.setattr(fonts, "_known_families", lambda: {"DejaVu Sans"})
    monkeypatch.setattr(fonts, "FONT_PACKAGE", "no_such_font_package_for_fiscalsim")
    assert find_cjk_font.__wrapped__() is None
