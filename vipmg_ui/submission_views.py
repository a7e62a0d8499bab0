"""Display pieces shared by My submissions, Review and the audit log (tables in the user's language)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import streamlit as st

from vipmg_core.accounts import Account
from vipmg_core.catalogue import Catalogue
from vipmg_core.codelists import country_name
from vipmg_core.datasets import dataset
from vipmg_core.i18n import fmt_change, fmt_number, t
from vipmg_core.permissions import Action, Forbidden, allowed
from vipmg_core.submissions import Submission, SubmissionStore
from vipmg_core.validation import stored_counts, stored_table


def may(account: Account | None, action: Action, country: str | None = None) -> bool:
    return allowed(account, action, country)


def status_label(status: str, lang: str) -> str:
    return t(f"subs.status_{status}", lang)


def table(subs: list[Submission], lang: str) -> pd.DataFrame:
    return pd.DataFrame([{
        t("subs.col_dataset", lang): dataset(s.dataset_id).title(lang),
        t("subs.col_country", lang): country_name(s.country, lang),
        t("subs.col_period", lang): s.period,
        t("subs.col_version", lang): s.version,
        t("subs.col_status", lang): status_label(s.status, lang),
        t("subs.col_file", lang): s.file_name,
        t("subs.col_rows", lang): fmt_number(s.row_count, lang),
        t("subs.col_submitter", lang): s.submitter,
        t("subs.col_date", lang): (s.submitted_at or s.created_at)[:16].replace("T", " "),
        t("subs.col_reason", lang): s.reason,
    } for s in subs])


def labeller(subs: list[Submission], lang: str) -> Callable[[str], str]:
    by_id = {s.submission_id: s for s in subs}

    def label(submission_id: str) -> str:
        s = by_id[submission_id]
        return (f"{dataset(s.dataset_id).title(lang)} · {country_name(s.country, lang)} · {s.period} · "
                f"v{s.version} · {status_label(s.status, lang)}")

    return label


def _report_summary(report: dict, lang: str) -> str:
    errors, warnings = stored_counts(report)
    if report.get("ready"):
        return t("subs.report_ready", lang, warnings=warnings)
    return t("subs.report_errors", lang, errors=errors, warnings=warnings)


def details(store: SubmissionStore, account: Account, submission_id: str, lang: str, *,
            show_versions: bool = True) -> None:
    sub = store.get(account, submission_id)
    st.subheader(t("subs.details", lang))
    st.markdown(f"**{status_label(sub.status, lang)}** · {dataset(sub.dataset_id).title(lang)} · "
                f"{country_name(sub.country, lang)} · {sub.period} · v{sub.version}")
    if sub.status == "rejected":
        st.error(t("subs.rejected_reason", lang, who=sub.decided_by, reason=sub.reason))
    st.caption(t("subs.sha", lang, sha=sub.file_sha256, size=fmt_number(sub.file_size, lang)))
    st.download_button(t("subs.download_original", lang, name=sub.file_name), store.original_file(account, sub.submission_id),
                       file_name=sub.file_name, key=f"orig_{sub.submission_id}", on_click="ignore")
    with st.expander(t("subs.report", lang) + " — " + _report_summary(sub.report, lang)):
        problems = stored_table(sub.report, lang)  # in the reader's language, whenever it was stored
        if problems.height:
            st.dataframe(problems, hide_index=True, width="stretch")
        st.json(sub.report, expanded=False)
    if show_versions:
        st.markdown(f"**{t('subs.versions', lang)}**")
        st.dataframe(table(store.versions(account, sub.submission_id), lang), hide_index=True, width="stretch")
    with st.expander(t("subs.history", lang)):
        st.dataframe(audit_frame(store.history(account, sub.submission_id), lang), hide_index=True, width="stretch")


def comparison(store: SubmissionStore, account: Account, submission_id: str, lang: str) -> pd.DataFrame:
    frame = store.comparison(account, submission_id)
    return pd.DataFrame([{
        t("subs.col_period", lang): period,
        t("subs.col_submitted", lang): fmt_number(new, lang),
        t("subs.col_published", lang): fmt_number(old, lang),
        t("subs.col_change", lang): fmt_change(change, lang),
    } for period, new, old, change in frame.iter_rows()])


def audit_frame(entries: list[dict], lang: str) -> pd.DataFrame:
    return pd.DataFrame([{
        t("audit.col_at", lang): e["at"].replace("T", " ")[:19],
        t("audit.col_actor", lang): e["actor"],
        t("audit.col_action", lang): e["action"],
        t("audit.col_object", lang): f"{e['object_type']} {e['object_id']}",
        t("audit.col_details", lang): json.dumps(e["details"], ensure_ascii=False),
    } for e in entries], columns=[t(f"audit.col_{c}", lang) for c in ("at", "actor", "action", "object", "details")])


def audit_table(cat: Catalogue, lang: str) -> pd.DataFrame:
    return audit_frame(list(reversed(cat.audit_entries())), lang)


def filter_rows(table: pd.DataFrame, chosen: dict[str, list[str]]) -> pd.DataFrame:
    """Rows whose value in each column is among the chosen ones (no choice keeps every row)."""
    mask = pd.Series(True, index=table.index)
    for column, values in chosen.items():
        if values:
            mask &= table[column].isin(values)
    return table[mask]


def send_section(report, file_bytes: bytes, account: Account | None, lang: str) -> None:
    """After validation: a signed-in focal point of the file's country sends it for review; others are told
    what they would need. Validation alone never stores anything."""
    from vipmg_core.submissions import SubmissionError

    if account is None:
        st.info(t("send.sign_in", lang, country=country_name(report.country, lang)))
        return
    if not allowed(account, Action.SUBMIT, report.country):
        st.warning(t("send.not_yours", lang, country=country_name(report.country, lang)))
        return
    if not report.ready:
        st.error(t("send.fix_first", lang, errors=report.errors))
        return
    sent = st.session_state.get("_sent")
    if sent and sent[0] == report.info.sha256:
        st.success(t("send.done", lang, version=sent[1], period=sent[2]))
        st.page_link("pages/my_submissions.py", label=t("page.my_submissions", lang))
        return
    with st.form("send"):
        institution = st.text_input(t("send.institution", lang), value=account.institution)
        definitions = st.text_area(t("send.definitions", lang), help=t("send.definitions_help", lang))
        notes = st.text_area(t("send.notes", lang))
        if not st.form_submit_button(t("send.button", lang), type="primary"):
            return
    store = SubmissionStore(_warehouse())
    try:
        sub = store.create_from_report(account, report, file_bytes, file_name=report.info.name, lang=lang,
                                       source_institution=institution, definitions=definitions, notes=notes)
    except (SubmissionError, Forbidden) as exc:
        st.error(t("subs.error", lang, reason=exc))
        return
    st.session_state["_sent"] = (report.info.sha256, sub.version, sub.period)
    st.rerun()


def _warehouse():
    from vipmg_ui import shell

    return shell.warehouse()
