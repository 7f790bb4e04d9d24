"""The organisation is data: agencies are found by walking up the tree, with or without a
district (Vietnam has had two tiers since 1 July 2025)."""

from django.test import Client

from estimates.models import Plan
from organization.models import AgencyType, Unit, UnitKind


def test_commune_finds_the_district_agencies_above_it(plan: Plan) -> None:
    commune = Unit.objects.get(code="nam-xe")
    assert commune.nearest_agency(AgencyType.WOMENS_UNION).code == "nam-xe.hlhpn"
    assert commune.nearest_agency(AgencyType.WOMENS_UNION, above=True).code == "phong-tho.hlhpn"
    assert commune.nearest_agency(AgencyType.FINANCE_PLANNING).code == "phong-tho.tckh"
    agency = Unit.objects.get(code="nam-xe.hlhpn")
    assert agency.territory() == commune


def test_two_tier_tree_needs_no_district(db: None) -> None:
    province = Unit.objects.create(code="tinh", name="Tỉnh", kind=UnitKind.PROVINCE)
    finance = Unit.objects.create(
        code="tinh.stc",
        name="Sở Tài chính",
        kind=UnitKind.AGENCY,
        agency_type=AgencyType.FINANCE_PLANNING,
        parent=province,
    )
    commune = Unit.objects.create(code="xa", name="Xã", kind=UnitKind.COMMUNE, parent=province)
    assert commune.nearest_agency(AgencyType.FINANCE_PLANNING) == finance
    assert commune.nearest_agency(AgencyType.WOMENS_UNION) is None


def test_tree_page_lists_every_commune(plan: Plan, client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("viewer", password="x")
    client.force_login(user)
    page = client.get("/organization/").content.decode()
    for commune in Unit.objects.communes():
        assert commune.name in page
