"""One builder per app tab (gradio lives here and in app.py only): each ``build(shared)`` lays out its
tab, wires its own events and returns what other tabs connect to. Handlers are in ``genprior_demo.ui``."""
