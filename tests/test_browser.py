"""End to end in a real headless Chromium: paste an ad and see the verdict; upload a file and download the result."""
import shutil
import socket
import threading
import time
from contextlib import contextmanager

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")

SUSPICIOUS = "叔叔阿姨看过来！康养基地床位认购，年化收益18%，五年到期回购，保本保息"
WARNING = "【平安社区】警惕！凡是承诺保本保息的养老项目都是非法集资，请拨打96110举报"


@contextmanager
def serving(app):
    """The app on a free local port, in a thread, for the length of the block."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(screener, trained_models, tmp_path_factory):
    from screener.web.app import create_app

    folder = tmp_path_factory.mktemp("web")
    app = create_app(screener, trained_models, pending_path=folder / "new_cases.csv", work_dir=folder / "work")
    with serving(app) as url:
        yield url, folder


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser.new_page()
        browser.close()


def test_paste_an_ad_and_see_the_verdict(server, page):
    url, folder = server
    page.goto(url)
    page.fill("#ad", SUSPICIOUS)
    page.click("#score-btn")
    page.wait_for_selector("#level-value")
    assert page.inner_text("#level-value") == "风险高"
    assert int(page.inner_text("#score-value")) >= 80
    assert "承诺收益率" in page.inner_text("#result")
    assert "涉嫌类型" in page.inner_text("#scheme")
    assert page.locator("#ad-highlight mark.flag").count() >= 3
    page.click("#confirm-btn")
    page.wait_for_function("document.getElementById('pending').textContent === '1'")
    assert pd.read_csv(folder / "new_cases.csv")["text"].tolist() == [SUSPICIOUS]
    page.fill("#ad", WARNING)
    page.click("#score-btn")
    page.wait_for_function("document.getElementById('level-value').textContent === '风险低'")
    assert "防范提示语境" in page.inner_text("#result")


def test_upload_a_file_and_download_the_result(server, page, tmp_path):
    url, _ = server
    src = tmp_path / "listings.csv"
    pd.DataFrame({"编号": [1, 2, 3], "内容": [SUSPICIOUS, "今日鸡蛋特价，回T退订", WARNING]}).to_csv(
        src, index=False, encoding="gbk")
    page.goto(url)
    page.set_input_files("#file", str(src))
    page.click("#upload-btn")
    page.wait_for_selector("#download", timeout=30_000)
    assert "共 3 行" in page.inner_text("#summary")
    assert page.locator("#flagged tr").count() == 2  # header and the one suspicious row
    assert "下载风险台账（1 条线索）" in page.inner_text("#ledger")
    with page.expect_download() as info:
        page.click("#download")
    saved = tmp_path / "screened.csv"
    info.value.save_as(saved)
    df = pd.read_csv(saved, encoding="utf-8-sig")
    assert df["编号"].tolist() == [1, 2, 3] and df["level"].tolist()[0] == "高"


def test_a_broken_upload_shows_an_error_and_the_page_keeps_working(server, page, tmp_path):
    url, _ = server
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not really a spreadsheet")
    page.goto(url)
    page.set_input_files("#file", str(bad))
    page.click("#upload-btn")
    page.wait_for_selector("#upload-status .error")
    assert "不是 Excel .xlsx 工作簿" in page.inner_text("#upload-status")
    page.fill("#ad", SUSPICIOUS)
    page.click("#score-btn")
    page.wait_for_selector("#level-value")


def test_review_tab_records_verdicts_and_retrains(page, small_models, small_corpus, unlabelled_stream, stream_truth,
                                                   tmp_path):
    from screener.scoring import load_scorer
    from screener.web.app import create_app

    models = tmp_path / "models"
    shutil.copytree(small_models, models)
    app = create_app(load_scorer(models), models, pending_path=tmp_path / "new_cases.csv", work_dir=tmp_path / "work",
                     corpus_path=small_corpus, cases_path=tmp_path / "cases.csv", case_weight=1.0)  # as in test_web
    path, _ = unlabelled_stream
    with serving(app) as url:
        page.goto(url)
        page.click("#tab-review")
        assert page.is_visible("#review-panel") and not page.is_visible("#screen-panel")
        page.fill("#review-budget", "8")  # as in test_web: enough questions to hold a normal ad as well as leads
        page.set_input_files("#review-file", str(path))
        page.click("#review-btn")
        page.wait_for_selector("#review-table", timeout=60_000)
        assert page.locator("#review-table tr").count() == 9  # header and eight questions
        assert "近似重复组" in page.inner_text("#review-summary")
        # The surest verdicts (the top lead, the lowest-scored normal ad), as in test_web.
        cells = [(stream_truth(page.inner_text(f"#review-row-{i} td:nth-child(6)")),
                  int(page.inner_text(f"#review-row-{i} td:nth-child(2)"))) for i in range(8)]
        scheme = max((i for i in range(8) if cells[i][0] == 1), key=lambda i: cells[i][1])
        normal = min((i for i in range(8) if cells[i][0] == 0), key=lambda i: cells[i][1])
        page.click(f"#review-row-{scheme} button[data-verdict=suspicious]")
        page.wait_for_function("document.getElementById('review-pending').textContent === '1'")
        assert page.get_attribute(f"#review-row-{scheme}", "class") == "verdict-suspicious"
        page.click(f"#review-row-{normal} button[data-verdict=false_alarm]")
        page.wait_for_function("document.getElementById('review-pending').textContent === '2'")
        assert page.inner_text("#tab-pending") == "（2）"
        page.click("#retrain-btn")
        page.wait_for_selector("#retrain-outcome", timeout=240_000)
        assert "接受 2 条案例" in page.inner_text("#retrain-outcome")
        assert "候选模型" in page.inner_text("#comparison")
        promoted = page.evaluate("async () => (await (await fetch('/api/retrain')).json()).promoted")
        # Promoted or refused by the rule (see test_web); the page shows the pending verdicts accordingly.
        left = "0" if promoted else "2"
        page.wait_for_function(f"document.getElementById('review-pending').textContent === '{left}'")
        assert len(pd.read_csv(tmp_path / "cases.csv")) == 2 if promoted else not (tmp_path / "cases.csv").exists()


def test_highlights_land_on_the_evidence_after_emoji(server, page):
    url, _ = server
    ad = "🎉🎉🧧𠀀新年福利！" + SUSPICIOUS
    page.goto(url)
    page.fill("#ad", ad)
    page.click("#score-btn")
    page.wait_for_selector("#ad-highlight mark.flag")
    marked = page.eval_on_selector_all("#ad-highlight mark.flag", "marks => marks.map(m => m.textContent)")
    evidence = page.evaluate("""async (text) => {
        const r = await (await fetch('/api/score', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                    body: JSON.stringify({texts: [text]})})).json();
        return r.results[0].red_flags.map(f => f.evidence);
    }""", ad)
    assert marked and all(any(m in e or e in m for e in evidence) for m in marked), (marked, evidence)
    assert "".join(page.eval_on_selector_all("#ad-highlight", "els => els.map(e => e.textContent)")) == ad


def test_a_photo_shows_its_evidence_boxes(server, page, tmp_path):
    pytest.importorskip("rapidocr_onnxruntime")
    from bench.flyers import fonts_available, render_flyer

    if not fonts_available():
        pytest.skip("Debian's fonts-noto-cjk is not installed")
    url, _ = server
    photo = tmp_path / "flyer.jpg"
    photo.write_bytes(render_flyer(SUSPICIOUS, seed=5))
    page.goto(url)
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector("#photo-boxes rect", timeout=60_000)
    assert page.locator("#photo-boxes rect").count() >= 3
    assert page.inner_text("#photo-level") == "风险高"
    assert page.locator("#photo-text mark.flag").count() >= 3
    box = page.locator("#photo-boxes rect").first.bounding_box()
    frame = page.locator("#photo-img").bounding_box()
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
