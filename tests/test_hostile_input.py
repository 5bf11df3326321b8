"""Broken and hostile files: every one stops with where it broke, and nothing is screened with rows lost."""
import subprocess
import sys
from pathlib import Path

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


def test_a_multi_line_post_with_commas_in_an_id_text_export_is_read_as_written(models_dir, tmp_path):
    rows = [f"{i},第{i}条广告，今日特价" for i in range(10)]
    rows[4] = '4,"置顶帖,请先看完\n1. 本群只发正规信息,不收任何费用\n2. 有问题私信群主,谢谢"'
    path = tmp_path / "posts.csv"
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = screen("--input", path, "--output", out)
    assert result.returncode == 0, result.stderr
    import pandas as pd

    screened = pd.read_csv(out, encoding="utf-8-sig")
    assert screened["id"].tolist() == list(range(10)) and screened.loc[4, "text"].count("\n") == 2


def test_an_open_quote_in_an_id_text_export_still_stops(models_dir, tmp_path):
    rows = [f"{i},第{i}条广告，今日特价" for i in range(10)]
    rows[4] = '4,"这一行的引号没有闭合'
    path = tmp_path / "open.csv"
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = screen("--input", path, "--output", tmp_path / "out.csv")
    assert result.returncode == 1 and "第 6 行" in result.stderr and "引号没有正确闭合" in result.stderr


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


