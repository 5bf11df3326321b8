"""predict.py --input: every format, every row back in order, errors before work, nothing half-written."""
import json
import os
import signal
import subprocess
import sys
import time

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import predict
from screener.config import ROOT

ADS = [
    "叔叔阿姨看过来！康养基地床位认购，年化收益18%，到期回购，保本保息",
    "【鲜果坊】今日车厘子特价39元一斤，会员再享9折，回T退订",
    "",
    "退休操盘手建群，每日免费推荐涨停牛股，人满即封，加QQ口令",
    "【平安社区】警惕！凡是承诺保本保息的养老项目都是非法集资，请拨打96110举报",
    "叔叔阿姨看过来！康养基地床位认购，年化收益18%，到期回购，保本保息",
]


def run(args, input=None):
    return CliRunner().invoke(predict.main, args, input=input)


def expected_scores(screener):
    return [r.score for r in screener.analyse([a for a in ADS if a])]


def check_rows(df, screener, text_column="text"):
    assert len(df) == len(ADS)
    assert [("" if pd.isna(t) else str(t)) for t in df[text_column]] == ADS
    assert df["error"].fillna("").tolist() == ["", "", "文本为空", "", "", ""]
    scores = [float(s) for s, e in zip(df["score"], df["error"].fillna("")) if not e]
    assert scores == pytest.approx(expected_scores(screener), abs=1e-6)


def test_gbk_csv_to_csv(models_dir, screener, tmp_path):
    src = tmp_path / "listings.csv"
    pd.DataFrame({"编号": range(len(ADS)), "内容": ADS}).to_csv(src, index=False, encoding="gbk")
    out = tmp_path / "screened.csv"
    result = run(["--input", str(src), "--output", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns) == ["编号", "内容", "score", "level", "flagged", "scheme", "scheme_name", "scheme_confidence",
                                "red_flags", "contacts", "top_terms", "campaign", "error"]
    assert df["编号"].tolist() == list(range(len(ADS)))
    check_rows(df, screener, "内容")
    assert "承诺收益率:年化收益18%(年化18%)" in df["red_flags"][0]


def test_utf8_bom_csv_to_stdout(models_dir, screener, tmp_path):
    src = tmp_path / "bom.csv"
    pd.DataFrame({"text": ADS, "source": "群聊"}).to_csv(src, index=False, encoding="utf-8-sig")
    result = run(["--input", str(src), "--quiet"])
    assert result.exit_code == 0, result.output
    from io import StringIO
    check_rows(pd.read_csv(StringIO(result.stdout), keep_default_na=False), screener)


def test_xlsx_in_and_out(models_dir, screener, tmp_path):
    src = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["标题", "正文", "价格"])
    for i, ad in enumerate(ADS):
        sheet.append([f"帖子{i}", ad or None, 100 + i])
    book.save(src)
    out = tmp_path / "out.xlsx"
    result = run(["--input", str(src), "--output", str(out), "--text-column", "正文", "-q"])
    assert result.exit_code == 0, result.output
    df = pd.read_excel(out)
    assert df["价格"].tolist() == [100 + i for i in range(len(ADS))]
    check_rows(df.rename(columns={"正文": "text"}), screener)


def test_jsonl_in_and_out_keeps_structure(models_dir, screener, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "content": a}, ensure_ascii=False) for i, a in enumerate(ADS)),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert run(["--input", str(src), "-o", str(out), "-q"]).exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(range(len(ADS)))
    assert rows[0]["red_flags"][0]["name"] and isinstance(rows[0]["top_terms"], list)
    assert rows[2]["error"] == "文本为空"


def test_stdin_text_lines(models_dir, screener):
    result = run(["--input", "-", "-q"], input="\n".join(ADS) + "\n")
    assert result.exit_code == 0, result.output
    from io import StringIO
    check_rows(pd.read_csv(StringIO(result.stdout), keep_default_na=False), screener)


