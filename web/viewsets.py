"""viewflow's own pages (dashboard, inbox, queue, archive, task and process lists, charts),
each limited to the estimates the user may see.

viewflow does not filter its list views by object (upstream issue #505): out of the box a
commune officer would list every commune's processes. Every list here keeps only the
tasks and processes whose estimate is in ``approvals.access.estimate_list_for_user``;
process and task detail pages go through ``EstimateFlow.has_view_permission``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models import Window as Over
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from viewflow import viewprop
from viewflow.workflow import STATUS, chart
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow import views as vf_views
from viewflow.workflow.flow.views import filters as vf_filters
from viewflow.workflow.flow.views import mixins as vf_mixins
from viewflow.workflow.models import Task

from approvals.access import (
    estimate_list_for_user,
    flow_tasks_allowed,
    inbox_amended_ids,
    inbox_amendments,
    inbox_condition,
    inbox_stages,
)
from core.html import LinkPattern
from core.pagination import (
    BoundedPaginator,
    Window,
    count_up_to,
    count_up_to_split,
    keyed_on_union,
    limits_union_parts,
)
from estimates.models import Estimate
from organization.permissions import VIEW, unit_ids_with
from workflows.engine import STATUS_NODES
from workflows.flows import VISIBLE_TO, EstimateFlow
from workflows.models import EstimateProcess


def visible_estimate_ids(user: Any) -> QuerySet[Any]:
    """A subquery of the ids of the estimates ``user`` may see."""
    return estimate_list_for_user(user).values("pk")


def visible_tasks(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    return queryset.filter(process__artifact_object_id__in=visible_estimate_ids(user))


class ExistsPerRow(Exists):
    """``EXISTS`` asked of each row as it is read: ``OFFSET 0`` keeps PostgreSQL from
    turning it into a join (a subquery with an offset is not flattened), so a list read
    newest first from an index, or counted up to a limit, tests the rows it walks one by
    one and stops there, instead of joining every row of both tables."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def task_queue(user: Any) -> QuerySet[Any]:
    """viewflow's queue (unassigned human tasks the user may take), from the access gate:
    the open tasks of the estimates in the user's inbox. viewflow's own ``user_queue``
    reads every object-permission row of the user's groups one query at a time (two
    queries per commune granted) and filters with an IN list of their strings; the tasks'
    ``owner_permission`` is the same permission on the estimate's unit that the inbox
    reads, so the answer is the same.

    With no amendment waiting, the stages' nodes are named as well: an estimate waiting in
    a stage has that node's task open. A role acting at one stage (the approver) has the
    newest of them from an index (``flow_task_node_newest``) instead of every open task
    newest first (a district approver's queue walked 60,000); with several, the tasks
    walked newest first are tested on their own row before their estimate is read
    (Finance-Planning's queue, appraisal and settlement, 92 → 10 ms at 100,000)."""
    stages = inbox_stages(user)
    amended = inbox_amended_ids(user)
    inbox = Estimate.objects.filter(inbox_condition(stages, amended)).values("pk")
    tasks = _open_tasks().filter(process__artifact_object_id__in=inbox)
    nodes = {STATUS_NODES.get(status) for status in stages}
    if stages and not amended and None not in nodes:
        tasks = tasks.filter(flow_task__in=sorted(nodes, key=str))
    return tasks


def _open_tasks() -> QuerySet[Any]:
    return EstimateFlow.task_class._default_manager.filter(
        process__flow_class=EstimateFlow, flow_task_type="HUMAN", status=STATUS.NEW
    )


#: A node whose stages span more units than this has its open tasks read newest first
#: from the node's index, each tested on its estimate (``ExistsPerRow``); over fewer,
#: the stage's estimates are read first, from their units' index (a commune's forty
#: drafts among 20,000 open drafts).
FEW_UNITS = 50


#: The queue's order: the newest task first, the key breaking ties.
QUEUE_ORDER = ("-created", "-pk")


