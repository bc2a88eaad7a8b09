from django.urls import path

from agencies.api import AuditExportView, AuditListView

urlpatterns = [
    path("audit/", AuditListView.as_view(), name="audit-list"),
    path("audit/export/", AuditExportView.as_view(), name="audit-export"),
]
