"""When a page fails, the person sees a short message in their language and the operator finds what happened,
with its traceback, in the server's log (stderr)."""

from vipmg_core.i18n import t

from .conftest import open_page, own_data_dir, own_demo

CROSSTAB = "pages/crosstab.py"


def test_a_failing_page_says_so_and_logs_its_traceback_for_the_operator(tmp_path_factory, capsys):
    wh = own_demo(tmp_path_factory, "broken")
    with own_data_dir(wh.root):
        at = open_page(CROSSTAB, {"lang": "en"})
        assert not at.error and at.selectbox(key="xds").value != "returns"
        # Someone deletes a published file by hand: a cross-tab of that dataset can no longer be read.
        lost = wh.root / wh.releases("returns")[0].path
        lost.unlink()
        capsys.readouterr()
        at.selectbox(key="xds").set_value("returns").run()

    assert [e.value for e in at.error] == [t("shell.error", "en")]
    assert not at.exception
    log = capsys.readouterr().err
    assert "ERROR vipmg: page 'crosstab' failed" in log, log
    assert "Traceback (most recent call last)" in log and lost.name in log, log
