"""A report section: one object in an ordered list, one macro in a template.

The summary report and the case report are each an ordered list of
:class:`Section` objects (:data:`~skmammo.reporting.SUMMARY_SECTIONS`,
:data:`~skmammo.reporting.CASE_SECTIONS`).  A section computes the plain
values it shows (or ``None`` to be left out); its macro of the same name in
``reports/templates/_summary_sections.html`` (or ``_case_sections.html``)
renders them.  Adding a section to a report is one :class:`Section` in the
list plus one macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Section", "lay_out"]


@dataclass(frozen=True)
class Section:
    """One part of a report: what it shows and where it goes.

    Parameters
    ----------
    name : str
        The section's name: the ``id`` of its ``<section>`` element in the
        HTML and, unless ``template`` is given, the name of its macro.
    context : callable
        ``context(builder)`` for a summary section, ``context(builder, case)``
        for a case-report section; returns the mapping of plain values the
        macro receives, or ``None`` when the section is not shown (for
        example because its input was not given to the builder).
    template : str, optional
        Name of the macro that renders the section (default: ``name``).
    parent : str, optional
        Name of an earlier section this one is rendered inside (after the
        parent's own content, in the parent's ``<section>`` element); it is
        shown only when the parent is.
    css_class : str, default=""
        Class of the ``<section>`` element: ``"page"`` starts it on a new
        page in print, ``"keep"`` keeps it on one page.

    Examples
    --------
    >>> from skmammo.reporting import SUMMARY_SECTIONS, Section
    >>> notes = Section("notes", lambda builder: {"text": "seen by two readers"}, css_class="page")
    >>> notes.macro, [s.name for s in SUMMARY_SECTIONS][:3]
    ('notes', ['data', 'metrics', 'confusion'])
    """

    name: str
    context: Callable[..., Mapping[str, Any] | None]
    template: str | None = None
    parent: str | None = None
    css_class: str = ""

    @property
    def macro(self) -> str:
        """Name of the template macro that renders the section."""
        return self.template or self.name


def lay_out(sections: Sequence[Section], *args: Any) -> list[dict[str, Any]]:
    """The shown sections, grouped into the ``<section>`` elements of a report.

    Calls every section's ``context(*args)`` in order and returns one entry
    per top-level section shown: ``{"name", "css_class", "parts"}``, where
    ``parts`` lists ``{"macro", "context"}`` for the section and then for
    each shown child (``parent=`` that section).
    """
    groups: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for section in sections:
        if section.parent is not None and section.parent not in groups:
            continue  # the parent is not shown (or not listed before): nor is its part
        context = section.context(*args)
        if context is None:
            continue
        part = {"macro": section.macro, "context": dict(context)}
        if section.parent is None:
            groups[section.name] = {"name": section.name, "css_class": section.css_class,
                                    "parts": [part]}
            out.append(groups[section.name])
        else:
            groups[section.parent]["parts"].append(part)
            groups[section.name] = groups[section.parent]  # a part can have parts
    return out
