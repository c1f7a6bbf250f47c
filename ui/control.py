"""Script control for the pages: end a run for sure."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException


def halt():
    """End this script run now.

    ``st.stop()`` only *requests* a stop, which the runner acts on at the next Streamlit call; when
    another request (a rerun from a click in another session tab, a test driver) is pending, code
    after it can still run — with no logged-in session, say. Raising the runner's own
    ``StopException`` after the request makes the end of the run certain.
    """
    st.stop()
    raise StopException()
