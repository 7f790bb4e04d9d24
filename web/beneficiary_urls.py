"""/beneficiaries/: an estimate's beneficiary list (a register activity), its payment list,
and its participants per priority group. These change no status: they are edits of the
drafting unit (``beneficiaries.services``), not actions of the lifecycle table."""

from django.urls import path

from web.views import beneficiaries as views

app_name = "beneficiaries"

urlpatterns = [
    path("estimates/<int:pk>/", views.estimate_beneficiaries, name="estimate"),
    path("estimates/<int:pk>/groups/", views.estimate_groups, name="groups"),
    path(
        "estimates/<int:pk>/<int:beneficiary_pk>/edit/",
        views.beneficiary_edit,
        name="edit",
    ),
    path(
        "estimates/<int:pk>/<int:beneficiary_pk>/remove/",
        views.beneficiary_remove,
        name="remove",
    ),
    path(
        "estimates/<int:pk>/payment-list.xlsx",
        views.payment_list_excel,
        name="payment_list_xlsx",
    ),
    path(
        "estimates/<int:pk>/payment-list.pdf",
        views.payment_list_document,
        name="payment_list_pdf",
    ),
]
