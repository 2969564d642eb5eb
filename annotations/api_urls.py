"""Annotation API of one client account: /c/<slug>/api/v1/annotations/…"""

from django.urls import path

from annotations import api

urlpatterns = [
    path("annotations/", api.AnnotationListCreateApi.as_view(), name="annotation-list"),
    path("annotations/<int:pk>/", api.AnnotationDetailApi.as_view(), name="annotation-detail"),
]
