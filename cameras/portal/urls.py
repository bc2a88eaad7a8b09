from django.urls import path

from cameras.portal import views

urlpatterns = [
    path("portal/", views.portal, name="portal"),
    path("portal/sign-up/", views.sign_up, name="portal-sign-up"),
    path("portal/sign-up/sent/", views.sign_up_sent, name="portal-sign-up-sent"),
    path("portal/confirm/<str:token>/", views.confirm_sign_up, name="portal-confirm"),
    path("portal/cameras/new/", views.camera_new, name="portal-camera-new"),
    path("portal/cameras/<id:pk>/", views.camera_detail, name="portal-camera"),
    path("portal/cameras/<id:pk>/revoke/", views.camera_revoke, name="portal-camera-revoke"),
    path("portal/cameras/<id:pk>/masks/", views.camera_masks, name="portal-camera-masks"),
    path("portal/cameras/<id:pk>/snapshot.jpg", views.camera_snapshot, name="portal-camera-snapshot"),
    path("portal/cameras/<id:pk>/delete/", views.camera_delete, name="portal-camera-delete"),
    path("portal/requests/", views.requests_inbox, name="portal-requests"),
    path("portal/requests/<id:pk>/answer/", views.request_answer, name="portal-request-answer"),
    path("portal/receipts/", views.receipts, name="portal-receipts"),
    path("portal/data/", views.data_rights, name="portal-data"),
    path("portal/data/export.json", views.data_export, name="portal-data-export"),
]
