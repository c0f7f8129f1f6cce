"""What people read: tables, figures, trace files, JSON and reports.

``tables`` (pandas views), ``plots``, ``byte_plots`` and ``pareto_plot``
(matplotlib figures), ``exports`` (trace files), ``jsonout`` (strict JSON) and
``report`` (a markdown folder). May import everything below it; only the
faces (``chipsim.cli``, the pytest plugin) import it.
"""
