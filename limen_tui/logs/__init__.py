"""Logs and their panes' data: clean lines in bounded buffers, followed from files and
commands here or over SSH, and limen-tui's own log. Never imports Textual."""

from limen_tui.logs.buffer import LineBuffer, LogLine, Match
from limen_tui.logs.clean import clean_line
from limen_tui.logs.levels import Level, detect_level
from limen_tui.logs.lines import Batch

__all__ = ["Batch", "Level", "LineBuffer", "LogLine", "Match", "clean_line", "detect_level"]
