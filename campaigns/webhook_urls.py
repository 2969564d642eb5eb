"""Email providers' tracking webhooks of one client account: /c/<slug>/webhooks/email/<provider>/tracking/"""

from django.urls import path

from campaigns import webhooks

app_name = "email_webhooks"
urlpatterns = [
    path("<slug:provider>/tracking/", webhooks.tracking_webhook, name="tracking"),
]
