"""The classifier at the end of the pipeline: logistic regression and naive Bayes blended into one linear model."""
import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB

from features.pipeline import LinearBlend


def _data():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.random((60, 8)) * (rng.random((60, 8)) < 0.4))
    y = (X[:, 0].toarray().ravel() + X[:, 1].toarray().ravel() > 0.5).astype(int)
    return X, y


def test_the_blend_is_one_linear_model_whose_probability_is_the_logistic_of_its_score():
    X, y = _data()
    blend = LinearBlend(C=1.0, nb_alpha=0.5, nb_weight=0.5).fit(X, y)
    scores = blend.decision_function(X)
    assert np.allclose(scores, X @ blend.coef_[0] + blend.intercept_[0])
    assert np.allclose(blend.predict_proba(X)[:, 1], expit(scores))
    assert np.array_equal(blend.predict(X), (scores > 0).astype(int))


def test_the_blend_weight_runs_from_logistic_regression_to_rescaled_naive_bayes():
    X, y = _data()
    regression = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, solver="liblinear").fit(X, y)
    only_regression = LinearBlend(C=1.0, nb_weight=0.0).fit(X, y)
    assert np.allclose(only_regression.coef_, regression.coef_)
    assert np.allclose(only_regression.intercept_, regression.intercept_)
    bayes = ComplementNB(alpha=0.5).fit(X, y)
    only_bayes = LinearBlend(C=1.0, nb_alpha=0.5, nb_weight=1.0).fit(X, y)
    direction = bayes.feature_log_prob_[1] - bayes.feature_log_prob_[0]
    ratio = only_bayes.coef_[0] / direction
    assert np.allclose(ratio, ratio[0]) and ratio[0] > 0  # naive Bayes's weights, rescaled
    # rescaled to logistic regression's spread of scores on the training rows
    assert np.isclose(only_bayes.decision_function(X).std(), regression.decision_function(X).std())
    assert np.isclose(only_bayes.decision_function(X).mean(), regression.decision_function(X).mean())


def test_sample_weights_reach_both_models():
    X, y = _data()
    weights = np.where(y == 1, 5.0, 1.0)
    assert not np.allclose(LinearBlend().fit(X, y, sample_weight=weights).coef_, LinearBlend().fit(X, y).coef_)
