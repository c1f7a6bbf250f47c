"""CLI progress of the long searches: a bar on a terminal, log lines in files."""

from __future__ import annotations

import io
import logging

from analysis import matrix


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_text_has_counts_percent_and_time_left():
    p = matrix._Progress("Travel matrix to_facility", None, stream=io.StringIO(), width=10)
    line = p.text(25, 100, now=p.start + 10.0)
    assert "[##........]" in line  # 25 % of 10 cells, whole cells only
    assert "25/100 facility locations (25 %)" in line
    assert "10 s" in line and "about 30 s left" in line
    done = p.text(100, 100, now=p.start + 40.0)
    assert "(100 %)" in done and "left" not in done


def test_terminal_gets_one_redrawn_line_and_callback_gets_counts(caplog):
    seen = []
    out = _Tty()
    p = matrix._Progress("M", lambda d, t: seen.append((d, t)), stream=out)
    with caplog.at_level(logging.INFO, logger="analysis.matrix"):
        p(1, 4)
        p(4, 4)
    assert seen == [(1, 4), (4, 4)]
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    assert text.count("\n") == 1 and "4/4 facility locations (100 %)" in text
    assert not caplog.records  # the bar replaces the log lines


def test_file_gets_log_lines_and_quiet_gets_nothing(caplog):
    out = io.StringIO()
    p = matrix._Progress("M", None, stream=out, every_s=3600)
    with caplog.at_level(logging.INFO, logger="analysis.matrix"):
        p(1, 3)  # within every_s of the start: no line
        p(3, 3)  # the last one always
    assert [r.getMessage() for r in caplog.records][-1].startswith("M [")
    assert "3/3" in caplog.records[-1].getMessage()
    assert out.getvalue() == ""
    caplog.clear()
    tty = _Tty()
    q = matrix._Progress("M", None, stream=tty)
    with caplog.at_level(logging.WARNING, logger="analysis.matrix"):
        q(3, 3)
    assert tty.getvalue() == "" and not caplog.records
