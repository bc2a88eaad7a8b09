from django.urls import path

from cameras.transparency import views


def with_formats(route: str, view, name: str, formats: tuple[str, ...]) -> list:
    """The page at `route`, and the same figures at `route.json` (named `name-json`) and so on."""
    return [path(route, view, name=name)] + [
        path(f"{route}.{fmt}", view, {"fmt": fmt}, name=f"{name}-{fmt}") for fmt in formats
    ]


urlpatterns = [
    path("transparency/", views.transparency, name="transparency"),
    path(
        "transparency/<slug:slug>/deletion-orders/<int:sequence>.json",
        views.deletion_certificate,
        name="transparency-deletion-certificate",
    ),
    *with_formats("transparency/<slug:slug>/heads", views.chain_heads, "transparency-heads", ("json",)),
    *with_formats(
        "transparency/<slug:slug>/report/<int:year>", views.report, "transparency-report", ("json", "csv")
    ),
]
