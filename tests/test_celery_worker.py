"""A real worker process proves tasks run in the schema of the client they were sent from."""

import uuid
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from campaigns.channels import BUILTIN_CHANNELS
from campaigns.models import Channel
from tenants.tasks import worker_ping
from tests.processes import start_worker, stop

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def worker_queue(world, django_db_blocker, tmp_path_factory):
    # given alpha holds one more channel than beta, committed so the worker can see it
    with django_db_blocker.unblock(), tenant_context(world.alpha):
        Channel.objects.get_or_create(key="worker-probe", defaults={"name": "Worker probe"})
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    process = start_worker(queue, log)
    yield queue
    stop(process)
    with django_db_blocker.unblock(), tenant_context(world.alpha):
        Channel.objects.filter(key="worker-probe").delete()


def test_a_task_sent_in_a_client_runs_in_that_clients_schema(world, worker_queue):
    # when the same task is sent from alpha, from beta, and from outside any client
    with tenant_context(world.alpha):
        from_alpha = worker_ping.apply_async(queue=worker_queue)
    with tenant_context(world.beta):
        from_beta = worker_ping.apply_async(queue=worker_queue)
    from_public = worker_ping.apply_async(queue=worker_queue)
    # then each ran in its own schema and read that schema's data
    assert from_alpha.get(timeout=90) == {
        "schema": "c_alpha",
        "client": "alpha",
        "channels": len(BUILTIN_CHANNELS) + 1,
    }
    assert from_beta.get(timeout=30) == {"schema": "c_beta", "client": "beta", "channels": len(BUILTIN_CHANNELS)}
    assert from_public.get(timeout=30) == {"schema": "public", "client": None}
