"""The Python side of the values the engine hands out: events, messages, session snapshots and
the exception hierarchy. The native module builds them from the engine's JSON through the
factories at the bottom (``_event``, ``_message``…), so every value is defined here once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional, Type

from . import _native


class OpenWAError(Exception):
    """Base of every engine error. ``code`` is the engine's stable snake_case code
    (``invalid_argument``…), ``message`` a sentence, ``details`` extra machine-readable context
    (or ``None``) and ``retryable`` whether the same call may succeed later."""

    code: str = "internal"

    def __init__(
        self,
        message: str = "",
        *,
        code: Optional[str] = None,
        details: Optional[str] = None,
        retryable: Optional[bool] = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details = details
        self.retryable = (
            retryable if retryable is not None else _DEFAULT_RETRYABLE.get(self.code, False)
        )

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}"
        return f"{text} ({self.details})" if self.details else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"details={self.details!r}, retryable={self.retryable!r})"
        )


def _class_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


# Builtin bases that make the idiomatic `except` clauses work too.
_EXTRA_BASES: Dict[str, type] = {"invalid_argument": ValueError, "timeout": TimeoutError}

_DEFAULT_RETRYABLE: Dict[str, bool] = {code: retryable for code, retryable in _native.ERROR_CODES}

#: One subclass of `OpenWAError` per engine error code, keyed by code.
ERRORS: Dict[str, Type[OpenWAError]] = {}
for _code, _ in _native.ERROR_CODES:
    _bases = (OpenWAError,) + ((_EXTRA_BASES[_code],) if _code in _EXTRA_BASES else ())
    ERRORS[_code] = type(_class_name(_code), _bases, {"code": _code, "__module__": "openwa"})
del _code, _bases


def _error(code: str, message: str, details: Optional[str], retryable: bool) -> OpenWAError:
    cls = ERRORS.get(code, OpenWAError)
    return cls(message, code=code, details=details, retryable=retryable)


@dataclass(frozen=True)
class Message:
    """A stored message (received or sent). Ids are canonical JIDs."""

    id: str
    chat: str
    sender: str
    from_me: bool
    timestamp: int
    message_type: str
    status: str
    text: Optional[str] = None
    push_name: Optional[str] = None
    sender_alt: Optional[str] = None
    #: The typed content: ``{"kind": "text", "text": …}``, ``{"kind": "image", "media": {…},
    #: "caption": …}`` (and video, audio, document, sticker; bytes as base64 strings),
    #: ``{"kind": "location", "latitude": …}``,
    #: ``{"kind": "contacts", "contacts": [{"display_name", "vcard"}]}``,
    #: ``{"kind": "reaction", "message_id", "emoji"}``, or ``{"kind": "other", "message_type"}``.
    content: Dict[str, Any] = field(default_factory=dict)
    #: The message this one replies to: ``{"id", "sender", "text", "message_type"}``.
    quoted: Optional[Dict[str, Any]] = None
    #: Users it mentions (JIDs).
    mentions: List[str] = field(default_factory=list)
    forwarded: bool = False
    forwarding_score: int = 0

    @classmethod
    def _from(cls, data: Dict[str, Any]) -> "Message":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Event:
    """One event of one session. ``type`` is the engine's event name (``qr``, ``paired``,
    ``connection_state``, ``message_received``, ``message_sent``, ``message_status``,
    ``receipt``, ``history_sync``, ``lagged``…); ``data`` holds its fields (``message`` is a
    `Message`)."""

    session_id: str
    seq: int
    timestamp_ms: int
    type: str
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> Optional[Message]:
        """The message of a ``message_received`` / ``message_sent`` event."""
        message = self.data.get("message")
        return message if isinstance(message, Message) else None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


@dataclass(frozen=True)
class SessionInfo:
    """A snapshot of a session."""

    id: str
    state: str
    jid: Optional[str] = None
    lid: Optional[str] = None


@dataclass(frozen=True)
class MessagePage:
    """A page of a chat's history, newest first; pass ``next_cursor`` for the next page."""

    messages: List[Message]
    next_cursor: Optional[str] = None


@dataclass(frozen=True)
class Chat:
    """A chat the session knows (from history sync and from messages sent and received)."""

    id: str
    #: ``user``, ``lid``, ``group``, ``newsletter`` or ``status``.
    kind: str
    unread_count: int
    updated_at_ms: int
    pn: Optional[str] = None
    lid: Optional[str] = None
    name: Optional[str] = None
    last_message: Optional[Message] = None
    last_message_at: Optional[int] = None
    archived: bool = False
    pinned: bool = False
    muted_until: Optional[int] = None
    marked_unread: bool = False
    labels: List[str] = field(default_factory=list)

    @classmethod
    def _from(cls, data: Dict[str, Any]) -> "Chat":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("last_message"), dict):
            values["last_message"] = Message._from(values["last_message"])
        return cls(**values)


@dataclass(frozen=True)
class Contact:
    """A user the session knows: its ids (PN and LID when known) and names."""

    id: str
    pn: Optional[str] = None
    lid: Optional[str] = None
    phone: Optional[str] = None
    push_name: Optional[str] = None
    name: Optional[str] = None

    @classmethod
    def _from(cls, data: Dict[str, Any]) -> "Contact":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Label:
    """A label (WhatsApp Business) chats and messages are filed under."""

    id: str
    name: str
    color: int = 0
    deleted: bool = False

    @classmethod
    def _from(cls, data: Dict[str, Any]) -> "Label":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class StarredMessage:
    """A starred message."""

    chat: str
    message_id: str
    from_me: bool = False
    participant: Optional[str] = None
    starred_at_ms: int = 0

    @classmethod
    def _from(cls, data: Dict[str, Any]) -> "StarredMessage":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _label(text: str) -> Label:
    return Label._from(json.loads(text))


def _labels(text: str) -> List[Label]:
    return [Label._from(x) for x in json.loads(text)]


def _starred(text: str) -> List[StarredMessage]:
    return [StarredMessage._from(x) for x in json.loads(text)]


def _chat(text: str) -> Chat:
    return Chat._from(json.loads(text))


def _chats(text: str) -> List[Chat]:
    return [Chat._from(c) for c in json.loads(text)]


def _contact(text: str) -> Contact:
    return Contact._from(json.loads(text))


def _contacts(text: str) -> List[Contact]:
    return [Contact._from(c) for c in json.loads(text)]


def _event(text: str) -> Event:
    data = json.loads(text)
    session_id = data.pop("session_id", "")
    seq = data.pop("seq", 0)
    timestamp_ms = data.pop("timestamp_ms", 0)
    kind = data.pop("type", "unknown")
    if isinstance(data.get("message"), dict):
        data["message"] = Message._from(data["message"])
    return Event(session_id, seq, timestamp_ms, kind, data)


def _json(text: str) -> Any:
    """Plain JSON values (dicts, lists) for results without a dataclass (groups)."""
    return json.loads(text)


def _message(text: str) -> Message:
    return Message._from(json.loads(text))


def _json(text: str) -> Any:
    """Plain JSON values (dicts, lists) for results without a dataclass (groups)."""
    return json.loads(text)


def _session_info(text: str) -> SessionInfo:
    data = json.loads(text)
    known = {f.name for f in fields(SessionInfo)}
    return SessionInfo(**{k: v for k, v in data.items() if k in known})


def _message_page(text: str) -> MessagePage:
    data = json.loads(text)
    return MessagePage(
        [Message._from(m) for m in data.get("messages", [])], data.get("next_cursor")
    )
