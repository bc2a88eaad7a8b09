from django.urls import path

from agencies.signin import views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/authenticator/", views.authenticator, name="authenticator"),
    path("accounts/activity/", views.activity, name="session-activity"),
]
