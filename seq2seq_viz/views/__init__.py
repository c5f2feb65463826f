"""The Streamlit pages. Only this package and app.py import streamlit; only ``state`` loads
models and computes traces (cached); pages read controls, fetch a trace, build figures, lay out."""