def queue_parts(user: Any) -> dict[str, QuerySet[Any]] | None:
    """``task_queue(user)`` in parts no two of which share a task, each in
    :data:`QUEUE_ORDER`: the open tasks of each node of the user's stages (an estimate
    waiting in a stage has that node's task open), and those of the estimates whose
    amendment waits for the user and that wait in none of the user's stages. None when
    a status has no node."""
    stages = inbox_stages(user)
    by_node: dict[Any, dict[str, frozenset[int]]] = defaultdict(dict)
    for status, unit_ids in stages.items():
        node = STATUS_NODES.get(status)
        if node is None:
            return None
        by_node[node][status] = unit_ids
    parts: dict[str, QuerySet[Any]] = {}
    for node, node_stages in by_node.items():
        condition = inbox_condition(node_stages, [])
        tasks = _open_tasks().filter(flow_task=node)
        if sum(len(unit_ids) for unit_ids in node_stages.values()) > FEW_UNITS:
            estimate = Estimate.objects.filter(
                condition, pk=OuterRef("process__artifact_object_id")
            )
            tasks = tasks.filter(ExistsPerRow(estimate))
        else:
            waiting = Estimate.objects.filter(condition).values("pk")
            tasks = tasks.filter(process__artifact_object_id__in=waiting)
        parts[get_task_ref(node)] = tasks.order_by(*QUEUE_ORDER)
    amendments = inbox_amendments(user)  # a subquery: the part is empty without one
    if amendments is not None:
        amended = amendments.values("estimate_id")
        rest = Estimate.objects.filter(pk__in=amended).exclude(inbox_condition(stages, []))
        parts["amended"] = (
            _open_tasks()
            .filter(process__artifact_object_id__in=rest.values("pk"))
            .order_by(*QUEUE_ORDER)
        )
    return parts


def queue_count_up_to(user: Any, limit: int) -> int:
    """``count_up_to(task_queue(user), limit)``, one part at a time in one statement
    (``queue_parts``, ``count_up_to_split``). Counted whole, PostgreSQL paired every open
    task with every waiting estimate before it could stop (Finance-Planning's count, on
    every page of viewflow's for its menu: 14 → 2 ms at 100,000 estimates)."""
    parts = queue_parts(user)
    if parts is None:
        return count_up_to(task_queue(user), limit)
    return count_up_to_split(parts, limit)


def queue_window(parts: dict[str, QuerySet[Any]] | None, queryset: QuerySet[Any]) -> Window | None:
    """The queue's page read from the first rows of each of its ``parts``
    (``queue_parts``), merged in one ``UNION ALL``, where the database can limit the parts
    of a union: read whole, a district Women's Union's queue walked every open task newest
    first, the 20,000 open drafts of the communes before its own (42 → 3 ms at 100,000
    estimates)."""
    if not parts or not limits_union_parts(queryset):
        return None

    def window(rows: int) -> QuerySet[Any]:
        return keyed_on_union(queryset, [part.values("pk")[:rows] for part in parts.values()])

    return window


def task_inbox(user: Any) -> QuerySet[Any]:
    """viewflow's inbox (tasks assigned to the user) of visible estimates."""
    return visible_tasks(
        EstimateFlow.task_class._default_manager.filter(
            process__flow_class=EstimateFlow, owner=user, status=STATUS.ASSIGNED
        ),
        user,
    )


class BoundedCount:
    """viewflow's menu shows ``{{ user_queue.count }}``: counted up to ``LIMIT`` (the
    database stops there), "99+" above, like the site's own inbox badge, when the menu
    asks; ``counter(limit)`` counts."""

    LIMIT = 99

    def __init__(self, counter: Callable[[int], int]) -> None:
        self.counter = counter

    def count(self) -> int:
        return self.counter(self.LIMIT)


def flow_task_choices() -> list[tuple[str, str]]:
    """The flow's human tasks, from the flow itself (viewflow's filters read them with a
    DISTINCT over every listed task)."""
    sorted_nodes, _ = chart.topsort(EstimateFlow)
    return [
        (get_task_ref(node), str(node.task_title or node.name))
        for node in sorted_nodes
        if node.task_type == "HUMAN"
    ]


class TaskListFilter(django_filters.FilterSet):
    """The inbox's and queue's filters: the task and when it was created. viewflow's
    own also offers a drop-down of every listed process (thousands of options at a
    district, read and written on every page)."""

    flow_task = django_filters.ChoiceFilter(choices=flow_task_choices)
    created = django_filters.DateRangeFilter()

    class Meta:
        model = Task
        fields = ("flow_task", "created")


class ArchiveListFilter(TaskListFilter):
    finished = django_filters.DateRangeFilter()

    class Meta:
        model = Task
        fields = ("flow_task", "created", "finished")


class DashboardTaskFilter(TaskListFilter):
    status = django_filters.MultipleChoiceFilter(choices=STATUS.choices)
    finished = vf_filters.NullDateRangeFilter()

    class Meta:
        model = Task
        fields = ("flow_task", "status", "created", "finished")


def task_brief(task: Any) -> str:
    """``Task.brief`` without compiling a template per row: a node of this flow has no
    summary, result or description template, and its brief is its title (as viewflow's
    falls back to); a node that has one keeps viewflow's own."""
    node = task.flow_task
    if node is None or any(
        getattr(node, name, "")
        for name in ("task_result_template", "task_summary_template", "task_description")
    ):
        return str(task.brief)
    return str(node.task_title) if node.task_title else str(task.brief)


