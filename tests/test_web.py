"""The web app's JSON API, through FastAPI's test client."""
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from screener.retrain.promotion import should_promote
from screener.web.app import create_app

SUSPICIOUS = "叔叔阿姨看过来！康养基地床位认购，年化收益18%，五年到期回购，保本保息"
NORMAL = "【鲜果坊】今日车厘子特价39元一斤，会员再享9折，回T退订"


@pytest.fixture
def client(screener, trained_models, tmp_path):
    app = create_app(screener, trained_models, pending_path=tmp_path / "new_cases.csv", work_dir=tmp_path / "work")
    return TestClient(app)


def wait_for(client, job):
    import time
    for _ in range(1200):
        status = client.get(f"/api/screen/{job}").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError("screening did not finish")


def test_score_answers_in_order_with_the_predict_json_objects(client, screener):
    resp = client.post("/api/score", json={"texts": [SUSPICIOUS, "", NORMAL]})
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r.get("error") for r in results] == [None, "广告内容为空", None]
    assert results[0] == screener.analyse([SUSPICIOUS])[0].to_dict()
    assert results[0]["level"] == "高" and results[2]["flagged"] is False


def test_score_limits_and_bad_requests(client):
    resp = client.post("/api/score", json={"texts": ["保本"] * 1001})
    assert resp.status_code == 413 and "每次请求最多 1000 条" in resp.json()["detail"]
    assert client.post("/api/score", json={"text": "保本"}).status_code == 422
    assert client.post("/api/score", json={"texts": ["  "]}).json()["results"][0]["error"] == "广告内容为空"
    assert client.post("/api/score", json={"texts": []}).json() == {"results": []}


def test_verdicts_go_to_the_new_cases_file(client, tmp_path):
    assert client.get("/api/info").json()["pending_cases"] == 0
    assert client.post("/api/cases", json={"text": SUSPICIOUS, "label": 1}).json()["pending_cases"] == 1
    assert client.post("/api/cases", json={"text": NORMAL, "label": 0}).json()["pending_cases"] == 2
    assert client.post("/api/cases", json={"text": NORMAL, "label": 1}).json()["pending_cases"] == 2
    saved = pd.read_csv(tmp_path / "new_cases.csv")
    assert saved["text"].tolist() == [SUSPICIOUS, NORMAL] and saved["label"].tolist() == [1, 1]
    assert set(saved["source"]) == {"web"}
    assert client.post("/api/cases", json={"text": " ", "label": 1}).status_code == 422
    assert client.post("/api/cases", json={"text": NORMAL, "label": 5}).status_code == 422


def test_upload_screens_and_downloads_the_same_file_as_the_batch_command(client, screener):
    book = openpyxl.Workbook()
    book.active.append(["标题", "内容"])
    for i, ad in enumerate([SUSPICIOUS, NORMAL, None, SUSPICIOUS + "！"]):
        book.active.append([f"帖子{i}", ad])
    data = io.BytesIO()
    book.save(data)
    resp = client.post("/api/screen", files={"file": ("listings.xlsx", data.getvalue())})
    assert resp.status_code == 200
    status = wait_for(client, resp.json()["job"])
    assert status["status"] == "done", status
    assert status["rows"] == 4 and status["errors"] == 1 and status["levels"]["高"] == 2
    assert sum(status["histogram"]) == 3
    scores = [f["score"] for f in status["flagged"]]
    assert scores == sorted(scores, reverse=True)
    assert {f["row"] for f in status["flagged"]} == {1, 4}
    download = client.get(status["download"])
    assert download.status_code == 200
    df = pd.read_excel(io.BytesIO(download.content))
    assert df["标题"].tolist() == ["帖子0", "帖子1", "帖子2", "帖子3"]
    assert df["score"].iloc[0] == pytest.approx(screener.analyse([SUSPICIOUS])[0].score, abs=1e-6)
    assert {f["campaign"] for f in status["flagged"]} == {df["campaign"].iloc[0]}  # one text sent twice: one lead
    assert all(f["scheme_name"] for f in status["flagged"])
    ledger = client.get(status["ledger"])
    assert ledger.status_code == 200 and status["leads"] == 1
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.content))["风险台账"]
    assert [c.value for c in sheet[2]][6] == 2 and [c.value for c in sheet[2]][7] == "1,4"


