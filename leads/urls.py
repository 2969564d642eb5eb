"""Sales screens (server-rendered) of one client account: /c/<slug>/leads/…"""

from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("", views.board, name="board"),
    path("list/", views.lead_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/lost/", views.mark_lost, name="lost"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/notes/", views.add_note, name="note"),
]
