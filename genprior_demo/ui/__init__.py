"""The app's UI layer. The handler modules here (reconstruct, explorer, unknown, common, render) take
widget values and yield dicts keyed by output name — no gradio import. ``ui.tabs`` holds one Gradio
builder per tab; only it and app.py import gradio."""
