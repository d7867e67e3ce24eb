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


# telecmi-webhooks.txt, section 6: TeleCMI's webhooks as printed (JSON over
# several lines). (a) a live event, leg A started.
TELECMI_EVENT_A_STARTED: Final = '{"call_id":"e51d5392-d9cf-123b-fe91-3cecefb9bfb6","leg":"a","type":"event","user":"202_2222223",\n "cmiuuid":"ccd826f9-67a4-4467-acfb-a53093ff5c9d","direction":"outbound","callerid":"442000000000",\n "app_id":2223343,"time":1650635340436,"custom":"{\\"crm\\":\\"true\\"}",\n "extra_params":"{\\"click2call\\":\\"true\\"}","request_id":"bvS68LlqtFunYMQO0db6g9klSdfS0UHHDoK9S9Qvaed",\n "status":"started","to":"442000000001","conversation_uuid":"ccd826f9-67a4-4467-acfb-a53093ff5c9d"}'
# (c) a call detail record, leg B answered.
TELECMI_CDR_B_ANSWERED: Final = '{"virtual_number":"440000000000","call_id":"c4504776-d91e-123b-29a7-56000429abc3",\n "custom":"{\\"crm\\":\\"true\\"}","leg":"b","type":"cdr","appid":2222223,"to":442000000001,\n "cmiuuid":"0da4f02e-6ece-42e4-989b-1e6766b5a81e","status":"answered","user":"202_2222223",\n "time":1650630551178,"direction":"outbound","answeredsec":6,"hangup_reason":"sent_bye",\n "request_id":"c0Sq3mbykoHgVgLfyWTr6cV6HB5Z0Fk4AXpZFkOClSr","extra_params":"{\\"click2call\\":\\"true\\"}",\n "record":true,"filename":"16506305548176941220057791_2222223.mp3"}'
# (d) a call detail record, leg A missed.
TELECMI_CDR_A_MISSED: Final = '{"virtual_number":"440000000000","call_id":"c4504776-d91e-123b-29a7-56000429abc3",\n "custom":"{\\"crm\\":\\"true\\"}","leg":"a","type":"cdr","appid":2222223,"to":442000000000,\n "cmiuuid":"15b58236-734f-4000-a5e8-78284068f5c7","status":"missed","user":"202_2222223",\n "time":1650628175336,"direction":"outbound","hangup_reason":"recv_cancel",\n "request_id":"D8qpRb27mpXEYgEdAMY6arnQ2ONAB04Y86QrfKbOWZQ","extra_params":"{\\"click2call\\":\\"true\\"}"}'
# (e) the older format (chub-india), without request_id: an event and a CDR.
TELECMI_INDIA_EVENT: Final = '{"leg":"a","type":"event","click_to_call":"true","user":"109_1111113",\n  "cmiuuid":"d965c6e0-5493-44f8-8d7d-b9a8077013a4","direction":"outbound","callerid":4471000000,\n  "app_id":1111113,"time":1571122196059,"status":"started","to":9100000000,\n  "conversation_uuid":"d965c6e0-5493-44f8-8d7d-b9a8077013a4"}'
TELECMI_INDIA_CDR: Final = '{"type":"cdr","appid":1111113,"to":9100000000,"cmiuuid":"760df326-7f03-4b5d-b573-278dec867f13",\n  "status":"answered","user":"103_1111113","time":1570184401056,"direction":"outbound",\n  "answeredsec":13,"click_to_call":"true","record":"true","filename":"157018440105699392452463833_1111113.mp3"}'

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
