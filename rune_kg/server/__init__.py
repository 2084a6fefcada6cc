"""The HTTP server: a Flask app factory and one blueprint per feature. Views only translate HTTP
to the pipeline's entry points and its errors to status codes."""

from __future__ import annotations

import atexit
import os
import tomllib
from collections.abc import Mapping

from flask import Flask

from .config import DEFAULTS
from .runtime import Runtime


def create_app(settings: Mapping | None = None) -> Flask:
    """The app, configured from DEFAULTS, the TOML file named by $RUNE_SERVER_CONFIG (or
    settings["CONFIG_FILE"]), RUNE_* environment variables, and `settings`, later ones winning."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    config_file = (settings or {}).get("CONFIG_FILE") or os.environ.get("RUNE_SERVER_CONFIG")
    if config_file:
        app.config.from_file(config_file, load=tomllib.load, text=False)
    app.config.from_prefixed_env("RUNE")
    app.config.from_mapping(settings or {})
    app.json.sort_keys = False
    app.extensions["rune"] = runtime = Runtime.from_config(app.config)
    atexit.register(runtime.close)

    from . import api, errors, linked, page, pictures, sparql
    from .http import cors

    for blueprint in (sparql.bp, api.bp, linked.bp, pictures.bp, page.bp):
        app.register_blueprint(blueprint)
    app.after_request(cors)
    errors.register(app)
    return app
