from django.urls import path

from . import views

urlpatterns = [
    path("", views.delegation_list, name="delegation_list"),
    path("<int:pk>/revoke/", views.delegation_revoke, name="delegation_revoke"),
]
