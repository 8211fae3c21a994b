"""oaimap's API simulator: a stateful OpenAI API on 127.0.0.1, driven by the specs
(``docs/simulator.md``)."""

from .answers import Say, ToolCall, reply_text
from .engine import Simulator

__all__ = ["Simulator", "Say", "ToolCall", "reply_text"]
