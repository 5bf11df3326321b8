"""Retraining: new labelled cases (cases), adapting to an office's stream (adapt), candidate vs current (promotion)."""
