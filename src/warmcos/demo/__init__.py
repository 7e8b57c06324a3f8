"""``warmcos demo``: train a small character-level language model under several schedules.

The text is the Python standard library's own source (nothing is downloaded), the model a
~100k-parameter transformer trained on the CPU. An LR range test picks the peak learning rate,
then every schedule trains for the same number of steps at that peak, and the final validation
losses are compared in a table and a plot.

One job per module: :mod:`~warmcos.demo.data` (the text, its split and batches),
:mod:`~warmcos.demo.model` (the network), :mod:`~warmcos.demo.train` (one training run),
:mod:`~warmcos.demo.schedules` (the compared schedules), :mod:`~warmcos.demo.report` (table and
plots) and :mod:`~warmcos.demo.command` (the ``warmcos demo`` command). Importing this package
imports no framework; the modules that train import torch. Needs ``pip install 'warmcos[demo]'``.
"""
