"""Fonts for Chinese text: a CJK font the machine has, for charts, and a subset of it for
the HTML report.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs: a chart titled 年度汇总
would show empty boxes. This module finds a CJK font **the machine already has** —
Noto Sans CJK / Source Han Sans, WenQuanYi, Microsoft YaHei, SimHei or PingFang
(:data:`CJK_FAMILIES`) — and puts it first in ``font.sans-serif``. No font is
downloaded or bundled: a government tool should not pull a repackaged font from an
unvetted publisher. Without one, :func:`label` gives the English half of a label only,
and one notice says how to install a font (:data:`INSTALL_HINT`).

matplotlib keeps a cache of the system's fonts; a font installed after the cache was
built (``apt-get install fonts-noto-cjk`` in an existing environment) is not in it. When
no CJK family is known, the font folders are scanned for CJK font files
(:data:`CJK_FILE_HINTS`) and those found are added, so the new font is used at once.

The HTML report embeds only the glyphs it uses (:func:`font_face_css`, through fontTools,
a dependency of matplotlib), so that it reads the same on a machine without CJK fonts.

Nothing happens at import time: the search runs on the first call and is cached.
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

_log = logging.getLogger(__name__)

#: CJK-capable families, in order of preference (Simplified Chinese forms first).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
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
#: Parts of the file names of CJK fonts (lower case), for fonts not yet in matplotlib's
#: cache: Noto Sans CJK, Source Han Sans, WenQuanYi, Microsoft YaHei, SimHei, PingFang.
CJK_FILE_HINTS = (
    "notosanscjk",
    "notosanssc",
    "sourcehansans",
    "wqy-zenhei",
    "wqy-microhei",
    "msyh",
    "simhei",
    "pingfang",
)
#: How to get a CJK font, said when none is found.
INSTALL_HINT = (
    "install one: `apt-get install fonts-noto-cjk` (Debian, Ubuntu), "
    "`dnf install google-noto-sans-cjk-fonts` (Fedora); Windows and macOS ship "
    "Microsoft YaHei and PingFang SC"
)
#: Kept after the CJK family, for the glyphs it lacks.
FALLBACK_FAMILY = "DejaVu Sans"
#: The CSS family name of the font subset embedded in the HTML report.
EMBEDDED_FAMILY = "fiscalsim CJK"

_fallback_noted = False


def _known_families() -> set[str]:
    from matplotlib import font_manager

    return {entry.name for entry in font_manager.fontManager.ttflist}


def _first_cjk(families: set[str]) -> str | None:
    return next((family for family in CJK_FAMILIES if family in families), None)


def _add_uncached_cjk_files() -> int:
    """Add the CJK font files of the system that matplotlib's cache does not list yet;
    returns how many were added."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {str(entry.fname) for entry in manager.ttflist}
    added = 0
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace(" ", "")
        if path in known or not any(hint in name for hint in CJK_FILE_HINTS):
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError) as exc:  # a damaged or unreadable file
            _log.info("could not read font %s: %s", path, exc)
            continue
        added += 1
    return added


@functools.cache
def find_cjk_font() -> str | None:
    """The family name of a CJK font of this machine that matplotlib can use, or None.

    The families matplotlib knows come first (in the order of :data:`CJK_FAMILIES`);
    when none is CJK, CJK font files installed since matplotlib built its font cache are
    added. The result is cached for the process.
    """
    family = _first_cjk(_known_families())
    if family is None and _add_uncached_cjk_files():
        family = _first_cjk(_known_families())
    return family


def configure_cjk_font() -> str | None:
    """Put the CJK font first in matplotlib's ``font.sans-serif``.

    ``DejaVu Sans`` stays in the list as the fallback for glyphs the CJK font lacks.
    ``font.family`` is left alone (matplotlib's default is ``sans-serif``).
    Idempotent: a repeat call only checks the setting (and restores it if, say, an
    ``rc_context`` was left in between).

    Returns
    -------
    str or None
        The CJK family, or None when the machine has no CJK font (then a notice saying
        how to install one is logged once, and :func:`label` gives English only).
    """
    global _fallback_noted
    family = find_cjk_font()
    if family is None:
        if not _fallback_noted:
            _fallback_noted = True
            _log.warning(
                "no CJK font found (looked for %s); chart labels are in English only. To "
                "have them in Chinese too, %s",
                ", ".join(CJK_FAMILIES[:9]),
                INSTALL_HINT,
            )
        return None
    import matplotlib

    current = list(matplotlib.rcParams["font.sans-serif"])
    if current[:1] != [family] or FALLBACK_FAMILY not in current:
        rest = [name for name in current if name not in (family, FALLBACK_FAMILY)]
        matplotlib.rcParams["font.sans-serif"] = [family, FALLBACK_FAMILY, *rest]
    return family


def label(zh: str, en: str, sep: str = " / ") -> str:
    """A chart label: ``"zh / en"`` (or ``zh``, ``sep``, ``en``) when a CJK font is
    configured, else ``en`` alone.

    Calls :func:`configure_cjk_font`, so that the text is drawn in the font it was
    written for.
    """
    return f"{zh}{sep}{en}" if configure_cjk_font() is not None else en


# ------------------------------------------------------------------ the HTML report
@dataclass(frozen=True)
class FontFace:
    """One face of a font file: its path, its index in a collection (``.ttc``) and its
    CSS weight."""

    path: str
    index: int
    weight: int


def cjk_faces() -> list[FontFace]:
    """The regular and (when installed) bold face of the CJK font, lightest first; empty
    without a CJK font."""
    family = find_cjk_font()
    if family is None:
        return []
    from matplotlib import font_manager

    faces: dict[int, FontFace] = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.name != family or entry.style != "normal":
            continue
        raw = entry.weight
        numeric = raw if isinstance(raw, int) else font_manager.weight_dict.get(raw, 400)
        weight = 700 if numeric >= 600 else 400
        index = int(getattr(entry, "index", 0) or 0)  # a face of a .ttc collection
        faces.setdefault(weight, FontFace(str(entry.fname), index, weight))
    return [faces[weight] for weight in sorted(faces)]


def subset_font(face: FontFace, text: str) -> bytes:
    """A WOFF font holding only the glyphs of ``text`` from ``face`` (fontTools)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.font_number = face.index
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    font = subset.load_font(face.path, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()


def font_face_css(text: str) -> str:
    """``@font-face`` rules embedding the CJK font's glyphs of ``text`` (regular and bold)
    as ``data:`` URIs, under :data:`EMBEDDED_FAMILY`; empty without a CJK font or
    without non-ASCII text."""
    glyphs = "".join(sorted({char for char in text if ord(char) > 0x7F}))
    if not glyphs:
        return ""
    rules = []
    for face in cjk_faces():
        data = base64.b64encode(subset_font(face, glyphs)).decode("ascii")
        rules.append(
            f'@font-face{{font-family:"{EMBEDDED_FAMILY}";font-weight:{face.weight};'
            f'font-style:normal;src:url(data:font/woff;base64,{data}) format("woff")}}'
        )
    return "\n".join(rules)


__all__ = [
    "CJK_FAMILIES",
    "CJK_FILE_HINTS",
    "EMBEDDED_FAMILY",
    "INSTALL_HINT",
    "FontFace",
    "cjk_faces",
    "configure_cjk_font",
    "find_cjk_font",
    "font_face_css",
    "label",
    "subset_font",
]
