"""predict.py on single ads and stdin, through click's test runner."""
import json

import pytest

from click.testing import CliRunner

import predict

SUSPICIOUS = "叔叔阿姨看过来！康养基地床位认购，年化收益18%，五年到期回购，保本保息，推荐一人奖励500元"
WARNING = "【平安社区】警惕！凡是承诺保本保息、年化18%的养老项目都是非法集资，请拨打96110举报"


def run(args, input=None):
    return CliRunner().invoke(predict.main, args, input=input)


def test_human_verdict_names_flags_and_terms(models_dir):
    result = run([SUSPICIOUS])
    assert result.exit_code == 0, result.output
    assert "风险等级: 高" in result.output
    assert "承诺收益率 [利诱性] “年化收益18%” (折合年化 18%)" in result.output
    assert "影响最大的词" in result.output and "模型: default" in result.output


def test_json_has_the_documented_fields(models_dir):
    result = run(["--json", SUSPICIOUS])
    assert result.exit_code == 0
    obj = json.loads(result.output)
    assert set(obj) >= {"score", "level", "flagged", "red_flags", "top_terms", "model"}
    assert 0.0 <= obj["score"] <= 1.0 and obj["flagged"] is True and obj["level"] == "高"
    flag = obj["red_flags"][0]
    assert set(flag) >= {"name", "characteristic", "evidence", "start", "end"}
    assert SUSPICIOUS[flag["start"]:flag["end"]] == flag["evidence"]
    assert all(set(t) == {"term", "weight"} for t in obj["top_terms"])


def test_hard_negative_is_not_flagged(models_dir):
    obj = json.loads(run(["--json", WARNING]).output)
    assert obj["flagged"] is False and obj["level"] == "低"
    assert "96110" in obj["warning_context"]


def test_stdin_gives_one_result_per_line_in_order(models_dir):
    lines = [SUSPICIOUS, "", WARNING, "今日菜价：白菜两块一斤，回T退订"]
    result = run(["--json", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 4
    assert out[0]["flagged"] is True
    assert out[1]["error"] == "广告内容为空"
    assert out[2]["flagged"] is False
    assert out[3]["score"] < 0.5


def test_empty_ad_is_an_error(models_dir):
    result = run(["   "])
    assert result.exit_code == 1
    assert "错误：广告内容为空：请给出广告文本" in result.output


def test_no_ad_is_a_usage_error(models_dir):
    result = run([])
    assert result.exit_code == 2
    assert "请给出要评分的广告" in result.output


def test_text_without_chinese_is_scored_with_a_warning(models_dir):
    obj = json.loads(run(["--json", "hello world, great deals"]).output)
    assert obj["warnings"] == ["广告中没有汉字；模型针对中文广告，这个评分参考意义不大"]


def test_a_megabyte_ad_is_scored_on_its_start(models_dir):
    obj = json.loads(run(["--json", "保本保息" * 250_000]).output)
    assert obj["warnings"][0].startswith("广告长 1,000,000 字，只对前 20,000 字评分")


def test_invalid_utf8_on_stdin(models_dir):
    result = run(["-"], input=b"\xff\xfe\xfa\n")
    assert result.exit_code == 1
    assert "标准输入不是有效的 UTF-8" in result.output


def test_corrupt_model_is_refused_with_advice(models_dir):
    (models_dir / "default" / "model.joblib").write_bytes(b"not a model")
    result = run([SUSPICIOUS])
    assert result.exit_code == 1
    assert "与元数据中的 sha256 不符" in result.output


def test_missing_version_is_refused(models_dir):
    result = run(["--model", "v99", SUSPICIOUS])
    assert result.exit_code == 1
    assert "没有模型版本 'v99'" in result.output


def test_default_model_is_built_on_first_use(tmp_path, monkeypatch, small_corpus):
    monkeypatch.setenv("SCREENER_MODELS", str(tmp_path / "fresh"))
    monkeypatch.setattr(predict, "DEFAULT_DATA", small_corpus)  # the step, not the corpus, is under test
    result = run(["--json", SUSPICIOUS])
    assert result.exit_code == 0
    assert "正在用" in result.stderr
    assert (tmp_path / "fresh" / "default" / "metadata.json").is_file()
    assert (tmp_path / "fresh" / "current").read_text().strip() == "default"


def _pretend_saved_under_old_sklearn(directory):
    meta_file = directory / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "0.24.2"
    meta_file.write_text(json.dumps(meta), encoding="utf-8")


def test_model_from_other_library_versions_says_how_to_rebuild(models_dir):
    import shutil
    shutil.copytree(models_dir / "default", models_dir / "v2")
    _pretend_saved_under_old_sklearn(models_dir / "v2")
    result = run(["--model", "v2", SUSPICIOUS])
    assert result.exit_code == 1
    assert "是在其他库版本下保存的（scikit-learn 0.24.2 ->" in result.output
    assert "请用 `python train.py fit` 从数据重新训练" in result.output


def test_builtin_model_from_other_library_versions_is_rebuilt(models_dir, monkeypatch, small_corpus):
    monkeypatch.setattr(predict, "DEFAULT_DATA", small_corpus)
    _pretend_saved_under_old_sklearn(models_dir / "default")
    result = run(["--json", SUSPICIOUS])
    assert result.exit_code == 0
    assert "重建内置模型" in result.stderr
    meta = json.loads((models_dir / "default" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["libraries"]["scikit-learn"] != "0.24.2"


def test_every_result_states_its_threshold_and_the_option_overrides_it(models_dir):
    default = json.loads(run(["--json", WARNING]).output)
    assert default["threshold"] == pytest.approx(json.loads(
        (models_dir / "default" / "metadata.json").read_text(encoding="utf-8"))["threshold"])
    assert default["flagged"] is False
    lowered = json.loads(run(["--json", "--threshold", "0.0001", WARNING]).output)
    assert lowered["threshold"] == 0.0001 and lowered["flagged"] is True
    assert lowered["score"] == default["score"]
    assert run(["--threshold", "2", WARNING]).exit_code == 2
