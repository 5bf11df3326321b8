"""Where the project keeps its corpus and models (overridable with SCREENER_MODELS)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data" / "ads.csv"
DEFAULT_CASES = ROOT / "data" / "cases.csv"


def default_models_dir() -> Path:
    return Path(os.environ.get("SCREENER_MODELS") or ROOT / "models")
