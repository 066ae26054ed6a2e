"""Parity between torchvision, Gluon and the reference: measured, never typed in.

``run_parity`` is the entry point (``augspec parity``); the pieces are
:mod:`units` (what is measured), :mod:`cases` (with which params),
:mod:`replay_parity` (the numbers), :mod:`sampling_parity` (native draws),
:mod:`stats` (KS and binomial tests), :mod:`models` and :mod:`verdicts`
(explanations), :mod:`report` and :mod:`sheets` (output).
"""

from augspec.parity.run import load_backends, run_parity

__all__ = ["load_backends", "run_parity"]
