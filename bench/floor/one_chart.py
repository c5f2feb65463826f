"""A plain Streamlit page with one plotly chart: the floor of any page that draws with plotly.js
(python bench/bench_cold_start.py --script bench/floor/one_chart.py)."""

import plotly.graph_objects as go
import streamlit as st

st.title("A plain page")
st.plotly_chart(go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])))