def process_brief(process: Any) -> str:
    """``Process.brief`` without compiling a template per row: this flow has no result,
    summary or description template, so its brief is "<the flow's title> - <status>", as
    viewflow's default template writes it (escaped like it)."""
    flow_class = process.flow_class
    if flow_class is None or any(
        getattr(flow_class, name, "")
        for name in ("process_result_template", "process_summary_template", "process_description")
    ):
        return str(process.brief)
    return escape(f"{flow_class.process_title} - {process.get_status_display()}")


#: Where viewflow's lists keep the page to come back to (``StoreRequestPathMixin``).
PIN = "vf-pin-location"


class PinWhenMoved(vf_mixins.StoreRequestPathMixin):
    """viewflow's lists keep their address in the session on every request
    (``StoreRequestPathMixin``): a session written (three statements) each time a list is
    shown, even again. Written only when the address changed, by viewflow's own mixin
    (the views' other steps run as before)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.session.get(PIN) == request.get_full_path():  # kept: past the pinning
            after_pin = super(vf_mixins.StoreRequestPathMixin, self)
            return after_pin.dispatch(request, *args, **kwargs)  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)


class TaskBriefs:
    """viewflow's task lists with their "brief" columns worked out without a template
    per row (``task_brief``, ``process_brief``), the same words, the header translated;
    and each task's link reversed once per node (``_Links``), not once per row."""

    @cached_property
    def _links(self) -> _Links:
        return _Links(None)  # as viewflow's own column reverses it: no current app

    def task_id(self, task: Any) -> str:
        url = self._links.url(task.flow_task, "index", task.process_id, task.pk)
        return mark_safe(f'<a href="{escape(url)}">#{int(task.process_id)}/{int(task.pk)}</a>')  # noqa: S308 - escaped

    task_id.short_description = _("#")  # type: ignore[attr-defined]

    def brief(self, task: Any) -> str:
        return task_brief(task)

    brief.short_description = _("Brief")  # type: ignore[attr-defined]

    def process_summary(self, task: Any) -> str:
        process_url = self.request.resolver_match.flow_viewset.reverse(  # type: ignore[attr-defined]
            "process_detail", args=[task.process_id]
        )
        return mark_safe(f'<a href="{escape(process_url)}">{process_brief(task.process)}</a>')  # noqa: S308 - escaped


class EstimateInboxView(PinWhenMoved, TaskBriefs, vf_views.FlowInboxListView):
    filterset_class = TaskListFilter
    paginator_class = BoundedPaginator

    @viewprop
    def queryset(self) -> QuerySet[Any]:
        return visible_tasks(super().queryset, self.request.user)


class EstimateQueueView(PinWhenMoved, TaskBriefs, vf_views.FlowQueueListView):
    filterset_class = TaskListFilter
    paginator_class = BoundedPaginator

    @viewprop
    def queryset(self) -> QuerySet[Any]:
        return task_queue(self.request.user).select_related("process").order_by(*QUEUE_ORDER)

    def get_paginator(self, queryset: Any, per_page: int, *args: Any, **kwargs: Any) -> Any:
        """Unfiltered, the queue is counted and its page read part by part
        (``queue_parts``, built once for both; ``queue_window``)."""
        paginator = super().get_paginator(queryset, per_page, *args, **kwargs)
        if not self.request.GET.keys() - {"page"}:
            parts = queue_parts(self.request.user)
            if parts is not None:
                paginator.counter = lambda rows, limit: count_up_to_split(parts, limit)
            paginator.window = queue_window(parts, queryset)
        return paginator


class EstimateArchiveView(PinWhenMoved, TaskBriefs, vf_views.FlowArchiveListView):
    filterset_class = ArchiveListFilter
    paginator_class = BoundedPaginator

    @viewprop
    def queryset(self) -> QuerySet[Any]:
        return visible_tasks(super().queryset, self.request.user)


class EstimateTaskListView(PinWhenMoved, TaskBriefs, vf_views.DashboardTaskListView):
    filterset_class = DashboardTaskFilter
    paginator_class = BoundedPaginator

    def process_summary(self, task: Any) -> str:
        """viewflow's column (the process's brief, no link), without a template per row."""
        return process_brief(task.process)

    process_summary.short_description = _("Process summary")  # type: ignore[attr-defined]

    @viewprop
    def queryset(self) -> QuerySet[Any]:
        return visible_tasks(super().queryset, self.request.user).select_related("owner")


