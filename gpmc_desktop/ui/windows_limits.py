"""Texts cut to what Windows shows: a tray tooltip of at most 127 characters and a toast (balloon) with a title
of at most 63 and a text of at most 255 (``NOTIFYICONDATA``'s szTip, szInfoTitle and szInfo, less the final NUL).
Windows cuts longer texts mid-word without a mark; here they are shortened where it hurts least: each line keeps
its start (the profile name, what happened), the longest lines give way first, a cut ends on a word with "…", and
a toast's last line ("Click here to enter it again.") is kept whole because it says what to do.
"""

from __future__ import annotations

TOOLTIP_MAX = 127
TOAST_TITLE_MAX = 63
TOAST_TEXT_MAX = 255
ELLIPSIS = "…"
_MIN_LINE = 24  # a line is not cut shorter than this while another can give way


def shorten(text: str, limit: int) -> str:
    """*text* in at most *limit* characters, cut at a word boundary with "…" when it is longer."""
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    room = limit - len(ELLIPSIS)
    cut = text[:room + 1].rsplit(None, 1)[0] if " " in text[:room + 1] else text[:room]
    if len(cut) > room or len(cut) < room // 2:  # one very long word: cut inside it rather than lose the line
        cut = text[:room]
    return cut.rstrip(" ,;:-—·") + ELLIPSIS


def fit_lines(lines: list[str], limit: int) -> str:
    """The lines joined by newlines in at most *limit* characters: the longest line is shortened first, down to
    a readable minimum; lines that still do not fit are dropped from the end."""
    lines = [line.rstrip() for line in lines if line.strip()]

    def total() -> int:
        return sum(map(len, lines)) + max(len(lines) - 1, 0)

    while total() > limit:
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        if len(lines[longest]) <= _MIN_LINE:
            break
        indent = len(lines[longest]) - len(lines[longest].lstrip())
        target = max(_MIN_LINE, len(lines[longest]) - (total() - limit))
        lines[longest] = lines[longest][:indent] + shorten(lines[longest][indent:], target - indent)
    while len(lines) > 1 and total() > limit:
        lines.pop()
    return shorten("\n".join(lines), limit) if total() > limit else "\n".join(lines)


def fit_tooltip(text: str) -> str:
    return fit_lines(text.splitlines(), TOOLTIP_MAX)


def fit_toast(title: str, message: str) -> tuple[str, str]:
    """A toast's title and text within Windows' limits; a multi-line text keeps its last line (the action)."""
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and len(message) > TOAST_TEXT_MAX:
        action = shorten(lines[-1], TOAST_TEXT_MAX // 2)
        body = shorten(" ".join(lines[:-1]), TOAST_TEXT_MAX - len(action) - 1)
        text = f"{body}\n{action}"
    else:
        text = shorten(message, TOAST_TEXT_MAX)
    return shorten(title, TOAST_TITLE_MAX), text
