"""train.py review: a queue in the add format, one question per near-duplicate group, never a labelled text."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import train
from conftest import CASE
from screener.corpus import duplicate_key, near_duplicate_pairs
from screener.retrain.review import REASONS, choose
from screener.store import ModelStore



def run(args):
    return CliRunner().invoke(train.cli, args)


@pytest.fixture(scope="module")
def stream(unlabelled_stream):
    return unlabelled_stream


@pytest.fixture
def cases_file(tmp_path):
    path = tmp_path / "cases.csv"
    pd.DataFrame([{"id": "case-x", "text": CASE, "label": 1, "category": "", "split": "train", "added_at": "",
                   "who": "", "when": "", "source": ""}]).to_csv(path, index=False)
    return path


def test_queue_respects_budget_and_asks_each_group_once(models_dir, stream, cases_file, tmp_path):
    path, labelled = stream
    out = tmp_path / "queue.xlsx"
    result = run(["review", str(path), "--budget", "30", "--output", str(out), "--cases", str(cases_file),
                  "--pending", str(tmp_path / "none.csv")])
    assert result.exit_code == 0, result.output
    queue = pd.read_excel(out, dtype={"label": str})
    assert len(queue) == 30
    assert list(queue.columns[:2]) == ["text", "label"] and queue["label"].isna().all()
    assert set(queue["reason"]) <= set(REASONS.values()) and queue["reason"].nunique() >= 2
    texts = queue["text"].tolist()
    assert near_duplicate_pairs(texts) == []
    # labelled texts, and the variant of a case, are never asked
    keys = {duplicate_key(t) for t in texts}
    assert not keys & {duplicate_key(t) for t in labelled}
    assert not any("一分八" in t for t in texts)
    # the template sent six times is one question standing for six rows, and a likely lead
    template = queue[queue["text"].str.contains("养老公寓床位预售")]
    assert len(template) == 1
    assert template["stands_for"].iloc[0] == 6 and template["variants"].iloc[0] == 6
    assert template["reason"].iloc[0] == REASONS["lead"]
    # reading order: leads first, by score
    leads = queue[queue["reason"] == REASONS["lead"]]
    assert leads.index.max() < len(leads) and leads["score"].is_monotonic_decreasing


def test_queue_round_trips_through_add(models_dir, stream, cases_file, small_corpus, tmp_path):
    path, _ = stream
    out = tmp_path / "queue.csv"
    assert run(["review", str(path), "--budget", "12", "--output", str(out), "--cases", str(cases_file),
                "--data", str(small_corpus), "--pending", str(tmp_path / "none.csv")]).exit_code == 0
    queue = pd.read_csv(out, dtype=str, keep_default_na=False)
    queue["label"] = ["1" if float(s) >= 0.5 else "0" for s in queue["score"]]  # the inspector's answers
    queue.to_csv(out, index=False)
    result = run(["add", str(out), "--cases", str(cases_file), "--data", str(small_corpus), "--force",
                  "--case-weight", "7"])
    assert result.exit_code == 0, result.output
    assert "接受 12 条案例" in result.output
    stored = pd.read_csv(cases_file)
    assert set(queue["text"]) <= set(stored["text"])
    store = ModelStore(models_dir)
    meta = store.read_metadata(store.current())
    assert meta["case_weight"] == 7.0 and meta["kind"] == "add"
    # what is now labelled is not asked again
    again = tmp_path / "again.csv"
    assert run(["review", str(path), "--budget", "200", "--output", str(again), "--cases", str(cases_file),
                "--data", str(small_corpus), "--pending", str(tmp_path / "none.csv")]).exit_code == 0
    assert not set(pd.read_csv(again)["text"]) & set(queue["text"])


def test_pending_verdicts_are_not_asked_again(models_dir, stream, cases_file, tmp_path):
    path, _ = stream
    first = tmp_path / "q1.jsonl"
    assert run(["review", str(path), "--budget", "5", "--output", str(first), "--cases", str(cases_file),
                "--pending", str(tmp_path / "none.csv")]).exit_code == 0
    asked = [json.loads(line)["text"] for line in first.read_text(encoding="utf-8").splitlines()]
    pending = tmp_path / "new_cases.csv"
    pd.DataFrame({"text": asked, "label": "1"}).to_csv(pending, index=False)
    second = tmp_path / "q2.csv"
    assert run(["review", str(path), "--budget", "5", "--output", str(second), "--cases", str(cases_file),
                "--pending", str(pending)]).exit_code == 0
    assert not set(pd.read_csv(second)["text"]) & set(asked)


@pytest.mark.parametrize("rows, message", [
    ([], "没有可用的文本"),
    (["", "  "], "没有可用的文本"),
    (["高息理财，保本保息，年化百分之二十，速来"] * 3, "至少 2 条"),
])
def test_streams_too_small_to_review_are_refused(models_dir, tmp_path, rows, message):
    path = tmp_path / "small.csv"
    pd.DataFrame({"text": rows}, dtype=str).to_csv(path, index=False)
    out = tmp_path / "queue.xlsx"
    result = run(["review", str(path), "--output", str(out), "--cases", str(tmp_path / "cases.csv"),
                  "--pending", str(tmp_path / "none.csv")])
    assert result.exit_code == 1
    assert message in result.output and "错误：" in result.output
    assert not out.exists()


def test_bad_budget_and_case_weight_are_refused(models_dir, tmp_path):
    assert run(["review", "x.csv", "--budget", "0"]).exit_code == 2
    assert run(["add", "x.csv", "--case-weight", "0"]).exit_code == 2


def test_choose_mixes_reasons_and_fills_a_short_reason():
    scores = [0.99, 0.95, 0.9, 0.72, 0.68, 0.3, 0.2, 0.1, 0.05, 0.01]
    characteristics = [2, 2, 1, 0, 1, 0, 3, 0, 2, 0]
    chosen = choose(scores, characteristics, threshold=0.7, budget=5,
                    mix={"lead": 0.4, "uncertain": 0.4, "new_kind": 0.2})
    assert len(chosen) == 5
    assert [i for i, r in chosen.items() if r == "lead"] == [0, 1]
    assert {i for i, r in chosen.items() if r == "uncertain"} == {3, 4}
    assert [i for i, r in chosen.items() if r == "new_kind"] == [6]
    # no ad has red flags below the threshold: the new-kind share goes to the leads
    none_new = choose(scores, [0] * 10, threshold=0.7, budget=5, mix={"lead": 0.4, "uncertain": 0.4, "new_kind": 0.2})
    assert len(none_new) == 5 and sorted(i for i, r in none_new.items() if r == "lead") == [0, 1, 2]
    assert len(choose(scores, characteristics, 0.7, budget=50)) == 10
