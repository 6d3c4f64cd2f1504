from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from sharing.autolink import link_standard_numbers

register = template.Library()


@register.filter(is_safe=True)
def standard_links(html):
    """Link group-standard numbers in already-rendered rich text: ``{{ value|richtext|standard_links }}``."""
    return mark_safe(link_standard_numbers(str(html)))


@register.simple_tag
def matrix_cells(row):
    """The <td>s of one matrix row. Built in Python: at 1,000 standards the matrix has thousands of cells, and a
    template loop per cell is most of the page's time."""
    parts = []
    for cell in row.cells:
        title = f' title="{escape(cell.decision.conditions)}"' if cell.decision and cell.decision.conditions else ""
        parts.append(f'<td class="std-cell-{cell.state.key}" data-province="{cell.province.code}" '
                     f'data-state="{cell.state.key}"{title}>{escape(cell.state.label)}</td>')
    return mark_safe("".join(parts))
