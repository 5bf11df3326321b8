"""Ads read off photos: a rendered flyer end to end, evidence boxes on the image, unreadable images, folders."""
import json
import subprocess
import sys

import pandas as pd
import pytest

from bench.flyers import fonts_available, render_flyer
from screener.config import ROOT

pytest.importorskip("rapidocr_onnxruntime")
pytestmark = pytest.mark.skipif(not fonts_available(), reason="Debian's fonts-noto-cjk is not installed (make test "
                                                               "installs it)")

FLYER = "叔叔阿姨看过来！康养基地床位认购，年化收益18%，五年到期回购，保本保息。咨询电话13912345678"
NORMAL = "鲜果坊今日车厘子特价三十九元一斤，会员再享九折，欢迎选购"


def predict(*args):
    return subprocess.run([sys.executable, str(ROOT / "predict.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_a_flyer_photo_is_read_scored_and_its_evidence_boxed(models_dir, tmp_path):
    photo = tmp_path / "flyer.jpg"
    photo.write_bytes(render_flyer(FLYER, seed=3))
    result = predict("--image", photo, "--json")
    assert result.returncode == 0, result.stderr
    d = json.loads(result.stdout)
    assert d["ocr_text"].replace(" ", "").startswith("叔叔阿姨看过来") and d["ocr_confidence"] > 0.9
    assert d["level"] == "高" and d["flagged"]
    width, height = d["image"]["width"], d["image"]["height"]
    names = {f["name"] for f in d["red_flags"]}
    assert {"承诺收益率", "保本稳赚承诺", "针对老年人"} <= names
    for flag in d["red_flags"]:
        assert flag["boxes"], flag
        for x0, y0, x1, y1 in flag["boxes"]:
            assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    # the box of 叔叔阿姨 is on the first line, left of the box of the promised rate's line start
    elder = next(f for f in d["red_flags"] if f["name"] == "针对老年人")["boxes"][0]
    rate = next(f for f in d["red_flags"] if f["name"] == "承诺收益率")["boxes"]
    assert elder[1] < max(b[1] for b in rate)
    human = predict("--image", photo)
    assert human.returncode == 0 and "证据在图中的位置" in human.stdout and "风险等级: 高" in human.stdout


def test_blank_and_non_images_get_clear_errors(models_dir, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), "white").save(blank)
    result = predict("--image", blank)
    assert result.returncode == 1 and "没有读到文字" in result.stderr
    fake = tmp_path / "notes.jpg"
    fake.write_text("这不是图片", encoding="utf-8")
    result = predict("--image", fake)
    assert result.returncode == 1 and "不是可读取的图片" in result.stderr
    missing = predict("--image", tmp_path / "none.jpg")
    assert missing.returncode == 1 and "找不到图片" in missing.stderr


def test_a_folder_of_photos_gives_one_row_per_file_in_sorted_order(models_dir, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "c_flyer.jpg").write_bytes(render_flyer(FLYER, seed=1))
    (folder / "a_shop.png").write_bytes(render_flyer(NORMAL, plain=True))
    (folder / "b_broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "readme.txt").write_text("不是图片", encoding="utf-8")
    out = tmp_path / "screened.csv"
    result = predict("--input", folder, "--output", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert [p.rsplit("/", 1)[1] for p in rows["file"]] == ["a_shop.png", "b_broken.jpg", "c_flyer.jpg"]
    assert rows["level"].tolist()[0] == "低" and rows["level"].tolist()[2] == "高"
    assert "不是可读取的图片" in rows["error"][1] and rows["ocr_text"][1] == ""
    glob_out = tmp_path / "glob.jsonl"
    assert predict("--input", folder / "*.jpg", "--output", glob_out).returncode == 0
    assert len(glob_out.read_text(encoding="utf-8").splitlines()) == 2


def test_without_the_ocr_extra_the_message_says_how_to_install(monkeypatch):
    from screener import ocr
    from screener.errors import InputError

    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # as if not installed
    with pytest.raises(InputError, match=r'pip install -e "\.\[ocr\]"'):
        ocr._ocr_engine()
