"""The use cases that span packages, and :func:`services.bootstrap.bootstrap`.

Entry points (the web app, the bridge, the scheduler, the dispatcher, the CLI) call
``bootstrap()`` once and reach the domain through the functions here; the domain packages below
never import this package. Functions take a session and flush; the entry point commits.
"""
