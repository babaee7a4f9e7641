"""The worker's former path, which gunicorn command lines and configs name
(``-k glare_core.api.gunicorn_worker.GlareWorker``): it lives in ``glare_core.server``."""

from glare_core.server.worker import GlareWorker as GlareWorker
