// Fallback loader, used only where Streamlit's own plotly.js chunk cannot be found (see
// __init__.mount). Python puts plotly.py's own plotly.min.js (the plotly.js version its figure specs are
// written for) in front of this line; evaluating the module once per page sets window.Plotly,
// which stepper.js waits for. Streamlit caches this element by its hash, so a browser receives
// the library once per session, not on every rerun.
export default function plotlyLoader() {}
