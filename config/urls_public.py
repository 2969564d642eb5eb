"""URLs outside any client: login, the client switcher, the platform admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/language/", views.language_switch, name="language_switch"),
    path("admin/", admin.site.urls),
]