# --- one writer at a time; what a killed run leaves ---------------------------------------------------------
def train_cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, str(ROOT / "train.py"), *map(str, args)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def wait_until(condition, seconds=120.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    raise AssertionError("the condition was not reached in time")


def case_file(path, texts, label="1"):
    import pandas as pd

    pd.DataFrame({"text": texts, "label": label}).to_csv(path, index=False)
    return path


FIRST = ["社区养老驿站招募投资人，一万元一份，每月分红三百，三年后本金全退",
         "内部渠道补缴社保，一次交清五万，下月起养老金每月多领两千"]
SECOND = ["区块链养老币限时认购，持币一年翻三倍，推荐好友再送百分之十",
          "【惠民超市】本周鸡蛋五块九一斤，会员再打九五折，回T退订"]


def test_two_adds_at_once_one_waits_its_turn_and_every_case_lands_once(models_dir, small_corpus, tmp_path):
    import pandas as pd

    cases = tmp_path / "cases.csv"
    common = ["--cases", cases, "--data", small_corpus, "--force"]
    first = train_cli("add", case_file(tmp_path / "a.csv", FIRST), *common)
    lock = models_dir / "writer.lock"
    wait_until(lambda: lock.is_file() and lock.read_text().strip() == str(first.pid))
    second = train_cli("add", case_file(tmp_path / "b.csv", SECOND, label="0"), *common)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 1 and f"另一个训练正在进行（pid {first.pid}）" in err
    first.communicate(timeout=300)
    assert first.returncode == 0
    again = train_cli("add", tmp_path / "b.csv", *common)
    again.communicate(timeout=300)
    assert again.returncode == 0
    stored = pd.read_csv(cases)["text"].tolist()
    assert sorted(stored) == sorted(FIRST + SECOND)


@pytest.mark.parametrize("moment", ["while training", "after the candidate was saved"])
def test_a_killed_add_leaves_nothing_that_looks_complete(models_dir, small_corpus, tmp_path, moment):
    import os
    import signal

    from screener.store import ModelStore

    cases = tmp_path / "cases.csv"
    store = ModelStore(models_dir)
    before = store.versions()
    add = train_cli("add", case_file(tmp_path / "a.csv", FIRST), "--cases", cases, "--data", small_corpus, "--force")
    lock = models_dir / "writer.lock"
    if moment == "while training":
        wait_until(lambda: lock.is_file() and lock.read_text().strip() == str(add.pid))
    else:
        wait_until(lambda: (models_dir / "v2" / "metadata.json").is_file())
    os.kill(add.pid, signal.SIGKILL)
    add.wait()
    assert store.versions() == before and store.current() == "default"
    listed = subprocess.run([sys.executable, str(ROOT / "train.py"), "models"], capture_output=True, text=True)
    assert "v2" not in listed.stdout
    refused = subprocess.run([sys.executable, str(ROOT / "train.py"), "rollback", "v2"], capture_output=True, text=True)
    assert refused.returncode == 1 and "没有完成比较的模型版本" in refused.stderr
    assert not cases.exists()
    # the next run cleans up after the killed one, and lands
    rerun = train_cli("add", tmp_path / "a.csv", "--cases", cases, "--data", small_corpus, "--force")
    rerun.communicate(timeout=300)
    assert rerun.returncode == 0
    assert not [p for p in models_dir.iterdir() if p.name.startswith(".")]
    assert not list(tmp_path.glob(".cases.csv.*"))
    assert store.current() in store.versions() and len(store.versions()) == len(before) + 1


def test_a_killed_batch_run_takes_its_workers_with_it_and_the_next_run_cleans_up(models_dir, tmp_path):
    import os
    import signal
    import time

    from screener.config import DEFAULT_DATA
    import pandas as pd

    texts = pd.read_csv(DEFAULT_DATA)["text"]
    rows = pd.DataFrame({"内容": [f"{t} 编号{i}" for i, t in enumerate(texts.tolist() * 4)]})
    source = tmp_path / "big.csv"
    rows.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    run = subprocess.Popen([sys.executable, str(ROOT / "predict.py"), "--input", str(source), "--output", str(out),
                            "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def workers():
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == run.pid and "python" in (stat.parent / "cmdline").read_text(errors="ignore"):
                found.append(int(stat.parent.name))
        return found

    wait_until(lambda: len(workers()) >= 2 and list(tmp_path.glob(".out.csv.*.partial")))
    children = workers()
    time.sleep(1.0)  # workers are scoring
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    wait_until(lambda: not [pid for pid in children if Path(f"/proc/{pid}").exists()
                            and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]],
               seconds=15)
    assert list(tmp_path.glob(".out.csv.*.partial")) and not out.exists()
    small = tmp_path / "small.csv"
    rows.head(50).to_csv(small, index=False)
    assert screen("--input", small, "--output", out).returncode == 0
    assert out.exists() and not list(tmp_path.glob(".out.csv.*.partial"))


# --- size bombs and limits ----------------------------------------------------------------------------------
def rewrite_sheet(path, change):
    """Rewrite the first worksheet's XML of an .xlsx with change(xml) -> xml."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = change(parts[sheet].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def small_workbook(path, header=("编号", "内容")):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(list(header))
    book.active.append([1, "养老公寓床位认购，年化收益18%，到期回购"])
    book.active.append([2, "【鲜果坊】今日车厘子特价39元一斤，回T退订"])
    book.save(path)
    return path


def test_an_xlsx_that_declares_a_huge_sheet_reads_only_the_rows_it_holds(models_dir, tmp_path):
    import re
    import time

    import pandas as pd

    path = small_workbook(tmp_path / "bomb.xlsx")
    rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml))
    out = tmp_path / "out.csv"
    started = time.monotonic()
    result = screen("--input", path, "--output", out)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    assert pd.read_csv(out, encoding="utf-8-sig")["编号"].tolist() == [1, 2]


def test_an_xlsx_with_thousands_of_columns_or_a_zip_bomb_is_refused_before_reading(models_dir, tmp_path, monkeypatch):
    import openpyxl

    wide = tmp_path / "wide.xlsx"
    book = openpyxl.Workbook()
    book.active.cell(row=1, column=1, value="内容")
    book.active.cell(row=1, column=16_384, value="最后一列")
    book.active.cell(row=2, column=1, value="一条广告")
    book.save(wide)
    result = screen("--input", wide, "--output", tmp_path / "out.csv")
    assert result.returncode == 1 and "16,384 列，超过 1000 列的上限" in result.stderr

    from screener import tables
    from screener.errors import InputError

    packed = small_workbook(tmp_path / "packed.xlsx")
    monkeypatch.setattr(tables, "XLSX_MAX_UNPACKED", 1000)  # a real bomb would take gigabytes to build
    with pytest.raises(InputError, match="压缩炸弹"):
        list(tables.read_chunks(tables.open_source(str(packed))))


# --- smaller defects ----------------------------------------------------------------------------------------
def test_repeated_red_flags_are_listed_once_with_a_count_and_the_score_is_unchanged(models_dir):
    import numpy as np

    from features.pipeline import read_ad
    from features.redflags import MAX_RED_FLAGS, find_red_flags, flag_vector, shown_red_flags

    text = "保本保息年化18%，" * 3000
    ad = read_ad(text)
    assert len(ad.red_flags) <= MAX_RED_FLAGS and ad.red_flags_omitted > 5000
    assert len({(h.key, h.evidence) for h in ad.red_flags}) == len(ad.red_flags)
    every = find_red_flags(text)
    assert np.array_equal(flag_vector(every, [], []), flag_vector(shown_red_flags(every)[0], [], []))
    result = screen(text)
    assert result.returncode == 0 and len(result.stdout.splitlines()) < 30
    assert "另有" in result.stdout


def test_output_equal_to_input_is_refused_unless_forced_and_keeps_permissions(models_dir, tmp_path):
    import os

    import pandas as pd

    path = tmp_path / "listings.csv"
    pd.DataFrame({"内容": ["养老公寓床位认购，年化收益18%", "今日鸡蛋特价，回T退订"]}).to_csv(path, index=False)
    os.chmod(path, 0o640)
    original = path.read_bytes()
    refused = screen("--input", path, "--output", path)
    assert refused.returncode == 2 and "同一个文件" in refused.stderr and path.read_bytes() == original
    assert screen("--input", path, "--output", tmp_path / "." / "listings.csv").returncode == 2
    in_glob = screen("--input", tmp_path / "*.csv", "--output", path, "--scheduler", "local:1")
    assert in_glob.returncode == 2 and "同一个文件" in in_glob.stderr
    forced = screen("--input", path, "--output", path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "score" in pd.read_csv(path, encoding="utf-8-sig").columns
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_xlsx_cells_past_excels_limit_are_cut_with_a_mark(models_dir, tmp_path):
    import openpyxl
    import pandas as pd

    long_ad = "养老公寓床位认购，年化收益18%，到期回购。" * 3000  # 69,000 characters
    path = tmp_path / "long.csv"
    pd.DataFrame({"内容": [long_ad]}).to_csv(path, index=False)
    out = tmp_path / "out.xlsx"
    assert screen("--input", path, "--output", out).returncode == 0
    cell = openpyxl.load_workbook(out).active["A2"].value
    assert len(cell) <= 32_767 and cell.endswith("字]") and "超出 Excel 单元格上限" in cell


def test_jsonl_lists_and_objects_are_written_as_json_text(models_dir, tmp_path):
    import json

    import openpyxl

    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"内容": "养老公寓床位认购，年化收益18%", "tags": ["养老", "理财"], "meta": {"赞": 3}},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = screen("--input", path, "--output", out)
    assert result.returncode == 0, result.stderr
    header, row = [[c.value for c in r] for r in openpyxl.load_workbook(out).active.iter_rows(max_row=2)]
    cells = dict(zip(header, row))
    assert json.loads(cells["tags"]) == ["养老", "理财"] and json.loads(cells["meta"]) == {"赞": 3}
