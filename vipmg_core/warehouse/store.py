"""The Warehouse: publishing releases (staged, published, withdrawn, in catalogue transactions) and reading what
readers see, with the catalogue's reads remembered until it changes and the data queried through DuckDB."""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from vipmg_core.catalogue import Catalogue, new_id, now_utc
from vipmg_core.config import data_dir
from vipmg_core.datasets import dataset
from vipmg_core.warehouse.release_files import write_release_file
from vipmg_core.warehouse.releases import Provenance, Release, precedence
from vipmg_core.warehouse.sql import duck, literal, quote


@dataclass(frozen=True)
class _Visible:
    releases: list[Release]
    winners: pl.DataFrame | None  # (area, period, release_id) where published releases overlap


class Warehouse:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else data_dir()
        self.files = self.root / "warehouse"
        self.files.mkdir(parents=True, exist_ok=True)
        self.catalogue = Catalogue(self.root / "catalogue.sqlite")
        self._memo: dict[tuple, tuple] = {}  # catalogue reads, kept until the catalogue changes
        self._memo_lock = threading.Lock()  # one Warehouse serves every session's thread
        self.prefer: str | None = None  # a product or edition read first where products overlap

    def preferring(self, source: str | None) -> Warehouse:
        """The same warehouse, read with `source` (a product, `<product>@<edition>` or a release id; see
        `sources`) first where products overlap; an older edition chosen so is read in place of its newer one."""
        if (source or None) == self.prefer:
            return self
        other = copy.copy(self)
        other.prefer = source or None
        return other

    def sources(self, dataset_id: str) -> list[tuple[str, Release]]:
        """The choices `preferring` accepts for a dataset: each product and each kept edition, newest first."""
        every = [r for r in self.releases(dataset_id, published_only=False) if r.status in ("published", "superseded")]
        out: dict[str, Release] = {}
        for r in sorted(every, key=lambda r: (r.status == "published", r.dated, r.version), reverse=True):
            out.setdefault(r.product, r)
            out.setdefault(r.edition_key, r)
        return sorted(out.items())

    # -- writing -----------------------------------------------------------------------------------

    def publish(
        self,
        dataset_id: str,
        frames: Iterable[pl.DataFrame],
        *,
        scope: str,
        provenance: Provenance,
        actor: str,
        on_rows: Callable[[int], None] | None = None,
    ) -> Release:
        """Write `frames` as a new release of `dataset_id` and publish it in place of `scope`'s previous one."""
        staged = self.stage(dataset_id, frames, scope=scope, provenance=provenance, actor=actor, on_rows=on_rows)
        return self.publish_release(staged.release_id, actor=actor)

    def stage(
        self,
        dataset_id: str,
        frames: Iterable[pl.DataFrame],
        *,
        scope: str,
        provenance: Provenance,
        actor: str,
        on_rows: Callable[[int], None] | None = None,
    ) -> Release:
        """Write `frames` as an immutable release file, recorded but not visible to readers until published."""
        ds = dataset(dataset_id)
        release_id = new_id()
        written = write_release_file(self.root, ds, release_id, frames, on_rows)

        provenance_json = json.dumps(
            {"publisher": provenance.publisher, "source_file": provenance.source_file,
             "edition": provenance.edition, "notes": provenance.notes or {},
             **({"parts": sorted(written.parts)} if ds.coverage_columns else {})},
            ensure_ascii=False, sort_keys=True,
        )
        with self.catalogue.transaction() as con:
            (previous,) = con.execute(
                "SELECT COALESCE(MAX(version), 0) FROM releases WHERE dataset_id = ? AND scope = ?",
                (ds.id, scope),
            ).fetchone()
            con.execute(
                "INSERT INTO releases (release_id, dataset_id, scope, version, status, path, sha256, row_count,"
                " synthetic, publisher, source_file, edition, provenance, created_by, created_at)"
                " VALUES (?, ?, ?, ?, 'staged', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (release_id, ds.id, scope, previous + 1, written.path.as_posix(), written.sha256, written.rows,
                 int(provenance.synthetic), provenance.publisher, provenance.source_file, provenance.edition,
                 provenance_json, actor, now_utc()),
            )
            con.executemany("INSERT INTO release_coverage (release_id, area, period) VALUES (?, ?, ?)",
                            [(release_id, area, period) for area, period in sorted(written.slices)])
            Catalogue.audit(con, actor, "stage", "release", release_id,
                            {"dataset_id": ds.id, "scope": scope, "version": previous + 1, "rows": written.rows})
        return self.release(release_id)

    def publish_release(self, release_id: str, *, actor: str) -> Release:
        """Make a staged release visible, superseding the published one of the same scope, in one transaction."""
        with self.catalogue.transaction() as con:
            self.publish_release_in(con, release_id, actor=actor)
        return self.release(release_id)

    @staticmethod
    def publish_release_in(con: sqlite3.Connection, release_id: str, *, actor: str) -> None:
        """The same, inside the caller's transaction (so a submission's status changes with its data)."""
        row = con.execute("SELECT dataset_id, scope, status FROM releases WHERE release_id = ?",
                          (release_id,)).fetchone()
        if row is None:
            raise KeyError(f"no release {release_id!r}")
        if row["status"] != "staged":
            raise ValueError(f"release {release_id} is {row['status']}, not staged")
        con.execute(
            "UPDATE releases SET status = 'superseded' WHERE dataset_id = ? AND scope = ? AND status = 'published'",
            (row["dataset_id"], row["scope"]),
        )
        con.execute("UPDATE releases SET status = 'published', published_at = ?, published_seq = ?"
                    " WHERE release_id = ?", (now_utc(), new_id(), release_id))
        Catalogue.audit(con, actor, "publish", "release", release_id,
                        {"dataset_id": row["dataset_id"], "scope": row["scope"]})

    def withdraw(self, release_id: str, *, actor: str, reason: str = "") -> Release:
        """Take a staged or published release out of what readers see (the file and its record stay)."""
        with self.catalogue.transaction() as con:
            row = con.execute("SELECT dataset_id, scope, status FROM releases WHERE release_id = ?",
                              (release_id,)).fetchone()
            if row is None:
                raise KeyError(f"no release {release_id!r}")
            if row["status"] not in ("staged", "published"):
                raise ValueError(f"release {release_id} is {row['status']}, not staged or published")
            con.execute("UPDATE releases SET status = 'withdrawn' WHERE release_id = ?", (release_id,))
            Catalogue.audit(con, actor, "withdraw", "release", release_id,
                            {"dataset_id": row["dataset_id"], "scope": row["scope"], "reason": reason})
        return self.release(release_id)

    # -- reading the catalogue ---------------------------------------------------------------------

    def release(self, release_id: str) -> Release:
        rows = self.catalogue.query("SELECT * FROM releases WHERE release_id = ?", (release_id,))
        if not rows:
            raise KeyError(f"no release {release_id!r}")
        return Release.from_row(rows[0])

    def remembered(self, key: tuple, compute):
        """`compute()`, kept until the catalogue changes (reads of it run on every cross-tab and page rerun);
        `key` names what is kept (readers of other modules key theirs by their own name, e.g. profiles)."""
        token = self.catalogue.changes()  # read before computing: the value is never older than its token
        with self._memo_lock:
            hit = self._memo.get(key)
        if hit is not None and hit[0] == token:
            return hit[1]
        value = compute()  # outside the lock: threads may compute the same value at once, never a wrong one
        with self._memo_lock:
            self._memo[key] = (token, value)
        return value

    def releases(self, dataset_id: str | None = None, *, published_only: bool = True) -> list[Release]:
        """Releases (the published ones readers see; with a preferred older edition, it in place of the
        published edition of its scope)."""
        prefer = self.prefer if published_only else None
        return list(self.remembered(("releases", dataset_id, published_only, prefer),
                                     lambda: self._read_releases(dataset_id, published_only)))

    def _read_releases(self, dataset_id: str | None, published_only: bool) -> list[Release]:
        sql = "SELECT * FROM releases WHERE 1 = 1"
        params: list = []
        if dataset_id:
            sql += " AND dataset_id = ?"
            params.append(dataset_id)
        if published_only:
            sql += " AND status IN ('published', 'superseded')" if self.prefer else " AND status = 'published'"
        rows = self.catalogue.query(sql + " ORDER BY dataset_id, scope, version", tuple(params))
        found = [Release.from_row(r) for r in rows]
        if published_only and self.prefer:
            chosen = {(r.dataset_id, r.scope): r for r in found
                      if r.status == "superseded" and self.prefer in (r.edition_key, r.release_id)}
            found = [r for r in found if chosen.get((r.dataset_id, r.scope), r) is r
                     and (r.status == "published" or (r.dataset_id, r.scope) in chosen)]
        return found

    def is_empty(self) -> bool:
        return not self.catalogue.query("SELECT 1 FROM releases WHERE status = 'published' LIMIT 1")

    def has_synthetic(self, dataset_ids: Iterable[str] | None = None) -> bool:
        """Whether readers of these datasets (all when None) see any synthetic row."""
        ids = list(dataset_ids) if dataset_ids is not None else sorted({r.dataset_id for r in self.releases()})
        for dataset_id in ids:
            visible = self._visible(dataset_id)
            if any(r.synthetic for r in visible.releases):
                return True
        return False

    def _visible(self, dataset_id: str) -> _Visible:
        """The published releases readers see, and, where releases overlap, which one wins each slice."""
        return self.remembered(("visible", dataset_id, self.prefer), lambda: self._read_visible(dataset_id))

    def _read_visible(self, dataset_id: str) -> _Visible:
        releases = self.releases(dataset_id)
        if len(releases) < 2:
            return _Visible(releases, None)
        by_id = {r.release_id: r for r in releases}
        marks = ", ".join("?" for _ in by_id)
        rows = self.catalogue.query(
            f"SELECT area, period, release_id FROM release_coverage WHERE release_id IN ({marks})", tuple(by_id))
        winners: dict[tuple[str, str], tuple[tuple, str]] = {}
        overlap = False
        for area, period, release_id in rows:
            rank = precedence(by_id[release_id], self.prefer)
            current = winners.get((area, period))
            if current is not None:
                overlap = True
                if current[0] >= rank:
                    continue
            winners[(area, period)] = (rank, release_id)
        if not overlap:
            return _Visible(releases, None)
        winning_ids = {release_id for _, release_id in winners.values()}
        table = pl.DataFrame(
            [(area, period, release_id) for (area, period), (_, release_id) in winners.items()],
            schema={"area": pl.String, "period": pl.String, "release_id": pl.String}, orient="row",
        )
        return _Visible([r for r in releases if r.release_id in winning_ids], table)

    def read_slices(self, dataset_id: str) -> pl.DataFrame:
        """(area, period, release_id): which release readers see for each published slice (`precedence`)."""
        visible = self._visible(dataset_id)
        if visible.winners is not None:
            return visible.winners
        ids = [r.release_id for r in visible.releases]
        marks = ", ".join("?" for _ in ids)
        rows = self.catalogue.query(
            f"SELECT area, period, release_id FROM release_coverage WHERE release_id IN ({marks})",
            tuple(ids)) if ids else []
        return pl.DataFrame([tuple(r) for r in rows], orient="row",
                            schema={"area": pl.String, "period": pl.String, "release_id": pl.String})

    def contributing(self, dataset_id: str, areas: Iterable[str] = (), years: tuple[int, int] | None = None,
                     latest: dict[str, str] | None = None) -> list[Release]:
        """The visible releases holding a row of the selection (reporting areas, a year range, or each area's
        period read: `latest`): the sources a table, chart or figure should name, and no other."""
        return self.selection_sources(dataset_id, areas, years, latest)[0]

    def selection_sources(self, dataset_id: str, areas: Iterable[str] = (), years: tuple[int, int] | None = None,
                          latest: dict[str, str] | None = None) -> tuple[list[Release], list[Release]]:
        """(the releases read for the selection, the other products holding some of it that precedence set
        aside: a reader can choose one of those with `preferring`)."""
        visible = self._visible(dataset_id)
        if not visible.releases:
            return [], []
        every = self.releases(dataset_id)
        by_id = {r.release_id: r for r in every}
        marks = ", ".join("?" for _ in by_id)
        rows = self.catalogue.query(
            f"SELECT area, period, release_id FROM release_coverage WHERE release_id IN ({marks})", tuple(by_id))
        wanted = set(areas)
        winners = (None if visible.winners is None else
                   {(a, p): r for a, p, r in visible.winners.iter_rows()})
        used: set[str] = set()
        aside: set[str] = set()
        for area, period, release_id in rows:
            if wanted and area not in wanted:
                continue
            if years is not None and not (period[:4].isdecimal() and years[0] <= int(period[:4]) <= years[1]):
                continue
            if latest is not None and latest.get(area) != period:
                continue
            if winners is not None and winners.get((area, period)) != release_id:
                aside.add(release_id)
                continue
            used.add(release_id)
        return ([r for r in every if r.release_id in used],
                [r for r in every if r.release_id in aside - used and not r.synthetic])

    def state_token(self) -> str:
        """Changes whenever a release is staged, published or withdrawn: a cache key for what readers computed.
        Only release entries count: a sign-in or a saved mapping must not empty every page's caches (and restart
        the warm-up) while readers see the same data."""
        return self.remembered(("state_token",), self._read_state_token)

    def _read_state_token(self) -> str:
        (count, last), = self.catalogue.query(
            "SELECT COUNT(*), MAX(entry_id) FROM audit_log WHERE object_type = 'release'")
        return f"{count}:{last}"

    def year_bounds(self) -> tuple[int, int]:
        """The first and last year with published data in any dataset (this year when there is none); remembered
        until the catalogue changes (every page's sidebar reads it)."""
        return self.remembered(("year_bounds", self.prefer), self._read_year_bounds)

    def _read_year_bounds(self) -> tuple[int, int]:
        years: list[int] = []
        for dataset_id in sorted({r.dataset_id for r in self.releases()}):
            ds = dataset(dataset_id)
            year = f"CAST(SUBSTR(CAST({quote(ds.time_column)} AS VARCHAR), 1, 4) AS INTEGER)"
            (low, high), = self.query(ds.id, f"SELECT MIN({year}), MAX({year}) FROM data").rows()
            years += [y for y in (low, high) if y is not None]
        if not years:
            this_year = int(now_utc()[:4])
            return this_year, this_year
        return min(years), max(years)

    def published_files(self, dataset_id: str) -> list[str]:
        return [str(self.root / r.path) for r in self._visible(dataset_id).releases]

    # -- reading the data --------------------------------------------------------------------------

    def query(self, dataset_id: str, sql: str, params: dict | None = None, *, with_release: bool = False
              ) -> pl.DataFrame:
        """Run `sql` with the published rows of `dataset_id` available as the view `data`.

        `sql` must take identifiers from the dataset declarations only; values go in `params`.
        An empty dataset gives an empty, correctly typed `data`, so callers need no special case.
        With `with_release`, `data` has a `release_id` column saying which release each row comes from.
        """
        ds = dataset(dataset_id)
        visible = self._visible(ds.id)
        files = [str(self.root / r.path) for r in visible.releases]
        columns = ", ".join(quote(c) for c in ds.column_names)
        # Every name made here is a TEMP object of this query's own cursor. A cursor is its own connection to
        # the one in-memory database: objects in its schema `main` are shared with every other cursor (one
        # query's view would replace another's under Streamlit's thread per session), TEMP ones are not.
        cur = duck()
        try:
            if not files:
                empty = pl.DataFrame(schema=ds.polars_schema)
                if with_release:
                    empty = empty.with_columns(pl.lit(None, pl.String).alias("release_id"))
                cur.register("data", empty.to_arrow())
            else:
                listed = "[" + ", ".join(literal(f) for f in files) + "]"
                if visible.winners is None and not with_release:
                    rows = f"SELECT {columns} FROM read_parquet({listed}, union_by_name = true)"
                else:
                    rows = (f"SELECT {columns}, parse_filename(filename, true) AS release_id"
                            f" FROM read_parquet({listed}, union_by_name = true, filename = true)")
                    if visible.winners is not None:
                        cur.register("winners", visible.winners.to_arrow())
                        rows = (f"SELECT d.* FROM ({rows}) d JOIN winners w ON w.release_id = d.release_id"
                                f" AND w.area = d.{quote(ds.area_column)}"
                                f" AND w.period = CAST(d.{quote(ds.time_column)} AS VARCHAR)")
                    if not with_release:
                        rows = f"SELECT {columns} FROM ({rows})"
                cur.execute(f"CREATE TEMP VIEW data AS {rows}")
            return cur.sql(sql, params=params or {}).pl()
        finally:
            cur.close()

    def frame(self, dataset_id: str) -> pl.DataFrame:
        return self.query(dataset_id, "SELECT * FROM data")

    def coverage(self, dataset_id: str) -> pl.DataFrame:
        """Rows (and for aggregates, the summed value) per reporting area and year (remembered until the catalogue
        changes: the Catalogue page reads it for every dataset on every visit)."""
        return self.remembered(("coverage", dataset_id, self.prefer), lambda: self._read_coverage(dataset_id))

    def _read_coverage(self, dataset_id: str) -> pl.DataFrame:
        ds = dataset(dataset_id)
        area, time = quote(ds.area_column), quote(ds.time_column)
        value = (
            f"SUM({quote(ds.measure.name)})" if ds.measure else f"SUM({quote(ds.weight)})" if ds.weight else "COUNT(*)"
        )
        return self.query(
            ds.id,
            f"SELECT {area} AS area, SUBSTR(CAST({time} AS VARCHAR), 1, 4) AS year,"
            f" COUNT(*) AS rows, CAST({value} AS DOUBLE) AS value FROM data GROUP BY ALL ORDER BY area, year",
        )

    def export(self, dataset_id: str, fmt: str, out: Path) -> int:
        """Write the published data of a dataset to `out` (csv or parquet); returns the row count."""
        ds = dataset(dataset_id)
        frame = self.query(ds.id, f"SELECT {', '.join(quote(c) for c in ds.column_names)} FROM data")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":  # opened in spreadsheets: text that would run as a formula is neutralised
            from vipmg_core.exports import neutralise_frame

            neutralise_frame(frame).write_csv(out)
        elif fmt == "parquet":
            frame.write_parquet(out)
        else:
            raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
        return frame.height



def sweep_release_files(wh: Warehouse, *, older_than: float) -> list[str]:
    """Remove what a killed write left in the warehouse folder: temporary Parquet files (`.<id>.parquet.tmp`)
    and release files that no release record names, if last changed before `older_than` (a Unix time: a
    write in progress is younger). Returns the paths removed, relative to the root."""
    known = {row["path"] for row in wh.catalogue.query("SELECT path FROM releases")}
    removed = []
    for path in sorted(wh.files.glob("*/*")):
        relative = path.relative_to(wh.root).as_posix()
        leftover = path.name.endswith(".parquet.tmp") or (path.suffix == ".parquet" and relative not in known)
        try:
            if leftover and path.is_file() and path.stat().st_mtime < older_than:
                path.unlink()
                removed.append(relative)
        except FileNotFoundError:  # removed by another sweep meanwhile
            continue
    return removed
