# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""Every setting has a default, a docstring, and a line in the README."""

import ast
from pathlib import Path

import invenio_jobs.config as config

ROOT = Path(__file__).resolve().parent.parent


def _documented_settings():
    tree = ast.parse(Path(config.__file__).read_text())
    body = tree.body
    for index, node in enumerate(body):
        if isinstance(node, ast.Assign) and node.targets[0].id.startswith("JOBS_"):
            following = body[index + 1] if index + 1 < len(body) else None
            has_doc = (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            )
            yield node.targets[0].id, has_doc


def test_every_setting_has_a_docstring():
    """Each JOBS_* assignment is followed by its docstring."""
    settings = dict(_documented_settings())
    assert len(settings) > 20
    assert [name for name, doc in settings.items() if not doc] == []


def test_every_setting_is_in_the_readme():
    """The README's configuration reference lists every setting."""
    readme = (ROOT / "README.rst").read_text()
    missing = [name for name, _ in _documented_settings() if name not in readme]
    assert missing == []


def test_app_gets_every_default(app):
    """The extension sets each default the instance did not set."""
    for name, _ in _documented_settings():
        assert name in app.config
