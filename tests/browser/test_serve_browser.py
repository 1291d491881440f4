"""End to end in a real headless chromium: draw a stroke on the page and watch it written; draw a
prime and watch a number synthesised.

Needs Debian's browser (``apt-get install -y chromium chromium-driver``); skipped without it,
except where ``MNIST_HANDWRITING_REQUIRE_BROWSER`` is set (CI), where its absence is an error.
Set ``MNIST_HANDWRITING_SCREENSHOT=docs/figures/serve-page.png`` to save a screenshot of the whole page.
"""

from __future__ import annotations

import os
import threading

import pytest
from browser_driver import WebDriver, find_browser

from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.convert import load_converter
from mnist_handwriting.paths import WEIGHTS_DIR
from mnist_handwriting.serve.app import App
from mnist_handwriting.serve.server import make_server
from serving import call, small_pool, start

BROWSER = find_browser()
if BROWSER is None and os.environ.get("MNIST_HANDWRITING_REQUIRE_BROWSER"):
    raise RuntimeError("MNIST_HANDWRITING_REQUIRE_BROWSER is set but chromium/chromedriver were not found; "
                       "apt-get install -y chromium chromium-driver")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="needs chromium and chromedriver "
                                "(apt-get install -y chromium chromium-driver)")


@pytest.fixture()
def page_url(cache_dir):
    # The shipped default model, as `mnist-handwriting serve` uses; the gallery shows the
    # shared data when it is found.
    server = make_server(App(load_converter(), locations=Locations(cache_dir=cache_dir)), port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_draw_a_stroke_and_watch_it_written(page_url):
    classifier_shipped = (WEIGHTS_DIR / "classifier.safetensors").is_file()
    with WebDriver(*BROWSER) as browser:
        browser.open(page_url)
        assert browser.script("return document.title") == "mnist-handwriting"
        if not classifier_shipped:  # no classifier to recognise the digit: say which one it is
            browser.script("document.getElementById('label-choice').value = '7'")
        # A "7" in one stroke: across the top, then down to the left (px from the pad's centre).
        browser.drag("#pad", [(-70, -90), (-20, -92), (30, -93), (70, -95), (45, -40), (20, 15), (0, 60), (-15, 100)])
        browser.wait_for("return document.getElementById('trajectory').dataset.state === 'done'")
        label = browser.script("return document.getElementById('label').textContent")
        source = browser.script("return document.getElementById('label-source').textContent")
        drawn = browser.script("return Number(document.getElementById('trajectory').dataset.drawn)")
        rows = browser.script("return document.querySelectorAll('#points tbody tr').length")
        inked = browser.script("""
            const c = document.getElementById('trajectory');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;""")
        message = browser.script("return document.getElementById('message').textContent")
        assert message == ""
        assert label in tuple("0123456789")
        assert ("recognised" in source) == classifier_shipped
        if not classifier_shipped:
            assert label == "7"
        assert drawn == rows == 20          # the tracer's 20 points, all animated and listed
        assert inked > 200                  # the trajectory canvas really holds strokes
        assert browser.script("return !document.getElementById('downloads').hidden")
        screenshot = os.environ.get("MNIST_HANDWRITING_SCREENSHOT")
        if screenshot:
            browser.script("document.getElementById('write-form').requestSubmit()")
            browser.wait_for("const s = document.getElementById('writing').dataset.state;"
                             "return s === 'done' || document.getElementById('message').textContent !== ''")
            # The shipped synthesis network writes the panel's default number in development writer 27's hand.
            browser.script("document.getElementById('synthesize-hand').value = '27';"
                           "document.getElementById('synthesize-form').requestSubmit()")
            browser.wait_for("return document.getElementById('synthesis').dataset.state === 'done'"
                             " || document.getElementById('message').textContent !== ''", timeout=60)
            browser.wait_for("return [...document.querySelectorAll('#gallery canvas')]"
                             ".every(c => c.dataset.state === 'done') || document.getElementById('gallery')"
                             ".textContent !== ''")
            with open(screenshot, "wb") as out:
                out.write(browser.screenshot(whole_page=True))


@pytest.fixture()
def synthesis_server(trained):
    server = start(App(load_converter("trace"), pool=small_pool(), synthesizer=trained))
    yield server
    server.shutdown()
    server.server_close()


def test_draw_a_prime_and_watch_a_number_synthesised(synthesis_server):
    with WebDriver(*BROWSER) as browser:
        browser.open(f"http://127.0.0.1:{synthesis_server.server_address[1]}/")
        browser.script("""const send = window.fetch;   // keep the synthesis request the page sends
            window.fetch = (url, options) => {
              if (url === "/api/synthesize") window.sent = JSON.parse(options.body);
              return send(url, options);
            };""")
        # A "1" and a "7" on the 480x120 prime pad (px from its centre; its height is 1.0 in the writing frame),
        # scrolled into view, as WebDriver's pointer moves are relative to the centre of its visible part.
        browser.script("document.getElementById('prime-pad').scrollIntoView({block: 'center'})")
        browser.drag("#prime-pad", [(-180, -40), (-182, 0), (-185, 40)])
        browser.drag("#prime-pad", [(-140, -35), (-80, -40), (-100, 0), (-120, 40)])
        browser.script("""document.getElementById('prime-text').value = '17';
            document.getElementById('synthesize-hand').value = 'drawn';
            document.getElementById('synthesize-text').value = '01';
            document.getElementById('synthesize-seed').value = '2';
            document.getElementById('synthesize-form').requestSubmit();""")
        browser.wait_for("return document.getElementById('synthesis').dataset.state === 'done'"
                         " || document.getElementById('message').textContent !== ''", timeout=60)
        assert browser.script("return document.getElementById('message').textContent") == ""
        sent = browser.script("return window.sent")
        assert sent["text"] == "01" and sent["bias"] == 1 and sent["seed"] == 2 and "writer" not in sent
        prime = sent["prime"]
        assert prime["text"] == "17" and [p[2] for p in prime["points"]].count(1) == 2 and prime["points"][-1][2] == 1
        assert prime["points"][0][:2] == pytest.approx([60 / 120, 20 / 120], abs=0.03)
        assert prime["points"][-1][:2] == pytest.approx([120 / 120, 100 / 120], abs=0.03)
        status, _, reply = call(synthesis_server, "POST", "/api/synthesize", sent)
        assert status == 200
        drawn = browser.script("return Number(document.getElementById('synthesis').dataset.drawn)")
        assert drawn == len(reply["points"])          # the page animated the server's whole answer
        legend = browser.script("return [...document.querySelectorAll('#synthesis-legend span')]"
                                ".map(s => [s.textContent, s.style.color])")
        assert legend == [["0", "rgb(68, 1, 84)"], ["1", "rgb(253, 231, 37)"]]   # one colour per character


def test_flip_through_the_drawing_orders_of_a_proposals_model(tmp_path):
    from proposal_models import save_proposals_model

    model = save_proposals_model(tmp_path / "proposals.safetensors")
    server = make_server(App(load_converter(str(model))), port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with WebDriver(*BROWSER) as browser:
            browser.open(f"http://127.0.0.1:{server.server_address[1]}/")
            browser.script("document.getElementById('label-choice').value = '7'")
            browser.drag("#pad", [(-70, -90), (0, -92), (70, -95), (30, -20), (0, 60), (-15, 100)])
            browser.wait_for("return document.getElementById('trajectory').dataset.state === 'done'")
            assert browser.script("return !document.getElementById('proposal-nav').hidden")
            caption = "return document.getElementById('proposal-caption').textContent"
            first_row = "return document.querySelector('#points tbody tr').textContent"
            assert browser.script(caption).startswith("drawing order 1 of 3 (")
            before = browser.script(first_row)
            browser.script("document.getElementById('proposal-next').click()")
            assert browser.script(caption).startswith("drawing order 2 of 3 (")
            assert browser.script(first_row) != before           # another proposal's points listed
            browser.script("document.getElementById('proposal-previous').click()")
            browser.script("document.getElementById('proposal-previous').click()")
            assert browser.script(caption).startswith("drawing order 3 of 3 (")   # wraps around
    finally:
        server.shutdown()
        server.server_close()
