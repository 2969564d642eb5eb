"""A delivery in flight is never sent twice: the sweep (or a broker's redelivery) may queue a second
task while the first is still waiting for the receiver's answer; the second waits for the row lock
and then finds it sent. Real threads, each with its own connection, on committed rows."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connection
from django_tenants.utils import tenant_context

from alerts.deliveries import delivery_attempt
from alerts.models import Alert, AlertDelivery


def test_a_second_task_for_a_delivery_in_flight_finds_it_sent(committed):
    world = committed
    received, answer = threading.Event(), threading.Event()
    requests = []

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            requests.append(self.rfile.read(int(self.headers["Content-Length"])))
            received.set()
            answer.wait(10)  # the first attempt is in flight until the test lets it answer
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outcomes = {}

    def attempt(name, pk):
        try:
            with tenant_context(world.alpha):
                outcomes[name] = delivery_attempt(pk)
        finally:
            connection.close()

    with tenant_context(world.alpha):
        alert = Alert.objects.create(
            rule_ref="a:1", agency_rule_id=1, kind="status_red", subject="leads", kpi="leads", period="month:2026-11-01"
        )
        channel = {"type": "webhook", "url": f"http://127.0.0.1:{server.server_address[1]}/h", "secret": "x" * 20}
        delivery = AlertDelivery.objects.create(alert=alert, channel_index=0, channel=channel, event="fired")
    try:
        first = threading.Thread(target=attempt, args=("first", delivery.pk))
        first.start()
        assert received.wait(10)
        second = threading.Thread(target=attempt, args=("second", delivery.pk))
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the row lock while the first is in flight
        answer.set()
        first.join(10)
        second.join(10)
        assert outcomes == {"first": "sent", "second": "done"}
        assert len(requests) == 1
    finally:
        answer.set()
        server.shutdown()
        with tenant_context(world.alpha):
            Alert.objects.filter(pk=alert.pk).delete()
