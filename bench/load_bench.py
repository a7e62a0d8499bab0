"""Many people at once: page load and rerun times of the app with N browser sessions, next to an empty page.

    .venv/bin/python bench/load_bench.py [--sessions 1,8,20] [--data-dir DIR] [--rounds 1] [--lang en]
    .venv/bin/python bench/load_bench.py --proxy nginx --catalogue-url URL [--rooms 1x10,2x20]   (see below)

1. Builds the demo warehouse in a temporary VIPMG_DATA_DIR (or uses `--data-dir`) and starts, on 127.0.0.1 and
   free ports, `streamlit run app.py` and, as the floor, `streamlit run` of an empty page (one radio, written
   to a temporary folder).
2. Warms the app as users meet it (one visit of every page, not measured; then waits until the server is idle,
   its background warm-up of the release done), then measures the floor: one session loading the empty page
   and changing its radio, as many times as the app's pages are visited.
3. For each N of `--sessions`, N browser sessions at once in Debian's chromium (one context each: another
   person), each visiting every public page (starting at a different one, so the room spreads over the menu)
   and changing one selection on the pages that have one (a radio, else a select box, in the page itself).
   - page load: from the navigation's start to the app's last `notRunning` with the page's title present;
   - rerun: from the click to the end of the script run it started (and of any follow-up run).
   Errors: a Streamlit exception element, the app's own error message, a page that never settles, a change
   that starts no run, and every request to anything other than 127.0.0.1/localhost (a data:/blob: URL is fine).
4. Prints p50/p95 per N, each page's load at one session with the server's CPU time for it (the rest is the
   browser drawing and waiting), and the ratios the issue asks for:
   p95(1)/floor (target <= 3, with p95(1) <= 2 s), p95(8)/p95(1) (target <= 3) and the errors at the largest N.

5. Prints, per N, the wall time of the room's visits and the CPU seconds the server and the bench's browsers
   used meanwhile, and (N > 1) the empty page loaded by N sessions at once, each as many times as the app's
   pages, for what the N browsers alone do to a page's time on this machine: on a small machine the browsers
   (software WebGL included) share the server's cores, which a room's participants, each on their own laptop,
   do not.

Replicas behind the proxy (issue #19: "2 replicas behind the proxy serve 20 sessions with p95 no worse than one
replica with 10"):

    sh tools/start_postgres.sh   # prints postgresql://vipmg_test@127.0.0.1:55432/vipmg_test
    .venv/bin/python bench/load_bench.py --proxy nginx --catalogue-url postgresql://... [--rooms 1x10,2x20]

starts as many `streamlit run app.py` replicas as the largest room needs, on one data folder (the demo, or
`--data-dir`) and one PostgreSQL schema (a fresh one, dropped afterwards, unless the URL names one), set up as
docs/operations.md says (VIPMG_BEHIND_PROXY=1, one server.cookieSecret), and Debian's nginx running the shipped
docs/nginx-vipmg.conf as tools/check_proxy.sh does (only ports, name, a throw-away certificate and the upstream's
replicas changed). Every replica is warmed directly; then each room REPLICASxSESSIONS, in order, has nginx
restarted in front of its first REPLICAS replicas and runs the same visits as above through https. Each bench
session is a browser context of its own, so nginx gives it its own route cookie and the sessions spread over the
replicas as a room's browsers would (all from 127.0.0.1, as a room behind one NAT); the bench reports how many
sessions each replica got and whether any browser was answered by two replicas (an error). It prints each room's
numbers, the CPU of every replica, of nginx and of the browsers, and the issue's ratio: p95 page load of each room
with several replicas over that of the first room with one.

Nothing is asserted on times: the numbers are read by people and compared between runs on the same (quiet)
machine. The exit status is 1 if any error or outside request was seen, so a broken page fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tools import streamlit_server  # noqa: E402
from vipmg_core.i18n import LANGS, t  # noqa: E402
from vipmg_ui.navigation import HOME, PAGES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob"}
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAIN = "[data-testid='stMain']"
APP_CONTENT = f"{MAIN} [data-testid='stHeading']"  # every page opens with its title
EMPTY_CONTENT = f"{MAIN} [data-testid='stRadio']"
EMPTY_OPTIONS = ["Values", "% of row", "% of column"]
FOLLOW_UP_MS = 400  # a run may start another (the URL updated, a rerun through Home): wait that long for it
SERVER_START_S = 120
UNSEEN_MS = 10_000  # a change whose run was not seen ending within this is counted as too short to time

# Installed before any page script: records when the app's script state turns to notRunning (milliseconds since
# the navigation started), so times are read in the browser, not across the busy Python event loop.
WATCH = """
window.__runs = [];
new MutationObserver((mutations) => {
  for (const m of mutations) {
    if (m.target.getAttribute && m.target.getAttribute('data-testid') === 'stApp'
        && m.target.getAttribute('data-test-script-state') === 'notRunning') {
      window.__runs.push(performance.now());
    }
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""
READY = """([settled, content]) => document.querySelector(settled) !== null && document.querySelector(content) !== null"""


@dataclass
class Tally:
    loads: list[float] = field(default_factory=list)
    reruns: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    server_cpu: dict[str, list[float]] = field(default_factory=dict)  # seconds of the server's CPU per load
    unseen: int = 0  # reruns too short to see the script state change (not timed)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- servers ------------------------------------------------------------------------------------------------

def serve(script: Path, cwd: Path, data_dir: Path, log: Path, env: dict[str, str] | None = None
          ) -> tuple[subprocess.Popen, str]:
    process, base_url = streamlit_server.start(script, cwd=cwd, log=log,
                                               env={"VIPMG_DATA_DIR": str(data_dir), **(env or {})})
    try:
        streamlit_server.wait_healthy(process, base_url, log, SERVER_START_S)
    except streamlit_server.ServerError as error:
        stop(process)
        raise SystemExit(f"{script.name}: {error}") from None
    return process, base_url


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _browser_cpu_seconds() -> float:
    """CPU time used so far by every chromium process on the machine (the bench's browsers), 0 without /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition(" (")[2].partition(")")
        if "chrom" in name:
            fields = rest.split()
            # utime + stime, and those of its children already gone (a closed page's renderer, reaped by its
            # zygote): without them a room's closed sessions would not count
            total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")
    return total


def wait_until_idle(process: subprocess.Popen, limit_s: float = 300) -> float:
    """Waits until the server stops working on its own (its background warm-up after start); seconds waited.
    On a system without /proc, returns at once."""
    start = time.monotonic()
    try:
        quiet, before = 0, _cpu_seconds(process.pid)
        while quiet < 3 and time.monotonic() - start < limit_s:
            time.sleep(1)
            now = _cpu_seconds(process.pid)
            quiet = quiet + 1 if now - before < 0.05 else 0
            before = now
    except (OSError, IndexError, ValueError):
        pass
    return time.monotonic() - start


def stop(process: subprocess.Popen) -> None:
    streamlit_server.stop(process, timeout=15)


# --- the proxy (--proxy nginx) ------------------------------------------------------------------------------

NGINX = "/usr/sbin/nginx"
SITE = PROJECT / "docs" / "nginx-vipmg.conf"


class Proxy:
    """Debian's nginx running the shipped site, docs/nginx-vipmg.conf, as tools/check_proxy.sh runs it: only its
    ports, name, certificate (a throw-away self-signed one) and the upstream's replicas changed. Its access log
    records, per request, the sticky key (`$vipmg_route`: the browser's route cookie, or the id it is given) and the
    replica that answered, so the bench can tell how the sessions spread and that none moved."""

    def __init__(self, root: Path):
        self.dir = root / "nginx"
        self.dir.mkdir()
        for folder in (root, self.dir):  # nginx's workers (user nobody, under root) spool large answers in it
            folder.chmod(0o755)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", str(self.dir / "privkey.pem"), "-out",
                        str(self.dir / "fullchain.pem")], check=True, capture_output=True)
        self.http_port, self.https_port = streamlit_server.free_port(), streamlit_server.free_port()
        self.url = f"https://localhost:{self.https_port}"
        self.stage = 0
        self.log = self.dir / "access-0.log"

    def start(self, replica_urls: list[str]) -> str:
        """(Re)starts nginx in front of these replicas (fresh access log); returns the site's address."""
        self.stop()
        self.stage += 1
        self.log = self.dir / f"access-{self.stage}.log"
        self.write_config(replica_urls)
        done = subprocess.run([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                              check=False, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"nginx did not start: {done.stderr.strip()}")
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        deadline = time.monotonic() + 30
        while True:
            try:
                if opener.open(f"{self.url}/_stcore/health", timeout=5).read() == b"ok":
                    return self.url
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"nginx answered no health check at {self.url}: "
                                     + (self.dir / "error.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.25)

    def write_config(self, replica_urls: list[str]) -> None:
        """nginx.conf and the site, from docs/nginx-vipmg.conf with the upstream's replicas replaced."""
        site = SITE.read_text()
        template = re.search(r"^\s*server 127\.0\.0\.1:8501 [^\n]*\n", site, re.MULTILINE)
        if template is None:
            raise SystemExit(f"{SITE}: no `server 127.0.0.1:8501 ...;` line in its upstream to replace")
        servers = "".join(template.group(0).replace("127.0.0.1:8501", urlsplit(url).netloc) for url in replica_urls)
        site = re.sub(r"^\s*server 127\.0\.0\.1:85\d\d [^\n]*\n", "", site, flags=re.MULTILINE)
        site = site[:template.start()] + servers + site[template.start():]
        for old, new in (("/etc/ssl/vipmg/", f"{self.dir}/"), ("lab.example.org", "localhost"),
                         ("listen 80;", f"listen {self.http_port};"), ("listen [::]:80;", f"listen [::]:{self.http_port};"),
                         ("listen 443 ", f"listen {self.https_port} "), ("listen [::]:443 ", f"listen [::]:{self.https_port} ")):
            if old not in site:
                raise SystemExit(f"{SITE}: {old!r} not found (the bench adapts the shipped file)")
            site = site.replace(old, new)
        (self.dir / "vipmg.conf").write_text(site)
        (self.dir / "nginx.conf").write_text(textwrap.dedent(f"""\
            pid {self.dir}/nginx.pid;
            error_log {self.dir}/error.log;
            worker_processes auto;  # as Debian's /etc/nginx/nginx.conf
            events {{ worker_connections 1024; }}
            http {{
                log_format route '$vipmg_route $upstream_addr $status "$request"';
                access_log {self.log} route;
                client_body_temp_path {self.dir}/body; proxy_temp_path {self.dir}/proxy;
                fastcgi_temp_path {self.dir}/fastcgi; uwsgi_temp_path {self.dir}/uwsgi; scgi_temp_path {self.dir}/scgi;
                include {self.dir}/vipmg.conf;
            }}
        """))

    def stop(self) -> None:
        pid_file = self.dir / "nginx.pid"
        if not pid_file.exists():
            return
        subprocess.run([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-s", "stop"],
                       check=False, capture_output=True)
        deadline = time.monotonic() + 15
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """CPU time of nginx's master and workers (0 when it is not running)."""
        try:
            master = int((self.dir / "nginx.pid").read_text())
        except (OSError, ValueError):
            return 0.0
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(stat.parent.name) == master or int(fields[1]) == master:  # fields[1]: the parent's pid
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def spread(self) -> tuple[dict[str, int], int]:
        """From this stage's access log: how many browsers (route ids) opened a websocket on each replica, and
        how many browsers had requests answered by more than one replica (0 when sessions are sticky)."""
        replicas: dict[str, set[str]] = {}
        stream: dict[str, set[str]] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            match = re.fullmatch(r'(\S+) (.+?) (\d{3}) "(.*)"', line)  # an upstream may be "a:1, b:2" (a retry)
            if match is None or match.group(2) == "-":
                continue
            route, upstream, status, request = match.groups()
            replicas.setdefault(route, set()).update(part.strip() for part in upstream.split(","))
            if "/_stcore/stream" in request and status == "101":
                stream.setdefault(upstream, set()).add(route)
        return ({upstream: len(routes) for upstream, routes in sorted(stream.items())},
                sum(1 for found in replicas.values() if len(found) > 1))


# --- one person ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visit:
    name: str
    url: str
    content: str  # what the page shows once loaded
    change: bool  # change one selection after the load


from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402


async def _settle(page, content: str, timeout_ms: float) -> float:
    """Waits for the run the last action started (and any follow-up) to end with `content` shown; returns the
    time of the last notRunning, in ms since the navigation started."""
    await page.wait_for_function(READY, arg=[SETTLED, content], timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page kept rerunning for {timeout_ms / 1000:.0f} s")
        seen = await page.evaluate("window.__runs.length")
        await page.wait_for_timeout(FOLLOW_UP_MS)
        await page.wait_for_function(READY, arg=[SETTLED, content], timeout=timeout_ms)
        if await page.evaluate("window.__runs.length") == seen:
            return await page.evaluate("window.__runs.length ? window.__runs[window.__runs.length - 1] : performance.now()")


async def _page_errors(page, lang_messages: list[str]) -> str | None:
    exceptions = page.get_by_test_id("stException")
    if await exceptions.count():
        return "exception: " + (await exceptions.first.inner_text())[:300].replace("\n", " ")
    body = await page.locator("body").inner_text()
    for message in lang_messages:
        if message in body:
            return f"the app's error message ({message!r})"
    return None


async def _change_one(page, main_locator) -> bool:
    """Changes one selection in the page itself: another option of its first radio, else of its first select
    box. False when the page has neither."""
    radios = main_locator.get_by_test_id("stRadio")
    if await radios.count():
        other = radios.first.locator("[data-testid='stRadioOption']:not([data-selected='true']):not([data-disabled])")
        if await other.count():
            await other.first.click()
            return True
    boxes = main_locator.get_by_test_id("stSelectbox")
    if await boxes.count():
        current = await boxes.first.get_by_role("combobox").input_value()
        await boxes.first.click()
        options = page.get_by_role("option")
        await options.first.wait_for()
        for i in range(await options.count()):
            option = options.nth(i)
            if (await option.get_attribute("aria-selected") != "true"
                    and (await option.inner_text()).strip() != current):
                await option.click()
                return True
        await page.keyboard.press("Escape")
    return False


VERBOSE = False  # --verbose: one line per visit, as it happens
BROWSERS = "shared"  # --browsers


def _say(text: str) -> None:
    if VERBOSE:
        print(f"    {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


async def person(browser, visits: list[Visit], tally: Tally, outside: list[str], timeout_ms: float,
                 server_pid: int | None = None) -> None:
    owned = callable(browser)  # --browsers each: a chromium of its own, as each participant of a room has
    if owned:
        browser = await browser()
    # ignore_https_errors: the proxy's throw-away self-signed certificate (--proxy)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, ignore_https_errors=True)
    await context.add_init_script(WATCH)
    context.on("request", lambda request: None if is_local(request.url) else outside.append(request.url))
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    messages = [t("shell.error", lang) for lang in LANGS]
    try:
        for visit in visits:
            try:
                cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
                await page.goto(visit.url, wait_until="commit")
                loaded = await _settle(page, visit.content, timeout_ms)
                if server_pid:  # alone on the server, this is the page's own cost there (script, messages)
                    tally.server_cpu.setdefault(visit.name, []).append(_cpu_seconds(server_pid) - cpu_before)
                tally.loads.append(loaded)
                _say(f"{visit.name} loaded in {loaded:.0f} ms")
                tally.by_page.setdefault(visit.name, []).append(loaded)
                error = await _page_errors(page, messages)
                if error:
                    tally.errors.append(f"{visit.name}: {error}")
                    continue
                if not visit.change:
                    continue
                before = await page.evaluate("window.__runs.length")
                start = await page.evaluate("performance.now()")
                if not await _change_one(page, page.locator(MAIN)):
                    _say(f"{visit.name}: nothing to change")
                    continue
                try:
                    await page.wait_for_function(f"window.__runs.length > {before}", timeout=UNSEEN_MS)
                except PlaywrightTimeout:
                    # React can apply "running" and "notRunning" in one render: a run that short never shows.
                    tally.unseen += 1
                    _say(f"{visit.name}: the rerun was too short to be seen")
                    continue
                ended = await _settle(page, visit.content, timeout_ms)
                tally.reruns.append(ended - start)
                _say(f"{visit.name} rerun in {ended - start:.0f} ms")
                error = await _page_errors(page, messages)
                if error:
                    tally.errors.append(f"{visit.name} after a change: {error}")
            except Exception as error:  # a timeout or a lost page: an error of this visit, the run goes on
                tally.errors.append(f"{visit.name}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
                _say(tally.errors[-1])
    finally:
        await context.close()
        if owned:
            await browser.close()


async def room(browser, visits: list[Visit], sessions: int, timeout_ms: float, server_pid: int | None = None
               ) -> tuple[Tally, list[str]]:
    """`sessions` people at once, each visiting every page, starting at a different one. With `server_pid` and
    one session, the server's CPU time of each page load is recorded too."""
    tally, outside = Tally(), []
    rotations = [visits[i % len(visits):] + visits[:i % len(visits)] for i in range(sessions)]
    pid = server_pid if sessions == 1 else None
    await asyncio.gather(*(person(browser, order, tally, outside, timeout_ms, pid) for order in rotations))
    return tally, outside


# --- the run ------------------------------------------------------------------------------------------------

def app_visits(base_url: str, lang: str) -> list[Visit]:
    changing = {"catalogue", "profile", "compare", "crosstab", "flowmap", "board", "library"}
    visits = [Visit(HOME.url_path, f"{base_url}/?lang={lang}", APP_CONTENT, False)]
    for spec in PAGES:
        if spec.requires is None:  # public pages: what a workshop's participants open
            visits.append(Visit(spec.url_path, f"{base_url}/{spec.url_path}?lang={lang}", APP_CONTENT,
                                spec.url_path in changing))
    return visits


@dataclass(frozen=True)
class Stage:
    replicas: int  # app processes the room's sessions reach (through the proxy when there is one)
    sessions: int

    def __str__(self) -> str:
        return f"{self.sessions} session{'s' * (self.sessions > 1)} on {self.replicas} replica{'s' * (self.replicas > 1)}"


async def measure(app_urls: list[str], empty_url: str, stages: list[Stage], rounds: int, lang: str,
                  timeout_ms: float, apps: list[subprocess.Popen], proxy: Proxy | None = None,
                  empty_rooms: bool = True) -> int:
    from playwright.async_api import async_playwright

    visits = app_visits(app_urls[0], lang)
    floor_visits = [Visit("empty", empty_url, EMPTY_CONTENT, True)] * len(visits)
    failures = 0
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def launch():
            return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        per_session = launch if BROWSERS == "each" else browser
        try:
            for app_url in app_urls:  # every replica as users meet it, each directly: not measured
                warm, outside = await room(browser, app_visits(app_url, lang), 1, timeout_ms)
                if warm.errors or outside:
                    print("warm-up visit: " + "; ".join(warm.errors + outside))
            waited = 0.0
            for app in apps:
                waited += await asyncio.to_thread(wait_until_idle, app)
            print(f"the app's server{'s were' if len(apps) > 1 else ' was'} busy (warm-up after start) for"
                  f" {waited:.0f} s more before measuring", flush=True)
            await room(browser, floor_visits[:1], 1, timeout_ms)  # the empty page's server warmed alike
            floor, floor_outside = await room(browser, floor_visits, 1, timeout_ms)
            print(f"\nempty one-radio page, 1 session, {len(floor.loads)} loads and {len(floor.reruns)} reruns")
            print(f"  page load p50 {p50(floor.loads):7.0f} ms   p95 {p95(floor.loads):7.0f} ms")
            print(f"  rerun     p50 {p50(floor.reruns):7.0f} ms   p95 {p95(floor.reruns):7.0f} ms"
                  + (f"   ({floor.unseen} too short to see, not timed)" if floor.unseen else ""))
            failures += len(floor.errors) + len(floor_outside)
            for error in sorted(set(floor.errors + [f"outside request: {url}" for url in floor_outside]))[:10]:
                print(f"  ! {error}")
            results: dict[Stage, Tally] = {}
            where = (f"through nginx ({proxy.url}, docs/nginx-vipmg.conf) to the replicas" if proxy
                     else "directly to the app")
            print(f"\nthe app, {len(visits)} public pages per session ({', '.join(v.name for v in visits)}),"
                  f" {rounds} round(s), {where}")
            print(f"  {'sessions':>8} {'replicas':>8}  {'load p50':>9} {'load p95':>9}  {'rerun p50':>9}"
                  f" {'rerun p95':>9}  {'loads':>5} {'reruns':>6} {'errors':>6}")
            cpu_lines = []
            floors: dict[int, Tally] = {}
            for stage in stages:
                n = stage.sessions
                base = proxy.start(app_urls[:stage.replicas]) if proxy else app_urls[0]
                stage_visits = app_visits(base, lang)
                total = Tally()
                nginx_before = proxy.cpu_seconds() if proxy else 0.0
                servers_before = [_cpu_seconds(app.pid) for app in apps]
                browser_before, wall_before = _browser_cpu_seconds(), time.monotonic()
                one_pid = apps[0].pid if stage.replicas == 1 else None  # per-page server CPU at 1 session
                for _ in range(rounds):
                    tally, outside = await room(per_session, stage_visits, n, timeout_ms, one_pid)
                    total.loads += tally.loads
                    total.reruns += tally.reruns
                    total.errors += tally.errors + [f"outside request: {url}" for url in sorted(set(outside))]
                    total.unseen += tally.unseen
                    for name, times in tally.by_page.items():
                        total.by_page.setdefault(name, []).extend(times)
                    for name, times in tally.server_cpu.items():
                        total.server_cpu.setdefault(name, []).extend(times)
                results[stage] = total
                wall = time.monotonic() - wall_before
                browser_used = _browser_cpu_seconds() - browser_before
                servers_used = [_cpu_seconds(app.pid) - before for app, before in zip(apps, servers_before)]
                server_used = sum(servers_used)
                nginx_used = proxy.cpu_seconds() - nginx_before if proxy else 0.0
                cpu_lines.append(
                    f"  {n:>8} {stage.replicas:>8}  {wall:7.1f} s  {server_used:7.1f} s"
                    + (f" ({' + '.join(f'{used:.1f}' for used in servers_used[:stage.replicas])})" if proxy else "")
                    + (f"  nginx {nginx_used:5.1f} s" if proxy else "")
                    + f"  {browser_used:7.1f} s  {(server_used + nginx_used + browser_used) / wall:5.2f}")
                failures += len(total.errors)
                print(f"  {n:>8} {stage.replicas:>8}  {p50(total.loads):7.0f}ms {p95(total.loads):7.0f}ms"
                      f"  {p50(total.reruns):7.0f}ms {p95(total.reruns):7.0f}ms  {len(total.loads):>5}"
                      f" {len(total.reruns):>6} {len(total.errors):>6}")
                for error in sorted(set(total.errors))[:10]:
                    print(f"            ! {error}")
                if total.unseen:
                    print(f"            ({total.unseen} reruns too short to see, not timed)")
                if proxy:
                    await asyncio.sleep(1)  # nginx logs a websocket when it closes
                    spread, moved = proxy.spread()
                    print(f"{'':>12}sessions (browsers with a websocket) per replica: "
                          + ", ".join(f"{upstream} {count}" for upstream, count in spread.items())
                          + f"; browsers answered by more than one replica: {moved}", flush=True)
                    if moved:
                        failures += moved
                if n > 1 and empty_rooms and n not in floors:  # what N of the bench's browsers do to an empty page
                    empty, _ = await room(per_session, floor_visits, n, timeout_ms)
                    floors[n] = empty
                    print(f"{'':>12}the empty page at {n} sessions: load p50 {p50(empty.loads):.0f} ms, p95"
                          f" {p95(empty.loads):.0f} ms ({p95(empty.loads) / p95(floor.loads):.1f}x its 1-session p95)",
                          flush=True)
        finally:
            await browser.close()
            if proxy:
                proxy.stop()
    print(f"\nwhere the time went (CPU seconds over each room's visits; this machine has {os.cpu_count()} cores,"
          " shared by the server" + ("s, nginx" if proxy else "") + " and the bench's own browsers)")
    print(f"  {'sessions':>8} {'replicas':>8}  {'wall':>9}  {'server':>9}" + ("  (per replica)  and nginx" if proxy else "")
          + f"  {'browsers':>9}  cores busy")
    print("\n".join(cpu_lines))
    single = Stage(1, 1)
    if single in results:
        slowest = sorted(results[single].by_page.items(), key=lambda item: -p95(item[1]))
        print("\npage load at 1 session, slowest first: "
              + ", ".join(f"{name} {p95(times):.0f} ms" for name, times in slowest))
        cpu = results[single].server_cpu
        if cpu:  # the rest of a load is the browser's (drawing) and the network's
            print("server CPU per page load at 1 session: "
                  + ", ".join(f"{name} {1000 * p50(cpu[name]):.0f} ms" for name, _ in slowest if name in cpu))
    floor_p95 = p95(floor.loads)
    print()
    if single in results:
        one = p95(results[single].loads)
        print(f"RATIO p95 page load, 1 session / empty page = {one / floor_p95:.1f}x   (target <= 3;"
              f" p95 {one / 1000:.2f} s, target <= 2 s)")
        for stage in stages:
            if stage != single and stage.replicas == 1:
                empty = (f"; the empty page, same rooms: {p95(floors[stage.sessions].loads) / floor_p95:.1f}x"
                         if stage.sessions in floors else "")
                print(f"RATIO p95 page load, {stage.sessions} sessions / 1 session = {p95(results[stage].loads) / one:.1f}x"
                      f"   (target <= 3 at 8{empty})")
    baseline = next((stage for stage in stages if stage.replicas == 1 and stage != single), None)
    for stage in stages:
        if baseline and stage.replicas > 1:
            ratio = p95(results[stage].loads) / p95(results[baseline].loads)
            rerun_ratio = p95(results[stage].reruns) / p95(results[baseline].reruns)
            empty = ""
            if stage.sessions in floors and baseline.sessions in floors:
                empty = (f"; the empty page, {stage.sessions} / {baseline.sessions} sessions:"
                         f" {p95(floors[stage.sessions].loads) / p95(floors[baseline.sessions].loads):.2f}x")
            print(f"RATIO p95 page load, {stage} / {baseline} = {ratio:.2f}x   (target <= 1: "
                  f"{'met' if ratio <= 1 else 'NOT met'}; p95 {p95(results[stage].loads) / 1000:.1f} s against"
                  f" {p95(results[baseline].loads) / 1000:.1f} s; reruns {rerun_ratio:.2f}x{empty})")
    largest = max(stages, key=lambda stage: (stage.sessions, stage.replicas))
    print(f"ERRORS at {largest}: {len(results[largest].errors)}   (target 0)")
    return failures


def _stages(text: str) -> list[Stage]:
    stages = []
    for part in text.split(","):
        replicas, _, sessions = part.strip().lower().partition("x")
        stages.append(Stage(int(replicas), int(sessions)))
    if not stages or min(min(stage.replicas, stage.sessions) for stage in stages) < 1:
        raise ValueError(text)
    return stages


def _drop_schema(url: str) -> None:
    import psycopg

    from vipmg_core.catalogue_pg import close_pool, split_url

    close_pool(url)
    conninfo, schema = split_url(url)
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", help="comma-separated numbers of sessions at once (default 1,8,20)")
    parser.add_argument("--data-dir", type=Path, help="an existing warehouse (default: the demo, built in a"
                                                      " temporary directory)")
    parser.add_argument("--rounds", type=int, default=1, help="visits of every page per session and N")
    parser.add_argument("--lang", default="en", choices=LANGS)
    parser.add_argument("--timeout", type=float, default=180, help="seconds a page may take before it is an error")
    parser.add_argument("--verbose", action="store_true", help="one line per visit on stderr")
    parser.add_argument("--browsers", default="shared", choices=["shared", "each"],
                        help="shared: one chromium, a context per session; each: one chromium per session (its"
                             " own GPU process; on 2 cores it was slower, 17.5x against 13-14x at 8 sessions)")
    parser.add_argument("--proxy", choices=["nginx"],
                        help="nginx: replicas on one data folder and one PostgreSQL schema behind docs/nginx-vipmg.conf"
                             " (TLS, sticky cookie); the rooms are --rooms")
    parser.add_argument("--rooms", default="1x10,2x20",
                        help="with --proxy: comma-separated REPLICASxSESSIONS, measured in this order; each room with"
                             " several replicas is compared with the first with one (default 1x10,2x20)")
    parser.add_argument("--catalogue-url", help="with --proxy: the PostgreSQL (default VIPMG_CATALOGUE_URL; without a"
                                                " ?schema= a fresh one is made and dropped afterwards)")
    parser.add_argument("--no-empty-rooms", action="store_true",
                        help="skip the empty page loaded by N sessions at once (saves minutes at large N)")
    args = parser.parse_args()
    global VERBOSE, BROWSERS
    VERBOSE, BROWSERS = args.verbose, args.browsers
    if args.proxy:
        if args.sessions:
            parser.error("with --proxy the rooms are --rooms REPLICASxSESSIONS, e.g. 1x10,2x20")
        try:
            stages = _stages(args.rooms)
        except ValueError:
            parser.error("--rooms needs REPLICASxSESSIONS items >= 1, e.g. 1x10,2x20")
        if not Path(NGINX).exists():
            raise SystemExit(f"{NGINX} is missing: apt-get install nginx")
    else:
        sessions = sorted({int(part) for part in (args.sessions or "1,8,20").split(",") if part.strip()})
        if not sessions or min(sessions) < 1:
            parser.error("--sessions needs numbers >= 1, e.g. 1,8,20")
        stages = [Stage(1, n) for n in sessions]
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: sh tools/install_chromium.sh")
    env: dict[str, str] = {}
    made_schema = None
    if args.proxy:
        from vipmg_core.catalogue import URL_VARIABLE
        from vipmg_core.catalogue_pg import is_postgres_url, split_url

        url = args.catalogue_url or os.environ.get(URL_VARIABLE)
        if not is_postgres_url(url):
            raise SystemExit("--proxy runs the replicas on PostgreSQL: give --catalogue-url postgresql://... or set"
                             f" {URL_VARIABLE} (sh tools/start_postgres.sh prints a local one)")
        if split_url(url)[1] is None:
            made_schema = url = f"{url}{'&' if '?' in url else '?'}schema=load_{secrets.token_hex(6)}"
        os.environ[URL_VARIABLE] = url  # the demo built below, and the replicas
        # as docs/operations.md sets replicas up: the proxy's X-Real-IP, one cookie secret for all
        env = {URL_VARIABLE: url, "VIPMG_BEHIND_PROXY": "1", "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    replicas = max(stage.replicas for stage in stages)
    apps: list[subprocess.Popen] = []
    bare = None
    try:
        with tempfile.TemporaryDirectory(prefix="vipmg-load-") as tmp:
            root = Path(tmp)
            data_dir = args.data_dir
            if data_dir is None:
                from vipmg_core import demo
                from vipmg_core.warehouse import Warehouse

                start = time.perf_counter()
                data_dir = root / "data"
                demo.build(Warehouse(data_dir))
                print(f"demo warehouse built in {time.perf_counter() - start:.1f} s"
                      + (f" (catalogue on PostgreSQL, schema {split_url(os.environ[URL_VARIABLE])[1]})"
                         if args.proxy else ""), flush=True)
            empty = root / "empty_app.py"
            empty.write_text(textwrap.dedent(f"""\
                import streamlit as st
                st.radio("Show", {EMPTY_OPTIONS!r}, horizontal=True)
            """))
            try:
                app_urls = []
                for i in range(replicas):
                    app, app_url = serve(PROJECT / "app.py", PROJECT, data_dir, root / f"app-{i + 1}.log", env)
                    apps.append(app)
                    app_urls.append(app_url)
                if replicas > 1:
                    print(f"{replicas} replicas: {', '.join(app_urls)}", flush=True)
                bare, empty_url = serve(empty, root, data_dir, root / "empty.log")
                proxy = Proxy(root) if args.proxy else None
                failures = asyncio.run(measure(app_urls, empty_url, stages, args.rounds, args.lang,
                                               args.timeout * 1000, apps, proxy, not args.no_empty_rooms))
            finally:
                for process in apps + ([bare] if bare else []):
                    stop(process)
            if failures:
                for i in range(replicas):
                    log = (root / f"app-{i + 1}.log").read_text(errors="replace")
                    if log.strip():
                        print(f"\nreplica {i + 1}'s stderr ends with:\n" + log[-3000:])
                if args.proxy:
                    errors = (root / "nginx" / "error.log").read_text(errors="replace")
                    if errors.strip():
                        print("\nnginx's error log ends with:\n" + errors[-3000:])
    finally:
        if made_schema:
            _drop_schema(made_schema)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
