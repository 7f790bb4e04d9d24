from django import template

from core.money import format_vnd

register = template.Library()


@register.filter(name="vnd")
def vnd(value: int | None) -> str:
    """{{ amount|vnd }} -> 7.588.630.000 ₫"""
    return format_vnd(value)
