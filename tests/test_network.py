"""The Network board against the submission store and a reporting calendar, checked by hand."""

from datetime import date

import polars as pl
import pytest

from vipmg_core import accounts, network
from vipmg_core.network import NetworkError
from vipmg_core.permissions import Forbidden
from vipmg_core.submissions import SubmissionStore
from vipmg_core.warehouse import Warehouse

PASSWORD = "a-long-password-1"
TODAY = date(2026, 6, 15)


def returns(country: str, period: str, value: int = 100) -> pl.DataFrame:
    return pl.DataFrame({"ref_area": [country], "time_period": [period], "returned_from": ["USA"], "sex": ["F"],
                         "age_group": ["Y20T24"], "minor_status": ["ADULT"], "transport": ["AIR"],
                         "obs_value": [value]})


@pytest.fixture(scope="module")
def net(tmp_path_factory, module_catalogue_backend):
    """GTM and HND report returns monthly, due 30 days after the month, from 2026-01; today is 2026-06-15.

    GTM: 01 published 02-20 (on time), 02 published 04-10 (late, due 03-30), 03 submitted, 04 rejected,
    05 nothing (due 06-30: not yet). HND: 01 published 03-01 (on time, due 03-02), 02-04 missing.
    """
    wh = Warehouse(tmp_path_factory.mktemp("network"))
    cat = wh.catalogue
    fp_gtm = accounts.add_user(cat, "fp_gtm", role="focal_point", country="GTM", password=PASSWORD, actor="t",
                               display_name="Ana Pérez", institution="IGM Guatemala", email="ana@igm.gob.gt")
    fp_hnd = accounts.add_user(cat, "fp_hnd", role="focal_point", country="HND", password=PASSWORD, actor="t",
                               display_name="Luis Mejía", institution="INM Honduras", email="luis@inm.gob.hn")
    rev = accounts.add_user(cat, "rev", role="reviewer", password=PASSWORD, actor="t")
    store = SubmissionStore(wh)
    report = {"ready": True, "errors": 0, "warnings": 0}

    def send(fp, country, period):
        return store.create(fp, dataset_id="returns", country=country, file_name=f"{period}.csv", data=b"x",
                            frame=returns(country, period), mapping={}, report=report, ready=True)

    published_on = {}
    for fp, country, period, day in ((fp_gtm, "GTM", "2026-01", "2026-02-20"), (fp_gtm, "GTM", "2026-02", "2026-04-10"),
                                     (fp_hnd, "HND", "2026-01", "2026-03-01")):
        sub = store.publish(rev, send(fp, country, period).submission_id)
        published_on[sub.release_id] = day
    send(fp_gtm, "GTM", "2026-03")
    store.reject(rev, send(fp_gtm, "GTM", "2026-04").submission_id, "totals do not add up")
    store.create(fp_hnd, dataset_id="returns", country="HND", file_name="draft.csv", data=b"y",
                 frame=returns("HND", "2026-02"), mapping={}, report=report, ready=True, submit=False)
    with cat.transaction() as con:  # publication dates as they would have been in the past
        for release_id, day in published_on.items():
            con.execute("UPDATE releases SET published_at = ? WHERE release_id = ?", (f"{day}T12:00:00+00:00",
                                                                                     release_id))
    network.set_calendar(wh, rev, "returns", "monthly", due_days=30, since="2026-01")
    return wh, {"fp_gtm": fp_gtm, "fp_hnd": fp_hnd, "rev": rev}


def cells_of(wh, account, **kw):
    cells = network.board(wh, account, countries=["GTM", "HND"], dataset_ids_=["returns"], today=TODAY, **kw)
    return {(r["country"], r["period"]): r for r in cells.iter_rows(named=True)}


def test_the_reviewer_board_shows_what_the_submission_store_holds_with_lateness(net):
    wh, who = net
    cells = cells_of(wh, who["rev"])
    got = {k: (v["status"], v["late"]) for k, v in cells.items()}
    assert got == {
        ("GTM", "2026-01"): ("published", False), ("GTM", "2026-02"): ("published", True),
        ("GTM", "2026-03"): ("submitted", True), ("GTM", "2026-04"): ("rejected", True),
        ("GTM", "2026-05"): ("not_due", False),
        ("HND", "2026-01"): ("published", False), ("HND", "2026-02"): ("draft", True),
        ("HND", "2026-03"): ("missing", True), ("HND", "2026-04"): ("missing", True),
        ("HND", "2026-05"): ("not_due", False),
    }
    assert cells[("GTM", "2026-04")]["reason"] == "totals do not add up"
    assert cells[("GTM", "2026-02")]["version"] == 1 and cells[("GTM", "2026-02")]["published_at"][:10] == "2026-04-10"
    assert cells[("GTM", "2026-02")]["due"] == date(2026, 3, 30)
    store = SubmissionStore(wh)
    for sub in store.list(who["rev"]):
        period_status = cells[(sub.country, sub.period)]["status"]
        assert period_status == sub.status


def test_the_public_board_has_no_drafts_submissions_or_rejection_reasons(net):
    wh, _ = net
    cells = cells_of(wh, None)
    assert {v["status"] for v in cells.values()} <= {"published", "missing", "not_due"}
    assert all(v["reason"] is None and v["submission_id"] is None for v in cells.values())
    assert cells[("GTM", "2026-04")]["status"] == "missing"


