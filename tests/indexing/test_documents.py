"""Real documents through the indexing pipeline: PDF pages, the main text of web pages, Word files, and the reasons
for those that give no text; the converters' library warnings stay out of the terminal."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.documents import docx_file, encrypted_pdf, html_page, image_only_pdf, pdf_file
from extractive_qa.testing.processes import run_cli

LONG_PAGE = " ".join(["The first page talks about nothing in particular, filling the space."] * 6)
PDF_PAGES = [
    "The Quorvex engine was designed in Tallinn in 1911 by the engineer Maret Kask.",
    LONG_PAGE + "\n\nOn the second page: the Quorvex engine weighs 40 tonnes and runs on peat.",
    "The third page: the engine was retired in 1968 and now stands in a museum in Tartu.",
]
ZORBLAT = [
    "The Zorblat festival is held every summer in the town of Quillington, on the shore of Lake Vemmi.",
    "It celebrates the blue moth, which is found only in the Vemmi valley, and draws visitors from far away.",
]


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "engine.pdf").write_bytes(pdf_file(PDF_PAGES))
    (folder / "festival.html").write_text(html_page("The Zorblat festival", ZORBLAT), encoding="utf-8")
    (folder / "report.docx").write_bytes(docx_file(["The Quillington bridge opened in 1877."], title="Bridges"))
    (folder / "scan.pdf").write_bytes(image_only_pdf(2))
    (folder / "locked.pdf").write_bytes(encrypted_pdf(["Nobody may read this."]))
    (folder / "fake.docx").write_text("not a Word file")
    return folder


def _passages(qa: QuestionAnswerer, name: str) -> list:
    found = qa.document_store.filter_documents({"field": "meta.file_name", "operator": "==", "value": name})
    return sorted(found, key=lambda d: d.meta["split_id"])


def test_pdf_html_and_docx_are_indexed_and_the_rest_skipped_with_reasons(documents: Path, tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    report = qa.index([documents])
    assert report.files_read == 3
    reasons = {Path(path).name: reason for path, reason in report.skipped}
    assert reasons["scan.pdf"].startswith("image-only PDF: 2 of its 2 page(s) hold pictures and none holds text")
    assert "OCR" in reasons["scan.pdf"]
    assert reasons["locked.pdf"] == "encrypted PDF (password-protected): remove the password to index it"
    assert reasons["fake.docx"] == "not a DOCX file (a Word .docx file is a ZIP archive)"
    assert set(reasons) == {"scan.pdf", "locked.pdf", "fake.docx"}

    pdf = _passages(qa, "engine.pdf")
    text = "".join(p.content for p in pdf)
    assert "weighs 40 tonnes" in text and text.count("\f") == 2  # pages separated by form feeds
    assert {p.meta["page_number"] for p in pdf} <= {1, 2, 3} and pdf[-1].meta["page_number"] == 3

    (html,) = _passages(qa, "festival.html")
    assert "Lake Vemmi" in html.content and "blue moth" in html.content
    for left_out in ("About us", "Contact", "Copyright", "scripted", "document.title"):
        assert left_out not in html.content  # menus, footer and script are not the page's main text

    (docx,) = _passages(qa, "report.docx")
    assert "Bridges" in docx.content and "opened in 1877" in docx.content
    assert passages_hold_no_empty_text(qa)


def passages_hold_no_empty_text(qa: QuestionAnswerer) -> bool:
    return all(p.content and p.content.strip("\f \n\t") for p in qa.document_store.filter_documents())


def test_pdf_warnings_do_not_reach_the_terminal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """pypdf warns about a dangling object reference ("Object 52 0 not defined."): not printed unless --verbose."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "dangling.pdf").write_bytes(pdf_file(["A page with a broken font reference."], dangling_reference=True))
    (folder / "locked.pdf").write_bytes(encrypted_pdf(["Nobody may read this."]))
    env = {"EQA_STORE_PATH": str(tmp_path / "store.json")}
    quiet = run_cli("index", str(folder), "--no-progress", env=env, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.startswith("indexed 1 file(s)")
    assert quiet.stderr.strip().splitlines() == [
        f"skipped {folder / 'locked.pdf'}: encrypted PDF (password-protected): remove the password to index it"
    ]
    with caplog.at_level(logging.WARNING, logger="pypdf"):  # the warning exists; the quiet run kept it out
        PdfReader(folder / "dangling.pdf").pages[0].extract_text()
    assert any("not defined" in record.getMessage() for record in caplog.records)


@pytest.mark.model
def test_answers_name_the_page_of_the_span(shared_model: Path, documents: Path, tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(model=str(shared_model), store_path=tmp_path / "store.json"))
    qa.index([documents / "engine.pdf", documents / "festival.html", documents / "report.docx"])
    heavy = qa.ask("How much does the Quorvex engine weigh?", threshold=100.0).best
    assert heavy is not None and heavy.text == "40 tonnes" and heavy.source == "engine.pdf"
    assert heavy.page_number == 2
    assert heavy.where == "engine.pdf, page 2"
    built = qa.ask("Where was the Quorvex engine designed?", threshold=100.0).best
    assert built is not None and built.text == "Tallinn" and built.page_number == 1
    # the passage holding page 1 also holds page 2: the passage's page_number is not the span's
    assert built.document_meta["page_number"] != built.page_number or heavy.document_id != built.document_id
    moth = qa.ask("What does the Zorblat festival celebrate?", threshold=100.0).best
    assert moth is not None and "moth" in moth.text and moth.source == "festival.html" and moth.page_number is None


def test_pdf_words_hyphenated_at_line_ends_are_indexed_whole(tmp_path: Path) -> None:
    """The typesetter's line-end hyphens leave the PDF's text: BM25 finds the whole word, compounds keep theirs."""
    from extractive_qa.components.retrievers.tantivy_bm25_retriever import TantivyBM25Retriever

    page = (
        "The Quorvex library is a well-known tool for the manip-\n"
        "ulation of engine records; a well-\n"
        "known one, and it keeps them in Tal-\n"
        "linn.\n"
        "Records are numbered 12-\n"
        "15."
    )
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "typeset.pdf").write_bytes(pdf_file([page], keep_lines=True))
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    assert qa.index([folder]).files_read == 1
    (passage,) = _passages(qa, "typeset.pdf")
    assert "the manipulation\nof engine records; a well-known\none, and it keeps them in Tallinn.\n" in passage.content
    assert "Records are numbered 12-\n15." in passage.content  # a number range is not a broken word
    found = TantivyBM25Retriever(qa.document_store).run(query="manipulation Tallinn")["documents"]
    assert [d.id for d in found] == [passage.id]


