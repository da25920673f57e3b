"""cv-analytics edge client: the chatbot's fire-and-forget analytics events to SQS FIFO.

    from edge_client import EdgeClient

    client = EdgeClient.from_env()  # CV_ANALYTICS_QUEUE_URL (+ the usual AWS_* variables)
    request_id = client.track_query(session_id="s-1", query="Does she know Terraform?")
    client.track_response(request_id=request_id, match_type="full", match_score=91.0)
    client.track_feedback(request_id, thumbs="up")

See the README's "Edge client" section for configuration, guarantees and serverless mode.
"""

from edge_client.buffer import ClientStats
from edge_client.client import ENV_DISABLED, ENV_QUEUE_URL, EdgeClient
from edge_client.config import Settings
from edge_client.failures import DeliveryFailure
from edge_client.pii import PiiMatch, find_pii, redact_personal_data
from edge_client.redaction import (
    Redactor,
    redact_contact_details,
    redact_pii,
    text_redactor,
)
from edge_client.serverless import Invocation
from edge_client.transport import (
    BatchResult,
    EntryFailure,
    InMemorySink,
    OutgoingMessage,
    Transport,
    TransportError,
)

__all__ = [
    "ENV_DISABLED",
    "ENV_QUEUE_URL",
    "BatchResult",
    "ClientStats",
    "DeliveryFailure",
    "EdgeClient",
    "EntryFailure",
    "InMemorySink",
    "Invocation",
    "OutgoingMessage",
    "PiiMatch",
    "Redactor",
    "Settings",
    "Transport",
    "TransportError",
    "find_pii",
    "redact_contact_details",
    "redact_personal_data",
    "redact_pii",
    "text_redactor",
]
