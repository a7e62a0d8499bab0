"""Take the Guide's "how to send your first file" screenshots with headless chromium (a dev script, run by hand).

    python tools/guide_screenshots.py [--data-dir DIR] [--chromium /usr/bin/chromium]

Starts the app on DIR (default: a temporary directory filled as the first start fills it), opens the Guide and the
upload page in Spanish and English, uploads a file with mistakes (tests/fixtures/upload/errores.csv) and writes
`docs/guide/step<N>_<lang>.png`, reduced to a few tens of KB each. Rerun after the pages change; review the images.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from vipmg_core.guide import SCREENSHOT_DIR, dataset_anchor  # noqa: E402
from vipmg_core.i18n import t  # noqa: E402

SAMPLE = PROJECT / "tests" / "fixtures" / "upload" / "errores.csv"
WIDTH, HEIGHT, SHOWN_WIDTH = 1280, 760, 800
MAIN = {"x": 300, "y": 0, "width": WIDTH - 300, "height": HEIGHT}  # the page without the sidebar


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _save(png: bytes, path: Path) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((SHOWN_WIDTH, round(image.height * SHOWN_WIDTH / image.width)), Image.Resampling.LANCZOS)
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def shoot(base_url: str, chromium: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        for lang in ("es", "en"):
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
            page.set_default_timeout(120_000)

            def settle() -> None:
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
                page.wait_for_timeout(1500)

            def at(anchor_text: str, step: int) -> None:
                page.get_by_role("heading", name=anchor_text).first.scroll_into_view_if_needed()
                page.get_by_role("heading", name=anchor_text).first.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(800)
                path = out / f"step{step}_{lang}.png"
                _save(page.screenshot(clip=MAIN), path)
                written.append(path)

            page.goto(f"{base_url}/guide?lang={lang}")
            settle()
            page.locator(f"#{dataset_anchor('returns')}").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(800)
            path = out / f"step1_{lang}.png"
            _save(page.screenshot(clip=MAIN), path)
            written.append(path)

            page.goto(f"{base_url}/upload?lang={lang}&ds=arrivals_departures&country=CRI")
            settle()
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(SAMPLE))
            settle()
            at(t("upload.step_read", lang), 3)
            at(t("upload.step_columns", lang), 4)
            at(t("upload.step_codes", lang), 5)
            at(t("upload.problems", lang), 6)
            page.close()
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        port = _port()
        env = {**os.environ, "VIPMG_DATA_DIR": str(data_dir)}
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.address", "127.0.0.1", "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=PROJECT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            base_url = f"http://127.0.0.1:{port}"
            for _ in range(240):
                try:
                    if urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            for path in shoot(base_url, args.chromium, SCREENSHOT_DIR):
                print(f"{path.relative_to(PROJECT)}: {path.stat().st_size // 1024} KB")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
