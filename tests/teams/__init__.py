"""The Teams test kit: a fake Bot Connector, a local OpenID key server, signed activities."""

import warnings

# The Teams SDK warns on import about preview features ypsi-bot does not use; a test's child
# process (tests.reminder_worker imports the fixtures) must keep its stderr clean.
warnings.filterwarnings("ignore", message=r".*is in preview and may change", module="microsoft_teams")
