"""
Feedback on answers, as labelled data: the answers a server gave (`recent`), the ratings people give them on the
page, stored durably (`store`), and their export as a SQuAD 2.0 file that `eval` and `tune-threshold` read
(`squad_export`, `cli`: `extractive-qa feedback export FILE`).
"""
