"""The pages of the app, in menu order. Home.py builds the menu from this list; tests open every page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    url_path: str  # equal to the file stem in pages/ (a different url_path breaks deep links, streamlit#9624)
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


HOME = PageSpec("home")  # lives in Home.py itself
PAGES: tuple[PageSpec, ...] = (
    PageSpec("catalogue"),
)