@dataclass(frozen=True)
class Card:
    """One task on the board, worked out before the template: what it shows and the one
    button it offers (viewflow's card asks three filters and reverses a link per card)."""

    process_id: int
    task_id: int
    title: str  # the node's
    created: str  # dd/mm/yyyy hh:mm, local time
    owner: str
    action: str  # "execute", "assign", "detail" or "" (no button)
    url: str


def card_action(user: Any, task: Any) -> str:
    """The button of a task's card, asked in the order viewflow's board asks it: open it
    (its owner), take it, or look at it; each through the node's own check (the gate)."""
    node = task.flow_task
    for action, check in (
        ("execute", "can_execute"),
        ("assign", "can_assign"),
        ("detail", "can_view"),
    ):
        allowed = getattr(node, check, None)
        if allowed is not None and allowed(user, task):
            return action
    return ""


class _Links:
    """Links per node (or flow) and action, each reversed once (``core.html.LinkPattern``)
    and filled in per card or row."""

    def __init__(self, current_app: str | None) -> None:
        self.current_app = current_app
        self.patterns: dict[tuple[Any, str], LinkPattern] = {}

    def url(self, target: Any, action: str, process_id: int, task_id: int | None = None) -> str:
        ids = (process_id,) if task_id is None else (process_id, task_id)
        key = (target, action)
        if key not in self.patterns:
            self.patterns[key] = LinkPattern(
                lambda args: target.reverse(action, args=args, current_app=self.current_app),
                len(ids),
            )
        return self.patterns[key].fill(*ids)


