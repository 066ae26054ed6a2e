"""Parity between torchvision, Gluon and the reference: measured, never typed in.

``run_parity`` is the entry point (``augspec parity``); the pieces are
:mod:`units` (what is measured), :mod:`cases` (with which params),
:mod:`replay_parity` (the numbers), :mod:`sampling_parity` (native draws),
:mod:`stats` (KS and binomial tests), :mod:`models` and :mod:`verdicts`
(explanations), :mod:`severity` (classes instead of a yes/no), :mod:`chapter` (the chapter's
pipelines whole), :mod:`conventions` (the same written code through both frameworks),
:mod:`first_page`, :mod:`report` and :mod:`sheets` (output), :mod:`result` (the returned
report, which renders itself in a notebook).
"""

from augspec.parity.result import ParityReport
from augspec.parity.run import load_backends, run_parity

__all__ = ["ParityReport", "load_backends", "run_parity"]
