"""Broken and hostile files: every one stops with where it broke, and nothing is screened with rows lost."""
import subprocess
import sys

import pytest

from screener.config import ROOT


def screen(*args):
    return subprocess.run([sys.executable, str(ROOT / "predict.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def rows_file(path, lines, encoding="utf-8"):
    path.write_text("id,内容,平台\n" + "\n".join(lines) + "\n", encoding=encoding)
    return path


def ads(n):
    return [f'{i},"【某店】第{i}条广告，今日特价，回T退订",论坛' for i in range(n)]


@pytest.mark.parametrize("closing", [None, 300], ids=["never closed", "closed 150 lines later"])
def test_an_unbalanced_quote_stops_with_its_line_and_byte_offset(models_dir, tmp_path, closing):
    lines = ads(1000)
    lines[150] = '150,"这一行的引号没有闭合，回T退订,论坛'
    if closing:
        lines[closing] = f'{closing},这一行有一个"引号,论坛'
    path = rows_file(tmp_path / "broken.csv", lines)
    out = tmp_path / "out.csv"
    result = screen("--input", path, "--output", out)
    assert result.returncode == 1
    offset = path.read_bytes().index('150,"这一行'.encode())
    assert f"第 152 行（从文件第 {offset} 字节起）有引号没有正确闭合" in result.stderr
    assert not out.exists()


def test_quoted_cells_with_line_breaks_and_stray_quotes_are_read_as_written(models_dir, tmp_path):
    lines = ads(20)
    lines[5] = '5,"第一行：养老公寓床位预售\n第二行：每月返利500元\n第三行：到期全额退还",论坛'
    lines[9] = '9,他说"这家店不错,论坛'  # a quote inside an unquoted cell is text
    out = tmp_path / "out.csv"
    result = screen("--input", rows_file(tmp_path / "multiline.csv", lines), "--output", out)
    assert result.returncode == 0, result.stderr
    import pandas as pd

    screened = pd.read_csv(out, encoding="utf-8-sig")
    assert screened["id"].tolist() == list(range(20)) and screened.loc[5, "内容"].count("\n") == 2
    assert screened.loc[9, "内容"] == '他说"这家店不错'


def test_a_bad_byte_is_reported_with_its_line_and_offset(models_dir, tmp_path):
    good = "id,内容\n" + "".join(f"{i},第{i}条正常的广告\n" for i in range(3))
    data = good.encode() + b"3,\xff\xfe\n" + "4,又一条\n".encode()
    path = tmp_path / "bad_byte.csv"
    path.write_bytes(data)
    result = screen("--input", path, "--output", tmp_path / "out.csv")
    assert result.returncode == 1
    assert f"第 5 行（文件第 {len(good.encode()) + 2} 字节）" in result.stderr and "bad_byte.csv" in result.stderr
    # past the sample the encoding is judged from, the same file still says where
    big = ("id,内容\n" + "".join(f"{i},第{i}条正常的广告内容，欢迎选购\n" for i in range(40_000))).encode()
    path.write_bytes(big + b"40000,\xff\n")
    result = screen("--input", path, "--output", tmp_path / "out.csv", "--encoding", "utf-8")
    assert result.returncode == 1
    assert f"第 40002 行（文件第 {len(big) + 6} 字节）" in result.stderr