def test_bad_uploads_get_clear_errors_and_the_server_keeps_serving(client):
    resp = client.post("/api/screen", files={"file": ("report.pdf", b"%PDF-1.4")})
    assert resp.status_code == 415 and "请上传 .csv、.tsv、.txt、.xlsx 或 .jsonl 文件" in resp.json()["detail"]
    resp = client.post("/api/screen", files={"file": ("broken.xlsx", b"this is not a workbook")})
    status = wait_for(client, resp.json()["job"])
    assert status["status"] == "failed" and "不是 Excel .xlsx 工作簿" in status["error"]
    resp = client.post("/api/screen", files={"file": ("two.csv", "标题,备注\n养老项目,认购床位\n".encode())})
    status = wait_for(client, resp.json()["job"])
    assert status["status"] == "failed" and "请用 --text-column 指定" in status["error"]
    assert client.post("/api/score", json={"texts": [NORMAL]}).status_code == 200


def test_upload_size_and_row_limits(client, monkeypatch):
    import screener.web.app as web
    monkeypatch.setattr(web, "MAX_UPLOAD_BYTES", 1000)
    resp = client.post("/api/screen", files={"file": ("big.csv", ("text\n" + "保本保息\n" * 500).encode())})
    assert resp.status_code == 413 and "文件超过" in resp.json()["detail"]
    monkeypatch.setattr(web, "MAX_UPLOAD_BYTES", 10_000_000)
    monkeypatch.setattr(web, "MAX_UPLOAD_ROWS", 100)
    resp = client.post("/api/screen", files={"file": ("rows.csv", ("text\n" + "保本保息\n" * 500).encode())})
    status = wait_for(client, resp.json()["job"])
    assert status["status"] == "failed" and "超过 100 行" in status["error"]


