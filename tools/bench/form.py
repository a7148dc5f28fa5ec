"""``python -m tools.bench form``: how long one form fill takes (template already loaded, fonts registered)."""
from __future__ import annotations

import statistics
import time

from dxdesk.forms.data import FormData
from dxdesk.forms.registry import find_template
from dxdesk.forms.render import render_form

SAMPLE = FormData(
    card={"name": "吉田\u3000花子", "address": "北海道白老郡サンプル町大町一丁目２番３号　サンプルハイツ１０１号室",
          "birth_date": "1950-04-01", "sex": "2"},
    interview={"kana_name": "よしだ　はなこ", "postal_code": "0590903", "phone": "0144-82-1234",
               "relationship": "self", "scope": "all", "count_juminhyo": 1, "purpose": "pension"},
    computed={"municipality": "サンプル町", "desk_name": "住民課 窓口1"},
)


def bench_form_fill(n: int = 50, form: str = "juminhyo_request") -> float:
    """Mean milliseconds per fill over n fills (after one warm-up that registers the fonts)."""
    template = find_template(form)
    data = SAMPLE.with_computed()
    render_form(template, data)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        render_form(template, data)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.fmean(times)
