from django.urls import path

from agencies import views

urlpatterns = [
    path("transparency/", views.transparency, name="transparency"),
]
