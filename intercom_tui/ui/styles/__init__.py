"""The stylesheets: the app's own (chrome and the inbox), and one per later screen family.

Only ``APP_CSS`` is parsed before the first frame. A screen that opens later names its
sheet in ``CSS_PATH``, as Textual intends, and ``InboxApp`` reads those sheets into the
app's stylesheet once the first frame is out, so the first push of the screen need not
re-parse everything.

The paths are absolute and normalised: Textual keys a sheet it has read by its absolute
path and looks a screen's ``CSS_PATH`` up by the path as given, so a ``..`` in it would
make every push of the screen read and re-parse all the CSS again.
"""

from __future__ import annotations

import os

_HERE = os.path.dirname(os.path.abspath(__file__))

#: Shared chrome.
CHROME_CSS = os.path.join(_HERE, "app.tcss")
#: The inbox list.
INBOX_CSS = os.path.join(_HERE, "inbox.tcss")
#: The conversation screen.
CONVERSATION_CSS = os.path.join(_HERE, "conversation.tcss")
#: Dialogs (pickers, tag editor, help, confirmations) and the compose screen.
DIALOGS_CSS = os.path.join(_HERE, "dialogs.tcss")
#: The first frame's sheets: the chrome and the inbox, or (``--open``) the conversation.
APP_CSS = [CHROME_CSS, INBOX_CSS]
OPEN_CSS = [CHROME_CSS, CONVERSATION_CSS]
#: Every sheet; those the first frame did without are read once it is out.
LATER_CSS = (INBOX_CSS, CONVERSATION_CSS, DIALOGS_CSS)
