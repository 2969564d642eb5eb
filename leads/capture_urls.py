"""The public form-capture endpoint of one client account: /c/<slug>/capture/<form-key>/"""

from django.urls import path

from leads import capture

app_name = "capture"
urlpatterns = [
    path("<slug:form_key>/", capture.capture, name="submit"),
    path("<slug:form_key>/thanks/", capture.capture_thanks, name="thanks"),
]
