import os

from celery import Celery

from rtcc.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtcc.settings")
load_settings_or_exit()

app = Celery("rtcc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
