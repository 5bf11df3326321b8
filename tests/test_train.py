"""train.py: fit, evaluate, models, rollback, trust."""
import json
import shutil

import pandas as pd
from click.testing import CliRunner

import train
from screener.store import ModelStore


def run(args):
    return CliRunner().invoke(train.cli, args)


def small_corpus(tmp_path):
    """A quick corpus: a slice of the real one, enough to train."""
    ads = pd.read_csv("data/ads.csv")
    part = pd.concat([ads[ads["label"] == 1].head(150), ads[ads["label"] == 0].head(300)])
    path = tmp_path / "small.csv"
    part.to_csv(path, index=False)
    return path


def test_fit_writes_model_metadata_and_reports_metrics(tmp_path):
    data = small_corpus(tmp_path)
    result = run(["fit", "--data", str(data), "--models-dir", str(tmp_path / "m"), "--version", "v1"])
    assert result.exit_code == 0, result.output
    assert "test: n=" in result.output and "roc_auc=" in result.output
    meta = json.loads((tmp_path / "m" / "v1" / "metadata.json").read_text(encoding="utf-8"))
    for key in ("format_version", "libraries", "params", "metrics", "threshold", "created_at", "files", "data"):
        assert key in meta
    assert len(meta["data"]["sha256"]) == 64 and meta["params"]["tokenizer"] == "rjieba"
    assert meta["libraries"]["scikit-learn"]
    assert (tmp_path / "m" / "current").read_text().strip() == "v1"
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.startswith(".")]


def test_fit_rejects_a_corpus_without_labels(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,split\n保本保息,train\n", encoding="utf-8")
    result = run(["fit", "--data", str(bad), "--models-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "缺少列：label" in result.output


def test_evaluate_json(models_dir, tmp_path):
    cases = tmp_path / "cases.csv"
    pd.DataFrame({"内容": ["保本保息年化18%，推荐一人奖励500", "本周鸡蛋特价，回T退订"], "标签": ["可疑", "正常"]}) \
        .to_csv(cases, index=False)
    result = run(["evaluate", str(cases), "--text-column", "内容", "--label-column", "标签", "--json"])
    assert result.exit_code == 0, result.output
    m = json.loads(result.output)
    assert {"n", "roc_auc", "pr_auc", "precision", "recall", "f1", "threshold"} <= set(m)
    assert m["n"] == 2 and m["roc_auc"] == 1.0


def test_evaluate_errors_say_what_to_fix(models_dir, tmp_path):
    cases = tmp_path / "cases.csv"
    pd.DataFrame({"text": ["保本保息"], "label": ["maybe"]}).to_csv(cases, index=False)
    result = run(["evaluate", str(cases)])
    assert result.exit_code == 1 and "第 2 行的标签是 'maybe'" in result.output
    result = run(["evaluate", str(cases), "--label-column", "y"])
    assert result.exit_code == 1 and "没有列 'y'" in result.output


def test_models_rollback_and_tampering(models_dir, tmp_path):
    store = ModelStore(models_dir)
    shutil.copytree(models_dir / "default", models_dir / "v2")
    store.set_current("v2")
    listing = run(["models"]).output
    assert "* v2" in listing and "  default" in listing
    result = run(["rollback"])
    assert result.exit_code == 0 and "当前模型：default（原为 v2）" in result.output
    (models_dir / "v2" / "model.joblib").write_bytes(b"tampered")
    result = run(["rollback", "v2"])
    assert result.exit_code == 1 and "与元数据中的 sha256 不符" in result.output
    assert store.current() == "default"


def test_foreign_model_is_refused_until_trusted(models_dir, tmp_path):
    foreign = tmp_path / "elsewhere"
    shutil.copytree(models_dir, foreign)
    (foreign / "trusted.json").unlink()
    result = CliRunner().invoke(train.cli, ["evaluate", "data/ads.csv", "--models-dir", str(foreign)])
    assert result.exit_code == 1 and "不是本机训练的" in result.output
    assert run(["trust", str(foreign / "default"), "--models-dir", str(foreign)]).exit_code == 0
    result = CliRunner().invoke(train.cli, ["evaluate", "data/ads.csv", "--models-dir", str(foreign), "--json"])
    assert result.exit_code == 0, result.output


def test_threshold_flags_the_false_alarm_budget_of_normal_ads_whatever_the_schemes_score():
    import numpy as np

    from screener.config import FALSE_ALARM_BUDGET, THRESHOLD_FLOOR
    from screener.training import false_alarm_threshold

    rng = np.random.default_rng(0)
    normal = np.clip(rng.normal(0.3, 0.2, 4000), 0, 1)
    labels = np.array([0] * 4000 + [1] * 500)
    chosen = [false_alarm_threshold(labels, np.concatenate([normal, schemes]))
              for schemes in (np.full(500, 0.99), np.clip(rng.normal(0.7, 0.1, 500), 0, 1))]  # easy or hard to catch
    assert chosen[0] == chosen[1]
    assert abs(np.mean(normal >= chosen[0]) - FALSE_ALARM_BUDGET) <= 1 / 4000
    # never below the floor, and the floor when there is no normal ad to judge by
    assert false_alarm_threshold(labels, np.concatenate([normal * 0.4, np.full(500, 0.99)])) == THRESHOLD_FLOOR
    assert false_alarm_threshold(np.ones(5), np.linspace(0.6, 0.9, 5)) == THRESHOLD_FLOOR
