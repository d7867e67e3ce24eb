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

# Ameyo's document. Several are not valid JSON (raw newlines inside strings, \< escapes,
# unbalanced quotes): that is how the document prints them, and how they are served.
AMEYO_REQUEST: Final = r"""{
  "userId": "<User_Id_of_Agent>",
  "campaignId": "<Campaign_Id>",
  "phone": "<Phone_Number_of_Customer>",
  "additionalParams":
  {
    "CaseID": "<Case_Id>",
    "LeadID": "<Lead_Id>",
    "ContactID": "<Contact_Id>"
  }
}
"""
AMEYO_ON_BREAK: Final = r"""{
  "status": "error",
  "reason": "Agent: agent is not working in campaign:
<Campaign_Id>",
  "details": "Agent: agent is not working in campaign:
<Campaign_Id>"
}
"""
AMEYO_NOT_LOGGED_IN: Final = r"""{
  "status": "error",
  "reason": "Agent is not available to take the call",
  "details": "Agent is not available to take the call"
}
"""
AMEYO_CHANNEL_UNAVAILABLE: Final = r"""{
  "result": "FAILURE",
  "reason": "
  {
    node.flow.id\<Nodeflow_Id>,
    metaData\<MetaData_Id>,
    node.flow.error.reason\u003d
    [
      \"Party.could.not.be.connected.Reason\",
      \"<Phone_Number_of_Customer>\",
      \"Requested channel not available\"
    ]
  }"
}
"""
AMEYO_AGENT_NO_ANSWER_PART_1: Final = r"""{
  "result": "FAILURE",
  "reason": "
  {
    node.flow.id\<Nodeflow_Id>,
    metaData\<MetaData_Id>,

"""
AMEYO_AGENT_NO_ANSWER_PART_2: Final = r"""        node.flow.error.reason\u003d
        [
            \"Party.did.not.answer\",
            \"agent\"
        ]
    }"
}
"""
# Sample 4 is split by a page break into two fenced blocks; the answer is both.
AMEYO_AGENT_NO_ANSWER: Final = (
    AMEYO_AGENT_NO_ANSWER_PART_1 + AMEYO_AGENT_NO_ANSWER_PART_2
)
AMEYO_CUSTOMER_NO_ANSWER: Final = r"""{
    "result":"FAILURE",
    "reason":
    {
        node.flow.id\<Nodeflow_Id>,
        metaData\<MetaData_Id>,
        node.flow.error.reason\u003d
        [
            \"Party.did.not.answer\",
            \"<Phone_Number_of_Customer>\"
        ]
    }"
}
"""
AMEYO_CONNECTED: Final = r"""{
    "result":"SUCCESS",
    "reason":
    {
        node.flow.id\<Nodeflow_Id>,
        metaData\<MetaData_Id>
    }"
}
"""

# The voice panel's document: the report answer's sample line.
VOICE_PANEL_REPORT: Final = "1231,23,45,12"

# Spokn's document
SPOKN_SUCCESS: Final = """<?xml version="1.0"?>
<spokn xmlns="http://api.spokn.com/api/c2c.xsd">
  <c2c version="1.0">
    <code>200</code>
    <desc>Request Successful</desc>
  </c2c>
</spokn>
"""
