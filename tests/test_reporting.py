"""skmammo.reporting: self-contained HTML, autoescaping, PDFs with the metrics, templates in the wheel.

The report layer is fed plain data (arrays, frames and duck-typed
explanations), so no network is trained here.  WeasyPrint is slowish: the
PDF test renders one summary report and two case reports.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from skmammo.evaluation import evaluate_predictions, repeated_evaluation
from skmammo.reporting import DISCLAIMER, ReportBuilder, figures, template_dir

REPO = Path(__file__).resolve().parents[1]
NAMES = ["normal", "benign", "malignant"]
EVIL = "<script>alert(1)</script>"
CROP = 48


# ------------------------------------------------------------------------ plain data


def _films(n: int, rng: np.random.RandomState) -> pd.DataFrame:
    """A small mammogram frame: textured 160x160 films with a bright disc at the lesion."""
    rows = []
    yy, xx = np.mgrid[:160, :160]
    for i in range(n):
        film = rng.randint(20, 90, (160, 160)).astype(np.uint8)
        normal = i % 3 == 0
        x, y, r = (np.nan, np.nan, np.nan) if normal else (rng.uniform(40, 120), rng.uniform(40, 120), 12.0)
        if not normal:
            film[(xx - x) ** 2 + (yy - y) ** 2 < r**2] = 200
        rows.append({
            "image": film, "x": x, "y": y, "radius": r, "film": f"mdb{i + 1:03d}",
            "patient": f"p{i // 2 + 1:03d}", "side": "LR"[i % 2], "tissue": "F",
            "abnormality": "NORM" if normal else "CIRC", "severity": None if normal else "BM"[i % 2],
        })
    return pd.DataFrame(rows)


def _explanations(frame: pd.DataFrame, proba: np.ndarray) -> dict:
    """Duck-typed explanations: crops cut around the lesion, a blob heatmap (signed for LIME/SHAP)."""
    crops, boxes = [], []
    for _, row in frame.iterrows():
        cx, cy = (80.0, 80.0) if np.isnan(row.x) else (row.x, row.y)
        x0, y0 = int(round(cx)) - CROP // 2, int(round(cy)) - CROP // 2
        padded = np.pad(row.image, CROP)
        crops.append(padded[y0 + CROP : y0 + 2 * CROP, x0 + CROP : x0 + 2 * CROP])
        boxes.append([x0, y0, x0 + CROP, y0 + CROP])
    crops = np.stack(crops)
    yy, xx = np.mgrid[:CROP, :CROP]
    blob = np.exp(-((xx - CROP / 2) ** 2 + (yy - CROP / 2) ** 2) / (2 * 8.0**2))
    n = len(frame)
    out = {}
    for method, seconds, heat in (("gradcam", 0.29, blob), ("lime", 50.5, blob - 0.3), ("shap", 4.48, 0.1 * (blob - 0.5))):
        out[method] = SimpleNamespace(
            method=method, heatmaps=np.repeat(heat[None], n, axis=0), targets=proba.argmax(axis=1),
            probabilities=proba, images=crops, boxes=np.array(boxes, dtype=float),
            films=frame["film"].to_numpy(), seconds_per_image=seconds, params={"n_samples": 10},
        )
    return out


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    y_train = rng.choice(3, 120, p=[0.6, 0.2, 0.2])
    y_test = np.repeat([0, 1, 2], [20, 8, 8])
    proba = rng.dirichlet(np.ones(3), len(y_test))
    proba[np.arange(len(y_test)), y_test] += rng.uniform(0, 0.9, len(y_test))
    proba /= proba.sum(axis=1, keepdims=True)
    ev = evaluate_predictions(y_test, proba, y_train=y_train)

    frame = _films(9, rng)
    case_target = np.array([0, 1, 2, 0, 2, 1, 0, 1, 2])
    case_proba = np.eye(3)[[0, 1, 1, 0, 2, 0, 0, 1, 2]] * 0.7 + 0.1  # two misclassified
    explanations = _explanations(frame, case_proba)

    X = pd.DataFrame({"f": y_train + rng.normal(0, 0.5, len(y_train))})
    from sklearn.linear_model import LogisticRegression

    repeated = repeated_evaluation(LogisticRegression(), X, y_train, n_runs=3, protocol="study",
                                   random_state=0)
    table = pd.DataFrame(  # the columns of skmammo.explain.metrics.compare_explainers
        {"seconds_per_image": [0.29, 50.5, 4.48], "stability_spearman": [0.98, 0.71, 0.83],
         "stability_iou": [0.91, 0.52, 0.64], "pointing_game": [0.61, 0.44, 0.47],
         "positive_share": [0.55, 0.41, 0.38], "deletion_auc": [0.21, 0.33, 0.29],
         "insertion_auc": [0.71, 0.62, 0.66], "n_images": [9, 9, 9]},
        index=pd.Index(["gradcam", "lime", "shap"], name="method"),
    )
    history = {"loss": [1.1, 0.8, 0.6, 0.5], "val_loss": [1.0, 0.85, 0.7, 0.72],
               "accuracy": [0.5, 0.62, 0.7, 0.76], "val_accuracy": [0.52, 0.6, 0.66, 0.65]}
    return SimpleNamespace(ev=ev, frame=frame, case_target=case_target, explanations=explanations,
                           repeated=repeated, table=table, history=history, y_train=y_train, y_test=y_test)


def _builder(d, **kw) -> ReportBuilder:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    args = dict(
        title="Synthetic demo", dataset="synthetic mammograms (seed 0)",
        splits={"train": d.y_train, "test": d.y_test},
        model=make_pipeline(StandardScaler(), LogisticRegression(C=0.5)),
        params={"protocol": "study", "runs": 3}, history=d.history, explanations=d.explanations,
        explainer_table=d.table, repeated=d.repeated, cases=d.frame, case_target=d.case_target,
        created=dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc), verbose=0,
    )
    args.update(kw)
    return ReportBuilder(d.ev, **args)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster", "action"):
                self.refs.append((tag, name, value or ""))


def _assert_self_contained(html: str) -> int:
    """Every image embedded; the only links go to the case reports written beside the report."""
    parser = _Links()
    parser.feed(html)
    for tag, name, value in parser.refs:
        if tag == "a" and name == "href":
            assert re.fullmatch(r"cases/[\w.-]+\.(pdf|html)", value), f"<a href={value!r}> leaves the folder"
            continue
        assert value.startswith("data:image/png;base64,"), f"<{tag} {name}={value[:60]!r}> is not embedded"
    for tag in ("link", "script", "iframe", "object", "embed"):
        assert tag not in parser.tags, f"<{tag}> in a self-contained report"
    css = "\n".join(re.findall(r"<style>(.*?)</style>", html, flags=re.S))
    assert "@import" not in css and "url(" not in css
    return sum(1 for tag, name, _ in parser.refs if tag == "img")


# ------------------------------------------------------------------------ HTML


def test_summary_html_is_self_contained_and_prints_the_evaluation_numbers(data):
    html = _builder(data).summary_html()
    n_images = _assert_self_contained(html)
    # confusion, ROC, reliability, training curves, repeated confusion + one thumbnail per case
    assert n_images == 5 + len(data.frame)
    ev = data.ev
    # the test set's calibration, as evaluation measured it
    assert f"<td>{ev.calibration['ece']:.3f}</td>" in html and "Reliability diagram" in html
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "macro_roc_auc"):  # 3 decimals everywhere
        assert f"<td>{ev.scores[key]:.3f}</td>" in html, key
        assert f"<td>{ev.baseline[key]:.3f}</td>" in html, key
    for name in NAMES:
        row = ev.table.loc[name]
        cells = "".join(f"<td>{row[c]:.3f}</td>" for c in ("precision", "recall", "f1", "roc_auc"))
        assert f"<th scope=\"row\">{name}</th>{cells}<td>{int(row.support)}</td>" in html
    # class counts: train, test and all
    counts = np.bincount(data.y_train, minlength=3)
    assert "".join(f"<td>{c}</td>" for c in counts) + f"<td>{counts.sum()}</td>" in html
    # repeated evaluation and explainer table
    assert f"<td>{data.repeated.summary.loc['accuracy', 'mean']:.3f}</td>" in html
    # a study-protocol evaluation is shown beside the study's own numbers
    ours = data.repeated.pooled_scores()["accuracy"]
    assert "Beside the study" in html
    assert f'<th scope="row">accuracy</th><td>0.775</td><td>{ours:.3f}</td>' in html
    assert '<th scope="row">LIME</th><td>50.500</td><td>0.710</td>' in html
    # the crop count, the same for every method, is said once, not as a column
    assert "<td>9</td>" not in html and "(of 9 explained" in " ".join(html.split())
    assert "deletion AUC</dt>" in html and "<th scope=\"col\">ROC AUC</th>" in html  # the columns are explained
    # gallery: grouped by predicted class, misclassified framed in red
    wrong = re.findall(r'<figure class="thumb wrong">', html)
    assert len(wrong) == 2
    assert html.index("Predicted normal") < html.index("Predicted benign") < html.index("Predicted malignant")
    assert "C: 0.5" in html or "logisticregression__C" in html
    assert "scikit-learn" in html and DISCLAIMER.split(".")[0] in html


def test_case_html_shows_prediction_probabilities_and_each_explainer(data):
    b = _builder(data)
    html = b.case_html(2)  # mdb003: true malignant, predicted benign
    _assert_self_contained(html)
    assert "Case report: mdb003 lesion at x" in html
    assert "True class: <strong>malignant</strong>" in html
    assert "Predicted class: <strong>benign</strong>" in html and "Misclassified" in html
    for label in ("Grad-CAM", "LIME", "Kernel SHAP"):
        assert f"<strong>{label}</strong>: explained class benign" in html
    assert "<td>0.800</td>" in html and "<td>0.100</td>" in html  # 3 decimals, as in the gallery
    assert "Research software, not a diagnosis." in html
    assert "2026-11-26 08:00 UTC" in html
    assert html.count("<img") == 1 + 3  # film + crop figure, and one per explainer


def test_case_report_reads_a_film_given_by_path(data, tmp_path):
    import cv2

    by_path = data.frame.drop(columns="image").assign(path="")
    for i, image in enumerate(data.frame["image"]):
        by_path.iloc[i, by_path.columns.get_loc("path")] = str(tmp_path / f"film{i}.png")
        cv2.imwrite(str(tmp_path / f"film{i}.png"), np.asarray(image))
    assert _builder(data, cases=by_path).case_html(2) == _builder(data).case_html(2)
    # films stored at twice the frame's pixel grid, brought to it by a read-time Resample
    from skmammo.datasets import Resample

    fine = by_path.assign(pending=[(Resample(0.5),)] * len(by_path))
    for i, image in enumerate(data.frame["image"]):
        fine.iloc[i, fine.columns.get_loc("path")] = str(tmp_path / f"fine{i}.png")
        cv2.imwrite(str(tmp_path / f"fine{i}.png"),
                    np.asarray(image).repeat(2, axis=0).repeat(2, axis=1))
    assert _builder(data, cases=fine).case_html(2) == _builder(data).case_html(2)
    missing = by_path.assign(path=str(tmp_path / "gone.png"))
    with pytest.raises(FileNotFoundError, match="gone.png"):
        _builder(data, cases=missing).case_html(0)


def test_autoescaping_keeps_user_text_as_text(data):
    frame = data.frame.copy()
    frame.loc[0, "film"] = EVIL
    frame.loc[1, "patient"] = '"><img src=x onerror=alert(2)>'
    b = _builder(data, cases=frame, title=f"Report {EVIL}", dataset="<b>MIAS</b>",
                 params={"note": "<i>free text</i>"}, explainer_table=data.table.rename(index={"lime": EVIL}))
    summary, case0, case1 = b.summary_html(), b.case_html(0), b.case_html(1)
    for html in (summary, case0, case1):
        assert "<script>" not in html and "<b>MIAS" not in html and "<i>free" not in html
        assert "onerror=alert(2)>" not in html
        _assert_self_contained(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert "Case report: film &lt;script&gt;" in case0
    # and the case file name is a safe slug
    assert b.case_names[0] == "script_alert_1_script" and b.case_names[3] == "mdb004"


def test_duplicate_film_ids_get_distinct_case_files(data):
    frame = data.frame.copy()
    frame["film"] = ["mdb005"] * 3 + list(frame["film"][3:])
    frame.loc[1, ["x", "y"]] = frame.loc[2, ["x", "y"]].to_numpy()  # the same lesion twice
    b = _builder(data, cases=frame)
    stem = f"mdb005-x{frame.x[2]:.0f}-y{frame.y[2]:.0f}"  # lesions named by their centre
    assert b.case_names[:3] == ["mdb005", stem, f"{stem}-2"]


def test_inputs_are_checked(data):
    with pytest.raises(TypeError, match="must be an Evaluation"):
        ReportBuilder({"accuracy": 0.7})
    with pytest.raises(ValueError, match="need all three"):
        ReportBuilder(data.ev, explanations=data.explanations)
    with pytest.raises(ValueError, match="cases has 8 rows"):
        ReportBuilder(data.ev, explanations=data.explanations, cases=data.frame.iloc[:8],
                      case_target=data.case_target[:8])
    # a minimal report needs nothing but the evaluation
    html = ReportBuilder(data.ev).summary_html()
    assert 'id="gallery"' not in html and 'id="training"' not in html
    assert _assert_self_contained(html) == 3  # confusion matrix, ROC curves, reliability
    no_proba = evaluate_predictions(data.ev.y_true, y_pred=data.ev.y_pred)
    assert "Reliability diagram" not in ReportBuilder(no_proba).summary_html()


def test_figures_are_png_data_uris_without_pyplot():
    uri = figures.roc_figure(np.array([0, 1, 2, 0]), np.eye(3)[[0, 1, 2, 1]] * 0.8 + 0.05, NAMES)
    assert uri.startswith("data:image/png;base64,")
    # in a fresh interpreter: other tests (and shap) may have imported pyplot here
    code = (
        "import sys, numpy as np; from skmammo.reporting import figures; "
        "figures.roc_figure(np.array([0, 1, 2]), np.eye(3), ['a', 'b', 'c']); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    rgb = figures.overlay(np.full((4, 4), 100, np.uint8), np.zeros((4, 4)), "shap")
    assert rgb.shape == (4, 4, 3) and rgb.dtype == np.uint8


# ------------------------------------------------------------------------ PDF


def _fullness(html: str) -> list[float]:
    """How far down its content area each printed page is filled (0 empty, 1 full)."""
    from weasyprint import HTML

    out = []
    for page in HTML(string=html).render().pages:
        box = page._page_box
        top, height = box.content_box_y(), box.height
        bottom = top
        stack = [c for c in box.children if type(c).__name__ != "MarginBox"]
        while stack:
            child = stack.pop()
            if type(child).__name__ in ("LineBox", "InlineReplacedBox", "BlockReplacedBox"):
                bottom = max(bottom, child.position_y + child.margin_height())
            else:
                stack.extend(getattr(child, "children", []))
        out.append((bottom - top) / height)
    return out


def _overflowing(html: str) -> list[str]:
    """Images and tables whose box reaches past the right edge of the page content area."""
    from weasyprint import HTML

    bad = []
    for number, page in enumerate(HTML(string=html).render().pages, start=1):
        box = page._page_box
        right = box.content_box_x() + box.width
        for child in box.descendants():
            if getattr(child, "element_tag", None) in ("img", "table"):
                edge = child.border_box_x() + child.border_width()
                if edge > right + 0.5:
                    bad.append(f"page {number}: <{child.element_tag}> ends at {edge:.0f} > {right:.0f}")
    return bad


def test_write_renders_pdfs_with_the_metrics(data, tmp_path, capsys, caplog):
    import logging

    from pypdf import PdfReader

    caplog.set_level(logging.WARNING, logger="weasyprint")

    b = _builder(data, cases=data.frame.iloc[[2, 4]], case_target=data.case_target[[2, 4]],
                 explanations={k: SimpleNamespace(**{**vars(e), "heatmaps": e.heatmaps[[2, 4]],
                                                     "images": e.images[[2, 4]], "boxes": e.boxes[[2, 4]],
                                                     "probabilities": e.probabilities[[2, 4]]})
                               for k, e in data.explanations.items()},
                 params={"protocol": "study", "runs": 3, "loss": "categorical_crossentropy",
                         "a_long_parameter_name_beside_it": "sparse_categorical_crossentropy"})
    paths = b.write(tmp_path / "out")
    assert capsys.readouterr().err == ""  # verbose=0: no progress bar
    # WeasyPrint understood every rule of the style sheet
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    out = tmp_path / "out"
    assert paths["html"] == out / "report.html" and paths["pdf"] == out / "report.pdf"
    # lesion rows of a frame without a `lesion` column are named by their centre
    stems = [f"mdb{i + 1:03d}-x{data.frame.x[i]:.0f}-y{data.frame.y[i]:.0f}" for i in (2, 4)]
    assert paths["cases"] == [out / "cases" / f"{s}.pdf" for s in stems]
    assert sorted(p.name for p in (out / "cases").iterdir()) == sorted(
        f"{s}.{ext}" for s in stems for ext in ("html", "pdf"))
    assert not list(out.rglob("*.part"))
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "report.pdf").stat().st_mode & 0o777 == 0o666 & ~umask

    reader = PdfReader(out / "report.pdf")
    # the sections flow: no page but the last is less than half full
    full = _fullness(b.summary_html())
    assert len(full) == len(reader.pages) and all(f >= 0.5 for f in full[:-1]), full
    # the case list links the case PDFs by relative path
    uris = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])
            if "/A" in a.get_object()]
    assert uris == [f"cases/{s}.pdf" for s in stems]
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 in points
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    ev = data.ev
    for key in ("accuracy", "balanced_accuracy", "macro_f1"):
        assert f"{ev.scores[key]:.3f}" in text and f"{ev.baseline[key]:.3f}" in text
    for name in NAMES:
        assert f"{ev.table.loc[name, 'f1']:.3f}" in text
    assert "research software, not a diagnosis" in text.lower()
    assert "page 1 of" in text
    # long values wrap between words, never inside one
    lines = "\n".join(p.extract_text() for p in reader.pages)
    assert "categorical_crossentropy" in lines and "sparse_categorical_crossentropy" in lines

    case = PdfReader(out / "cases" / f"{stems[0]}.pdf")
    assert len(case.pages) == 2  # verdict, film, provenance; then the explanations
    ctext = " ".join(" ".join(p.extract_text() for p in case.pages).split())
    for needle in ("Case report: mdb003 lesion at x", "True class: malignant", "Predicted class: benign",
                   "Grad-CAM", "LIME", "Kernel SHAP", "0.80", "Research software, not a diagnosis"):
        assert needle in ctext, needle

    # nothing clipped at the right edge of an A4 page
    assert _overflowing(paths["html"].read_text()) == []
    assert _overflowing((out / "cases" / f"{stems[0]}.html").read_text()) == []


def test_unwritable_output_folder_is_a_clear_error(data, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="cannot create the output folder"):
        ReportBuilder(data.ev).write(blocker / "out", pdf=False)


# ------------------------------------------------------------------------ packaging


def test_templates_come_from_the_mapped_package():
    assert template_dir().resolve() == (REPO / "reports" / "templates").resolve()


@pytest.mark.slow
def test_templates_load_from_a_built_wheel(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path / "whl")],
        capture_output=True, text=True,
    )
    if build.returncode and "Could not find a version that satisfies" in build.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "whl").glob("skmammo-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    for name in ("report.html", "case.html", "base.html", "_macros.html", "report.css"):
        assert f"skmammo/_templates/{name}" in names
    # every module of the source tree is in the wheel (packages are listed in pyproject.toml)
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "skmammo").rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"

    # import from the unpacked wheel with -S: no .pth file runs, so the editable install is invisible
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]\n"
        "import numpy as np, skmammo\n"
        "from skmammo.reporting import ReportBuilder, template_dir\n"
        "from skmammo.evaluation import evaluate_predictions\n"
        "assert skmammo.__file__.startswith(sys.argv[1]), skmammo.__file__\n"
        "assert str(template_dir()).startswith(sys.argv[1]), template_dir()\n"
        "html = ReportBuilder(evaluate_predictions([0, 1, 2], np.eye(3)), dataset='wheel').summary_html()\n"
        "assert 'Research software, not a diagnosis' in html and '<td>1.000</td>' in html\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path / "site"), sysconfig.get_paths()["purelib"]],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_real_explanations_and_a_method_column_table(data):
    explain = pytest.importorskip("skmammo.explain")
    real = {
        k: explain.Explanation(method=k, heatmaps=e.heatmaps, targets=e.targets, probabilities=e.probabilities,
                               images=e.images, boxes=e.boxes, films=e.films, seconds_per_image=e.seconds_per_image)
        for k, e in data.explanations.items()
    }
    table = data.table.reset_index()  # "method" as a column, RangeIndex
    b = _builder(data, explanations=real, explainer_table=table)
    html = b.summary_html()
    assert '<th scope="row">Kernel SHAP</th><td>4.480</td>' in html
    assert "Grad-CAM</strong>: explained class" in b.case_html(0)


def test_gallery_of_the_whole_test_set_agrees_with_the_evaluation(data):
    ev = data.ev
    n = len(ev.y_true)
    rng = np.random.RandomState(1)
    gallery = SimpleNamespace(method="gradcam", heatmaps=rng.uniform(size=(n, 16, 16)), probabilities=ev.y_proba,
                              images=rng.randint(0, 255, (n, 16, 16)).astype(np.uint8),
                              films=np.array([f"t{i:02d}" for i in range(n)]))
    html = _builder(data, gallery=gallery, max_gallery=4).summary_html()
    assert f"overlays of the test set ({n} crops)" in html
    for c, name in enumerate(NAMES):
        predicted = ev.y_pred == c
        wrong = int(np.sum(predicted & (ev.y_true != c)))
        assert f"Predicted {name} <span class=\"count\">{predicted.sum()} crops, {wrong} misclassified" in html
    expected_red = sum(min(4, int(np.sum((ev.y_pred == c) & (ev.y_true != c)))) for c in range(3))
    assert html.count('<figure class="thumb wrong">') == expected_red
    with pytest.raises(ValueError, match="explain the whole test set"):
        _builder(data, gallery=SimpleNamespace(**{**vars(gallery), "heatmaps": gallery.heatmaps[:5]}))


def test_probabilities_never_round_to_a_misleading_zero_or_one(data):
    proba = np.tile([[2e-5, 3e-5, 1 - 5e-5]], (len(data.frame), 1))
    explanations = {k: SimpleNamespace(**{**vars(e), "probabilities": proba}) for k, e in data.explanations.items()}
    html = _builder(data, explanations=explanations).case_html(0)
    assert html.count("<td>&lt; 0.001</td>") == 2 and "<td>&gt; 0.999</td>" in html


def test_case_report_outlines_a_frames_lesion_mask_or_box(data, tmp_path):
    """CBIS-DDSM (mask files) and VinDr-Mammo (boxes) frames: the outline, not the circle."""
    import cv2

    from skmammo.explain.metrics import masks_in_crop
    from skmammo.reporting._case import Case

    frame = data.frame.assign(film_rows=[im.shape[0] for im in data.frame["image"]],
                              film_columns=[im.shape[1] for im in data.frame["image"]])
    half = frame["radius"] / 2
    boxed = frame.assign(xmin=frame["x"] - half, ymin=frame["y"] - half,
                         xmax=frame["x"] + half, ymax=frame["y"] + half)
    masked = frame.assign(mask_path=None)
    for i, row in frame.iterrows():
        if np.isfinite(row["radius"]):
            mask = np.zeros(row["image"].shape, np.uint8)
            cv2.ellipse(mask, (int(row["x"]), int(row["y"])), (int(row["radius"]), 3), 30, 0, 360,
                        255, -1)  # a thin ellipse: nothing like the circle
            masked.loc[i, "mask_path"] = str(tmp_path / f"mask{i}.png")
            cv2.imwrite(masked.loc[i, "mask_path"], mask)
    circle_html = _builder(data).case_html(2)
    assert "green dashed circle, the data set&#39;s centre and radius" in " ".join(circle_html.split())
    for cases, words in ((boxed, "outline of the data set&#39;s finding box"),
                         (masked, "outline of the data set&#39;s lesion mask")):
        b = _builder(data, cases=cases)
        case = Case.of(b, 2)
        assert case.film_mask.shape == case.image.shape and case.film_mask.any()
        expected = masks_in_crop(cases.iloc[[2]], b._boxes()[[2]], case.crop.shape)[0]
        np.testing.assert_array_equal(case.crop_mask, expected)
        assert case.lesion is case.crop_mask and case.crop_mask.any()
        html = b.case_html(2)
        assert html != circle_html
        html = " ".join(html.split())
        assert words in html and "green dashed line</span>" in html
        assert Case.of(b, 0).lesion is None  # a normal film: nothing drawn


def test_a_mask_is_drawn_as_its_outline():
    from matplotlib.figure import Figure

    from skmammo.reporting.figures import LESION_COLOUR, _lesion_patch

    ax = Figure().add_subplot()
    mask = np.zeros((20, 20), bool)
    mask[5:15, 0:8] = True  # running into the left edge: closed there
    handle = _lesion_patch(ax, mask)
    assert handle.get_label() == "annotated lesion" and handle.get_color() == LESION_COLOUR
    (path,) = [p for c in ax.collections for p in c.get_paths()]
    xs, ys = path.vertices[:, 0], path.vertices[:, 1]
    assert xs.min() == pytest.approx(-0.5) and xs.max() == pytest.approx(7.5)
    assert ys.min() == pytest.approx(4.5) and ys.max() == pytest.approx(14.5)
    assert _lesion_patch(ax, np.zeros((20, 20), bool)) is None


def test_the_card_says_a_class_absent_from_the_test_set_has_no_recall():
    # All-normal test rows: "recall malignant 0.000" would read as "misses every malignant case".
    y, p = [0, 0, 0], np.array([[.8, .1, .1], [.2, .7, .1], [.6, .2, .2]])
    e = SimpleNamespace(heatmaps=np.random.default_rng(0).random((3, 32, 32)), probabilities=p,
                        images=np.full((3, 32, 32), 90, np.uint8), boxes=None,
                        targets=p.argmax(1), seconds_per_image=0.1)
    cases = pd.DataFrame({"film": ["f0", "f1", "f2"],
                          "image": [np.full((64, 64), 80, np.uint8)] * 3})
    builder = ReportBuilder(evaluate_predictions(y, p, y_train=[0, 1, 2, 2]),
                            explanations={"gradcam": e}, cases=cases, case_target=y)
    text = " ".join(re.sub(r"<[^>]+>", " ", builder.summary_html()).split())
    assert "test set – (no malignant rows)" in text
    assert not re.search(r"recall malignant test set 0\.000", text)
