"""The loopback receivers the end-to-end tests of reports and alerts rely on really receive."""

import json
import urllib.error
import urllib.request

from django.core.mail import EmailMessage, get_connection

from tests.receivers import http_receiver, smtp_inbox


def test_the_smtp_inbox_keeps_what_a_django_smtp_backend_sends():
    with smtp_inbox() as inbox:
        settings = inbox.settings()
        connection = get_connection(
            settings["EMAIL_BACKEND"], host=inbox.host, port=inbox.port, use_tls=False, use_ssl=False
        )
        message = EmailMessage("Bonjour", "Corps", "pouls@example.com", ["ana@example.com"], connection=connection)
        message.attach("r.pdf", b"%PDF-1.4", "application/pdf")
        assert message.send() == 1
        assert len(inbox.messages) == 1
        received = inbox.to("ana@example.com")[0]
        assert received["Subject"] == "Bonjour"
        assert [part.get_filename() for part in received.iter_attachments()] == ["r.pdf"]


def test_the_http_receiver_records_requests_and_answers_the_lined_up_statuses():
    with http_receiver(statuses=[500, 200]) as receiver:
        request = urllib.request.Request(
            receiver.base_url + "/hook", data=json.dumps({"a": 1}).encode(), headers={"X-Test": "1"}, method="POST"
        )
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("the first answer should have been a 500")
        except urllib.error.HTTPError as error:
            assert error.code == 500
        assert urllib.request.urlopen(request, timeout=5).status == 200
        assert [r.path for r in receiver.requests] == ["/hook", "/hook"]
        assert json.loads(receiver.requests[0].body) == {"a": 1}
        assert receiver.requests[0].headers["x-test"] == "1"
