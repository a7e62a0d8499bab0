"""When a page fails, the person sees a short message in their language and the operator finds what happened,
with its traceback, in the server's log (stderr)."""

from vipmg_core.i18n import t

from .conftest import open_page, own_data_dir, own_demo

CATALOGUE = "pages/catalogue.py"


def test_a_failing_page_says_so_and_logs_its_traceback_for_the_operator(tmp_path_factory, capsys):
    wh = own_demo(tmp_path_factory, "broken")
    with own_data_dir(wh.root):
        at = open_page(CATALOGUE, {"lang": "en"})
        assert not at.error
        # Someone deletes a published file by hand: the Catalogue can no longer read that dataset.
        lost = wh.root / wh.releases("returns")[0].path
        lost.unlink()
        capsys.readouterr()
        at.run()

    assert [e.value for e in at.error] == [t("shell.error", "en")]
    assert not at.exception
    log = capsys.readouterr().err
    assert "ERROR vipmg: page 'catalogue' failed" in log, log
    assert "Traceback (most recent call last)" in log and lost.name in log, log
