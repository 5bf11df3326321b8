"""Ads on paper: read the text off a photo, keep where each character stood, and mark the evidence.

OCR is RapidOCR (PP-OCR detection and recognition models shipped inside its wheel, run
offline with onnxruntime), an optional extra: ``pip install -e ".[ocr]"``. The lines it
finds are put in reading order (top to bottom, left to right within a row) and joined into
one text (rows and boxes separated by a space, which the normaliser joins where it splits a
word or a number), with a box for every character, so that each red flag's span in the text
maps back to boxes on the image.
"""
from __future__ import annotations

import glob
import io
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .batch import become_worker
from .campaigns import CampaignGrouper
from .errors import InputError
from .report import RESULT_COLUMNS, error_cells, result_cells
from .scoring import Failure, Result, Scorer, load_scorer
from .tables import check_writable, open_table_writer, output_format

OCR_EXTRA = 'pip install -e ".[ocr]"'
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif")
MAX_IMAGE_PIXELS = 50_000_000   # larger images are refused before decoding (a decompression bomb)
MAX_SIDE = 2_400                # photos are scaled down to this longest side before OCR (phones shoot 4,000+)


@dataclass
class Line:
    text: str
    box: tuple[float, float, float, float]   # x0, y0, x1, y1 in the image's pixels
    confidence: float


@dataclass
class PhotoText:
    """The text read off one image, and where each of its characters stood."""

    text: str
    confidence: float
    width: int
    height: int
    lines: list[Line]
    char_boxes: list = field(default_factory=list)   # per character of text: its line index and box, or None

    def boxes(self, start: int, end: int) -> list[list[int]]:
        """Boxes covering characters start..end of the text: one per line the span crosses."""
        by_line: dict[int, list] = {}
        for item in self.char_boxes[start:end]:
            if item is not None:
                by_line.setdefault(item[0], []).append(item[1])
        return [[round(min(b[0] for b in bs)), round(min(b[1] for b in bs)), round(max(b[2] for b in bs)),
                 round(max(b[3] for b in bs))] for bs in by_line.values()]


@dataclass
class PhotoResult:
    file: str
    photo: PhotoText
    result: Result | Failure

    def to_dict(self) -> dict:
        d = {"file": self.file, "ocr_text": self.photo.text, "ocr_confidence": round(self.photo.confidence, 4),
             "image": {"width": self.photo.width, "height": self.photo.height}, **self.result.to_dict()}
        if isinstance(self.result, Result):
            d["red_flags"] = [{**h.as_dict(), "boxes": self.photo.boxes(h.start, h.end)} for h in self.result.red_flags]
        return d


_engine = None


def _ocr_engine():
    global _engine
    if _engine is None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            raise InputError(f"读取图片需要 OCR 组件：请运行 {OCR_EXTRA}") from None
        _engine = RapidOCR()
    return _engine


def open_image(data: bytes, name: str):
    """The image as an RGB array (turned upright by its EXIF orientation), or a clear error."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError:
        raise InputError(f"{name} 的像素超过 {MAX_IMAGE_PIXELS:,}，无法读取；请缩小后重试") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        heic = Path(name).suffix.lower() in (".heic", ".heif")
        raise InputError(f"{name} 不是可读取的图片" + ("（读取 HEIC 需要 pip install pillow-heif）" if heic else
                                                   "；支持 JPEG、PNG、WebP、BMP、TIFF")) from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    scale = min(1.0, MAX_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)))
    return np.asarray(image), scale


def read_photo(data: bytes, name: str) -> PhotoText:
    """OCR of one image: its lines in reading order, joined into one text with a box per character."""
    pixels, scale = open_image(data, name)
    found, _ = _ocr_engine()(pixels)
    if not found:
        raise InputError(f"{name} 中没有读到文字（空白、太模糊或字太小）；请换一张清晰、正对的照片")
    lines = []
    for quad, text, confidence in found:
        xs, ys = [p[0] / scale for p in quad], [p[1] / scale for p in quad]
        if text.strip():
            lines.append(Line(text.strip(), (min(xs), min(ys), max(xs), max(ys)), float(confidence)))
    rows = _reading_order(lines)
    text_parts, char_boxes, ordered = [], [], []
    for r, row in enumerate(rows):
        for k, line in enumerate(row):
            if r or k:  # a space, not a line break: a flyer breaks words and phone numbers across lines,
                text_parts.append(" ")  # and the normaliser joins what a space splits
                char_boxes.append(None)
            index = len(ordered)
            ordered.append(line)
            x0, y0, x1, y1 = line.box
            step = (x1 - x0) / max(len(line.text), 1)
            for i, _ in enumerate(line.text):
                char_boxes.append((index, (x0 + i * step, y0, x0 + (i + 1) * step, y1)))
            text_parts.append(line.text)
    height, width = pixels.shape[:2]
    weights = [len(line.text) for line in ordered]
    confidence = sum(w * line.confidence for w, line in zip(weights, ordered)) / max(sum(weights), 1)
    return PhotoText("".join(text_parts), confidence, round(width / scale), round(height / scale), ordered,
                     char_boxes)


def _reading_order(lines: list[Line]) -> list[list[Line]]:
    """Rows of lines, top to bottom; a line joins a row when most of its height overlaps the row's."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda l: (l.box[1] + l.box[3]) / 2):
        top, bottom = line.box[1], line.box[3]
        if rows:
            row_top = min(l.box[1] for l in rows[-1])
            row_bottom = max(l.box[3] for l in rows[-1])
            overlap = min(bottom, row_bottom) - max(top, row_top)
            if overlap > 0.5 * min(bottom - top, row_bottom - row_top):
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda l: l.box[0]) for row in rows]


