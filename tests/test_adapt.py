"""train.py adapt: unlabelled listings as background, likely frauds set aside, measured on real SMS."""
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import average_precision_score, roc_auc_score

import predict
import train
from screener.scoring import load_scorer
from screener.store import ModelStore

# Adapting on one half of fbs_dev.csv (labels ignored), judged on the other half, reached
# ROC-AUC 0.982 and AP 0.789, above the unadapted model on the same half.
ADAPTED_ROC_AUC_MIN = 0.97
ADAPTED_AP_MIN = 0.76
ADAPTED_SMS_NORMAL_FLAGGED_MAX = 0.006


def run(args):
    return CliRunner().invoke(train.cli, args)


@pytest.fixture(scope="module")
def fbs_halves(real_data, tmp_path_factory):
    fbs = pd.read_csv(real_data / "fbs_dev.csv")
    halves = np.random.default_rng(20261125).permutation(len(fbs)) % 2
    folder = tmp_path_factory.mktemp("fbs")
    listings = folder / "listings.csv"
    fbs[halves == 0].rename(columns={"text": "内容"}).drop(columns="label").to_csv(listings, index=False,
                                                                                   encoding="gb18030")
    return listings, fbs[halves == 1]


@pytest.fixture(scope="module")
def adapted(trained_models, fbs_halves, tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("adapted") / "models"
    shutil.copytree(trained_models, root)
    listings, _ = fbs_halves
    result = CliRunner().invoke(train.cli, ["adapt", str(listings), "--models-dir", str(root),
                                            "--cases", str(root / "no_cases.csv")])
    assert result.exit_code == 0, result.output
    return root, result


def test_adapted_model_beats_the_unadapted_on_held_out_real_sms(adapted, fbs_halves, real_data, trained_models):
    root, _ = adapted
    _, held_out = fbs_halves
    before = load_scorer(trained_models).scores(held_out["text"])
    screener = load_scorer(root)
    after = screener.scores(held_out["text"])
    auc, ap = roc_auc_score(held_out["label"], after), average_precision_score(held_out["label"], after)
    assert auc > roc_auc_score(held_out["label"], before)
    assert ap > average_precision_score(held_out["label"], before)
    assert auc >= ADAPTED_ROC_AUC_MIN and ap >= ADAPTED_AP_MIN, (auc, ap)
    normal = screener.scores(pd.read_csv(real_data / "sms_normal.csv")["text"])
    assert (normal >= screener.threshold).mean() <= ADAPTED_SMS_NORMAL_FLAGGED_MAX, (normal >= screener.threshold).mean()


def test_adapted_version_records_its_background_and_leads(adapted, fbs_halves):
    root, result = adapted
    store = ModelStore(root)
    version = store.current()
    meta = store.read_metadata(version)
    assert meta["kind"] == "adapt" and meta["parent"] == "default"
    bg = meta["background"]
    assert bg["file"] == "listings.csv" and len(bg["sha256"]) == 64 and bg["rows_read"] == 1905
    assert bg["rounds"] and bg["set_aside"] == sum(r["set_aside"] for r in bg["rounds"])
    assert "背景数据：listings.csv（读入 1,905 行" in result.output
    leads = pd.read_csv(root / version / "set_aside.csv", keep_default_na=False)
    assert len(leads) == bg["set_aside"]
    assert list(leads.columns[:2]) == ["text", "label"]
    assert leads["score"].is_monotonic_decreasing
    assert "listings.csv" in run(["models", "--models-dir", str(root)]).output


def test_screening_and_evaluate_work_on_the_adapted_model(adapted, tmp_path, monkeypatch):
    root, _ = adapted
    monkeypatch.setenv("SCREENER_MODELS", str(root))
    src = tmp_path / "ads.txt"
    src.write_text("退休操盘手建群每日免费推荐牛股人满即封\n本周鸡蛋特价回T退订\n", encoding="utf-8")
    result = CliRunner().invoke(predict.main, ["--input", str(src), "-q"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("text,score,level")
    labelled = tmp_path / "l.csv"
    pd.DataFrame({"text": ["退休操盘手建群每日免费推荐牛股人满即封", "本周鸡蛋特价回T退订"], "label": [1, 0]}).to_csv(
        labelled, index=False)
    m = json.loads(run(["evaluate", str(labelled), "--json"]).output)
    assert m["model"] == ModelStore(root).current()


def test_too_few_rows_or_one_repeated_text_are_refused(models_dir, tmp_path):
    few = tmp_path / "few.csv"
    pd.DataFrame({"text": [f"{i}号店铺今日开业大酬宾" for i in range(50)]}).to_csv(few, index=False)
    result = run(["adapt", str(few)])
    assert result.exit_code == 1
    assert "只有 50 行可用（50 条不重复）；适配至少需要本地 200" in result.output
    same = tmp_path / "same.csv"
    pd.DataFrame({"text": ["同一条广告反复出现"] * 900 + [f"第{i}条不同的招聘信息" for i in range(300)]}) \
        .to_csv(same, index=False)
    result = run(["adapt", str(same)])
    assert result.exit_code == 1
    assert "大部分是同一条重复文本（1200 行中有 900 行）" in result.output
    assert ModelStore(models_dir).versions() == ["default"]


def test_a_labelled_file_is_used_for_its_text_only(real_data, models_dir, small_corpus, tmp_path):
    listings = tmp_path / "labelled.csv"
    pd.read_csv(real_data / "fbs_dev.csv").head(400).to_csv(listings, index=False)
    result = run(["adapt", str(listings), "--cases", str(tmp_path / "none.csv"), "--data", str(small_corpus), "--force"])
    assert result.exit_code == 0, result.output
    assert "有标签列；adapt 只使用其中的文本" in result.stderr
