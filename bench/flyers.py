"""Ads rendered as flyer photos, for measuring OCR and for the photo tests.

Debian's Noto CJK fonts (fonts-noto-cjk); several sizes and colours, multi-line layouts,
slight rotation, blur and JPEG compression, chosen per text by a seeded random generator.
"""
from __future__ import annotations

import io
import random
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc")
# (ink, paper): black on white, red on cream, white on red, blue on pale yellow
COLOURS = (("#111111", "#ffffff"), ("#b00000", "#fff8e8"), ("#ffffff", "#c0181f"), ("#0b3d91", "#fffbd0"))


def fonts_available() -> bool:
    return all((FONT_DIR / f).is_file() for f in FONTS)


def render_flyer(text: str, seed: int = 0, plain: bool = False) -> bytes:
    """A JPEG of text laid out as a flyer; ``plain`` gives a clean, upright black-on-white PNG."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    rng = random.Random(seed)
    size = 34 if plain else rng.choice((26, 30, 34, 40, 46))
    font = ImageFont.truetype(str(FONT_DIR / (FONTS[0] if plain else rng.choice(FONTS))), size,
                              layout_engine=ImageFont.Layout.BASIC)  # no shaping needed for CJK; never fails
    text = " ".join(text.split())
    ink, paper = COLOURS[0] if plain else rng.choice(COLOURS)
    per_line = 16 if plain else rng.randint(12, 20)
    lines = [text[i:i + per_line] for i in range(0, len(text), per_line)] or [" "]
    margin, spacing = size, int(size * 0.6)
    width = margin * 2 + max(int(font.getlength(line)) for line in lines)
    height = margin * 2 + len(lines) * (size + spacing)
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    for k, line in enumerate(lines):
        draw.text((margin, margin + k * (size + spacing)), line, font=font, fill=ink)
    out = io.BytesIO()
    if plain:
        image.save(out, format="PNG")
        return out.getvalue()
    image = image.rotate(rng.uniform(-3, 3), expand=True, fillcolor=paper, resample=Image.BICUBIC)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.0)))
    image.save(out, format="JPEG", quality=rng.randint(60, 90))
    return out.getvalue()
