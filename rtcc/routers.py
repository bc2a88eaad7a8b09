from rest_framework.routers import SimpleRouter


class IdRouter(SimpleRouter):
    """DRF's router with `<id:pk>` detail routes: an id beyond the database's range is simply not found."""

    def __init__(self):
        super().__init__(use_regex_path=False)

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"<id:{lookup_prefix}{lookup}>"
