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
