"""Screening on a real Dask cluster (a LocalCluster of two worker processes), and Parquet on one machine."""
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from screener.config import DEFAULT_DATA, ROOT
from screener.errors import InputError

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory):
    """Three Parquet files of corpus ads with ids, several row groups each, a duplicate text and an empty row."""
    texts = pd.read_csv(DEFAULT_DATA)["text"].sample(1500, random_state=1).tolist()
    texts[10] = texts[11]
    texts[20] = None
    folder = tmp_path_factory.mktemp("parquet")
    for k in range(3):
        part = pd.DataFrame({"id": range(k * 500, (k + 1) * 500), "内容": texts[k * 500:(k + 1) * 500],
                             "来源": f"平台{k}"})
        part.to_parquet(folder / f"part{k}.parquet", row_group_size=120)
    return folder


def single_machine(folder, models_dir, tmp_path):
    from screener.batch import screen_file

    merged = pd.concat([pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))], ignore_index=True)
    merged.to_parquet(tmp_path / "all.parquet")
    screen_file(str(tmp_path / "all.parquet"), str(tmp_path / "single.parquet"), models_dir=models_dir, jobs=1,
                quiet=True)
    return pd.read_parquet(tmp_path / "single.parquet")


def test_every_row_once_with_the_single_machine_scores(cluster, parquet_files, models_dir, tmp_path):
    from screener.distributed import screen_on_cluster

    out, ledger = tmp_path / "screened.parquet", tmp_path / "ledger.xlsx"
    summary = screen_on_cluster(str(parquet_files / "*.parquet"), str(out), "unused", models_dir=models_dir,
                                ledger=str(ledger), client=cluster)
    screened = pd.read_parquet(out)
    assert screened["id"].tolist() == list(range(1500))  # every row once, in file order
    assert summary.rows == 1500 and summary.errors == 1 and ledger.is_file()
    expected = single_machine(parquet_files, models_dir, tmp_path)
    assert screened["score"].round(6).fillna(-1).tolist() == expected["score"].round(6).fillna(-1).tolist()
    assert screened["campaign"].fillna("").tolist() == expected["campaign"].fillna("").tolist()
    assert screened.loc[20, "error"] == "文本为空"


def test_a_killed_worker_is_replaced_and_the_output_is_complete(cluster, parquet_files, models_dir, tmp_path):
    from screener.distributed import screen_on_cluster

    pids = cluster.run(os.getpid)
    killed = []

    def kill_one_worker():
        for _ in range(400):
            if any(cluster.processing().values()):
                break
            time.sleep(0.02)
        time.sleep(0.3)
        pid = next(iter(pids.values()))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    out = tmp_path / "screened.csv"
    screen_on_cluster(str(parquet_files / "*.parquet"), str(out), "unused", models_dir=models_dir, client=cluster)
    killer.join()
    assert killed
    screened = pd.read_csv(out, encoding="utf-8-sig")
    assert screened["id"].tolist() == list(range(1500)) and screened["score"].notna().sum() == 1499
    cluster.wait_for_workers(2, timeout=60)  # the nanny started a new one


def test_bad_partitions_get_errors_naming_the_file(cluster, models_dir, tmp_path):
    from screener.distributed import screen_on_cluster

    folder = tmp_path / "in"
    folder.mkdir()
    pd.DataFrame({"内容": ["养老床位认购，年化18%", "今日特价"]}).to_parquet(folder / "a.parquet")
    pd.DataFrame({"标题": ["没有内容列"]}).to_parquet(folder / "b.parquet")
    with pytest.raises(InputError, match=r"b\.parquet 缺少要筛查的列 '内容'"):
        screen_on_cluster(str(folder / "*.parquet"), str(tmp_path / "o.parquet"), "unused", models_dir=models_dir,
                          client=cluster)
    assert not (tmp_path / "o.parquet").exists()
    csvs = tmp_path / "csv"
    csvs.mkdir()
    (csvs / "a.csv").write_text("内容\n养老床位认购，年化18%\n", encoding="utf-8")
    (csvs / "b.csv").write_bytes("内容\n正常的广告\n".encode() + b"\xff\xfe\xfd\n")
    with pytest.raises(InputError, match=r"b\.csv"):
        screen_on_cluster(str(csvs / "*.csv"), str(tmp_path / "o.csv"), "unused", models_dir=models_dir,
                          client=cluster)
    with pytest.raises(InputError, match="没有找到"):
        screen_on_cluster(str(tmp_path / "none" / "*.parquet"), str(tmp_path / "o.csv"), "unused",
                          models_dir=models_dir, client=cluster)


def test_the_command_line_starts_a_local_cluster(parquet_files, models_dir, tmp_path):
    out = tmp_path / "screened.parquet"
    result = subprocess.run([sys.executable, str(ROOT / "predict.py"), "--input", str(parquet_files / "part1.parquet"),
                             "--output", str(out), "--scheduler", "local:1"], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert pd.read_parquet(out)["id"].tolist() == list(range(500, 1000))
    bad = subprocess.run([sys.executable, str(ROOT / "predict.py"), "--input", str(parquet_files / "part1.parquet"),
                          "--output", str(out), "--scheduler", "local:x"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "local:4" in bad.stderr


def test_parquet_round_trips_on_one_machine(parquet_files, models_dir, tmp_path):
    source = parquet_files / "part0.parquet"
    out = tmp_path / "screened.parquet"
    result = subprocess.run([sys.executable, str(ROOT / "predict.py"), "--input", str(source), "--output", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    original, screened = pd.read_parquet(source), pd.read_parquet(out)
    assert screened["id"].tolist() == original["id"].tolist() and screened["id"].dtype == original["id"].dtype
    assert screened["score"].dtype == "float64" and screened["flagged"].dropna().isin([True, False]).all()
    assert (screened["内容"].fillna("") == original["内容"].fillna("")).all()
