"""The exception tree of the assistant.

Library code raises only these; ``cli.py`` (and later ``api.py``) turn them into messages and
exit codes, nowhere else::

    AssistantError                  base of everything the assistant raises on purpose
    ├── KnowledgeError              a knowledge/ or dialogs/ file is missing or invalid
    ├── ScenarioError               a drill cannot go on (finished drill, bad state)
    │   └── UnknownScenarioError    no scenario with that id (also a KeyError)
    ├── InputError                  user input is unusable (empty text, bad JSON, binary)
    ├── ModelError                  the embedding model cannot be built or loaded
    ├── SettingsError               an ASSISTANT_* environment setting is invalid
    └── IngestError                 a hall document cannot be ingested
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: anything the assistant raises deliberately."""


class KnowledgeError(AssistantError):
    """A data file is missing or fails validation; the message names file, entry and field."""


class ScenarioError(AssistantError):
    """A drill cannot proceed as asked."""


class UnknownScenarioError(ScenarioError, KeyError):
    """No scenario has the requested id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown scenario"


class InputError(AssistantError):
    """User-supplied input cannot be used; the message says what and where."""


class ModelError(AssistantError):
    """The embedding model cannot be converted, found or loaded."""


class SettingsError(AssistantError):
    """An ``ASSISTANT_*`` setting has a value that cannot be used; the message names it."""


class IngestError(AssistantError):
    """A hall document cannot be ingested; nothing was changed."""
