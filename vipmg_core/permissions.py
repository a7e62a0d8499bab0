"""Who may do what: one policy, asked by every page, the CLI and the API.

Roles: the public (no account), focal points (bound to one country), reviewers (all countries), admins.
"""

from __future__ import annotations

from enum import StrEnum

from vipmg_core.accounts import Account


class Action(StrEnum):
    VIEW_PUBLISHED = "view_published"
    VALIDATE = "validate"  # check a file without storing anything
    SUBMIT = "submit"  # for a country
    VIEW_SUBMISSION = "view_submission"  # a country's drafts, reports and files
    REVIEW = "review"  # see the queue of every country
    PUBLISH = "publish"
    REJECT = "reject"
    IMPORT = "import"  # load public data (UN DESA, UNHCR...) as published data
    VIEW_AUDIT = "view_audit"
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_DIRECTORY = "view_directory"  # the focal points' contacts


class Forbidden(Exception):
    def __init__(self, action: Action, reason: str):
        super().__init__(reason)
        self.action = action


_PUBLIC = {Action.VIEW_PUBLISHED, Action.VALIDATE}
_BY_ROLE = {
    "focal_point": _PUBLIC | {Action.SUBMIT, Action.VIEW_SUBMISSION, Action.VIEW_DIRECTORY},
    "reviewer": _PUBLIC | {Action.VIEW_SUBMISSION, Action.REVIEW, Action.PUBLISH, Action.REJECT, Action.IMPORT,
                           Action.VIEW_AUDIT, Action.VIEW_DIRECTORY},
    "admin": _PUBLIC | {Action.VIEW_SUBMISSION, Action.REVIEW, Action.VIEW_AUDIT, Action.MANAGE_ACCOUNTS,
                        Action.VIEW_DIRECTORY},
}
# Actions a focal point may take only for their own country.
_COUNTRY_BOUND = {Action.SUBMIT, Action.VIEW_SUBMISSION}


def allowed(account: Account | None, action: Action, country: str | None = None) -> bool:
    if account is None or not account.active:
        return action in _PUBLIC
    if action not in _BY_ROLE[account.role]:
        return False
    if account.role == "focal_point" and action in _COUNTRY_BOUND:
        return country is not None and country == account.country
    return True


def require(account: Account | None, action: Action, country: str | None = None) -> None:
    """Raise Forbidden with a one-line reason unless `account` may take `action` (for `country`)."""
    if allowed(account, action, country):
        return
    who = "the public" if account is None else f"{account.username} ({account.role})"
    if account is not None and account.role == "focal_point" and action in _COUNTRY_BOUND and country:
        reason = f"{who} may {action.value} only for {account.country}, not {country}"
    else:
        reason = f"{who} may not {action.value}"
    raise Forbidden(action, reason)


def require_account(account: Account | None, action: Action, country: str | None = None) -> Account:
    """`require` for an action only an account may take: the account itself (Forbidden for the public), so
    the caller can name who did it."""
    require(account, action, country)
    if account is None:  # the public passes `require` only for its own actions
        raise Forbidden(action, f"the public may not {action.value}")
    return account
