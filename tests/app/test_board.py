"""The Network board page, headless: members see statuses and contacts, the public coverage only."""


import polars as pl
import pytest

from vipmg_core import accounts, network
from vipmg_core.submissions import SubmissionStore

from .conftest import open_page, own_data_dir, own_demo

BOARD = "pages/board.py"
PASSWORD = "a-long-password-1"


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory):
    """The demo, plus a GTM returns submission rejected with a reason and a calendar for returns."""
    wh = own_demo(tmp_path_factory, "board_page")
    cat = wh.catalogue
    fp = accounts.add_user(cat, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="t",
                           display_name="Ana Pérez", institution="IGM Guatemala", email="ana@igm.gob.gt")
    rev = accounts.add_user(cat, "rev", role="reviewer", password=PASSWORD, actor="t")
    year = wh.year_bounds()[1]
    frame = pl.DataFrame({"ref_area": ["GTM"], "time_period": [f"{year}-03"], "returned_from": ["USA"],
                          "sex": ["F"], "age_group": ["Y20T24"], "minor_status": ["ADULT"], "transport": ["AIR"],
                          "obs_value": [7]})
    store = SubmissionStore(wh)
    sub = store.create(fp, dataset_id="returns", country="GTM", file_name="marzo.csv", data=b"x", frame=frame,
                       mapping={}, report={"ready": True}, ready=True)
    store.reject(rev, sub.submission_id, "faltan las edades")
    network.set_calendar(wh, rev, "returns", "monthly", due_days=30, since=f"{year + 1}-01")
    with own_data_dir(wh.root):
        yield year


def all_text(at) -> str:
    frames = " ".join(df.value.to_csv() for df in at.dataframe)
    return " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.success]) + frames


def test_the_public_sees_coverage_but_no_contacts_drafts_or_rejections(board_dir):
    at = open_page(BOARD, {"lang": "en"})
    text = all_text(at)
    assert "Published coverage" in [s.value for s in at.subheader]
    assert "ana@igm.gob.gt" not in text and "Ana Pérez" not in text
    assert "faltan las edades" not in text and "rejected" not in text
    assert "Guatemala" in at.dataframe[0].value.to_csv()


def test_a_reviewer_sees_the_rejection_the_calendar_and_the_directory(board_dir):
    at = open_page(BOARD, {"lang": "es", "byr": str(board_dir)}, user="rev")
    text = all_text(at)
    assert "faltan las edades" in text  # the demo already publishes that month: the reason still shows
    assert "ana@igm.gob.gt" in text and "IGM Guatemala" in text
    headers = [s.value for s in at.subheader]
    assert "Resumen por país" in headers and "Calendario de envíos" in headers
    summary = at.dataframe[0].value
    assert "Puntualidad (12 meses)" in summary.columns


def test_a_focal_point_sees_what_their_country_owes(board_dir):
    at = open_page(BOARD, {"lang": "en"}, user="fp_gtm")
    owed = at.dataframe[1].value  # the board opens on this year: the calendar expects returns every month
    assert set(owed["Country"]) == {"Guatemala"}
    assert "missing · late" in set(owed["Status"])


def test_a_reviewer_saves_a_calendar_and_a_bad_period_is_explained(board_dir):
    at = open_page(BOARD, {"lang": "en"}, user="rev")
    form_inputs = [w for w in at.text_input if w.label.startswith("From period")]
    form_inputs[0].input("2024-13")
    submit = next(b for b in at.button if b.label == "Save calendar")
    submit.click().run()
    assert any("does not fit" in e.value for e in at.error)