class EstimateDashboardView(PinWhenMoved, vf_views.DashboardView):
    """The kanban board, column by column, of visible processes only (a rewrite of
    ``DashboardView.get_context_data`` with the filter added), each card worked out here
    (its node's title, its button, its link) and drawn by the project's own template, so a
    card costs about as much as a row of a list."""

    template_name = "workflows/board.html"
    #: Cards per column, and one more read to know there are more: the newest ten of a
    #: stage fit a phone's screen; "Show all" opens the stage's tasks a page at a time
    #: (viewflow's board shows 25, a column taller than anyone reads on a phone).
    MAX_ROWS = 11
    #: Columns of the tasks a task row needs: the card, the gate, the buttons' checks.
    TASK_FIELDS = (
        "id",
        "flow_task",
        "flow_task_type",
        "status",
        "created",
        "finished",
        "owner_id",
        "process_id",
        "process__artifact_object_id",
        "process__artifact_content_type_id",
        "process__flow_class",
        "process__status",
        "process__finished",
        "owner__username",
        "owner__is_active",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        manager = self.flow_class.task_class._default_manager
        available = (
            visible_tasks(manager.filter_available([self.flow_class], user), user)
            .select_related("process", "owner")
            .only(*self.TASK_FIELDS)
        )
        sorted_nodes, _ = chart.topsort(self.flow_class)
        nodes = [n for n in sorted_nodes if n.task_type in ["HUMAN", "JOB", "SUBPROCESS"]]
        end_nodes = [n for n in sorted_nodes if n.task_type in ["END"]]
        open_tasks: dict[Any, list[Any]] = {node: [] for node in nodes}
        columns_open = available.filter(Q(finished__isnull=True) | Q(status=STATUS.ERROR))
        if len(unit_ids_with(user, VIEW)) <= FEW_UNITS:
            # A few units' estimates: the newest of every column in one query (a window
            # per node), one walk of them instead of one per column.
            newest = (
                columns_open.filter(flow_task__in=nodes)
                .annotate(
                    place=Over(
                        RowNumber(),
                        partition_by=F("flow_task"),
                        order_by=[F("created").desc(), F("pk").desc()],
                    )
                )
                .filter(place__lte=self.MAX_ROWS)
                .order_by("-created", "-pk")
            )
            for task in newest:
                open_tasks[task.flow_task].append(task)
        else:  # many: each column read newest first and stopped at its last card
            for node in nodes:
                open_tasks[node] = list(columns_open.filter(flow_task=node)[: self.MAX_ROWS])
        finished = list(
            available.filter(finished__isnull=False, flow_task__in=end_nodes)[: self.MAX_ROWS]
        )
        # The buttons of each card (execute, assign, view) ask the gate per task: it is
        # asked once for every open task of the board.
        board = [task for tasks in open_tasks.values() for task in tasks]
        flow_tasks_allowed(user, board)
        for task in [*board, *finished]:
            setattr(task.process, VISIBLE_TO, {user.pk})
        links = _Links(getattr(self.request.resolver_match, "namespace", None))

        titles: dict[Any, str] = {}  # a node's cards share its brief

        def card(task: Any, action: str, target: Any) -> Card:
            node = task.flow_task
            if node not in titles:
                titles[node] = task_brief(task)
            url = ""
            if action == "process_detail":
                url = links.url(target, action, task.process_id)
            elif action:
                url = links.url(target, action, task.process_id, task.pk)
            owner = str(task.owner) if task.owner_id else ""
            created = timezone.localtime(task.created).strftime("%d/%m/%Y %H:%M")
            return Card(task.process_id, task.pk, titles[node], created, owner, action, url)

        columns = []
        for node in nodes:
            tasks = open_tasks[node]
            cards = []
            for task in tasks[: self.MAX_ROWS - 1]:
                cards.append(card(task, card_action(user, task), node))
            columns.append(
                {
                    "node": node,
                    "title": str(node.task_title or node),
                    "node_ref": get_task_ref(node),
                    "cards": cards,
                    "more": len(tasks) == self.MAX_ROWS,
                }
            )
        flow = self.flow_class.instance
        done = [card(task, "process_detail", flow) for task in finished[: self.MAX_ROWS - 1]]
        start_nodes = [
            {"node": node, "can_execute": node.can_execute(user)}
            for node in self.flow_class.instance.get_start_nodes()
        ]
        context: dict[str, Any] = {
            "columns": columns,
            "start_nodes": start_nodes,
            "end_nodes": end_nodes,
            "finished": done,
            "finished_more": len(finished) == self.MAX_ROWS,
            **kwargs,
        }
        # Skip DashboardView's own (unfiltered) columns; keep the generic context.
        return super(vf_views.DashboardView, self).get_context_data(**context)


class EstimateProcessListView(PinWhenMoved, vf_views.DashboardProcessListView):
    """viewflow's process list, its "active tasks" column counted per shown row.

    viewflow annotates the count with a join of every task and a ``GROUP BY`` over every
    visible process, which its pager then counts again: 0.4 s for a district role at
    100,000 estimates. Here the column is a subquery, run for the rows of the page only,
    and the pager counts the processes alone (Django leaves an unused annotation out of
    a count), up to ``BoundedPaginator.LIMIT``."""

    paginator_class = BoundedPaginator

    def brief(self, process: Any) -> str:
        """viewflow's column, without a template per row (``process_brief``)."""
        return process_brief(process)

    brief.short_description = _("Brief")  # type: ignore[attr-defined]

    def get_queryset(self) -> QuerySet[Any]:
        active = (
            Task.objects.filter(process=OuterRef("pk"), finished__isnull=True)
            .order_by()
            .values("process")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # The list's own queryset and filters (``ListModelView``), without viewflow's
        # annotation, then the same column computed per row.
        queryset = super(vf_views.DashboardProcessListView, self).get_queryset()
        return queryset.filter(flow_class=self.flow_class).annotate(
            active_tasks_count=Coalesce(Subquery(active, output_field=IntegerField()), 0)
        )


class EstimateChartView(vf_views.FlowChartView):
    """The flow chart is public to role holders; a process's chart only to those who may
    see the process."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            process = EstimateProcess.objects.filter(
                pk=process_pk, flow_class=self.flow_class
            ).first()
            if process is None:
                raise Http404
            if not self.flow_class.instance.has_view_permission(request.user, process):
                raise PermissionDenied
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


class EstimateFlowApp(FlowAppViewset):
    inbox_view_class = EstimateInboxView
    queue_view_class = EstimateQueueView
    archive_view_class = EstimateArchiveView
    task_list_view_class = EstimateTaskListView
    dashboard_view_class = EstimateDashboardView
    process_list_view_class = EstimateProcessListView
    chart_view_class = EstimateChartView
    # viewflow's bulk assign and unassign (queue/assign/, inbox/unassign/) read the tasks
    # from this viewset's queryset, which lists processes, and fail; a task is taken one
    # at a time, through the gate. The routes are removed.
    tasks_assign_path = None
    tasks_unassign_path = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The process list (``DashboardProcessListView``)."""
        return EstimateProcess.objects.filter(
            flow_class=EstimateFlow,
            artifact_object_id__in=visible_estimate_ids(request.user),
        ).order_by("-created", "-pk")

    def get_context_data(self, request: HttpRequest) -> dict[str, Any]:
        """The inbox and queue counts of viewflow's menu, filtered like the lists (not
        viewflow's own, whose queue reads the object permissions row by row)."""
        return {
            "user_inbox": BoundedCount(lambda limit: count_up_to(task_inbox(request.user), limit)),
            "user_queue": BoundedCount(lambda limit: queue_count_up_to(request.user, limit)),
        }
