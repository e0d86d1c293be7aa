"""A font for Chinese text in charts, and bilingual labels that fall back to English.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a chart titled 年度汇总
would show empty boxes and log "Glyph … missing from font(s) DejaVu Sans". This module
finds a CJK-capable font, first among the fonts matplotlib already knows (a system font
such as Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Zen Hei, SimHei, Microsoft YaHei
or PingFang SC), then in the optional PyPI package ``manimgx-fonts-cjk`` (the ``cjk``
extra), and puts it first in ``font.sans-serif``. Without one, :func:`label` gives the
English half of a label only, so charts stay legible.

Nothing happens at import time: the search runs on the first call of
:func:`configure_cjk_font` (about half a second when the packaged font is registered)
and its result is cached, so later calls are cheap.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources

_log = logging.getLogger(__name__)

#: CJK-capable families, in order of preference (Simplified Chinese forms first).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "Source Han Sans TC",
    "Arial Unicode MS",
)
#: The optional package with a Noto Sans CJK font file, and that file.
FONT_PACKAGE = "manimgx_fonts_cjk"
FONT_FILE = "NotoSansCJK-VF.otf.ttc"
#: Kept after the CJK family, for the glyphs it lacks.
FALLBACK_FAMILY = "DejaVu Sans"

_fallback_noted = False


class _VariableWeightFilter(logging.Filter):
    """Drops matplotlib's "Failed to find font weight normal for <family>, now using 100"
    for the packaged font only: it is a variable font registered at its default (thinnest)
    instance, and every weight renders that instance, so the message carries no news."""

    def __init__(self, families: frozenset[str]):
        super().__init__()
        self.families = families

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("findfont: Failed to find font weight"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return not (len(args) >= 2 and args[1] in self.families)


def _known_families() -> set[str]:
    from matplotlib import font_manager

    return {entry.name for entry in font_manager.fontManager.ttflist}


def _register_packaged_font() -> str | None:
    """Register the font file of ``manimgx-fonts-cjk``; its Chinese family, or None."""
    try:
        path = resources.files(FONT_PACKAGE) / FONT_FILE
    except ModuleNotFoundError:
        return None
    if not path.is_file():
        return None
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(entry.fname == str(path) for entry in manager.ttflist):
        try:
            manager.addfont(str(path))
        except (OSError, RuntimeError, ValueError) as exc:  # a damaged or unreadable file
            _log.info("could not register %s: %s", path, exc)
            return None
    families = frozenset(entry.name for entry in manager.ttflist if entry.fname == str(path))
    logger = logging.getLogger("matplotlib.font_manager")
    if not any(
        isinstance(f, _VariableWeightFilter) and f.families == families for f in logger.filters
    ):
        logger.addFilter(_VariableWeightFilter(families))
    return next((family for family in CJK_FAMILIES if family in families), None)


@functools.cache
def find_cjk_font() -> str | None:
    """The family name of a CJK-capable font matplotlib can use, or None.

    Installed fonts come first (in the order of :data:`CJK_FAMILIES`), then the font of
    the optional ``manimgx-fonts-cjk`` package, which is registered with matplotlib on
    the way. The result is cached for the process.
    """
    known = _known_families()
    installed = next((family for family in CJK_FAMILIES if family in known), None)
    return installed or _register_packaged_font()


def configure_cjk_font() -> str | None:
    """Put a CJK-capable font first in matplotlib's ``font.sans-serif``.

    ``DejaVu Sans`` stays in the list as the fallback for glyphs the CJK font lacks.
    ``font.family`` is left alone (matplotlib's default is ``sans-serif``).
    Idempotent: a repeat call only checks the setting (and restores it if, say, an
    ``rc_context`` was left in between).

    Returns
    -------
    str or None
        The CJK family, or None when no CJK font is available (then a notice is logged
        once, and :func:`label` gives English only).
    """
    global _fallback_noted
    family = find_cjk_font()
    if family is None:
        if not _fallback_noted:
            _fallback_noted = True
            _log.warning(
                "no CJK font found (install fiscalsim[cjk] or a Noto Sans CJK font): "
                "chart labels are in English only"
            )
        return None
    import matplotlib

    current = list(matplotlib.rcParams["font.sans-serif"])
    if current[:1] != [family] or FALLBACK_FAMILY not in current:
        rest = [name for name in current if name not in (family, FALLBACK_FAMILY)]
        matplotlib.rcParams["font.sans-serif"] = [family, FALLBACK_FAMILY, *rest]
    return family


def label(zh: str, en: str) -> str:
    """A chart label: ``"zh / en"`` when a CJK font is configured, else ``en`` alone.

    Calls :func:`configure_cjk_font`, so that the text is drawn in the font it was
    written for.
    """
    return f"{zh} / {en}" if configure_cjk_font() is not None else en


__all__ = [
    "CJK_FAMILIES",
    "FONT_FILE",
    "FONT_PACKAGE",
    "configure_cjk_font",
    "find_cjk_font",
    "label",
]
