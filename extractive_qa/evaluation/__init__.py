"""Evaluation with the official SQuAD 2.0 metric, and no-answer threshold tuning (`eval`, `tune-threshold`)."""
