"""
hayhooks wrapper `ask`: POST /ask/run answers a question from the indexed documents.

It runs the project's query pipeline (the query YAML, with the EQA_* settings applied) through
`extractive_qa.http.application.ServedApplication`, which the `index` wrapper shares: the model is loaded once.
"""

from typing import Annotated

from hayhooks import BasePipelineWrapper
from pydantic import Field

from extractive_qa.app.validation import DEFAULT_TOP_K
from extractive_qa.http.application import served_application
from extractive_qa.http.models import AskResult, Filters, MinConfidence, RetrieverTopK, TopK


class PipelineWrapper(BasePipelineWrapper):
    """Serves the question pipeline."""

    def setup(self) -> None:
        """Loads the query pipeline, its model and the store (shared with the `index` wrapper)."""
        self.application = served_application()

    def run_api(
        self,
        question: Annotated[str, Field(examples=["What is the capital of Victoria?"])],
        top_k: TopK = DEFAULT_TOP_K,
        filters: Filters | None = None,
        threshold: Annotated[float | None, Field(strict=True)] = None,
        retriever_top_k: RetrieverTopK = None,
        min_confidence: MinConfidence = None,
    ) -> AskResult:
        """
        Answers a question from the indexed documents.

        :param question: The question in plain language: 1 to EQA_MAX_QUESTION_CHARS (default 2000) characters,
            not only white space.
        :param top_k: The number of distinct answers returned, 1 to 100 (the no-answer entry comes on top).
        :param filters: Haystack metadata filters that restrict the passages searched, e.g.
            {"field": "meta.file_name", "operator": "==", "value": "Normans.txt"}.
        :param threshold: Overrides the no-answer threshold for this question, in the unit of the decision's signal
            (null_score_diff: 0 is a confidence of 50%, larger values abstain less; default the server's,
            EQA_NO_ANSWER_THRESHOLD or the query YAML's). `min_confidence` says the same in the unit answers show.
        :param min_confidence: Answer only from this confidence up (0 to 1, exclusive; 0.3 for 30%): the same
            override as `threshold`, in the unit of the answers' `confidence`. Give one of the two.
        :param retriever_top_k: The number of passages the reader reads, 1 to 50 (default the query YAML's, 10).
        :returns: The answers by confidence: those above the threshold, the no-answer entry, then the best candidates
            below the threshold (`below_threshold`), `top_k` answers in all.
        """
        return self.application.ask(
            question,
            top_k=top_k,
            filters=filters,
            threshold=threshold,
            retriever_top_k=retriever_top_k,
            min_confidence=min_confidence,
        )
