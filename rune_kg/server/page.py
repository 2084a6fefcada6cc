"""/: the search page. Its HTML, CSS and JavaScript are written here (templates/, static/): no
build step, no package from outside."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("page", __name__)


@bp.route("/")
def index():
    return render_template("index.html")
