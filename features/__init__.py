"""Text to model input: everything that turns an ad into what the classifier reads.

normalise  -> fold disguises, keep spans into the original, canonical tokens (normalise.py)
tokenize   -> jieba / rjieba with the domain dictionary userdict.txt          (tokenize.py)
anchors    -> literal anchors of a pattern; which patterns can match a text    (anchors.py)
redflags   -> rule detectors tied to the four legal characteristics           (redflags.py)
pipeline   -> one pass per ad (Ad), then word TF-IDF + character n-grams + red flags
              -> logistic regression blended with naive Bayes (one linear model) (pipeline.py)
"""
