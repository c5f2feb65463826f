"""seq2seq-viz: attention in RNN encoder-decoders, one decoder step at a time.

Run with ``streamlit run app.py``. This file only wires things: page config, the shared sidebar,
the navigation over the pages in ``seq2seq_viz/views``, and the ASGI app that ``streamlit run``
finds here (``st.App``: Streamlit's server with our static-file cache and plotly.js preload in
front, see ``seq2seq_viz/views/static_cache.py`` and ``preload.py``). Models come from
``$SEQ2SEQ_VIZ_MODELS`` (default: ``pretrained/``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from seq2seq_viz.views.preload import PlotlyPreload
from seq2seq_viz.views.startup import PrewarmOnPage, await_imports, quick_component_scan
from seq2seq_viz.views.static_cache import StaticCache

NAV = (  # (page, Material icon) in the order of the top navigation
    ("lesson", "school"),
    ("beam", "account_tree"),
    ("compare", "compare"),
    ("cell", "memory"),
    ("live", "model_training"),
    ("steer", "tune"),
    ("sample", "casino"),
    ("explain", "psychology"),
    ("models", "info"),
)


def main() -> None:
    """One run of the app for one session: the pages and the shared sidebar. (The views are
    imported here, not above: `streamlit run` imports this file for its ASGI app before
    Streamlit's runtime exists, and the views' caches need the runtime.)"""
    await_imports()  # the first page's warm-up thread may still be importing what we import
    from seq2seq_viz.i18n import set_language, tr
    from seq2seq_viz.views import controls, poll_host, state
    from seq2seq_viz.views.common import apply_css

    st.set_page_config(
        page_title="seq2seq-viz · attention step by step",
        page_icon="🔎",
        layout="wide",
        # open on a desktop, closed on a phone (the page stays usable)
        initial_sidebar_state="auto",
        menu_items={"About": "Attention in RNN encoder-decoders, step by step."},
    )

    set_language(controls.early_language())  # page titles below need the language already
    views = Path(__file__).resolve().parent / "seq2seq_viz" / "views"
    pages = [  # page files run their render() when executed as a page
        st.Page(
            views / "step_page.py",
            title=tr("nav.step"),
            icon=":material/stairs:",
            url_path="home",  # the default page lives at "/": its own url_path is never served
            default=True,
        ),
        st.Page(  # so a typed or old link to /step opens the step page, not "Page not found"
            views / "step_page.py", title=tr("nav.step"), url_path="step", visibility="hidden"
        ),
    ] + [  # the others: views/NAME_page.py at /NAME, titled by the i18n key nav.NAME
        st.Page(
            views / f"{name}_page.py",
            title=tr(f"nav.{name}"),
            icon=f":material/{icon}:",
            url_path=name,
        )
        for name, icon in NAV
    ]
    pages.append(  # a phone's class poll page (the projector's QR code links here)
        st.Page(views / "join_page.py", title=tr("nav.join"), url_path="join", visibility="hidden")
    )
    phone = "room" in st.query_params  # a phone joining a poll sees no navigation
    page = st.navigation(pages, position="hidden" if phone else "top")
    if page.url_path == "join":  # no sidebar, no model: only the poll
        apply_css(False)
        page.run()
        return
    current = controls.sidebar(page.url_path)
    apply_css(current.presentation)
    poll_screen = False
    if current.presentation:
        controls.presentation_bar()
        if page.url_path in poll_host.PAGES:
            poll_screen = poll_host.bar(current)  # the class poll may take the screen
    if not poll_screen:
        page.run()
    if not current.presentation:
        st.divider()
        st.caption(tr("attribution"))
    controls.sidebar_footer(current.model)
    state.warm_up(current.model)  # no-op once loaded; else loads it while the browser draws


if __name__ == "__main__":  # a session's run of this script
    main()
else:  # `streamlit run app.py` imports this file and serves this ASGI app: static files from
    # memory (views/static_cache.py); the first page request starts the first run's imports
    # (views/startup.py); a page's HTML asks for plotly.js at once (views/preload.py)
    quick_component_scan()  # a faster start (views/startup.py)
    app = st.App(
        __file__,
        middleware=[Middleware(PrewarmOnPage), Middleware(PlotlyPreload), Middleware(StaticCache)],
    )
