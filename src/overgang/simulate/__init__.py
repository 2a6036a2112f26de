"""A region in a box (profile §10): a region's psychiatric wards and municipalities, played
through the real HTTP API.

`figures` (the published numbers it is shaped on), `region` (wards and municipalities),
`stays` (the pure stay generator: a seeded `random.Random` and a window of simulated time),
`content` (what a discharge plan or handover says, and its gaps), `messages` (FHIR message
Bundles and JSON events, with ids derived from the seed), `driver` (sends them with httpx,
plays the municipalities), `partners` (registers what a run against its own database needs).
"""
