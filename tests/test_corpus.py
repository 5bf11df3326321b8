"""The corpus stays honest: schema, size, coverage, no duplicates, no near-duplicates across the split."""
import pandas as pd
import pytest

from screener.corpus import (CHANNELS, ELDER_CATEGORIES, EVASIONS, HARD_NEGATIVE_CATEGORIES, NORMAL_CATEGORIES,
                             ORDINARY_CATEGORIES, SUSPICIOUS_CATEGORIES, COLUMNS, duplicate_key,
                             near_duplicate_pairs)
from screener.config import DEFAULT_DATA


@pytest.fixture(scope="module")
def ads() -> pd.DataFrame:
    return pd.read_csv(DEFAULT_DATA, dtype=str, keep_default_na=False, encoding="utf-8")


def test_schema_and_allowed_values(ads):
    assert list(ads.columns) == list(COLUMNS)
    assert ads["id"].is_unique
    assert set(ads["label"]) == {"0", "1"}
    assert set(ads.loc[ads["label"] == "1", "category"]) <= set(SUSPICIOUS_CATEGORIES)
    assert set(ads.loc[ads["label"] == "0", "category"]) <= set(NORMAL_CATEGORIES)
    assert set(ads["channel"]) <= set(CHANNELS)
    assert set(ads["evasion"]) <= set(EVASIONS)
    assert set(ads["split"]) == {"train", "test"}
    assert (ads["group"] != "").all()


def test_minimum_counts(ads):
    suspicious = ads[ads["label"] == "1"]
    normal = ads[ads["label"] == "0"]
    assert len(ads) >= 4200
    assert len(suspicious) >= 1200
    assert len(normal) >= 3000
    per_category = suspicious["category"].value_counts()
    for category in SUSPICIOUS_CATEGORIES:
        minimum = 60 if category in ELDER_CATEGORIES else 40
        assert per_category.get(category, 0) >= minimum, category
    assert normal["category"].isin(ORDINARY_CATEGORIES).sum() >= 1800
    assert normal["category"].isin(HARD_NEGATIVE_CATEGORIES).sum() >= 600


def test_evasion_share_and_lengths(ads):
    for label in ("0", "1"):
        part = ads[ads["label"] == label]
        assert (part["evasion"] != "none").mean() >= 0.10, label
    lengths = ads["text"].str.len()
    assert lengths.min() >= 8  # the shortest real SMS blasts are a handful of words
    assert lengths.max() <= 600
    assert lengths.median() >= 50


def test_split_is_about_80_20_and_per_group(ads):
    share = (ads["split"] == "test").mean()
    assert 0.17 <= share <= 0.23
    assert (ads.groupby("group")["split"].nunique() == 1).all()
    for (label, category), part in ads.groupby(["label", "category"]):
        assert (part["split"] == "test").any(), (label, category)


def test_no_empty_or_duplicate_texts(ads):
    keys = ads["text"].map(duplicate_key)
    assert (keys != "").all()
    assert keys.is_unique, ads.loc[keys.duplicated(keep=False), "text"].head().tolist()


def test_no_near_duplicates_across_split(ads):
    train = ads[ads["split"] == "train"].reset_index(drop=True)
    test = ads[ads["split"] == "test"].reset_index(drop=True)
    pairs = [(i, j, s) for i, j, s in near_duplicate_pairs(train["text"].tolist(), test["text"].tolist())
             if train["group"][i] != test["group"][j]]
    assert pairs == [], [(train["text"][i], test["text"][j], round(s, 2)) for i, j, s in pairs[:3]]


def test_near_duplicate_search_finds_a_rewrite():
    a = "本公司推出养老公寓床位认购，年化收益百分之十八，到期回购，详询王经理"
    b = "本公司推出养老公寓床位认购，年化收益百分之十八，到期回购，详询李经理"
    assert near_duplicate_pairs([a], [b]) and not near_duplicate_pairs([a], ["今天超市鸡蛋特价，回T退订"])
