"""The application's moving parts: the script runner and the message handler (no Qt
needed), and, as they land, the windows and panels."""

from .message_handler import MessageHandler
from .script_runner import RunEvent, RunEventKind, ScriptRunner

__all__ = ["MessageHandler", "RunEvent", "RunEventKind", "ScriptRunner"]
