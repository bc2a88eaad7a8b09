import os

from celery import Celery
from click import Option

from rtcc.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtcc.settings")
load_settings_or_exit()

app = Celery("rtcc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# `celery -A rtcc worker --relay`: this worker also runs a relay node (cameras/relay/worker.py).
app.user_options["worker"].add(
    Option(
        ("--relay",),
        is_flag=True,
        default=False,
        help="Run a relay node in this worker's main process, named after the worker.",
    )
)

# Named, not imported: Celery loads it when a worker builds its steps, after Django is set up.
app.steps["worker"].add("cameras.relay.worker:RelayNodeStep")