def test_a_focal_point_sees_their_own_drafts_but_not_another_countrys(net):
    wh, who = net
    gtm_view = cells_of(wh, who["fp_gtm"])
    assert gtm_view[("GTM", "2026-04")]["status"] == "rejected"
    assert gtm_view[("HND", "2026-02")]["status"] == "missing"  # HND's draft is not GTM's business
    owed = network.owed(network.board(wh, who["fp_gtm"], countries=["GTM"], dataset_ids_=["returns"], today=TODAY))
    assert owed["period"].to_list() == ["2026-04", "2026-05"]


def test_timeliness_and_completeness_match_a_hand_count(net):
    wh, who = net
    summary = network.summary(network.board(wh, who["rev"], countries=["GTM", "HND"], dataset_ids_=["returns"],
                                            today=TODAY), today=TODAY)
    rows = {r["country"]: r for r in summary.iter_rows(named=True)}
    # Due by 06-15: periods 01..04. GTM published 01 on time and 02 late; HND published 01 on time.
    assert (rows["GTM"]["expected"], rows["GTM"]["present"], rows["GTM"]["on_time_last_12m"]) == (4, 2, 1)
    assert rows["GTM"]["timeliness"] == pytest.approx(0.25) and rows["GTM"]["completeness"] == pytest.approx(0.5)
    assert rows["HND"]["timeliness"] == pytest.approx(0.25) and rows["HND"]["completeness"] == pytest.approx(0.25)


def test_periods_due_more_than_a_year_ago_do_not_count_for_timeliness(net):
    wh, who = net
    # On 2027-03-15, 2026-01..2027-01 are due (13); 2026-01 (due 2026-03-02) has left the 12-month window.
    later = date(2027, 3, 15)
    summary = network.summary(network.board(wh, who["rev"], countries=["GTM"], dataset_ids_=["returns"],
                                            today=later), today=later)
    row = summary.row(0, named=True)
    assert row["due_last_12m"] == 12 and row["on_time_last_12m"] == 0 and row["expected"] == 13


def test_last_update_and_public_coverage_come_from_published_data_only(net):
    wh, _ = net
    updated = {(r["country"], r["dataset_id"]): r["last_updated"][:10]
               for r in network.last_updated(wh).iter_rows(named=True)}
    assert updated == {("GTM", "returns"): "2026-04-10", ("HND", "returns"): "2026-03-01"}
    cov = network.coverage(wh)
    assert cov.rows() == [("returns", "GTM", "2026", 2), ("returns", "HND", "2026", 1)]


def test_the_directory_is_refused_to_the_public_and_shown_to_members(net):
    wh, who = net
    with pytest.raises(Forbidden):
        network.directory(wh, None)
    people = network.directory(wh, who["fp_hnd"])
    assert [(p.name, p.institution, p.country, p.datasets, p.contact) for p in people] == [
        ("Ana Pérez", "IGM Guatemala", "GTM", ("returns",), "ana@igm.gob.gt"),
        ("Luis Mejía", "INM Honduras", "HND", ("returns",), "luis@inm.gob.hn")]


def test_only_reviewers_set_the_calendar_and_bad_periods_are_refused(net):
    wh, who = net
    with pytest.raises(Forbidden):
        network.set_calendar(wh, who["fp_gtm"], "returns", "monthly", due_days=10, since="2026-01")
    with pytest.raises(NetworkError):
        network.set_calendar(wh, who["rev"], "returns", "monthly", due_days=10, since="2026")
    assert network.calendar(wh)["returns"].due_days == 30


def test_yearly_and_quarterly_periods_end_on_the_right_day():
    assert network.period_end("2024") == date(2024, 12, 31)
    assert network.period_end("2024-Q1") == date(2024, 3, 31)
    assert network.period_end("2024-02") == date(2024, 2, 29)
    entry = network.CalendarEntry("residence_permits", "yearly", 90, "2023")
    assert entry.periods(date(2026, 1, 5)) == ["2023", "2024", "2025"]
    assert entry.due("2025") == date(2026, 3, 31)


def run_cli(monkeypatch, capsys, wh, *args, stdin=""):
    import io
    import sys

    from vipmg_core import cli

    monkeypatch.setenv("VIPMG_DATA_DIR", str(wh.root))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_refuses_the_directory_to_the_public_in_one_line(net, monkeypatch, capsys):
    wh, _ = net
    code, out, err = run_cli(monkeypatch, capsys, wh, "network", "directory")
    assert code != 0 and "ana@igm.gob.gt" not in out and len(err.strip().splitlines()) == 1
    code, out, _ = run_cli(monkeypatch, capsys, wh, "network", "directory", "--user", "fp_hnd", "--password-stdin",
                           stdin=PASSWORD + "\n")
    assert code == 0 and "ana@igm.gob.gt" in out


def test_the_cli_board_gives_the_public_coverage_and_members_the_statuses(net, monkeypatch, capsys):
    wh, _ = net
    code, out, _ = run_cli(monkeypatch, capsys, wh, "network", "board", "--dataset", "returns")
    assert code == 0 and "rejected" not in out and "totals do not add up" not in out
    assert out.splitlines()[0] == "dataset_id,country,year,periods"
    code, out, _ = run_cli(monkeypatch, capsys, wh, "network", "board", "--dataset", "returns", "--country", "GTM",
                           "--user", "rev", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "totals do not add up" in out


def test_the_cli_explains_a_bad_calendar_period_in_one_line(net, monkeypatch, capsys):
    wh, _ = net
    code, _, err = run_cli(monkeypatch, capsys, wh, "network", "calendar", "--set", "returns", "--since", "2026",
                           "--user", "rev", "--password-stdin", stdin=PASSWORD + "\n")
    assert code != 0 and "does not fit the monthly frequency" in err and len(err.strip().splitlines()) == 1
