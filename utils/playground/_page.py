"""What the three playgrounds share: the page fragment of the browser form, and the panel
and picture of the live (ipywidgets) form.

The browser form is a container ``<div>`` and one script: ``utils/js/common.js`` (building
controls, painting numbers as colours), the playground's own ``utils/js/<name>.js`` and a
call that starts it on the container with the playground's data as JSON. Python names no
control and no CSS class of a playground: its JavaScript builds them from the data.
"""
from __future__ import annotations

import hashlib
import io
import json
from importlib import resources


def _js(name: str) -> str:
    return resources.files("utils").joinpath("js", name).read_text()


def element_id(prefix: str, *parts) -> str:
    """A stable id for the container: the same data gives the same page (nbval compares it)."""
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"


def component(eid: str, js_file: str, function: str, data: dict):
    """The browser form of a playground: an ``IPython.display.HTML`` holding an empty
    container and the script that builds the playground inside it from ``data``."""
    from IPython.display import HTML
    payload = json.dumps(data, separators=(",", ":"))
    return HTML(f"""<div id="{eid}" class="convbook-playground" style="font-family:sans-serif;font-size:0.9em"></div>
<script>(function() {{
{_js("common.js")}
{_js(js_file)}
{function}(document.getElementById("{eid}"), {payload});
}})();</script>""")


def panel(children, title: str, css_class: str):
    """The live form's outer box: a VBox whose text form is one short line (what nbval
    compares and a plain-text front end shows) instead of the repr of every child widget."""
    import ipywidgets as W

    class Playground(W.VBox):
        def __repr__(self):
            return f"<{title}: live widgets, run the notebook to use them>"

    box = Playground(children)
    box.add_class(css_class)
    return box


def png(fig) -> bytes:
    """A matplotlib ``Figure`` (drawn with utils.display or utils.animation) as PNG bytes for a
    ``widgets.Image``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return buf.getvalue()


def figure(ncols: int, width: float, height: float):
    """A ``Figure`` with ``ncols`` axes side by side, outside pyplot (no figure is left open)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, ncols, squeeze=False)[0]
