"""The web app's JSON API, through FastAPI's test client."""
import io

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from screener.web.app import create_app

SUSPICIOUS = "叔叔阿姨看过来！康养基地床位认购，年化收益18%，五年到期回购，保本保息"
NORMAL = "【鲜果坊】今日车厘子特价39元一斤，会员再享9折，回T退订"


@pytest.fixture
def client(screener, trained_models, tmp_path):
    app = create_app(screener, trained_models, pending_path=tmp_path / "new_cases.csv", work_dir=tmp_path / "work")
    return TestClient(app)


def wait_for(client, job):
    import time
    for _ in range(200):
        status = client.get(f"/api/screen/{job}").json()
        if status["status"] != "running":
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
    resp = client.post("/api/cases", content='{"text": "保本\\ud800保息", "label": 1}'.encode(),
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "无效字符" in resp.json()["detail"]
