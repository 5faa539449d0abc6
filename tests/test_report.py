"""A report to keep (issue 24): ``result.save(path)`` writes one self-contained HTML file,
``result.to_markdown()`` a short text; a bad path is a clear error that writes nothing and
keeps the file already there.  The saved file is opened from disk in Chromium with every
request off the disk refused."""

from __future__ import annotations

import os
import re

import pytest

import hpmagic
from hpmagic.errors import SaveError
from tests.browsers import chromium

CELL = """
x = 0.5      # tune: uniform(0, 1)
kind = "a"   # tune: choice("a", "b")
print("x is", x)
(x - 0.3) ** 2 + (kind == "b") * 0.1
"""


@pytest.fixture(scope="module")
def result():
    return hpmagic.tune(CELL, {}, trials=14, seed=5, strategy="random", quiet=True)


def test_the_result_keeps_its_code_and_the_options_that_differ_from_the_defaults(result):
    assert result.code == CELL.strip("\n")
    assert result.options == (("trials", "14"), ("strategy", "'random'"), ("seed", "5"))


def test_options_record_names_an_executor_object_by_its_type():
    from concurrent.futures import ThreadPoolExecutor

    from hpmagic.options import TuneOptions

    with ThreadPoolExecutor(1) as pool:
        assert TuneOptions(executor=pool, jobs=2, quiet=True).record() == (
            ("jobs", "2"),
            ("executor", "<concurrent.futures.thread.ThreadPoolExecutor>"),
        )


def test_the_saved_report_holds_every_section_and_loads_nothing_from_elsewhere(result, tmp_path):
    path = result.save(tmp_path / "report.html")
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert "<title>hpmagic: objective (14 trials)</title>" in page
    assert re.findall(r"<(?:img|script|link|iframe)[^>]*(?:src|href)=[\"'](?!data:)", page) == []
    # convergence, importance, a slice per parameter, parallel coordinates, the response over the two parameters
    assert page.count('src="data:image/png;base64,') == 6
    assert "All 14 trials</summary>" in page
    assert "<pre class='hpmagic-code'>x = 0.5      # tune: uniform(0, 1)\nkind = &quot;a&quot;" in page
    for key, value in [
        ("seed", "5"),
        ("strategy", "random"),
        ("trials", "14"),
        ("python", ""),
        ("hpmagic", hpmagic.__version__),
        ("numpy", ""),
        ("machine", ""),
        ("host", os.uname().nodename),
    ]:
        assert f"<tr><th style='text-align:left'>{key}</th><td>{value}" in page, key


def test_the_full_table_holds_every_trial_beyond_the_summarys_cut(tmp_path):
    many = hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, trials=1005, seed=1, strategy="random", quiet=True)
    assert "(the first 1000; result.to_dataframe() has all 1005)" in many._repr_html_()
    page = many.save(tmp_path / "many.html").read_text(encoding="utf-8")
    assert "All 1005 trials</summary>" in page and "the first 1000" not in page


def test_to_markdown_is_a_short_text_with_the_best_parameters(result):
    text = result.to_markdown()
    best = result.best_trial
    assert text.startswith(f"**hpmagic**: best objective {hpmagic._format.fmt_value(best.value)} (trial {best.number})")
    assert "| parameter | best | default | search space |\n| --- | --- | --- | --- |\n| x |" in text
    assert "\nOptions: `trials=14 strategy='random' seed=5`.\n" in text
    assert f"Versions: python {os.sys.version.split()[0]}, hpmagic {hpmagic.__version__}" in text
    assert len(text.splitlines()) < 20


def test_a_folder_is_a_clear_error_and_nothing_is_written(result, tmp_path):
    with pytest.raises(SaveError) as info:
        result.save(tmp_path)
    assert str(info.value) == (
        f"cannot save the report to {str(tmp_path)!r}: it is a folder; give a file name, "
        f"such as {str(tmp_path / 'report.html')!r}"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_a_clear_error(result, tmp_path):
    target = tmp_path / "nowhere" / "report.html"
    with pytest.raises(
        SaveError, match=r"the folder '.*/nowhere' does not exist; create it first, or choose another path"
    ):
        result.save(target)
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_permission_is_a_clear_error_and_keeps_the_old_file(result, tmp_path):
    (tmp_path / "report.html").write_text("old")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(SaveError, match="no permission to write"):
            result.save(tmp_path / "report.html")
    finally:
        tmp_path.chmod(0o700)
    assert (tmp_path / "report.html").read_text() == "old"


def test_a_folder_nobody_may_write_is_a_clear_error():
    # /proc/self takes no new files, whoever runs the test (also root)
    with pytest.raises(SaveError) as info:
        result_of_one().save("/proc/self/report.html")
    assert str(info.value) == (
        "cannot save the report to '/proc/self/report.html': no permission to write '/proc/self'; "
        "choose a folder you may write to (nothing was written)"
    )


def result_of_one():
    return hpmagic.tune("x = 0.5  # tune: uniform(0, 1)\nx", {}, trials=1, quiet=True)


def test_a_write_that_fails_says_so_and_leaves_nothing_behind(result, tmp_path):
    target = tmp_path / ("r" * 260 + ".html")  # a name the file system refuses: over 255 bytes
    with pytest.raises(SaveError) as info:
        result.save(target)
    assert str(info.value) == (
        f"cannot save the report to {str(target)!r}: File name too long; nothing was written "
        "(a file already there is unchanged)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_stored_study_saves_with_its_code(tmp_path):
    storage = tmp_path / "studies.db"
    hpmagic.tune(CELL, {}, trials=5, seed=2, strategy="random", quiet=True, study="s", storage=storage)
    loaded = hpmagic.load_study("s", storage=storage)
    page = loaded.save(tmp_path / "study.html").read_text(encoding="utf-8")
    # a study keeps the code as it compares runs: normalised, without the annotations
    assert "<title>hpmagic: s (5 trials)</title>" in page and "print(&#x27;x is&#x27;, x)" in page
    assert "<tr><th style='text-align:left'>study</th><td>s</td></tr>" in page


def test_the_report_opens_from_disk_offline_light_dark_and_at_400px(result, tmp_path):
    path = result.save(tmp_path / "report.html")
    with chromium() as browser:
        for scheme, width in (("light", 1000), ("dark", 400)):
            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
            elsewhere: list[str] = []

            def refuse(route, seen=elsewhere):
                seen.append(route.request.url)
                route.abort()

            page.route(re.compile(r"^(?!file:|data:)"), refuse)
            page.goto(path.as_uri())
            assert elsewhere == []
            loaded = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
            assert loaded == [True] * 6
            heads = page.locator("h4").all_inner_texts()
            assert heads[-3:] == ["The cell", "Options", "Versions and machine"]
            assert page.locator(".hpmagic-result > details > summary").all_inner_texts()[:2] == [
                "Top 10 trials",
                "All 14 trials",
            ]
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            muted = page.evaluate("getComputedStyle(document.querySelector('.hpmagic-facts')).color")
            if scheme == "dark":
                assert background == "rgb(17, 17, 17)" and muted == "rgb(160, 160, 160)"  # THEME['muted'].dark
                assert "invert" in page.evaluate("getComputedStyle(document.querySelector('img')).filter")
            else:
                assert background == "rgb(255, 255, 255)" and muted == "rgb(97, 97, 97)"
            page.close()
