"""What the marketing data answers when a lower layer asks (``config.events``); connected in
CampaignsConfig.ready."""

from campaigns.models import Channel


def channels_count(sender, **kwargs) -> dict:
    """For the worker probe (``tenants.worker_ping``): the current client's channels, read in its schema."""
    return {"channels": Channel.objects.count()}
