import shutil
from pathlib import Path

import pytest

from screener.config import DEFAULT_DATA, ROOT
from screener.store import DEFAULT_VERSION, ModelStore
from screener.training import fit_corpus

REAL = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory) -> Path:
    """A models folder holding the built-in model, trained once per test session."""
    root = tmp_path_factory.mktemp("models")
    fit_corpus(DEFAULT_DATA, ModelStore(root), DEFAULT_VERSION)
    return root


@pytest.fixture
def models_dir(trained_models, tmp_path, monkeypatch) -> Path:
    """A private copy of the trained models folder, used by the CLIs through SCREENER_MODELS."""
    root = tmp_path / "models"
    shutil.copytree(trained_models, root)
    monkeypatch.setenv("SCREENER_MODELS", str(root))
    return root


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not (REAL / "fbs_dev.csv").is_file() or not (REAL / "sms_normal.csv").is_file():
        pytest.skip(f"real SMS for measuring are not at {REAL} (they sit beside the project, in ../shared)")
    return REAL


@pytest.fixture(scope="session")
def screener(trained_models):
    from screener.scoring import load_scorer

    return load_scorer(trained_models)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A slice of the corpus, both labels and both splits, for tests of training steps that need not the whole."""
    import pandas as pd

    ads = pd.read_csv(DEFAULT_DATA)
    part = pd.concat([ads[ads["label"] == 1].sample(300, random_state=0), ads[ads["label"] == 0].sample(600, random_state=0)])
    path = tmp_path_factory.mktemp("small") / "ads.csv"
    part.to_csv(path, index=False)
    return path


CASE = "村里合作社吸收存款，月息一分五，年底连本带息一起还，乡亲们抓紧来存"


@pytest.fixture(scope="session")
def unlabelled_stream(tmp_path_factory):
    """An office's export (GB18030 CSV): unlabelled ads, one template sent six times with changed numbers, five texts
    the corpus already labels, and a variant of CASE. Returns (path, the labelled texts)."""
    import pandas as pd

    ads = pd.read_csv(DEFAULT_DATA)
    test = ads[ads["split"] == "test"]
    fresh = pd.concat([test[test["label"] == 1].head(10), test[test["label"] == 0].head(80)])
    rows = [f"转发：{t}" for t in fresh["text"]]
    for k in range(6):
        rows.append(f"转发：养老公寓床位预售，一次交{3 + k}万，每月返利{500 + k * 10}元，到期全额退还，名额有限")
    labelled = test["text"].iloc[:5].tolist()
    rows += labelled
    rows += [CASE.replace("一分五", "一分八")]
    path = tmp_path_factory.mktemp("stream") / "export.csv"
    pd.DataFrame({"内容": rows, "平台": "某论坛"}).to_csv(path, index=False, encoding="gb18030")
    return path, labelled


@pytest.fixture(scope="session")
def stream_truth():
    """The label of a text of ``unlabelled_stream``, which is made of corpus texts: tests of the review queue give
    the verdicts an inspector would, so that retraining on them is judged on its merits."""
    import pandas as pd

    def key(text: str) -> str:  # a page shows line breaks and runs of spaces as it likes
        return "".join(text.removeprefix("转发：").split())

    ads = pd.read_csv(DEFAULT_DATA)
    labels = dict(zip(ads["text"].map(key), ads["label"].astype(int)))
    schemes = {key(CASE.replace("一分五", "一分八"))}  # the variant of CASE in the stream
    template = key("养老公寓床位预售")                  # the template sent six times with changed numbers

    def truth(text: str) -> int:
        k = key(text)
        if k in schemes or k.startswith(template):
            return 1
        return labels[k]

    return truth


@pytest.fixture(scope="session")
def small_models(small_corpus, tmp_path_factory) -> Path:
    """A models folder whose current model was trained on the small corpus (retraining from the page compares
    against it, so that a candidate from the same slice is like it)."""
    root = tmp_path_factory.mktemp("small_models")
    fit_corpus(small_corpus, ModelStore(root), DEFAULT_VERSION)
    return root
