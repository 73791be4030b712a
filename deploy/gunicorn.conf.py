"""gunicorn for the web process: ``gunicorn -c deploy/gunicorn.conf.py`` (deploy/README.md).

gthread workers keep browsers' connections alive between pages; the hall's display streams are
not served here but by ``courier push`` (HAProxy routes them there). The counters of
``GET /api/metrics`` are shared by the workers through prometheus_client's multiprocess folder,
emptied here before any worker starts.
"""

import os
import shutil

wsgi_app = "web.app:create_app()"
bind = os.environ.get("COURIER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("COURIER_WEB_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("COURIER_WEB_THREADS", "32"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# HAProxy on the same host sets X-Forwarded-*; the app trusts one hop (COURIER_PROXY_HOPS=1).
forwarded_allow_ips = "127.0.0.1"
# The app logs each request itself (web/request_log.py), without query strings.
accesslog = None

metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/run/courier/metrics")


def on_starting(_server):
    """A fresh count at each start: the folder holds the previous run's worker files."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, mode=0o700)


def child_exit(_server, worker):
    """A worker that left keeps its counts in the total; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
