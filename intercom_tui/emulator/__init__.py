"""A stateful, local Intercom 2.11 API: the demo's backend and every HTTP test's server.

``workspace`` holds the data (``generator`` draws a seeded demo from the words in
``content``, or a JSON fixture is loaded), ``server`` serves it over HTTP, ``faults`` makes
it fail on purpose, ``search`` evaluates search queries. Nothing here imports the app's
other layers.
"""
