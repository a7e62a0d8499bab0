"""The pages of the app, in menu order. Home.py builds the menu from this list; tests open every page."""

from __future__ import annotations

from dataclasses import dataclass

from vipmg_core.accounts import Account
from vipmg_core.permissions import Action, allowed


@dataclass(frozen=True)
class PageSpec:
    url_path: str  # equal to the file stem in pages/ (a different url_path breaks deep links, streamlit#9624)
    requires: Action | None = None  # pages for signed-in roles only; the page checks again itself
    # No icons: `:material/...` loads a web font from outside, and emoji show as empty boxes on machines
    # without a colour emoji font (as on many workshop laptops and in our test browser).

    @property
    def file(self) -> str:
        return f"pages/{self.url_path}.py"

    @property
    def title_key(self) -> str:
        return f"page.{self.url_path}"

    @property
    def help_key(self) -> str:
        return f"page_help.{self.url_path}"


    def visible_to(self, account: Account | None) -> bool:
        if self.requires is None:
            return True
        return allowed(account, self.requires, account.country if account else None)


HOME = PageSpec("home")  # lives in Home.py itself
PAGES: tuple[PageSpec, ...] = (
    PageSpec("catalogue"),
    PageSpec("profile"),
    PageSpec("compare"),
    PageSpec("crosstab"),
    PageSpec("flowmap"),
    PageSpec("board"),  # members see submissions and contacts; the public, published coverage only
    PageSpec("library"),  # drafts only for their authors and reviewers
    PageSpec("guide"),  # generated from the standard; validation reports link to its rule entries
    PageSpec("upload"),  # validate-only: open to everyone (Action.VALIDATE is public)
    PageSpec("my_submissions", requires=Action.SUBMIT),
    PageSpec("review", requires=Action.REVIEW),
    PageSpec("import_data", requires=Action.IMPORT),
    PageSpec("audit", requires=Action.VIEW_AUDIT),
    PageSpec("login"),
)
