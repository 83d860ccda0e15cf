"""Every model module, imported so the metadata is complete (migrations, drift check)."""

from wapiz.accounts import models as accounts_models
from wapiz.chats import models as chats_models
from wapiz.cluster import models as cluster_models
from wapiz.db.base import Base
from wapiz.devices import models as devices_models
from wapiz.engines.sandbox import models as sandbox_models
from wapiz.keys import models as keys_models
from wapiz.messages import models as messages_models
from wapiz.outputs import models as outputs_models
from wapiz.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "accounts_models",
    "chats_models",
    "cluster_models",
    "devices_models",
    "keys_models",
    "messages_models",
    "outputs_models",
    "sandbox_models",
    "webhooks_models",
]
metadata = Base.metadata
