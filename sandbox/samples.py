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

# Twilio's fact sheet, section 2: the Call resource a create answers (its
# subresource_uris is elided as {...}: not JSON, as printed).
TWILIO_CALL_ANSWER: Final = '{"sid":"CAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","account_sid":"ACxxx...","parent_call_sid":null,\n "to":"+15551230001","from":"+15557654321","status":"queued","direction":"outbound-api",\n "start_time":null,"end_time":null,"duration":null,"price":null,"price_unit":"USD","answered_by":null,\n "api_version":"2010-04-01","queue_time":"0","date_created":"Tue, 31 Aug 2010 20:36:28 +0000",\n "uri":"/2010-04-01/Accounts/ACxxx/Calls/CAxxx.json","subresource_uris":{...}}'

# Section 3: an error.
TWILIO_ERROR: Final = '{"code":21211,"message":"The \'To\' number +1555 is not a valid phone number.",\n "more_info":"https://www.twilio.com/docs/errors/21211","status":400}'

# Section 4: A's completed status callback, form-encoded, as printed over three
# indented lines (tests join them).
TWILIO_STATUS_COMPLETED: Final = "  AccountSid=ACxxx&ApiVersion=2010-04-01&CallSid=CAaaa&CallStatus=completed&CallDuration=42&Duration=1\n  &Direction=outbound-api&From=%2B15557654321&To=%2B15551230001&SipResponseCode=200\n  &Timestamp=Tue%2C+31+Aug+2010+20%3A37%3A10+%2B0000&CallbackSource=call-progress-events&SequenceNumber=3"

# Exotel's fact sheet, section 2: the connect answer.
EXOTEL_CONNECT_ANSWER: Final = '{"Call":{"Sid":"c5797dcbaaeed7678c4062a4a3ed2f8a","ParentCallSid":null,"DateCreated":"2017-03-03 10:48:33",\n "DateUpdated":"2017-03-03 10:48:33","AccountSid":"Exotel","To":"0XXXXX38847","From":"0XXXXX30240",\n "PhoneNumberSid":"0XXXXXX4890","Status":"in-progress","StartTime":"2017-03-03 10:48:33","EndTime":null,\n "Duration":null,"Price":null,"Direction":"outbound-api","AnsweredBy":null,"ForwardedFrom":null,\n "CallerName":null,"Uri":"/v1/Accounts/Exotel/Calls/c5797dcbaaeed7678c4062a4a3ed2f8a","RecordingUrl":null}}'

# Section 3: the error shape ("Code":... as printed: not JSON).
EXOTEL_ERROR: Final = '{"RestException":{"Status":400,"Message":"...","Code":...}}'

# Section 4: the terminal callback in JSON, both legs talked.
EXOTEL_TERMINAL: Final = '{"CallSid":"80bfbec2d78bbbf10fb851f4fa165211","DateUpdated":"2024-01-15 14:30:45","Status":"completed",\n "RecordingUrl":"https://s3-ap-southeast-1.amazonaws.com/...","EventType":"terminal",\n "DateCreated":"2024-01-15 14:25:10","To":"09123456789","From":"09876543210","PhoneNumberSid":"0XXXXXX4890",\n "StartTime":"2024-01-15 14:25:12","EndTime":"2024-01-15 14:30:45","ConversationDuration":320,\n "Direction":"outbound-api","CustomField":"req-42",\n "Legs":[{"OnCallDuration":335,"Status":"completed"},{"OnCallDuration":320,"Status":"completed"}]}'

# The answered callback as a form, A picked up, B not yet (two printed lines).
EXOTEL_ANSWERED_A: Final = "  CallSid=...&EventType=answered&Status=in-progress&Direction=outbound-api&Legs[0][Status]=in-progress\n  &Legs[1][Status]="

# The answered callback once B picked up (its start elided as printed).
EXOTEL_ANSWERED_B: Final = (
    "...EventType=answered&Status=in-progress&Legs[1][Status]=in-progress"
)

# The terminal callback when B did not answer (two printed lines).
EXOTEL_TERMINAL_NO_ANSWER: Final = "EventType=terminal&Status=no-answer&Legs[0][Status]=completed\n  &Legs[1][Status]=no-answer&ConversationDuration=0"

# Twilio's fact sheet, section 1: the inline TwiML of the bridge.
TWILIO_TWIML: Final = '  <Response><Dial callerId="+15557654321" timeout="30" answerOnBridge="true"\n     action="https://ha.example/api/webhook/ID?ev=dial" method="POST">\n     <Number statusCallback="https://ha.example/api/webhook/ID?ev=b"\n             statusCallbackEvent="initiated ringing answered completed">+15551230002</Number>\n  </Dial></Response>'

# Exotel's fact sheet, section 1: the connect request, as curl sends it.
EXOTEL_CURL: Final = "  curl -u KEY:TOKEN https://api.exotel.com/v1/Accounts/SID/Calls/connect.json \\\n   -d From=+919900000001 -d To=+919900000002 -d CallerId=08047110000 -d CallType=trans -d TimeLimit=3600 \\\n   -d TimeOut=30 -d StatusCallback='https://ha.example/api/webhook/ID?k=TOKEN' \\\n   -d 'StatusCallbackEvents[0]=terminal' -d 'StatusCallbackEvents[1]=answered' \\\n   -d StatusCallbackContentType=application/json -d CustomField=req-42"
