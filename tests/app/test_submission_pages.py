"""Sign in, My submissions, Review and the audit log, driven headless with AppTest."""


import polars as pl
import pytest

from vipmg_core import accounts
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

from .conftest import open_page, own_data_dir, own_demo

LOGIN = "pages/login.py"
PASSWORD = "a-long-password-1"


# A problem as reports stored before December 2026 kept it: a `detail` string, the message in Spanish.
OLD_PROBLEM = {"severity": "warning", "code": "missing-cell", "row": 4, "column": None, "value": "5",
               "detail": "@cells|found=5|expected=8", "length": None, "message": "La fila 4 tiene menos celdas…"}


@pytest.fixture(scope="module")
def own_dir(tmp_path_factory):
    """A warehouse of this module's own: these tests publish, which other tests must not see."""
    wh = own_demo(tmp_path_factory, "subs_pages")
    cat = wh.catalogue
    accounts.add_user(cat, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="t")
    accounts.add_user(cat, "fp_hnd", role="focal_point", country="HND", password=PASSWORD, actor="t")
    accounts.add_user(cat, "rev", role="reviewer", password=PASSWORD, actor="t")
    frame = pl.DataFrame({"ref_area": ["GTM"] * 2, "time_period": ["2024-12"] * 2, "returned_from": ["USA", "MEX"],
                          "sex": ["F", "M"], "age_group": ["Y20T24"] * 2, "minor_status": ["ADULT"] * 2,
                          "transport": ["AIR", "LAND"], "obs_value": [1000, 2000]})
    SubmissionStore(wh).create(accounts.get_user(cat, "fp_gtm"), dataset_id="returns", country="GTM",
                               file_name="retornos_dic.csv", data=b"original bytes", frame=frame,
                               mapping={}, report={"ready": True, "errors": 0, "warnings": 1,
                                                   "problems": [OLD_PROBLEM]}, ready=True)
    with own_data_dir(wh.root) as root:
        yield root


def test_the_public_sees_no_submission_pages(own_dir):
    at = open_page(params={"lang": "es"})
    text = str(at.get("navigation")[0].proto) if at.get("navigation") else str([p.proto for p in at.get("page_link")])
    assert "Acceso" in text and "Revisión" not in text and "Mis envíos" not in text and "auditoría" not in text


def test_signing_in_with_a_wrong_password_says_so_in_the_users_language(own_dir):
    at = open_page(LOGIN, {"lang": "en"})
    at.text_input(key="login_user").input("fp_gtm")
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    assert at.error[0].value == "Wrong user name or password."


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_hostile_user_name_is_refused_in_the_users_language_and_not_logged(own_dir, lang):
    at = open_page(LOGIN, {"lang": lang})
    at.text_input(key="login_user").input("fp_gtm\u202e" + "x" * 100_000)
    at.text_input(key="login_password").input("wrong-password")
    at.button[0].click().run()
    from vipmg_core.i18n import t
    assert at.error[0].value == t("auth.error_bad_username", lang, max=accounts.USERNAME_MAX_LENGTH)
    assert not Warehouse(own_dir).catalogue.query("SELECT 1 FROM audit_log WHERE length(actor) > 64"
                                                  " OR length(object_id) > 64")


def test_a_focal_point_signs_in_and_sees_their_submission(own_dir):
    at = open_page(LOGIN, {"lang": "es"})
    at.text_input(key="login_user").input("fp_gtm")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["_username"] == "fp_gtm"
    at.switch_page("pages/my_submissions.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Archivo"]) == ["retornos_dic.csv"]
    assert list(table["Estado"]) == ["enviado, en revisión"]


def test_a_report_stored_before_typed_problems_shows_its_problems_in_the_readers_language(own_dir):
    at = open_page("pages/my_submissions.py", {"lang": "en"}, user="fp_gtm")
    problems = next(f.value for f in at.dataframe if "What is wrong" in f.value.columns)
    assert list(problems["What is wrong"]) == [
        "Row 4 has fewer cells than the header (5 cells, the header has 8); the missing ones are read as empty."]
    assert list(problems["Severity"]) == ["Warning"]
    # the report's summary counts what the report stored (it used to read keys no report has, and said 0)
    assert any(e.label.endswith("Ready: no errors (1 warnings).") for e in at.expander), [e.label for e in at.expander]


def test_another_countrys_focal_point_sees_nothing_of_it(own_dir):
    at = open_page("pages/my_submissions.py", {"lang": "es"}, user="fp_hnd")
    assert at.info[0].value == "No hay envíos todavía."


def test_a_focal_point_cannot_open_the_review_page(own_dir):
    at = open_page(params={"lang": "es"}, user="fp_gtm")
    with pytest.raises(ValueError):  # not among the pages a focal point is offered
        at.switch_page("pages/review.py")


def test_a_reviewer_compares_and_publishes_and_it_is_audited(own_dir):
    at = open_page("pages/review.py", {"lang": "en"}, user="rev")
    comparison = at.dataframe[1].value
    assert list(comparison["Submitted"]) == ["3,000"]
    next(b for b in at.button if b.label == "Publish").click().run()
    assert any("Published" in s.value for s in at.success)
    wh = Warehouse(own_dir)
    total = wh.query("returns", "SELECT SUM(obs_value) FROM data WHERE ref_area = 'GTM'"
                     " AND time_period = '2024-12'").item()
    assert total == 3000
    at.switch_page("pages/audit.py")
    at.query_params["lang"] = "en"
    at.run()
    log = at.dataframe[0].value
    assert {"rev"} <= set(log["Who"]) and "publish" in set(log["What"])
