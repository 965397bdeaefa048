"""The SMS gateway's templates express the usual APIs' shapes, and every value is escaped
for where it stands: a JSON body stays JSON, a form body stays a form, a URL stays a URL."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from crypto.secret import Secret
from vault.errors import ConfigError
from vault.notify.channels import sms_request
from vault.settings import SmsBody, SmsSettings

NASTY = 'Cabinet "Dr" Martin & fils {x} 100% é\\n +=?'
TO = "+33612345678"


def test_brevo_json_body_and_api_key_header() -> None:
    settings = SmsSettings(
        url="https://api.brevo.com/v3/transactionalSMS/sms",
        body='{{"sender": "Cabinet", "recipient": "{to}", "content": "{text}",'
        ' "type": "transactional"}}',
        auth_header=Secret(b"api-key: xkeysib-123"),
    )
    r = sms_request(settings, TO, NASTY)
    assert r.method == "POST" and r.headers["api-key"] == "xkeysib-123"
    assert r.headers["Content-Type"] == "application/json"
    assert r.body is not None
    assert json.loads(r.body) == {
        "sender": "Cabinet",
        "recipient": TO,
        "content": NASTY,
        "type": "transactional",
    }


def test_twilio_form_body_and_basic_auth() -> None:
    settings = SmsSettings(
        url="https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
        body_format=SmsBody.FORM,
        body="To={to}&From=%2B33700000000&Body={text}",
        auth_header=Secret(b"Authorization: Basic QUMxMjM6c2VjcmV0"),
    )
    r = sms_request(settings, TO, NASTY)
    assert r.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert r.headers["Authorization"] == "Basic QUMxMjM6c2VjcmV0"
    assert r.body is not None
    assert parse_qs(r.body.decode()) == {"To": [TO], "From": ["+33700000000"], "Body": [NASTY]}


def test_octopush_nested_json_and_two_headers() -> None:
    settings = SmsSettings(
        url="https://api.octopush.com/v1/public/sms-campaign/send",
        body='{{"recipients": [{{"phone_number": "{to}"}}], "text": "{text}",'
        ' "type": "sms_premium"}}',
        auth_header=Secret(b"api-key: k"),
        headers=("api-login: cabinet@example.fr",),
    )
    r = sms_request(settings, TO, NASTY)
    assert r.headers["api-login"] == "cabinet@example.fr" and r.headers["api-key"] == "k"
    assert r.body is not None
    assert json.loads(r.body)["recipients"] == [{"phone_number": TO}]
    assert json.loads(r.body)["text"] == NASTY


def test_a_get_api_with_the_values_in_the_query() -> None:
    settings = SmsSettings(
        method="get",
        url="https://api.smsmode.com/http/1.6/sendSMS.do?accessToken=t&numero={to}&message={text}",
    )
    r = sms_request(settings, TO, NASTY)
    assert r.method == "GET" and r.body is None
    query = parse_qs(urlsplit(r.url).query)
    assert query == {"accessToken": ["t"], "numero": [TO], "message": [NASTY]}


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"url": "ftp://gw.example/sms"}, "https://"),
        ({"url": "http://gw.example/sms"}, "http:// only to this machine"),
        ({"method": "DELETE"}, "sms.method"),
        ({"body": '{{"to": {text}}}'}, "not JSON once filled in"),
        ({"body": '{{"to": "{number}"}}'}, "unknown placeholder {number}"),
        ({"body": '{{"to": "{to}"}} }'}, "unmatched brace"),
        ({"auth_header": Secret(b"Bearer abc")}, "Name: value"),
        ({"body": ""}, "sms.body is empty"),
        ({"body_format": "xml"}, "sms.body_format"),
    ],
)
def test_a_bad_gateway_setting_stops_start_up(changes: dict[str, object], sentence: str) -> None:
    values: dict[str, object] = {
        "url": "https://gw.example/sms",
        "body": '{{"to": "{to}", "text": "{text}"}}',
    } | changes
    with pytest.raises(ConfigError, match=sentence.replace("{", r"\{").replace("?", r"\?")):
        SmsSettings(**values)  # type: ignore[arg-type]


def test_the_auth_header_never_shows_in_the_settings_repr() -> None:
    settings = SmsSettings(
        url="https://gw.example/sms", body='{{"t": "{text}"}}', auth_header=Secret(b"X-Key: s3cr3t")
    )
    assert "s3cr3t" not in repr(settings)