def test_json_flag_gives_jsonl_on_stdout(models_dir):
    result = run(["--input", "-", "--json", "-q"], input="\n".join(ADS) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ADS
    assert rows[0]["red_flags"][0]["name"] and rows[2]["error"] == "文本为空"


def test_ambiguous_or_missing_column_lists_the_columns(models_dir, tmp_path):
    src = tmp_path / "two.csv"
    pd.DataFrame({"标题": ["养老项目招商说明"] * 3, "备注": ["认购床位年化18%到期回购"] * 3}).to_csv(src, index=False)
    result = run(["--input", str(src)])
    assert result.exit_code == 1
    assert "无法判断" in result.output and "现有的列：标题, 备注" in result.output
    result = run(["--input", str(src), "--text-column", "内容"])
    assert result.exit_code == 1
    assert "中没有列 '内容'" in result.output and "现有的列：标题, 备注" in result.output


def test_user_errors_fail_before_work(models_dir, tmp_path):
    assert "找不到输入文件" in run(["--input", str(tmp_path / "nope.csv")]).output
    bad_xlsx = tmp_path / "bad.xlsx"
    bad_xlsx.write_text("not a workbook", encoding="utf-8")
    result = run(["--input", str(bad_xlsx)])
    assert result.exit_code == 1 and "不是 Excel .xlsx 工作簿" in result.output
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text\n保本保息年化百分之十八\n".encode("gbk"))
    result = run(["--input", str(gbk), "--encoding", "utf-8"])
    assert result.exit_code == 1 and "无法按 utf-8 解码" in result.output
    src = tmp_path / "ok.csv"
    src.write_text("text\n保本保息\n", encoding="utf-8")
    result = run(["--input", str(src), "--output", str(tmp_path / "no" / "such" / "dir.csv")])
    assert result.exit_code == 1 and "不存在" in result.output
    result = run(["--input", str(src), "--output", str(tmp_path / "out.docx")])
    assert result.exit_code == 1 and "须以 .csv、.tsv、.xlsx、.jsonl 或 .parquet 结尾" in result.output


def test_undecodable_bytes_mid_file_leave_no_output(models_dir, tmp_path):
    src = tmp_path / "broken.csv"
    good = ("text\n" + "今日特价鸡蛋五元一斤回T退订\n" * 40000).encode("utf-8")
    src.write_bytes(good + b"\xff\xfe\xff broken\n" + "保本保息\n".encode("utf-8"))
    out = tmp_path / "out.csv"
    result = run(["--input", str(src), "--output", str(out), "--encoding", "utf-8", "-q"])
    assert result.exit_code == 1 and "不符合 utf-8 编码" in result.output
    assert not out.exists()
    assert list(tmp_path.glob(".out.csv.*")) == []


def test_a_run_gives_the_collector_back_even_when_it_fails(models_dir, tmp_path):
    """Batch runs collect garbage once per chunk instead of automatically; a web server that ran one must get its
    collector back as it was, whether the run ended well or not."""
    import gc

    from screener.batch import screen_file
    from screener.errors import Cancelled

    src = tmp_path / "ok.csv"
    pd.DataFrame({"text": ADS[:2] * 3000}).to_csv(src, index=False)
    assert gc.isenabled()
    screen_file(str(src), str(tmp_path / "out.csv"), jobs=1, quiet=True, models_dir=models_dir, chunk_rows=2000)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    asked = []
    with pytest.raises(Cancelled):  # stopped after its first chunks, from inside the run
        screen_file(str(src), str(tmp_path / "out2.csv"), jobs=1, quiet=True, models_dir=models_dir,
                    chunk_rows=2000, should_stop=lambda: asked.append(1) or len(asked) > 2)
    assert len(asked) == 3 and not (tmp_path / "out2.csv").exists()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:  # a caller that runs without the collector keeps it off
        screen_file(str(src), str(tmp_path / "out3.csv"), jobs=1, quiet=True, models_dir=models_dir)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_hundred_thousand_rows_come_back_in_order(models_dir, tmp_path):
    src = tmp_path / "big.csv"
    n = 100_000
    texts = [f"第{i}号 " + ADS[i % len(ADS)] if ADS[i % len(ADS)] else "" for i in range(n)]
    pd.DataFrame({"row": range(n), "text": texts}).to_csv(src, index=False)
    out = tmp_path / "big_out.csv"
    result = run(["--input", str(src), "--output", str(out), "--jobs", "2", "-q"])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert len(df) == n
    assert df["row"].tolist() == list(range(n))
    assert (df["error"] == "文本为空").sum() == n // len(ADS) + (1 if n % len(ADS) > 2 else 0)


def test_batch_scores_equal_single_ad_scores(models_dir, screener, tmp_path):
    src = tmp_path / "same.txt"
    src.write_text("\n".join(a for a in ADS if a), encoding="utf-8")
    result = run(["--input", str(src), "--quiet", "--jobs", "1"])
    from io import StringIO
    batch = pd.read_csv(StringIO(result.stdout))["score"].tolist()
    single = [json.loads(run(["--json", a]).output)["score"] for a in ADS if a]
    assert batch == pytest.approx(single, abs=1e-6)


def test_forked_and_spawned_workers_write_the_same_rows(models_dir, tmp_path):
    """Workers forked from the parent (a command run) and started fresh (the web page, which has threads) score
    alike. Run in a fresh interpreter, where no other thread stands in the way of forking."""
    src = tmp_path / "ads.csv"
    pd.DataFrame({"text": [f"{i}号 {ADS[i % len(ADS)]}" for i in range(12_000)]}).to_csv(src, index=False)
    script = f"""
from screener import batch
used = []
can_fork = batch._can_fork
batch._can_fork = lambda: used.append(can_fork()) or used[-1]
batch.screen_file({str(src)!r}, {str(tmp_path / "forked.csv")!r}, jobs=2, quiet=True, models_dir={str(models_dir)!r})
batch._can_fork = lambda: used.append(False) or False
batch.screen_file({str(src)!r}, {str(tmp_path / "spawned.csv")!r}, jobs=2, quiet=True, models_dir={str(models_dir)!r})
print(used)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[True,", "False]"]
    forked = (tmp_path / "forked.csv").read_bytes()
    assert forked == (tmp_path / "spawned.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "forked.csv")) == 12_000


def start_long_run(models_dir, tmp_path, ad):
    """A batch run over 400,000 rows in a child process; returns it and its output path."""
    src = tmp_path / "long.csv"
    pd.DataFrame({"text": [f"{i}号 " + ad for i in range(400_000)]}).to_csv(src, index=False)
    out = tmp_path / "long_out.csv"
    env = {**os.environ, "SCREENER_MODELS": str(models_dir)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "predict.py"), "--input", str(src), "--output", str(out),
                             "--jobs", "2", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, out


def test_interrupted_run_leaves_no_output(models_dir, tmp_path):
    proc, out = start_long_run(models_dir, tmp_path, ADS[0])
    deadline = time.time() + 60
    while not list(tmp_path.glob(".long_out.csv.*")) and time.time() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".long_out.csv.*")), "the run never started writing"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not out.exists()
    assert list(tmp_path.glob(".long_out.csv.*")) == []


def test_killed_worker_leaves_no_output(models_dir, tmp_path):
    proc, out = start_long_run(models_dir, tmp_path, ADS[3])
    children = []
    deadline = time.time() + 60
    while len(children) < 2 and time.time() < deadline:
        time.sleep(0.2)
        listing = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        children = [int(pid) for pid in listing]
    assert children, "no worker processes started"
    time.sleep(1.0)
    os.kill(children[-1], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "一个工作进程意外停止" in stderr.decode()
    assert not out.exists()
    assert list(tmp_path.glob(".long_out.csv.*")) == []


def test_a_broken_character_fails_only_its_own_row(models_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "保本保息\\ud800年化18%"}\n{"text": "今日鸡蛋特价，回T退订"}\n', encoding="utf-8")
    for name in ("out.csv", "out.jsonl", "out.xlsx"):
        out = tmp_path / name
        result = run(["--input", str(src), "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
        df = (pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False) if name.endswith(".csv") else
              pd.read_json(out, lines=True) if name.endswith(".jsonl") else pd.read_excel(out, keep_default_na=False))
        assert len(df) == 2 and "无效字符" in df["error"][0] and df["error"][1] == ""
        assert df["text"][0] == "保本保息\ufffd年化18%"
