"""A region in a box (profile §10): a region's psychiatric wards and municipalities, played
through the real HTTP API.

`figures` (the published numbers it is shaped on), `region` (wards and municipalities),
`stays` (the pure stay generator: a seeded `random.Random` and a window of simulated time;
one stay is played by `story`, its steps in `steps`, its times in `timing`), `content` (what a
discharge plan or handover says, and its gaps), `messages` (FHIR message
Bundles and JSON events, with ids derived from the seed), `driver` (sends them with httpx),
`municipal` (the municipalities, with `overgang.listen`), `partners` (registers what a run
against its own database needs), `run` (all of it, and an in-process server), `summary`,
`demo` (the demo's history).
"""
