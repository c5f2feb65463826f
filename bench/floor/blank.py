"""A plain Streamlit page (a title and a line): the cold-start floor of Streamlit itself
(python bench/bench_cold_start.py --script bench/floor/blank.py)."""

import streamlit as st

st.title("A plain page")
st.write("Nothing else.")
