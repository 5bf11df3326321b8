"""train.py add: validate first, change nothing on bad input, compare, promote or refuse, roll back."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import train
from screener.config import DEFAULT_DATA, ROOT
from screener.store import ModelStore


def run(args):
    return CliRunner().invoke(train.cli, args)


def snapshot(*paths):
    out = {}
    for root in paths:
        for p in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def setup(models_dir, tmp_path):
    cases = tmp_path / "data" / "cases.csv"
    args = ["--cases", str(cases)]
    return models_dir, cases, args


def write_cases(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


GOOD = [
    {"text": "村里合作社吸收存款，月息一分五，年底连本带息一起还，乡亲们抓紧", "label": "可疑", "who": "张三"},
    {"text": "康养小镇份额认购，政府扶持项目，年回报百分之十五，三年到期回购", "label": "是", "source": "群聊"},
    {"text": "【惠民超市】周末鸡蛋特价5.9元一斤，会员积分翻倍，回T退订", "label": "正常"},
    {"text": "本社区老年食堂开业，午餐12元一份，价格公示，欢迎老人就餐", "label": "normal"},
]


def test_bad_rows_are_listed_and_nothing_changes(setup, tmp_path):
    models, cases, args = setup
    before = snapshot(models)
    bad = write_cases(tmp_path / "bad.csv", [
        {"text": "高息理财 保本保息", "label": "maybe"},
        {"text": "  ", "label": "1"},
        {"text": pd.read_csv(DEFAULT_DATA).query("label == 0")["text"].iloc[0], "label": "1"},
    ])
    result = run(["add", bad, *args])
    assert result.exit_code == 1
    assert "有 3 行无法添加，未做任何改动" in result.output
    assert "第 2 行：无法识别的标签 'maybe'" in result.output
    assert "第 3 行：文本为空" in result.output
    assert "第 4 行：该文本在语料或案例中已标为 0，这里是 1（用 --prefer-new" in result.output
    assert snapshot(models) == before and not cases.exists()


def test_add_makes_a_new_version_with_metrics_and_skips_duplicates(setup, small_corpus, tmp_path):
    models, cases, args = setup
    args = [*args, "--data", str(small_corpus)]  # the candidate trains on a slice: the steps are under test
    first = write_cases(tmp_path / "new.csv", GOOD)
    result = run(["add", first, *args, "--force"])
    assert result.exit_code == 0, result.output
    assert "接受 4 条案例，跳过重复 0 条" in result.output
    assert "新增错判（原本正确）" in result.output and "候选模型 (v2)" in result.output
    store = ModelStore(models)
    assert store.current() == "v2"
    meta = store.read_metadata("v2")
    assert meta["kind"] == "add" and meta["parent"] == "default" and meta["data"]["cases"]["added"] == 4
    assert meta["comparison"]["candidate"]["f1"] > 0.75  # trained on a 900-ad slice (0.78 with the round-6 corpus)
    stored = pd.read_csv(cases)
    assert len(stored) == 4 and stored["who"].fillna("").tolist()[0] == "张三"
    assert set(stored["split"]) <= {"train", "test"}
    again = write_cases(tmp_path / "again.csv", [{**GOOD[0], "text": GOOD[0]["text"] + "！！"}, GOOD[2]])
    result = run(["add", again, *args])
    assert result.exit_code == 0 and "没有新案例可添加：2 条已存在" in result.output
    assert "v2" in run(["models"]).output
    result = run(["rollback"])
    assert result.exit_code == 0 and "当前模型：default（原为 v2）" in result.output


def test_worse_candidate_is_refused_then_forced(setup, small_corpus, tmp_path):
    models, cases, args = setup
    args = [*args, "--data", str(small_corpus)]
    ads = pd.read_csv(small_corpus)
    wrong = ads[(ads["split"] == "train") & (ads["label"] == 1)].head(150).copy()
    wrong["label"] = 0  # deliberately mislabelled: schemes called normal
    path = write_cases(tmp_path / "wrong.csv", wrong[["text", "label"]].to_dict(orient="records"))
    before = snapshot(models)
    result = run(["add", path, *args, "--prefer-new"])
    assert result.exit_code == 1
    assert "候选模型比当前模型差，超出容差" in result.output
    assert snapshot(models) == before and not cases.exists()
    result = run(["add", path, *args, "--prefer-new", "--force"])
    assert result.exit_code == 0
    assert "（强制：它比当前模型差）" in result.output
    assert ModelStore(models).current() == "v2"


def test_interrupted_add_leaves_everything_as_it_was(setup, tmp_path):
    models, cases, args = setup
    path = write_cases(tmp_path / "new.csv", GOOD)
    before = snapshot(models)
    env = {**os.environ, "SCREENER_MODELS": str(models)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "train.py"), "add", path, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not list(cases.parent.glob(".cases.csv.*")) and time.time() < deadline:
        time.sleep(0.05)
    assert list(cases.parent.glob(".cases.csv.*")), "the add never staged its cases file"
    time.sleep(1.0)  # now training the candidate
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert snapshot(models) == before
    assert not cases.exists() and list(cases.parent.glob(".cases.csv.*")) == []


def test_real_cases_improve_results_on_real_data(setup, tmp_path, real_data):
    models, cases, args = setup
    fbs = pd.read_csv(real_data / "fbs_dev.csv")
    halves = np.random.default_rng(20261125).permutation(len(fbs)) % 2
    added, held_out = fbs[halves == 0], fbs[halves == 1]
    path = write_cases(tmp_path / "fbs_half.csv", added.to_dict(orient="records"))
    before = json.loads(run(["evaluate", str(write_cases(tmp_path / "held.csv", held_out.to_dict(orient="records"))),
                             "--json"]).output)
    result = run(["add", path, *args, "--force"])
    assert result.exit_code == 0, result.output
    after = json.loads(run(["evaluate", str(tmp_path / "held.csv"), "--json"]).output)
    assert after["pr_auc"] > before["pr_auc"] + 0.05, (before["pr_auc"], after["pr_auc"])
