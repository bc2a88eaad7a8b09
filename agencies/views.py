from django.shortcuts import render

from agencies.models import Agency
from agencies.transparency import figures_for


def transparency(request):
    """Public figures for every agency: cameras by consent, views and exports in 30 days."""
    agencies = [figures_for(agency) for agency in Agency.objects.order_by("name")]
    return render(request, "agencies/transparency.html", {"agencies": agencies})
