from django.urls import path

from web.views import amendments as views_amendments
from web.views import attachments as views_attachments
from web.views import bulk as views_bulk
from web.views import documents as views_documents
from web.views import estimates as views
from web.views import exports as views_exports
from web.views import money as views_money
from web.views import reports as views_reports

app_name = "estimates"

#: The pages under one estimate that only read it. Every other route under ``<pk>/`` is an
#: action of the lifecycle table (``approvals.lifecycle``; tests/approvals/test_lifecycle.py
#: holds that).
READ_PAGES = frozenset(
    {
        "detail",
        "versions",
        "decision",
        "estimate_form",
        "settlement_form",
        "amendment",
        "amendment_decision",
    }
)
#: The estimate's attachments: adding, downloading and removing evidence change no status,
#: so they are not actions of the lifecycle table (``attachments.services`` holds their
#: rules).
ATTACHMENT_PAGES = frozenset({"attachments", "attachment_download", "attachment_delete"})

urlpatterns = [
    path("", views.estimate_list, name="list"),
    path("export.xlsx", views_exports.estimate_list_export, name="list_export"),
    path("start/", views.estimate_start, name="start"),
    path("inbox/", views.estimate_inbox, name="inbox"),
    path("approve-many/", views_bulk.estimate_approve_many, name="approve_many"),
    path("inbox/export.xlsx", views_exports.estimate_inbox_export, name="inbox_export"),
    path("new/", views.estimate_create, name="create"),
    path("envelope/", views_money.envelope_split, name="envelope"),
    path("envelope/export.xlsx", views_exports.envelope_export, name="envelope_export"),
    path("advances/overdue/", views_money.advances_overdue_list, name="advances_overdue"),
    path(
        "advances/overdue.xlsx", views_reports.advances_overdue_xlsx, name="advances_overdue_xlsx"
    ),
    path("<int:pk>/", views.estimate_detail, name="detail"),
    path("<int:pk>/edit/", views.estimate_edit, name="edit"),
    path("<int:pk>/versions/", views.estimate_versions, name="versions"),
    path("<int:pk>/decision.pdf", views_documents.estimate_decision, name="decision"),
    path("<int:pk>/estimate.xlsx", views_documents.estimate_form, name="estimate_form"),
    path("<int:pk>/settlement.xlsx", views_documents.settlement_form, name="settlement_form"),
    path("<int:pk>/attachments/", views_attachments.attachments_page, name="attachments"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views_attachments.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete/",
        views_attachments.attachment_delete,
        name="attachment_delete",
    ),
    path(
        "<int:pk>/amendments/<int:number>/",
        views_amendments.amendment_detail,
        name="amendment",
    ),
    path(
        "<int:pk>/amendments/<int:number>/decision.pdf",
        views_amendments.amendment_decision,
        name="amendment_decision",
    ),
    path("<int:pk>/amend/", views_amendments.amendment_propose, name="amend"),
    path(
        "<int:pk>/amendment/forward/",
        views_amendments.amendment_forward,
        name="amendment_forward",
    ),
    path(
        "<int:pk>/amendment/appraise/",
        views_amendments.amendment_appraise,
        name="amendment_appraise",
    ),
    path(
        "<int:pk>/amendment/approve/",
        views_amendments.amendment_approve,
        name="amendment_approve",
    ),
    path(
        "<int:pk>/amendment/return/",
        views_amendments.amendment_return,
        name="amendment_return",
    ),
    path(
        "<int:pk>/amendment/withdraw/",
        views_amendments.amendment_withdraw,
        name="amendment_withdraw",
    ),
    path("<int:pk>/submit/", views.estimate_submit, name="submit"),
    path("<int:pk>/forward/", views.estimate_forward, name="forward"),
    path("<int:pk>/return/", views.estimate_return, name="return"),
    path("<int:pk>/appraise/", views.estimate_appraise, name="appraise"),
    path("<int:pk>/approve/", views.estimate_approve, name="approve"),
    path("<int:pk>/withdraw/", views.estimate_withdraw, name="withdraw"),
    path("<int:pk>/disburse/", views_money.estimate_disburse, name="disburse"),
    path(
        "<int:pk>/advances/<int:advance_pk>/clear/",
        views_money.estimate_clear_advance,
        name="clear_advance",
    ),
    path("<int:pk>/settle/", views_money.estimate_settle, name="settle"),
    path(
        "<int:pk>/verify-settlement/",
        views_money.estimate_verify_settlement,
        name="verify_settlement",
    ),
    path(
        "<int:pk>/return-settlement/",
        views_money.estimate_return_settlement,
        name="return_settlement",
    ),
]
