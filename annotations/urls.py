"""The dashboard's note form of one client account, mounted at /c/<slug>/annotations/."""

from django.urls import path

from annotations import views

urlpatterns = [
    path("add/", views.annotation_add, name="annotation-add"),
    path("<int:pk>/delete/", views.annotation_remove, name="annotation-delete"),
]
