"""The result as static HTML: it survives saving the notebook and shows on GitHub."""

from __future__ import annotations

from html import escape

from ..result import TrialState, _fmt_value


def result_html(result) -> str:
    lines = result.summary_lines()
    head, rest = lines[0], lines[1:]
    items = "".join(f"<li>{escape(line.strip())}</li>" for line in rest)
    params = [p.name for p in result.space]
    header = "".join(f"<th>{escape(n)}</th>" for n in ["trial", result.metric, *params])
    rows = []
    for t in result.top(5):
        cells = [str(t.number), _fmt_value(t.value)] + [
            _fmt_value(t.params[n]) if n in t.params else "–" for n in params
        ]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    table = f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>" if rows else ""
    failed = [t for t in result.trials if t.state is TrialState.FAILED]
    failure = ""
    if failed:
        failure = (
            f"<details><summary>first failure (trial {failed[0].number})</summary>"
            f"<pre>{escape(failed[0].error)}</pre></details>"
        )
    return (
        '<div class="hpmagic-result">'
        f"<strong>{escape(head)}</strong><ul>{items}</ul>{table}{failure}</div>"
    )