def test_serve_refuses_a_public_address_without_the_flag():
    from click.testing import CliRunner

    import serve

    result = CliRunner().invoke(serve.main, ["--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "如确需如此，请加上 --allow-remote" in result.output


def test_a_broken_character_fails_only_its_own_text(client):
    # JSON may carry half a character as an escape; the client library cannot send it as text
    body = '{"texts": ["保本保息\\ud800年化18%%", "%s"]}' % NORMAL
    resp = client.post("/api/score", content=body.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 200
    first, second = resp.json()["results"]
    assert "无效字符" in first["error"] and second["flagged"] is False
    controls = client.post("/api/score", json={"texts": ["\x00\x01\x07", NORMAL]}).json()["results"]
    assert "只有控制字符" in controls[0]["error"] and "score" in controls[1]
    resp = client.post("/api/cases", content='{"text": "保本\\ud800保息", "label": 1}'.encode(),
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "无效字符" in resp.json()["detail"]


# --- 待复核: the review queue and retraining from the page -------------------------------------------------
@pytest.fixture
def review_app(small_models, small_corpus, tmp_path):
    import shutil

    from screener.scoring import load_scorer

    models = tmp_path / "models"
    shutil.copytree(small_models, models)
    # Weight 20 is sized for the whole corpus; against this 900-text slice two verdicts would count as 40 texts.
    app = create_app(load_scorer(models), models, pending_path=tmp_path / "new_cases.csv", work_dir=tmp_path / "work",
                     corpus_path=small_corpus, cases_path=tmp_path / "cases.csv", case_weight=1.0)
    return TestClient(app), tmp_path


def wait_for_retraining(client):
    import time
    for _ in range(600):
        status = client.get("/api/retrain").json()
        if status["status"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError("retraining did not finish")


def test_review_queue_verdicts_and_retraining(review_app, unlabelled_stream, small_corpus, stream_truth):
    client, folder = review_app
    path, labelled = unlabelled_stream
    with open(path, "rb") as f:
        response = client.post("/api/review", files={"file": ("export.csv", f, "text/csv")}, data={"budget": "8"})
    assert response.status_code == 200, response.text
    queue = response.json()
    assert len(queue["rows"]) == 8 and queue["rows_read"] == len(pd.read_csv(path, encoding="gb18030"))
    assert queue["rows_known"] == sum(t in set(pd.read_csv(small_corpus)["text"]) for t in labelled)
    assert all(r["reason"] and r["stands_for"] >= 1 and r["label"] == "" for r in queue["rows"])
    review = queue["review"]

    def verdict(row, value):
        return client.post(f"/api/review/{review}/verdict", json={"row": row, "verdict": value})

    rows = queue["rows"]
    # The verdicts an inspector would give: the top lead is a scheme, the lowest-scored normal ad a false alarm.
    scheme = max((i for i, r in enumerate(rows) if stream_truth(r["text"]) == 1), key=lambda i: rows[i]["score"])
    normal = min((i for i, r in enumerate(rows) if stream_truth(r["text"]) == 0), key=lambda i: rows[i]["score"])
    other = next(i for i in range(len(rows)) if i not in (scheme, normal))
    assert verdict(scheme, "suspicious").json()["pending_cases"] == 1
    assert verdict(normal, "false_alarm").json()["pending_cases"] == 2
    assert verdict(other, "suspicious").json()["pending_cases"] == 3
    skipped = verdict(other, "skip").json()
    assert skipped["pending_cases"] == 2 and set(skipped["verdicts"]) == {str(scheme), str(normal)}
    pending = pd.read_csv(folder / "new_cases.csv", dtype=str)
    assert pending["text"].tolist() == [rows[scheme]["text"], rows[normal]["text"]]
    assert pending["label"].tolist() == ["1", "0"]

    assert client.post("/api/retrain").status_code == 202
    assert client.post("/api/retrain").status_code == 409  # one retraining at a time
    status = wait_for_retraining(client)
    assert status["status"] == "done", status
    assert status["added"] == 2 and "候选模型" in status["table"]
    # Promoted exactly when the comparison passes the rule of `train.py add` (on a 900-text slice the retrained
    # threshold alone can decide it); the page follows the outcome either way.
    assert status["promoted"] == should_promote(status["comparison"])
    served = client.get("/api/info").json()["model"]
    if status["promoted"]:
        assert status["model"] == status["version"] == served != "default"
        assert status["pending_cases"] == 0
        assert set(pd.read_csv(folder / "cases.csv")["text"]) == set(pending["text"])
    else:
        assert status["model"] == served == "default"
        assert status["pending_cases"] == 2  # the verdicts wait for the next try
        assert not (folder / "cases.csv").exists()


def test_review_of_the_last_screened_upload(review_app, unlabelled_stream):
    client, _ = review_app
    path, _ = unlabelled_stream
    with open(path, "rb") as f:
        job = client.post("/api/screen", files={"file": ("export.csv", f, "text/csv")}).json()["job"]
    assert wait_for(client, job)["status"] == "done"
    response = client.post("/api/review", data={"job": job, "budget": "5"})
    assert response.status_code == 200, response.text
    assert len(response.json()["rows"]) == 5 and response.json()["file"] == "export.csv"


def test_review_errors_are_clear(review_app, tmp_path):
    client, _ = review_app
    assert "请上传" in client.post("/api/review").json()["detail"]
    assert client.post("/api/review", data={"job": "nope"}).status_code == 404
    assert client.post("/api/review", files={"file": ("a.pdf", b"%PDF", "application/pdf")}).status_code == 415
    one = client.post("/api/review", files={"file": ("one.csv", "text\n高息理财保本保息年化二十\n".encode(), "text/csv")})
    assert one.status_code == 422 and "至少 2 条" in one.json()["detail"]
    assert client.post("/api/review/nope/verdict", json={"row": 0, "verdict": "skip"}).status_code == 404
    retrain = client.post("/api/retrain")
    assert retrain.status_code == 422 and "还没有记录任何判定" in retrain.json()["detail"]
    assert client.post("/api/review", data={"budget": "0"}).status_code == 422


# --- limits, cancelling, one job at a time, who may call ----------------------------------------------------
def test_bodies_past_the_limit_are_refused_while_they_arrive(client, monkeypatch):
    from screener.web import app as web

    monkeypatch.setattr(web, "MAX_UPLOAD_BYTES", 1000)
    multipart = "multipart/form-data; boundary=b"
    declared = client.post("/api/screen", content=b"x" * 10,
                           headers={"Content-Length": str(10 * 2**30), "Content-Type": multipart})
    assert declared.status_code == 413 and "MB" in declared.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(200):
            yield b"y" * 1024

    streamed = client.post("/api/screen", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413
    too_many_chars = client.post("/api/score", json={"texts": ["广告" * 300_000, "广告" * 300_000]})
    assert too_many_chars.status_code == 413 and "1,000,000 字" in too_many_chars.json()["detail"]
    limits = client.get("/api/info").json()["limits"]
    assert limits["characters_per_request"] == 1_000_000 and limits["screening_jobs_at_once"] == 1


def big_upload(rows=60_000):
    from screener.config import DEFAULT_DATA

    texts = pd.read_csv(DEFAULT_DATA)["text"].tolist()
    frame = pd.DataFrame({"内容": [f"{texts[i % len(texts)]} 第{i}条" for i in range(rows)]})
    return frame.to_csv(index=False).encode()


def test_jobs_run_one_at_a_time_and_can_be_cancelled(client):
    import time

    first = client.post("/api/screen", files={"file": ("a.csv", big_upload())}).json()
    second = client.post("/api/screen", files={"file": ("b.csv", big_upload(100))}).json()
    assert second["status"] == "queued" and second["ahead"] == 1
    for _ in range(400):
        if client.get(f"/api/screen/{first['job']}").json()["status"] == "running":
            break
        time.sleep(0.05)
    assert client.get(f"/api/screen/{second['job']}").json()["status"] == "queued"
    assert client.delete(f"/api/screen/{first['job']}").status_code == 200
    assert wait_for(client, first["job"])["status"] == "cancelled"
    assert client.get(f"/api/screen/{first['job']}/download").status_code == 404
    assert wait_for(client, second["job"])["status"] == "done"
    assert client.delete("/api/screen/nope").status_code == 404


def test_errors_do_not_show_the_servers_folders(client, tmp_path):
    resp = client.post("/api/screen", files={"file": ("bad.csv", 'id,内容\n1,"没有闭合\n2,x"y,z\n'.encode())})
    status = wait_for(client, resp.json()["job"])
    assert status["status"] == "failed" and "bad.csv" in status["error"]
    assert str(tmp_path) not in status["error"] and "upload" not in status["error"]


def test_only_its_own_host_names_and_same_origin_writes(screener, trained_models, tmp_path):
    app = create_app(screener, trained_models, pending_path=tmp_path / "p.csv", work_dir=tmp_path / "w",
                     allowed_hosts=["127.0.0.1", "localhost"])
    local = TestClient(app, base_url="http://127.0.0.1:8000")
    assert local.get("/api/info").status_code == 200
    assert TestClient(app, base_url="http://attacker.example").get("/api/info").status_code == 400
    verdict = {"text": SUSPICIOUS, "label": 1}
    assert local.post("/api/cases", json=verdict, headers={"Origin": "http://127.0.0.1:8000"}).status_code == 200
    cross = local.post("/api/cases", json=verdict, headers={"Origin": "http://attacker.example"})
    assert cross.status_code == 403 and "其他网站" in cross.json()["detail"]
    assert local.post("/api/cases", json=verdict).status_code == 200  # programs send no Origin


def test_the_temporary_folder_goes_when_the_server_stops(screener, trained_models, tmp_path):
    app = create_app(screener, trained_models, pending_path=tmp_path / "p.csv")
    with TestClient(app) as client:
        job = client.post("/api/screen", files={"file": ("a.csv", "内容\n一条广告\n".encode())}).json()["job"]
        assert wait_for(client, job)["status"] == "done"
        folder = next(p for p in Path(tempfile.gettempdir()).glob("ad-screener-*") if (p / job).is_dir())
    assert not folder.exists()


# --- photos -------------------------------------------------------------------------------------------------
def test_score_image_reads_a_flyer_and_boxes_its_evidence(client, monkeypatch):
    pytest.importorskip("rapidocr_onnxruntime")
    from bench.flyers import fonts_available, render_flyer

    if not fonts_available():
        pytest.skip("Debian's fonts-noto-cjk is not installed")
    photo = render_flyer("养老公寓床位认购，年化收益18%，到期回购，保本保息", seed=2)
    resp = client.post("/api/score-image", files={"file": ("flyer.jpg", photo, "image/jpeg")})
    assert resp.status_code == 200, resp.text
    d = resp.json()
    assert d["flagged"] and d["ocr_text"] and all(f["boxes"] for f in d["red_flags"])
    bad = client.post("/api/score-image", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 422 and "不是可读取的图片" in bad.json()["detail"]
    from screener.web import app as web

    monkeypatch.setattr(web, "MAX_IMAGE_BYTES", 100)
    assert client.post("/api/score-image", files={"file": ("flyer.jpg", photo, "image/jpeg")}).status_code == 413
