"""Finding a font that has Chinese glyphs, wherever the system keeps one."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from PIL import ImageFont

#: (path, index in a collection); Noto Sans CJK's collection holds SC at index 2.
KNOWN = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
]


def _from_fontconfig() -> tuple[str, int] | None:
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    try:
        found = subprocess.run(
            [fc_match, "-f", "%{file}:%{index}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = found.rpartition(":")
    if path and Path(path).exists() and path.lower().endswith((".ttc", ".otf", ".ttf")):
        return path, int(index or 0)
    return None


def _from_package() -> tuple[str, int] | None:
    try:
        import cvttf_NotoSansCJK_Regular as packaged  # type: ignore[import-untyped]
    except ImportError:
        return None
    return packaged.get_TTF_path(), 0


@cache
def cjk_font_file(configured: str | None = None) -> tuple[str, int]:
    """The font used for labels: ``configured`` (the settings' label font), a system CJK font,
    or the packaged one."""
    if configured:
        return configured, 0
    for path, index in KNOWN:
        if Path(path).exists():
            return path, index
    found = _from_fontconfig() or _from_package()
    if found is None:
        raise RuntimeError(
            "no font with Chinese glyphs found: install fonts-noto-cjk or set COURIER_LABEL_FONT"
        )
    return found


@cache
def font(size: int, font_file: str | None = None) -> ImageFont.FreeTypeFont:
    """The label font at ``size`` dots; ``font_file`` as for :func:`cjk_font_file`."""
    path, index = cjk_font_file(font_file)
    return ImageFont.truetype(path, size=size, index=index)
