"""Gradio-facing handlers. Only this package and app.py import gradio."""
