"""
hayhooks wrapper `index`: POST /index/run indexes texts given in the request body.

It runs the project's indexing pipeline (converter, cleaner, splitter, writer) on the texts; the server never reads
a path named in a request. The store is the one the `ask` wrapper searches.
"""

from typing import Annotated

from hayhooks import BasePipelineWrapper
from pydantic import Field

from extractive_qa.http.application import served_application
from extractive_qa.http.models import IndexResult, TextDocument


class PipelineWrapper(BasePipelineWrapper):
    """Serves the indexing pipeline for texts sent over HTTP."""

    def setup(self) -> None:
        """Loads the indexing pipeline and the store (shared with the `ask` wrapper)."""
        self.application = served_application()

    def run_api(
        self,
        documents: Annotated[
            list[TextDocument | str],
            Field(examples=[[{"name": "notes.txt", "content": "The office moved to Leipzig in 2021."}]]),
        ],
    ) -> IndexResult:
        """
        Indexes texts into the store; a text indexed before under the same name is replaced.

        :param documents: The texts: objects with `content` (and optionally `name` and `meta`), or plain strings.
            At most EQA_MAX_DOCUMENTS (default 100) per request.
        :returns: The number of texts and passages indexed, and the passages in the store afterwards.
        """
        return self.application.index(documents)
