"""Zendesk webhook authenticity (VENDOR_API.md §1.6).

`signature = base64(HMAC_SHA256(key=signing_secret, msg=timestamp_header + raw_body))`, no
separator; the secret's own bytes are the key (not base64-decoded).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value Zendesk sends in `X-Zendesk-Webhook-Signature` for this delivery."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
