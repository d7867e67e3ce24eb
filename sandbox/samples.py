"""Sample answers, byte for byte as the provider documents print them.

tests/test_samples.py checks that each one stands verbatim in its document.
"""

from __future__ import annotations

from typing import Final

TELSPIEL_REQUEST: Final = """{
  "username": "xxxxxxxxx",
  "campaign_name": "{#var#}{#var#}",
  "agent_phone": "9999999999",
  "customer_phone": "8888888888"
}
"""
TELSPIEL_SUCCESS: Final = """{
  "code": 200,
  "status": "success",
  "message": "Data successfully submitted for call."
}
"""
TELSPIEL_FORBIDDEN: Final = """{
  "code": 403,
  "status": "forbidden",
  "message": "Username or api key is invalid"
}
"""
TELSPIEL_CUSTOMER_REQUIRED: Final = """{
  "code": 422,
  "status": "invalid",
  "message": "Invalid data",
  "errors": "{ \\"customer_phone\\": [\\"Customer phone is required\\"] }"
}
"""
TELSPIEL_AGENT_REQUIRED: Final = """{
  "code": 422,
  "status": "invalid",
  "message": "Invalid data",
  "errors": "{ \\"agent_phone\\": [\\"Agent phone is required\\"] }"
}
"""

TELECMI_REQUEST: Final = (
    '{"user_id": "101_1111112","secret": "2e0d75-d843-45-945-4171dd7a",'
    '"to": 9100000000,"extra_params": {"crm": true},"webrtc": true,'
    '"followme": false}'
)
TELECMI_SUCCESS: Final = (
    '{"code": 200,"msg": "Call initiated",'
    '"request_id": "s96C6XK1BUHX0oVZfOo5NhoJfZZJd0y1nmrNN6dhdkW"}'
)
