"""Quality ratchets: each pinned a little below what the built-in model reached, so losing ground fails.

Figures on real messages use ../shared/data/real, which is for measuring only (never trained on).
fbs_dev.csv is judged on its measured half only (bench/real_data.py): the read half was read
while writing data, and figures on it overstate.
"""
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from screener.config import DEFAULT_DATA, ROOT

sys.path.insert(0, str(ROOT / "bench"))
from real_data import MEASURED, fbs_halves  # noqa: E402

# Reached by the built-in model (README, "Quality"; `python bench/quality.py`):
TEST_F1_MIN = 0.95                  # corpus test split (17,235-text corpus, round 8 added): 0.969
FBS_ROC_AUC_MIN = 0.98              # fbs_dev measured half: 0.988
FBS_AP_MIN = 0.74                   # 0.766
FBS_RECALL_MIN = 0.75               # 0.79 (33 of 42); 0.75 needs 32
FBS_PRECISION_MIN = 0.52            # 0.58
SMS_NORMAL_FLAGGED_MAX = 0.01       # sms_normal.csv: 0.34%
NEWS_FLAGGED_MAX = 0.02             # news and court reports of the corpus test split: 0.00%
# The plain character n-gram model of bench/realism.py on the same corpus (round 8): ROC-AUC 0.972, AP 0.690, 3.4% of
# sms_normal at 0.5. Our AP is above it by 0.076; 42 positives put about 0.04 of noise on either figure, so the
# test asks for 0.03 more.
PLAIN_ROC_AUC_MIN, PLAIN_FLAGGED_MAX, PLAIN_AP_GAIN = 0.90, 0.04, 0.03
# Recall lost to each disguise rewrite of bench/robustness.py, on 300 suspicious test texts: none lost to
# spacing, symbols, masked digits, traditional or full width; 0.01 to the shared-part rewrite and 0.007 to
# homophones, and look-alikes gain (a disguise is itself a feature). The bound is 0.05.
REWRITE_RECALL_LOSS_MAX = {"spaced": 0.02, "symbols": 0.02, "masked": 0.03, "lookalike": 0.05, "sharedpart": 0.05,
                           "homophone": 0.05, "traditional": 0.02, "fullwidth": 0.02}
# ROC-AUC lost to each rewrite over the whole corpus test split: at most 0.001 (shared part); 0.01 is the bound.
REWRITE_AUC_LOSS_MAX = 0.01


@pytest.fixture(scope="module")
def corpus_test():
    ads = pd.read_csv(DEFAULT_DATA, keep_default_na=False)
    return ads[ads["split"] == "test"]


@pytest.fixture(scope="module")
def measured(real_data):
    fbs = fbs_halves(real_data / "fbs_dev.csv")
    return fbs[fbs["half"] == MEASURED]


@pytest.fixture(scope="module")
def real_scores(screener, real_data, measured):
    normal = pd.read_csv(real_data / "sms_normal.csv")
    return screener.scores(measured["text"].astype(str)), screener.scores(normal["text"].astype(str))


def test_test_split_f1(screener, corpus_test):
    flagged = screener.scores(corpus_test["text"]) >= screener.threshold
    label = corpus_test["label"].astype(int).to_numpy()
    tp = int((flagged & (label == 1)).sum())
    assert 2 * tp / (flagged.sum() + label.sum()) >= TEST_F1_MIN


def test_news_and_court_reports_are_rarely_flagged(screener, corpus_test):
    news = corpus_test[corpus_test["category"] == "news"]
    assert len(news) >= 50
    assert np.mean(screener.scores(news["text"]) >= screener.threshold) <= NEWS_FLAGGED_MAX


def test_real_fake_base_station_sms_measured_half(screener, real_scores, measured):
    p_fbs, _ = real_scores
    label = measured["label"].to_numpy()
    flagged = p_fbs >= screener.threshold
    assert roc_auc_score(label, p_fbs) >= FBS_ROC_AUC_MIN
    assert average_precision_score(label, p_fbs) >= FBS_AP_MIN
    assert flagged[label == 1].mean() >= FBS_RECALL_MIN
    assert label[flagged].mean() >= FBS_PRECISION_MIN


def test_real_normal_sms_rarely_flagged(screener, real_scores):
    _, p_normal = real_scores
    assert (p_normal >= screener.threshold).mean() <= SMS_NORMAL_FLAGGED_MAX


def test_features_beat_the_plain_character_model_on_real_data(screener, real_scores, measured, real_data):
    from realism import plain_model

    ads = pd.read_csv(DEFAULT_DATA)
    train = ads[ads["split"] == "train"]
    plain = plain_model().fit(train["text"], train["label"])
    p_fbs, _ = real_scores
    p_plain = plain.predict_proba(measured["text"].astype(str))[:, 1]
    p_plain_normal = plain.predict_proba(pd.read_csv(real_data / "sms_normal.csv")["text"].astype(str))[:, 1]
    label = measured["label"]
    assert roc_auc_score(label, p_plain) >= PLAIN_ROC_AUC_MIN
    assert np.mean(p_plain_normal >= 0.5) <= PLAIN_FLAGGED_MAX
    assert roc_auc_score(label, p_fbs) > roc_auc_score(label, p_plain)
    assert average_precision_score(label, p_fbs) >= average_precision_score(label, p_plain) + PLAIN_AP_GAIN


def test_disguise_rewrites_cost_little_recall(screener, corpus_test):
    import random

    from robustness import REWRITES, SEED

    suspicious = corpus_test[corpus_test["label"].astype(int) == 1]["text"].sample(300, random_state=0).tolist()
    clean = np.mean(screener.scores(suspicious) >= screener.threshold)
    for name, rewrite in REWRITES.items():
        rng = random.Random(SEED)
        recall = np.mean(screener.scores([rewrite(t, rng) for t in suspicious]) >= screener.threshold)
        assert clean - recall <= REWRITE_RECALL_LOSS_MAX[name], (name, clean, recall)


def test_disguise_rewrites_cost_little_ranking(screener, corpus_test):
    import random

    from robustness import REWRITES, SEED

    label = corpus_test["label"].astype(int).to_numpy()
    clean = roc_auc_score(label, screener.scores(corpus_test["text"]))
    for name, rewrite in REWRITES.items():
        rng = random.Random(SEED)
        rewritten = roc_auc_score(label, screener.scores([rewrite(t, rng) for t in corpus_test["text"]]))
        assert clean - rewritten <= REWRITE_AUC_LOSS_MAX, (name, clean, rewritten)
