"""Reading a page's table by id into a DataFrame with the standard library (no lxml needed)."""
from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd


class _Table(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th") and self.rows:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table(html: str, table_id: str) -> pd.DataFrame:
    """The table's first row as the header, values as text ("" for empty cells)."""
    parser = _Table(table_id)
    parser.feed(html)
    if not parser.rows:
        raise AssertionError(f"no table #{table_id} on the page")
    return pd.DataFrame(parser.rows[1:], columns=parser.rows[0])
