"""Export-format copies of training texts (screener.augment) and how training uses them."""
import numpy as np

from features.ad import read_ad
from features.pipeline import DEFAULT_PARAMS
from screener.augment import EXPORT_STYLES, digits_dropped, export_copies, masked_run_on
from screener.training import cross_validated_scores, fit_pipeline


def test_masked_run_on_writes_every_number_as_8_and_drops_punctuation():
    assert masked_run_on("年化12.5%，保本保息！详询 138-0013-8000") == "年化8保本保息详询888"


def test_digits_dropped_deletes_digits_and_keeps_the_rest():
    assert digits_dropped("月息2分，3万起投！") == "月息分，万起投！"


def test_export_copies_are_drawn_from_the_styles_deterministically():
    texts = ["年化12%保本保息", "首付3成，送车位。", "欢迎光临", "月租2000元，押一付三"]
    copies, of = export_copies(texts, random_state=0)
    again, again_of = export_copies(texts, random_state=0)
    assert copies == again and of.tolist() == again_of.tolist()
    assert 2 not in of.tolist()  # a text that no style changes gets no copy
    for copy, i in zip(copies, of):
        assert copy in {style(texts[i]) for style in EXPORT_STYLES} and copy != texts[i]
    many = export_copies([f"第{n}期，年化{n}%。" for n in range(40)], random_state=0)[0]
    assert {"。" in c for c in many} == {True, False}, "both styles are drawn over many texts"


def _char_trigrams(texts):
    return {w[i:i + 3] for t in texts for w in read_ad(t).model_text.split() for i in range(len(w) - 2)}


def test_the_final_model_learns_from_the_copies():
    texts = ["保本保息，年化15%，加微信", "高息理财！月息3分，稳赚", "新店开业，全场8折。", "宽带办理：100元/月，欢迎咨询"] * 2
    labels = np.array([1, 1, 0, 0] * 2)
    pipeline = fit_pipeline(texts, labels, np.ones(len(texts)), {**DEFAULT_PARAMS, "min_df": 1})
    chars = dict(pipeline.named_steps["features"].transformer_list)["chars"].vocabulary_
    copies, _ = export_copies(texts, DEFAULT_PARAMS["random_state"])
    only_in_copies = _char_trigrams(copies) - _char_trigrams(texts)  # n-grams across the dropped punctuation
    assert only_in_copies and only_in_copies <= set(chars)


def test_cross_validation_scores_the_given_texts_only():
    texts = [f"保本保息年化{n}%加微信" for n in range(10, 20)] + [f"新店开业全场{n}折欢迎光临" for n in range(5, 15)]
    labels = [1] * 10 + [0] * 10
    scores = cross_validated_scores(texts, labels, np.arange(20), {**DEFAULT_PARAMS, "min_df": 1}, folds=2)
    assert scores.shape == (20,)
    assert scores[:10].mean() > scores[10:].mean()


def test_cross_validation_can_score_an_export_copy_of_each_held_out_text():
    texts = [f"保本保息，年化{n}%，加微信" for n in range(10, 20)] + [f"新店开业，全场{n}折，欢迎光临" for n in range(5, 15)]
    labels = np.array([1] * 10 + [0] * 10)
    params = {**DEFAULT_PARAMS, "min_df": 1}
    scores, copy_scores, copy_of = cross_validated_scores(texts, labels, np.arange(20), params, folds=2,
                                                          score_copies=True)
    assert np.array_equal(scores, cross_validated_scores(texts, labels, np.arange(20), params, folds=2))
    assert len(copy_scores) == len(copy_of) == 20  # every text here has digits or punctuation to strip
    assert sorted(copy_of) == list(range(20))
    assert copy_scores[labels[copy_of] == 1].mean() > copy_scores[labels[copy_of] == 0].mean()
