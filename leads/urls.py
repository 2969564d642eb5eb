"""Sales screens (server-rendered) of one client account: /c/<slug>/leads/… (not for viewers)."""

from django.urls import path

from leads import views
from tenants.middleware import client_team_only

app_name = "leads"
urlpatterns = [
    path("", client_team_only(views.board), name="board"),
    path("list/", client_team_only(views.lead_list), name="list"),
    path("<int:pk>/", client_team_only(views.detail), name="detail"),
    path("<int:pk>/move/", client_team_only(views.move), name="move"),
    path("<int:pk>/edit/", client_team_only(views.edit), name="edit"),
    path("<int:pk>/lost/", client_team_only(views.mark_lost), name="lost"),
    path("<int:pk>/reopen/", client_team_only(views.reopen), name="reopen"),
    path("<int:pk>/assign/", client_team_only(views.assign), name="assign"),
    path("<int:pk>/notes/", client_team_only(views.add_note), name="note"),
]
