"""CRM API of one client account: /c/<slug>/api/v1/…"""

from django.urls import path

from leads import api

urlpatterns = [
    path("leads/", api.LeadListCreateApi.as_view(), name="lead-list"),
    path("leads/bulk-move/", api.LeadBulkMoveApi.as_view(), name="lead-bulk-move"),
    path("leads/<int:pk>/", api.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/move/", api.LeadMoveApi.as_view(), name="lead-move"),
    path("leads/<int:pk>/lost/", api.LeadLostApi.as_view(), name="lead-lost"),
    path("leads/<int:pk>/reopen/", api.LeadReopenApi.as_view(), name="lead-reopen"),
    path("leads/<int:pk>/history/", api.LeadHistoryApi.as_view(), name="lead-history"),
    path("leads/<int:pk>/notes/", api.LeadNotesApi.as_view(), name="lead-notes"),
    path("leads/<int:pk>/export/", api.LeadExportApi.as_view(), name="lead-export"),
    path("leads/<int:pk>/erase/", api.LeadEraseApi.as_view(), name="lead-erase"),
    path("scoring-rules/", api.ScoringRuleListCreateApi.as_view(), name="scoring-rule-list"),
    path("scoring-rules/<int:pk>/", api.ScoringRuleDetailApi.as_view(), name="scoring-rule-detail"),
    path("crm-settings/", api.LeadSettingsApi.as_view(), name="crm-settings"),
]
