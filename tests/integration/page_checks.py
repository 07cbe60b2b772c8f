# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Checks of the admin pages as people use them: accessibility, keyboard, fields.

axe-core comes from the webpack project's ``node_modules`` (it is in the
bundle's npm dependencies), so the check needs nothing beyond the built
assets.
"""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from invenio_jobs.demo.assets import assets_folder

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
"""The rules of WCAG levels A and AA that axe-core checks."""

AXE_EXCLUDE = [["#invenio-menu"]]
"""Left out: the site header's menu of invenio-theme, the same on every page
of the site and not part of these pages."""


def axe_script():
    """The text of axe-core's browser build."""
    path = assets_folder() / "assets" / "node_modules" / "axe-core" / "axe.min.js"
    return path.read_text()


def axe_violations(browser, exclude=()):
    """Run axe-core on the page as it is now; its violations of levels A and AA.

    ``exclude``: more CSS selectors left out, beside :data:`AXE_EXCLUDE`.
    """
    driver = browser.driver
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(axe_script())
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.axe
          .run(
            { include: [document], exclude: arguments[1] },
            { runOnly: { type: "tag", values: arguments[0] } }
          )
          .then((result) => done(result.violations))
          .catch((error) => done([{ id: "axe-error", help: String(error), nodes: [] }]));
        """,
        AXE_TAGS,
        AXE_EXCLUDE + [[css] for css in exclude],
    )
    return [
        {
            "id": violation["id"],
            "impact": violation.get("impact"),
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
            "summary": [node.get("failureSummary", "") for node in violation["nodes"]][
                :2
            ],
        }
        for violation in result
    ]


def assert_accessible(browser, page, exclude=()):
    """No violation of WCAG A or AA on the page; the message lists them.

    ``exclude``: parts of the page that are not the page's own (see
    :func:`axe_violations`).

    Checked once no transition runs: a dialog fading in has, for a moment,
    the colours of neither the page nor itself.
    """
    browser.wait(
        lambda: not browser.find_all(".animating"),
        "transitions ended",
    )
    violations = axe_violations(browser, exclude)
    assert violations == [], f"{page}: " + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {v['targets']} {v['summary']}"
        for v in violations
    )


def focused(browser):
    """The element that has the keyboard focus."""
    return browser.driver.switch_to.active_element


def press(browser, *keys):
    """Press keys on whatever has the focus, as a keyboard would."""
    ActionChains(browser.driver).send_keys(*keys).perform()


def tab_to(browser, matches, limit=80, backwards=False):
    """Press Tab until the focused element ``matches``; return it.

    ``matches`` is a CSS selector the focused element must match.
    """
    for _ in range(limit):
        if browser.driver.execute_script(
            "return document.activeElement && document.activeElement.matches(arguments[0])",
            matches,
        ):
            return focused(browser)
        if backwards:
            press(browser, Keys.SHIFT, Keys.TAB)
        else:
            press(browser, Keys.TAB)
    raise AssertionError(f"{matches} not reached with {limit} Tabs")


def focus_is_inside(browser, css):
    """Whether the focused element is inside the first element matching ``css``."""
    return browser.driver.execute_script(
        "const box = document.querySelector(arguments[0]);"
        "return !!box && box.contains(document.activeElement);",
        css,
    )


def message_under(browser, field_css):
    """The error message shown under a form field (its pointing label)."""

    def read():
        return browser.driver.execute_script(
            """
            const input = document.querySelector(arguments[0]);
            if (!input) return null;
            const field = input.closest(".field");
            const prompt = field && field.querySelector(".ui.prompt.label, .ui.pointing.label");
            return prompt ? prompt.textContent : null;
            """,
            field_css,
        )

    return browser.wait(read, f"a message under {field_css}")


def wait_for_focus(browser, css, message="focus"):
    """Wait until the focused element matches ``css``."""
    browser.wait(
        lambda: browser.driver.execute_script(
            "return !!document.activeElement"
            " && document.activeElement.matches(arguments[0])",
            css,
        ),
        f"{message} ({css})",
    )
