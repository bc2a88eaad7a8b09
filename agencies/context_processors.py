from django.conf import settings

from agencies.access import membership_of


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "membership": membership_of(getattr(request, "user", None)),
    }
