"""Streamlit glue shared by the pages: language, global context, notices. No data logic lives here."""
