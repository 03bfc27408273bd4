"""What the training doctor finds and how it reports it: one :class:`Diagnosis` per finding
(its words, its numbers, one fix) and the :class:`DoctorReport` that renders them, with the
limits the checks compare against."""

from __future__ import annotations

from dataclasses import dataclass, field

from glassnet.explain.render import Document, Rendered

__all__ = ["Diagnosis", "DoctorReport", "LIMITS", "SLOPE_FLOOR"]

SLOPE_FLOOR = 0.01  # a unit of a saturating activation with a smaller slope is saturated
LIMITS = {
    "dead": 0.5,
    "saturated": 0.5,
    "range_ratio": 10.0,
    "wide_range": 10.0,
    "magnitude": 100.0,
}


@dataclass
class Diagnosis:
    """One finding: ``kind`` (e.g. "lr_too_high"), the ``finding`` in words with its numbers,
    the measured ``numbers`` and one suggested ``fix``."""

    kind: str
    finding: str
    fix: str
    numbers: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.kind}: {self.finding}\n  fix: {self.fix}"


class DoctorReport(Rendered):
    """The diagnoses of one run (empty when nothing looks wrong); iterate it or read ``kinds``."""

    def __init__(self, diagnoses: list[Diagnosis], checked: list[str]) -> None:
        self.diagnoses, self.checked = diagnoses, checked

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.diagnoses]

    def __iter__(self):
        return iter(self.diagnoses)

    def __len__(self) -> int:
        return len(self.diagnoses)

    def __getitem__(self, kind: str) -> Diagnosis:
        return next(d for d in self.diagnoses if d.kind == kind)

    @property
    def document(self) -> Document:
        n = len(self.diagnoses)
        doc = Document(f"Training doctor: {n or 'no'} finding{'' if n == 1 else 's'}")
        if not self.diagnoses:
            doc.line("Nothing looks wrong in what was checked.")
        for d in self.diagnoses:
            doc.heading(d.kind.replace("_", " "))
            doc.line(d.finding)
            doc.line(f"fix: {d.fix}")
        checked = ", ".join(self.checked) or "nothing (give history, model, x, y)"
        doc.line(f"\nchecked: {checked}")
        return doc

    def __repr__(self) -> str:
        return f"DoctorReport({self.kinds})"
