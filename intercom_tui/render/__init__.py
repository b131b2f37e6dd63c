"""Untrusted Intercom content → safe, structured text for the screen (no Textual here).

``safe`` is the gate every API string passes on its way into a widget; ``html`` turns
conversation bodies into a small document model (and plain text, Markdown, previews);
``compose`` turns what the user types into the HTML Intercom expects. Import the
submodules directly: the package root imports nothing, so the start-up path (which only
needs ``safe``) never pays for ``html.parser``.
"""
