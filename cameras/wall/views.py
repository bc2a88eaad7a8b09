from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from agencies.access import cameras_visible_to, membership_of


@login_required
def wall(request):
    """The dispatchers' video wall."""
    if membership_of(request.user) is None and not request.user.is_superuser:
        raise PermissionDenied("The wall is for members of an agency.")
    cameras = cameras_visible_to(request.user).order_by("name")
    return render(request, "cameras/wall.html", {"cameras": cameras})
