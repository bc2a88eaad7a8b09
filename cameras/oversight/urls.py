from django.urls import path

from cameras.oversight import views

urlpatterns = [
    path("oversight/", views.console, name="oversight"),
    path("oversight/audit.csv", views.audit_csv, name="oversight-audit-csv"),
    path("oversight/lines/<int:sequence>/", views.annotate, name="oversight-annotate"),
]