def score_photo(scorer: Scorer, data: bytes, name: str) -> PhotoResult:
    """Read and score one photo."""
    photo = read_photo(data, name)
    return PhotoResult(name, photo, scorer.score_ads([photo.text])[0])


def is_image_path(path: str) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


# --- a folder of photos -------------------------------------------------------------------------------------
PHOTO_COLUMNS = ("file", "ocr_text", "ocr_confidence")
_photo_scorer: Scorer | None = None


def photo_paths(pattern: str) -> list[str] | None:
    """The images a folder or glob names, sorted; None when it names something else (a table)."""
    if Path(pattern).is_dir():
        found = [str(p) for p in Path(pattern).iterdir() if p.is_file()]
    elif glob.has_magic(pattern):
        found = glob.glob(pattern)
    else:
        return None
    images = sorted(p for p in found if is_image_path(p))
    if glob.has_magic(pattern) and found and len(images) < len(found):
        return None  # a glob of tables
    if not images:
        raise InputError(f"{pattern} 中没有图片（支持 {'、'.join(IMAGE_SUFFIXES)}）")
    return images


def _start_photo_worker(models_root: str, version: str, threshold: float, parent: int) -> None:
    global _photo_scorer
    become_worker(parent)
    _photo_scorer = load_scorer(models_root, version, threshold)


def _photo_row(path: str):
    """(photo text, confidence, result) of one image, or (None, None, the reason it could not be read)."""
    try:
        scored = score_photo(_photo_scorer, Path(path).read_bytes(), Path(path).name)
    except InputError as e:
        return None, None, str(e)
    except OSError as e:
        return None, None, f"无法读取文件（{e.strerror}）"
    return scored.photo.text, round(scored.photo.confidence, 4), scored.result


def screen_photos(paths: list[str], output: str | None, *, scorer: Scorer, models_dir, jobs: int | None = None,
                  fmt: str | None = None, notify=None, stdout=None) -> dict:
    """One row per image, in sorted order: file, the text read, its confidence, and the usual result columns."""
    notify = notify or (lambda m: None)
    fmt = fmt if fmt and output in (None, "-") else output_format(output)
    if output and output != "-":
        check_writable(output)
    started = time.perf_counter()
    jobs = min(jobs or os.cpu_count() or 1, len(paths))
    if jobs > 1:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_photo_worker,
                                   initargs=(str(models_dir), scorer.version, scorer.threshold, os.getpid()))
        rows = pool.map(_photo_row, paths)
    else:
        global _photo_scorer
        pool, _photo_scorer = None, scorer
        rows = map(_photo_row, paths)
    grouper, counts = CampaignGrouper(), {"rows": 0, "errors": 0, "flagged": 0}
    try:
        with open_table_writer(output, fmt, stdout=stdout) as writer:
            for n, (path, (text, confidence, result)) in enumerate(zip(paths, rows), 1):
                if isinstance(result, Result):
                    campaign = grouper.assign(n, text, result) if result.flagged else ""
                    cells = result_cells(result, fmt == "jsonl", campaign)
                    counts["flagged"] += result.flagged
                else:
                    reason = result.error if isinstance(result, Failure) else result
                    cells = error_cells(reason)
                    counts["errors"] += 1
                row = dict(zip(PHOTO_COLUMNS, (path, text or "", "" if confidence is None else confidence)))
                row.update(zip(RESULT_COLUMNS, cells))
                writer.write(pd.DataFrame([row], dtype=object))
                counts["rows"] += 1
                notify(f"[{n}/{len(paths)}] {Path(path).name}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    notify(f"图片 {counts['rows']} 张，可疑 {counts['flagged']}，无法读取 {counts['errors']}；{counts['seconds']} 秒 -> "
           f"{output or '标准输出'}")
    return counts
