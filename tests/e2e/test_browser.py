"""A real browser (Debian's Chromium driven by Playwright): pick an example, Run, watch it finish."""
import os
import shutil
import socket

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--enable-unsafe-swiftshader", "--no-first-run", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url():
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import app

    port = _free_port()
    app.demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True, **app.LAUNCH)
    yield f"http://127.0.0.1:{port}"
    app.demo.close()


def open_page(p, url):
    """A laptop-sized page of the app; JavaScript errors are collected (a component whose props the
    frontend cannot read breaks the page without any server-side error)."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.js_errors = []
    page.on("pageerror", lambda e: page.js_errors.append(str(e)))
    page.goto(url, wait_until="load", timeout=60_000)
    return browser, page


def test_pick_example_run_and_see_results(url, tmp_path):
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), "install Debian's chromium (scripts/install-test-deps.sh)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_page(p, url)
        page.locator(".gallery-item").first.wait_for(timeout=60_000)
        page.locator(".gallery-item").first.click()
        # the example reaches the input through a server round trip: Run before it lands is refused
        page.locator("#gp-input img").wait_for(timeout=60_000)
        run = page.locator("#gp-run")
        assert run.is_visible() and run.bounding_box()["y"] < 800, "Run must be visible without scrolling"
        box = page.locator("#gp-result").bounding_box()
        assert box["y"] + box["height"] < 800, "the main result must be visible without scrolling"
        run.click()
        result = page.locator("#gp-result img")
        result.wait_for(timeout=60_000)  # the first frame of the reconstruction
        first_src = result.get_attribute("src")
        page.wait_for_function("document.querySelector('#gp-status').innerText.includes('done')", timeout=180_000)
        assert result.get_attribute("src") != first_src, "the result image must change while it runs"
        table = page.locator("#gp-table").inner_text()
        assert "CSGM" in table and "TV" in table and "…" not in table
        page.screenshot(path=str(tmp_path / "after-run.png"), full_page=False)
        assert (tmp_path / "after-run.png").stat().st_size > 10_000
        assert page.js_errors == []
        browser.close()


def test_each_method_shows_its_own_settings(url):
    """Choosing a method shows exactly its settings group: relaxed's λ goes to 100, CSGM's λ is hidden."""
    from playwright.sync_api import sync_playwright

    from genprior_demo.ui import reconstruct as R

    relaxed_lam = f"lam: {R.method_params('relaxed')['lam'].help}"
    csgm_lam = f"lam: {R.method_params('csgm')['lam'].help}"
    with sync_playwright() as p:
        browser, page = open_page(p, url)
        page.get_by_text("method settings").click()
        page.get_by_label(csgm_lam).wait_for(timeout=30_000)
        assert not page.get_by_label(relaxed_lam).is_visible()
        box = page.locator("#gp-method input")
        box.click()
        box.fill("relaxed")
        page.keyboard.press("Enter")
        page.get_by_label(relaxed_lam).wait_for(timeout=30_000)
        assert page.get_by_label(relaxed_lam).get_attribute("max") == "100"
        assert not page.get_by_label(csgm_lam).is_visible()
        assert page.js_errors == []
        browser.close()


def test_blind_tab_runs_and_shows_the_surrogate(url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_page(p, url)
        page.get_by_role("tab", name="Blind").click()
        run = page.locator("#gp-blind-run")
        run.wait_for(timeout=30_000)
        for control, value in (("#gp-blind-n", "2"), ("#gp-blind-rounds", "1")):  # a short run: the page, not the method
            box = page.locator(f"{control} input[type=number]")
            box.fill(value)
            box.press("Enter")
        run.click()
        page.locator("#gp-blind-kernel img").wait_for(timeout=120_000)
        page.wait_for_function("document.querySelector('#gp-blind-status').innerText.includes('done')", timeout=300_000)
        table = page.locator("#gp-blind-table").inner_text()
        assert "blind" in table and "true F" in table
        page.screenshot(path=str(tmp_path / "blind.png"), full_page=False)
        browser.close()


def test_a_preset_sets_the_page_runs_and_shows_its_caption(url):
    """One click on Pajot et al.'s preset: the degradation becomes remove-pixel, the run starts by itself,
    the caption says what the paper claims and what we measured, the UAIR network's row appears."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_page(p, url)
        page.locator("#gp-preset-pajot-uair").click()
        page.locator("#gp-preset-caption").get_by_text("Pajot et al.").wait_for(timeout=30_000)
        assert "Our report" in page.locator("#gp-preset-caption").inner_text()
        page.wait_for_function("document.querySelector('#gp-status').innerText.includes('done')", timeout=180_000)
        table = page.locator("#gp-table").inner_text()
        assert "UAIR network" in table and "CSGM" in table
        assert page.js_errors == []
        browser.close()


def test_the_generator_lab_opens_with_two_generators_compared(url):
    """The lab tab opens on two generators with cached projections: the verdict names the better one,
    the table has both rows and the histogram is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, page = open_page(p, url)
        page.get_by_role("tab", name="Generator lab").click()
        page.wait_for_function("document.querySelector('#gp-lab-verdict').innerText.includes('median NRMSE')",
                               timeout=120_000)
        table = page.locator("#gp-lab-table").inner_text()
        assert table.count("cached (evaluate)") == 2
        page.locator("#gp-lab-hist").locator("img, svg, canvas").first.wait_for(timeout=30_000)
        assert page.js_errors == []
        browser.close()
