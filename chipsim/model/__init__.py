"""What is simulated: the chip's parameters, networks as chains of stages, and the cost model.

Holds the chip (``chip``, its field groups and checks), the op vocabulary the
chip understands (``ops``), stage tables (``stages``), the numpy networks whose
math runs (``network``), the zoo and stage files behind ``--network`` specs
(``networks``, ``zoo/``, ``stage_file``), and the prices of every op
(``costs``). It imports only the foundation (``chipsim.errors``, ``limits``,
``formatting``, ``files``, ``progress``): nothing above it.
"""
