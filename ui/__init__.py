"""Streamlit pages of ikemap: thin layers from widgets to library calls to maps and tables."""
