from django.shortcuts import render

from agencies.access import cameras_visible_to


def portal(request):
    """The public resident portal: register cameras and decide what to share."""
    cameras = cameras_visible_to(request.user).filter(owner=request.user) if request.user.is_authenticated else []
    return render(request, "cameras/portal.html", {"cameras": cameras})
