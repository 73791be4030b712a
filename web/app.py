"""The Flask application factory. It touches neither the network nor the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from core.config import Settings, load_settings
from services.bootstrap import Services, SessionFactory, bootstrap
from web.auth import init_auth
from web.db import CourierFlask, init_db
from web.errors import init_errors
from web.formatting import init_formatting
from web.i18n import init_i18n
from web.request_log import init_request_log
from web.security import init_security
from web.throttling import init_throttle

csrf = CSRFProtect()


def create_app(
    settings: Settings | None = None,
    sessions: SessionFactory | None = None,
    services: Services | None = None,
    **config: Any,
) -> Flask:
    """Build the web application.

    ``services`` is what an entry point bootstrapped (``courier run`` shares its own with the
    bridge); without it the app bootstraps itself from ``settings``, and ``sessions`` replaces
    the session factory (tests pass one bound to their own connection). ``config`` overrides
    Flask settings.
    """
    if services is None:
        services = bootstrap(settings or load_settings(), sessions)
    settings = services.settings
    app = CourierFlask(__name__)
    app.config.update(
        COURIER_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config)
    app.extensions["courier_services"] = services
    app.extensions["courier_sessions"] = services.sessions

    init_i18n(app)
    init_request_log(app)
    init_security(app, settings)
    init_throttle(app, settings)
    init_db(app)
    init_auth(app)
    init_errors(app)
    init_formatting(app)
    csrf.init_app(app)

    from web.api import api
    from web.views.account import account
    from web.views.admin_audit import admin_audit
    from web.views.admin_catalog import admin_catalog
    from web.views.admin_holidays import admin_holidays
    from web.views.admin_users import admin_users
    from web.views.agents import desk
    from web.views.auth import auth
    from web.views.catalog import catalog
    from web.views.consignments import consignments
    from web.views.courier import courier
    from web.views.courier_app import courier_app
    from web.views.dashboard import dashboard
    from web.views.feedback import feedback
    from web.views.home import home
    from web.views.lockers import lockers
    from web.views.network import network
    from web.views.notifications import notifications
    from web.views.pickups import pickups
    from web.views.tickets import hall
    from web.views.tickets_admin import hall_admin
    from web.views.tracking import tracking

    csrf.exempt(api)
    blueprints = (
        home,
        auth,
        account,
        catalog,
        admin_catalog,
        admin_audit,
        admin_holidays,
        dashboard,
        admin_users,
        consignments,
        desk,
        courier,
        courier_app,
        tracking,
        lockers,
        hall,
        hall_admin,
        notifications,
        network,
        pickups,
        feedback,
        api,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
