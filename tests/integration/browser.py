# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Headless Chromium for the admin UI tests, and a live server for the app.

Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them),
driven by selenium through an explicit chromedriver service. The flags keep
Chromium off the network, which is closed here.
"""

import os
import shutil
import threading
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from werkzeug.serving import make_server

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("JOBS_SCREENSHOTS") or REPOSITORY / ".test-artifacts" / "screenshots"
)


def chromedriver_path():
    """Debian's chromedriver, or one on PATH."""
    for candidate in ("/usr/bin/chromedriver", shutil.which("chromedriver")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class LiveServer:
    """The app served by Werkzeug's threaded server on a free loopback port."""

    def __init__(self, app):
        """Bind at once, so that the URL is known before the thread starts."""
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        """Serve in a thread."""
        self.thread.start()
        return self

    def stop(self):
        """Stop serving."""
        self.server.shutdown()
        self.thread.join(10)


class Browser:
    """A Chromium window with the few gestures the tests need."""

    def __init__(self, base_url, tmp_path):
        """Start Chromium with an empty profile of its own."""
        options = webdriver.ChromeOptions()
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(
            service=Service(chromedriver_path()), options=options
        )
        self.base_url = base_url

    def quit(self):
        """Close Chromium."""
        self.driver.quit()

    def open(self, path):
        """Load a page of the live server."""
        self.driver.get(self.base_url + path)

    def login(self, email, password):
        """Log in through the login form, as a person would."""
        self.open("/login/")
        self.find("input[name=email]").send_keys(email)
        self.find("input[name=password]").send_keys(password)
        self.find("input[name=password]").send_keys(Keys.ENTER)
        self.wait(lambda: "/login" not in self.driver.current_url, "logged in")
        # The test app has no front page to land on; forget that 404.
        self.driver.get_log("browser")

    def find(self, css, timeout=15):
        """The first element matching ``css``, waiting for it to appear."""
        return self.wait(lambda: self._first(css), f"element {css}", timeout)

    def find_all(self, css):
        """Every element matching ``css`` now."""
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _first(self, css):
        try:
            element = self.driver.find_element(By.CSS_SELECTOR, css)
            return element if element.is_displayed() else None
        except NoSuchElementException:
            return None

    def text(self, css):
        """The visible text of the first element matching ``css``."""
        return self.find(css).text

    def click(self, css):
        """Click the first element matching ``css``, once it is there."""
        element = self.find(css)
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'})", element
        )
        element.click()

    def type(self, css, text, clear=True):
        """Type into an input; ``clear`` empties it first."""
        element = self.find(css)
        if clear:
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
        element.send_keys(text)

    def choose(self, dropdown_css, option_text):
        """Pick an option of a Semantic UI dropdown by its visible text."""
        self.click(dropdown_css)
        xpath = (
            ".//div[contains(@class, 'menu')]//div[contains(@class, 'item')]"
            f"[.//span[normalize-space()='{option_text}'] or normalize-space()='{option_text}']"
        )

        def option():
            dropdown = self.find(dropdown_css)
            for item in dropdown.find_elements(By.XPATH, xpath):
                if item.is_displayed():
                    return item
            return None

        self.wait(option, f"option {option_text!r} of {dropdown_css}").click()

    def wait(self, predicate, message="condition", timeout=15, interval=0.1):
        """Poll ``predicate`` until it returns a true value; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = predicate()
            except StaleElementReferenceException:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{message} not met after {timeout}s on {self.driver.current_url}"
                )
            time.sleep(interval)

    def screenshot(self, name):
        """Save the whole page as ``<SCREENSHOTS>/<name>.png``."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        size = self.driver.get_window_size()
        height = self.driver.execute_script(
            "return document.documentElement.scrollHeight"
        )
        self.driver.set_window_size(size["width"], min(max(height, 600) + 140, 4000))
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.set_window_size(size["width"], size["height"])
        return path

    def errors(self):
        """Errors in the browser console, but for missing favicons."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
        ]
