"""``python -m tools.bench print``: a 3-form visit from 「印刷」 to the last page handed to the spooler.

Two paths, each measured in a fresh child process so its peak memory (ru_maxrss) is its own:

- ``cups``: what the counter does on Linux: the visit drawn with the chosen printer's calibration
  (a printer other than the configured one, so it is drawn again: the worst case) and the PDF
  handed to a private cupsd (tools.cupsd) with ``lp``; done when ``lp`` returns (the scheduler
  has the whole job).
- ``raster``: what the counter does on Windows: the same PDF painted through Qt in bands at the
  printer's resolution (``--dpi``; dxdesk.ui.rasterprint). There is no Windows spooler here, so
  the bands go to two stand-ins, both real QPrinter paint devices: Qt's PDF engine writing a file,
  and (when cupsd is installed) Qt's CUPS engine handing the job to a private cupsd (done when
  painting ends: Qt has submitted the job). Both are Qt's PDF engine compressing what it is given;
  a Windows driver takes the same pieces as GDI bitmaps. The visit is printed three times in the
  child: first as at the counter, with the bands made ahead while the preview is read
  (rasterprint.BandsAhead), then twice with nothing made ahead (another printer chosen in the
  dialog, 「印刷」 pressed at once, or the command line).

Warm as at the counter: fonts registered and the preview drawn before 「印刷」 is pressed (for the
raster path that preview is pdfium's, and it imports the band cutter in the background while the
clerk reads it, as dxdesk.ui.forms_preview does).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from dxdesk.app.formpdf import FormsPayload

FORMS = ("juminhyo_request", "inkan_request", "guide_sheet")
DATA = Path(__file__).parents[2] / "tests" / "forms" / "data" / "resident.json"


@dataclass(frozen=True)
class PrintTiming:
    path: str
    seconds: float
    peak_mb: float
    pages: int
    detail: str

    def line(self) -> str:
        return f"{self.path:<8} {self.seconds:8.3f} s {self.peak_mb:9.0f} MB  {self.pages} pages  {self.detail}"


def _payload() -> FormsPayload:

    raw = json.loads(DATA.read_text(encoding="utf-8"))
    raw["card"].update({"family_name": "𠮷田", "given_name": "𩸽子", "name": "𠮷田\u3000𩸽子"})
    return FormsPayload(FORMS, {f: raw for f in FORMS if f != "guide_sheet"}, raw, date(2025, 4, 1))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def _child_cups(printer: str) -> dict[str, object]:
    from dxdesk.app.formpdf import printer_job, render_visit_pdf
    from dxdesk.config import Calibration, load_settings
    from dxdesk.forms.printing import submit_pdf

    settings = load_settings()
    settings.forms.calibrations[printer] = Calibration(dx_mm=0.5, dy_mm=-0.5)
    payload = _payload()
    shown = render_visit_pdf(payload)  # the preview, drawn before 「印刷」
    t0 = time.perf_counter()
    job = printer_job(settings, payload, shown, printer, queue=True)
    t1 = time.perf_counter()
    request = submit_pdf(job.document.pdf, printer, 1, "dxdesk bench")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(), "pages": len(job.document.forms),
            "detail": f"drawn again for the chosen printer {t1 - t0:.2f} s + lp {seconds - (t1 - t0):.2f} s; "
                      f"{len(job.document.pdf) // 1024} kB PDF to CUPS ({request})"}


def _child_raster(dpi: int, out: str, whole_page: bool, queue: str) -> dict[str, object]:
    from PySide6.QtCore import QSize
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QApplication

    from dxdesk.app.formpdf import printer_job, render_visit_pdf
    from dxdesk.config import load_settings
    from dxdesk.ui import rasterprint

    _app = QApplication.instance() or QApplication([])  # kept alive while printing
    payload = _payload()
    shown = render_visit_pdf(replace(payload))
    preview = rasterprint.pdf_document(shown.pdf)  # the counter's preview: pdfium's, one page drawn
    assert preview is not None
    preview.render(0, QSize(800, 1131))
    rasterprint.warm_up().join(60)  # the preview's background import of the band cutter
    preview.close()

    def printer(n: int) -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setDocName(f"dxdesk raster bench {n}")  # cups-pdf names its file after the title
        if queue:  # Qt's own CUPS engine: the job goes to the private cupsd when painting ends
            p.setPrinterName(queue)
            assert p.outputFormat() == QPrinter.OutputFormat.NativeFormat and p.isValid()
        else:
            p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            p.setOutputFileName(out)
        p.setResolution(dpi)
        return p

    if whole_page:  # for comparison: one band per page
        rasterprint.BAND_BYTES = 1 << 40
    # The counter: the bands for the printer the dialog offers first are made while the resident
    # reads the preview (forms_preview.make_bands_ahead, one band per turn of the event loop), and
    # 「印刷」 hands them over. Then two prints with nothing made ahead: a printer other than the
    # first one offered, 「印刷」 pressed before the bands were made, or the command line.
    target = printer(0)
    job = printer_job(load_settings(), payload, shown, "", queue=False)
    t0 = time.perf_counter()
    ahead = rasterprint.BandsAhead(job.document.pdf, rasterprint.PrintFormat.of(target))
    while ahead.step():
        pass
    made_ahead = (time.perf_counter() - t0, ahead.kept_bytes)
    runs = []
    for n in range(3):
        target = target if n == 0 else printer(n)
        t0, c0 = time.perf_counter(), time.process_time()
        job = printer_job(load_settings(), payload, shown, "", queue=False)
        pages = rasterprint.render_to_printer(job.document.pdf, target, ahead if n == 0 else None)
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    # The same bands without a print engine: dxdesk's own share, apart from the stand-in spooler.
    t1 = time.perf_counter()
    kinds = {"mono": 0, "grey": 0, "colour": 0}
    for band in rasterprint.raster_bands(job.document.pdf, dpi):
        for piece in band.pieces:
            kind = {"Format_Mono": "mono", "Format_Grayscale8": "grey"}.get(piece.image.format().name, "colour")
            kinds[kind] += piece.image.width() * piece.image.height()
    render_only = time.perf_counter() - t1
    label = "one band per page" if whole_page else f"bands of {rasterprint.BAND_BYTES >> 20} MB"
    spool = (f"Qt's CUPS engine to a private cupsd ({queue})" if queue
             else f"{os.path.getsize(out) >> 10} kB PDF written by Qt's PDF engine")
    handed = ", ".join(f"{kind} {pixels / 1e6:.0f} Mpx" for kind, pixels in kinds.items() if pixels)
    return {"seconds": runs[0][0], "peak_mb": _peak_mb(), "pages": pages,
            "detail": f"Qt raster at {dpi} dpi, {label}; bands made ahead during the preview "
                      f"(CPU {runs[0][1]:.2f} s): {made_ahead[0]:.2f} s, {made_ahead[1] >> 20} MB kept; "
                      f"with nothing made ahead {runs[1][0]:.2f} s, {runs[2][0]:.2f} s "
                      f"(CPU {runs[1][1]:.2f} s, {runs[2][1]:.2f} s); rendering and cutting the bands alone "
                      f"{render_only:.2f} s; handed over: {handed}; {spool}"}


def _run_child(*args: str) -> dict[str, object]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run([sys.executable, "-m", "tools.bench.printing", *args], capture_output=True, text=True,
                          env=env, cwd=Path(__file__).parents[2])
    if done.returncode != 0:
        raise RuntimeError(f"print bench child failed: {done.stderr.strip().splitlines()[-1:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _timing(path: str, r: dict[str, object]) -> PrintTiming:
    return PrintTiming(path, float(r["seconds"]), float(r["peak_mb"]),  # type: ignore[arg-type]
                       int(r["pages"]), str(r["detail"]))  # type: ignore[call-overload]


def bench_print(dpi: int = 600, paths: tuple[str, ...] = ("cups", "raster"), compare_whole_page: bool = False
                ) -> list[PrintTiming]:
    timings = []
    with tempfile.TemporaryDirectory(prefix="dxdesk-bench-print-") as tmp:
        os.environ["DXDESK_HOME"] = str(Path(tmp) / "home")  # never the bencher's desk
        from tools.cupsd import PrivateCups, missing_reason

        reason = missing_reason()
        if "cups" in paths:
            if reason:
                raise RuntimeError(f"cannot bench the CUPS path: {reason}")
            with PrivateCups() as cups:
                r = _run_child("cups", cups.queue)
                cups.wait_for_pdfs([str(r["detail"]).rsplit("(", 1)[1].rstrip(")")])  # it did come out
                timings.append(_timing("cups", r))
        if "raster" in paths:
            timings.append(_timing("raster", _run_child("raster", str(dpi), str(Path(tmp) / "spool.pdf"), "bands", "")))
            if compare_whole_page:
                timings.append(_timing("raster", _run_child("raster", str(dpi), str(Path(tmp) / "w.pdf"), "whole", "")))
            if reason is None:  # the same bands handed to a real spooler through Qt's CUPS print engine
                with PrivateCups() as cups:
                    r = _run_child("raster", str(dpi), "", "bands", cups.queue)
                    cups.wait_for_pdfs([f"{cups.queue}-{n}" for n in (1, 2, 3)])  # every print came out
                    timings.append(_timing("raster", r))
    return timings


if __name__ == "__main__":  # the child: one measurement, one JSON line
    kind = sys.argv[1]
    if kind == "cups":
        print(json.dumps(_child_cups(sys.argv[2])))
    else:
        print(json.dumps(_child_raster(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "whole", sys.argv[5])))