def test_pdf_page_headers_footers_and_numbers_are_not_indexed(shared_model: Path, tmp_path: Path) -> None:
    """A running title with the page number, a copyright line and bare page numbers leave the text; the sentence that
    runs over the page break is whole again, and its page is still known."""
    bodies = [
        "The Quorvex engine was built in the north.\nIts designer was the engineer Maret Kask.",
        "The engine weighs 40 tonnes and runs on peat.\nKask worked on it for many years in",
        "Tallinn, from 1905 on.\nIt now stands in a museum in Tartu.",
    ]
    pages = [
        f"Quorvex Field Guide, chapter 3 {n}\n{body}\n(c) Quorvex Society\n{n}"
        for n, body in enumerate(bodies, start=41)
    ]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.pdf").write_bytes(pdf_file(pages, keep_lines=True))
    qa = QuestionAnswerer(Settings(model=str(shared_model), store_path=tmp_path / "store.json"))
    assert qa.index([folder]).files_read == 1
    passages = _passages(qa, "guide.pdf")
    text = "".join(p.content for p in passages)
    assert "Field Guide" not in text and "\n41" not in text and "42\f" not in text
    assert text.count("(c) Quorvex Society") == 1  # the first page keeps a line repeated word for word
    assert re.search(r"for many years in\s*\fTallinn, from 1905 on\.", text)  # nothing between the two pages
    assert text.count("\f") == 2
    worked = qa.ask("Where did Kask work on the engine for many years?", threshold=100.0).best
    assert worked is not None and worked.text == "Tallinn" and worked.where == "guide.pdf, page 3"


REAL_PDF = Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf")  # Debian's libtasn1-doc: a real 36-page manual (Texinfo)


@pytest.mark.skipif(not REAL_PDF.exists(), reason=f"no real-world PDF at {REAL_PDF} (Debian's libtasn1-doc package)")
def test_a_real_manual_is_indexed_page_by_page_with_its_words_whole(tmp_path: Path) -> None:
    pages = len(PdfReader(REAL_PDF).pages)
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    report = qa.index([REAL_PDF])
    assert report.files_read == 1 and not report.skipped
    passages = _passages(qa, REAL_PDF.name)
    assert passages and passages_hold_no_empty_text(qa)
    assert {p.meta["page_number"] for p in passages} <= set(range(1, pages + 1))
    assert max(p.meta["page_number"] for p in passages) >= pages - 2  # the text runs to the last pages
    text = "".join(p.content for p in passages)
    assert text.count("\f") == pages - 1  # every page break kept: page numbers stay right
    assert "Abstract Syntax Notation One" in text
    assert "manip-\nulation" not in text and "manipulation" in text
    assert "Chapter 4: Function reference" not in text  # the running title of 15 pages, with their numbers
    assert "asn1_array2tree" in text  # the reference itself is there
    assert sum(text.count(f"-\n{c}") for c in "abcdefghijklmnopqrstuvwxyz") < 3  # (the manual's own hyphens)
