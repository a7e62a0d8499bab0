"""Real-browser tests: Playwright drives Debian chromium against `streamlit run` on 127.0.0.1."""
