#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtcc.settings")
    from django.core.management import execute_from_command_line

    from rtcc.startup import load_settings_or_exit

    load_settings_or_exit()
    execute_from_command_line(sys.argv)
